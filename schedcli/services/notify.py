"""Notifications: hook commands and webhooks run after a run ends.

Events: ``failure`` (error, timeout, interrupted), ``success`` (success, warning) and
``recovery`` (a success right after a failure). A job's own hooks and the global hooks
from the configuration both run. Each hook has its own timeout; a failing hook is
recorded in the database and never stops the scheduler.
"""

from __future__ import annotations

import json
import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from schedcli import process
from schedcli.config import Hooks
from schedcli.model import Job, Run
from schedcli.schedule import iso

FAILING = ("error", "timeout", "interrupted")
OUTPUT_TAIL = 4096


def events_for(status: str, previous: str | None) -> list[str]:
    if status in FAILING:
        return ["failure"]
    if status in ("success", "warning"):
        return ["success", "recovery"] if previous in FAILING else ["success"]
    return []


@dataclass(frozen=True)
class HookResult:
    event: str
    target: str
    ok: bool
    detail: str


def hook_env(event: str, job: Job, run: Run, output_tail: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "SCHEDCLI_EVENT": event,
            "SCHEDCLI_JOB": job.name,
            "SCHEDCLI_RUN_ID": str(run.id),
            "SCHEDCLI_STATUS": run.status,
            "SCHEDCLI_EXIT_CODE": "" if run.exit_code is None else str(run.exit_code),
            "SCHEDCLI_TRIGGER": run.trigger,
            "SCHEDCLI_ATTEMPT": str(run.attempt),
            "SCHEDCLI_SCHEDULED_FOR": iso(run.scheduled_for) or "",
            "SCHEDCLI_STARTED_AT": iso(run.started_at) or "",
            "SCHEDCLI_FINISHED_AT": iso(run.finished_at) or "",
            "SCHEDCLI_DURATION_S": "" if run.duration_s is None else f"{run.duration_s:.3f}",
            "SCHEDCLI_REASON": run.reason or "",
            "SCHEDCLI_OUTPUT_TAIL": output_tail,
        }
    )
    return env


def run_command(command: str, env: dict[str, str], timeout: float) -> tuple[bool, str]:
    spec = process.ProcessSpec(
        argv=["/bin/sh", "-c", command], env=env, cwd=env.get("HOME") or "/",
        timeout=timeout, kill_grace=1.0, output_cap=8192,
    )
    outcome = process.start(spec).wait()
    text = outcome.output.decode("utf-8", "replace").strip()[-500:]
    if outcome.error:
        return False, outcome.error
    if outcome.timed_out:
        return False, f"hook timed out after {timeout:g}s"
    if outcome.exit_code != 0:
        return False, f"exit code {outcome.exit_code}" + (f": {text}" if text else "")
    return True, text


def post_webhook(url: str, payload: dict, timeout: float) -> tuple[bool, str]:
    import urllib.error
    import urllib.request

    body = json.dumps(payload).encode()
    request = urllib.request.Request(
        url, data=body, method="POST",
        headers={"Content-Type": "application/json", "User-Agent": "schedcli"},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return True, f"HTTP {response.status}"
    except urllib.error.HTTPError as exc:
        return False, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return False, f"webhook failed: {reason}"


class Notifier:
    """Runs hooks in the background so that runs never wait for them."""

    def __init__(self, global_hooks: Hooks, timeout: float, record) -> None:
        self.global_hooks = global_hooks
        self.timeout = timeout
        self._record = record  # callable(run_id, HookResult)
        self._pool: ThreadPoolExecutor | None = None
        self._futures: list[Future] = []
        self._lock = threading.Lock()

    def wanted(self, job: Job) -> bool:
        g = self.global_hooks
        return any((job.on_failure, job.on_success, job.on_recovery, job.webhook,
                    g.on_failure, g.on_success, g.on_recovery, g.webhook))

    def submit(self, job: Job, run: Run, previous: str | None, output: bytes) -> None:
        events = events_for(run.status, previous)
        if not events or not self.wanted(job):
            return
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="schedcli-hook")
            # a long-running watch submits forever: keep only what is still pending
            self._futures = [f for f in self._futures if not f.done()]
            self._futures.append(self._pool.submit(self._deliver, job, run, events, output))

    def _deliver(self, job: Job, run: Run, events: list[str], output: bytes) -> list[HookResult]:
        tail = output[-OUTPUT_TAIL:].decode("utf-8", "replace")
        results = []
        for event in events:
            for hooks, scope in ((job, "job"), (self.global_hooks, "global")):
                command = getattr(hooks, f"on_{event}")
                if command:
                    ok, detail = run_command(command, hook_env(event, job, run, tail), self.timeout)
                    results.append(HookResult(event, f"{scope} on-{event}", ok, detail))
        for hooks, scope in ((job, "job"), (self.global_hooks, "global")):
            if hooks.webhook:
                from schedcli.serialize import run_dict

                payload = {"event": events[-1], "events": events, "run": run_dict(run), "output_tail": tail}
                ok, detail = post_webhook(hooks.webhook, payload, self.timeout)
                results.append(HookResult(",".join(events), f"{scope} webhook", ok, detail))
        for result in results:
            try:
                self._record(run.id, result)
            except Exception:  # a hook must never take the runner down
                pass
        return results

    def drain(self) -> None:
        """Wait for every submitted notification (each is bounded by its timeout)."""
        with self._lock:
            futures, self._futures = self._futures, []
        for f in futures:
            try:
                f.result()
            except Exception:  # _deliver records its own failures; never raise from here
                pass

    def close(self) -> None:
        self.drain()
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True)
