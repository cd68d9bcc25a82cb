"""The :class:`Notifier`: every channel of a run, delivered off the run's thread.

A job's own hooks and the global ones from the configuration both run; a job's ping URL
and mail addresses replace the configuration's defaults (``none``: no ping, no mail
even with a default). Each delivery has its own timeout; its result, good or bad, is
recorded (``schedcli logs RUN_ID``) and never stops the scheduler.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Callable

from schedcli.config import Hooks, NotifyDefaults
from schedcli.model import Job, Run
from schedcli.services.notify.events import DEFAULT_MAIL_ON, NONE, events_for, let_through, listed, mail_due
from schedcli.services.notify.messages import text_tail

OUTPUT_TAIL = 4096  # bytes of output in SCHEDCLI_OUTPUT_TAIL


@dataclass(frozen=True)
class HookResult:
    event: str
    target: str
    ok: bool
    detail: str


class Notifier:
    """Runs hooks, webhooks, pings and mail in the background so that runs never wait for them."""

    def __init__(
        self,
        global_hooks: Hooks,
        timeout: float,
        record: Callable[[int, HookResult], None],
        defaults: NotifyDefaults | None = None,
        db_path: str = "",
    ) -> None:
        self.global_hooks = global_hooks
        self.timeout = timeout
        self.defaults = defaults or NotifyDefaults()
        self.db_path = db_path
        self._record = record
        self._pool: ThreadPoolExecutor | None = None
        self._futures: list[Future] = []
        self._starts: dict[str, Future] = {}  # an occurrence's start ping, by its rid
        self._lock = threading.Lock()
        self._host: str | None = None

    # -- what a job has ------------------------------------------------------------

    def ping_of(self, job: Job) -> tuple[str, str] | None:
        """(URL, scope) of the job's ping: its own, else the configuration's."""
        if job.ping == NONE:
            return None
        if job.ping:
            return job.ping, "job"
        return (self.defaults.ping, "global") if self.defaults.ping else None

    def mailto_of(self, job: Job) -> tuple[str, str] | None:
        """(addresses, scope) of the job's mail: its own, else the configuration's."""
        if job.mailto == NONE:
            return None
        if job.mailto:
            return job.mailto, "job"
        return (self.defaults.mailto, "global") if self.defaults.mailto else None

    def webhooks_of(self, job: Job) -> list[tuple[str, str, str]]:
        """(URL, format, scope) of each webhook the job's runs are posted to."""
        out = []
        if job.webhook:
            out.append((job.webhook, job.webhook_format or "json", "job"))
        if self.global_hooks.webhook:
            out.append((self.global_hooks.webhook, self.global_hooks.webhook_format or "json", "global"))
        return out

    def wanted(self, job: Job) -> bool:
        if job.notify_on == NONE:
            return False
        g = self.global_hooks
        return bool(any((job.on_failure, job.on_success, job.on_recovery, job.webhook,
                         g.on_failure, g.on_success, g.on_recovery, g.webhook))
                    or self.ping_of(job) or self.mailto_of(job))

    def wants_start(self, job: Job) -> bool:
        """Does an occurrence of ``job`` notify when it starts? Its ping does by the
        protocol (unless ``--notify-on`` leaves ``start`` out); a webhook only when
        ``--notify-on`` lists ``start``."""
        on = listed(job.notify_on)
        if on is not None and "start" not in on:
            return False
        return bool(self.ping_of(job)) or (on is not None and bool(self.webhooks_of(job)))

    def rid(self, job: Job, trigger: str, scheduled_for: int) -> str:
        from schedcli.services.notify.ping import run_uuid

        return run_uuid(self.db_path, job.id, trigger, scheduled_for)

    # -- submitting ------------------------------------------------------------------

    def started(self, job: Job, run_id: int, scheduled_for: int, trigger: str, attempt: int, at: float) -> None:
        """An occurrence's run started: its start notifications (first attempt only)."""
        if attempt != 1 or not self.wants_start(job):
            return
        run = Run(id=run_id, job_id=job.id, job=job.name, trigger=trigger, scheduled_for=scheduled_for,
                  attempt=attempt, status="running", reason=None, started_at=at, finished_at=None,
                  duration_s=None, exit_code=None)
        rid = self.rid(job, trigger, scheduled_for)
        future = self._submit(self._deliver_start, job, run, rid)
        with self._lock:
            # a delivered start needs no waiting for: keep only those still pending, so
            # that a watch whose retries end elsewhere does not keep them forever
            self._starts = {k: f for k, f in self._starts.items() if not f.done()}
            self._starts[rid] = future

    def submit(self, job: Job, run: Run, previous: str | None, output: bytes, final: bool = True) -> None:
        """A run ended; ``final``: no retry follows it (pings and mail are for those only)."""
        events = events_for(run.status, previous)
        if not events or not self.wanted(job):
            return
        rid = self.rid(job, run.trigger, run.scheduled_for)
        with self._lock:
            start = self._starts.pop(rid, None) if final else None
        self._submit(self._deliver, job, run, events, output, final, rid, start)

    def _submit(self, fn: Callable, *args: object) -> Future:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="schedcli-hook")
            # a long-running watch submits forever: keep only what is still pending
            self._futures = [f for f in self._futures if not f.done()]
            future = self._pool.submit(fn, *args)
            self._futures.append(future)
            return future

    # -- delivering (in the pool's threads) --------------------------------------------

    def _deliver_start(self, job: Job, run: Run, rid: str) -> list[HookResult]:
        results = []
        ping = self.ping_of(job)
        if ping is not None:
            from schedcli.services.notify.ping import ping_url, send_ping

            ok, detail = send_ping(ping_url(ping[0], job.name, "start", rid), b"", self.timeout)
            results.append(HookResult("start", f"{ping[1]} ping", ok, detail))
        if listed(job.notify_on) is not None:  # a webhook at the start only when asked
            results += self._post_webhooks(job, run, ["start"], b"")
        self._keep(run.id, results)
        return results

    def _deliver(self, job: Job, run: Run, events: list[str], output: bytes, final: bool,
                 rid: str, start: Future | None) -> list[HookResult]:
        on = listed(job.notify_on)
        passing = let_through(on, events)
        results = []
        if passing:
            results += self._run_hooks(job, run, passing, output)
            results += self._post_webhooks(job, run, events, output)
        if final:
            if start is not None:
                try:  # the end of an occurrence never reaches the server before its start
                    start.result(timeout=self.timeout + 1)
                except Exception:
                    pass
            results += self._ping_end(job, run, events, output, on, rid)
            if on is None or passing:
                results += self._mail(job, run, events, output)
        self._keep(run.id, results)
        return results

    def _run_hooks(self, job: Job, run: Run, events: list[str], output: bytes) -> list[HookResult]:
        from schedcli.services.notify.hooks import hook_env, run_command

        tail = text_tail(output, OUTPUT_TAIL)
        results = []
        for event in events:
            for hooks, scope in ((job, "job"), (self.global_hooks, "global")):
                command = getattr(hooks, f"on_{event}", None)
                if command:
                    ok, detail = run_command(command, hook_env(event, job, run, tail), self.timeout)
                    results.append(HookResult(event, f"{scope} on-{event}", ok, detail))
        return results

    def _post_webhooks(self, job: Job, run: Run, events: list[str], output: bytes) -> list[HookResult]:
        from schedcli.services.notify.http import post
        from schedcli.services.notify.webhook import payload

        results = []
        for url, fmt, scope in self.webhooks_of(job):
            body, headers = payload(fmt, job.name, run, events, output)
            ok, detail = post(url, body, headers, self.timeout)
            results.append(HookResult(",".join(events), f"{scope} webhook", ok, detail))
        return results

    def _ping_end(self, job: Job, run: Run, events: list[str], output: bytes,
                  on: frozenset[str] | None, rid: str) -> list[HookResult]:
        ping = self.ping_of(job)
        if ping is None:
            return []
        failed = "failure" in events
        if on is not None and not (
            ("failure" in on) if failed else ("success" in on or ("recovery" in on and "recovery" in events))
        ):
            return []
        from schedcli.services.notify.ping import PING_TAIL, ping_url, send_ping

        url = ping_url(ping[0], job.name, "fail" if failed else "", rid)
        ok, detail = send_ping(url, output[-PING_TAIL:], self.timeout)
        return [HookResult("failure" if failed else "success", f"{ping[1]} ping", ok, detail)]

    def _mail(self, job: Job, run: Run, events: list[str], output: bytes) -> list[HookResult]:
        mailto = self.mailto_of(job)
        mail_on = job.mail_on or self.defaults.mail_on or DEFAULT_MAIL_ON
        if mailto is None or not mail_due(mail_on, run.status, output):
            return []
        from schedcli.services.notify.mail import build_message, find_sendmail, send

        target = f"{mailto[1]} mail"
        sendmail = find_sendmail(self.defaults.sendmail, job, dict(os.environ))
        if sendmail is None:
            return [HookResult(",".join(events), target, False,
                               "no sendmail found on PATH or at /usr/sbin/sendmail (set sendmail = PATH in the config)")]
        try:
            message = build_message(job, run, mailto[0], output, self._hostname())
        except (ValueError, TypeError) as exc:
            return [HookResult(",".join(events), target, False, f"mail not built: {exc}")]
        ok, detail = send(sendmail, message, self.timeout)
        return [HookResult(",".join(events), target, ok, f"to {mailto[0]}: {detail}")]

    def _hostname(self) -> str:
        if self._host is None:
            import socket

            self._host = socket.gethostname()
        return self._host

    def _keep(self, run_id: int, results: list[HookResult]) -> None:
        for result in results:
            try:
                self._record(run_id, result)
            except Exception:  # a hook must never take the runner down
                pass

    # -- the end ---------------------------------------------------------------------

    def drain(self) -> None:
        """Wait for every submitted notification (each is bounded by its timeout)."""
        with self._lock:
            futures, self._futures = self._futures, []
        for f in futures:
            try:
                f.result()
            except Exception:  # deliveries record their own failures; never raise from here
                pass

    def close(self) -> None:
        self.drain()
        with self._lock:
            pool, self._pool = self._pool, None
            self._starts.clear()
        if pool is not None:
            pool.shutdown(wait=True)
