"""Hook commands: ``/bin/sh -c COMMAND`` with the run in ``SCHEDCLI_*`` variables."""

from __future__ import annotations

import os

from schedcli import process
from schedcli.model import Job, Run
from schedcli.schedule import iso


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
