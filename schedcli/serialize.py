"""Plain-data forms of jobs and runs: the JSON contract of the command line and of webhooks."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from schedcli.model import Job, Run
from schedcli.schedule import describe, iso


@lru_cache(maxsize=4096)
def _describe(kind: str, expr: str) -> str:
    return describe(kind, expr)


def schedule_description(job: Job) -> str:
    """The job's schedule in words: as stored with it, or (not stored) as described now."""
    stored = job.schedule_description
    return stored if stored is not None else _describe(job.kind, job.expr)


def job_dict(job: Job) -> dict[str, Any]:
    return {
        "name": job.name,
        "schedule": job.expr,
        "schedule_kind": job.kind,
        "schedule_description": schedule_description(job),
        "timezone": job.timezone,
        "enabled": job.enabled,
        "command": job.command,
        "collector": job.collector,
        "params": job.params,
        "env": job.env,
        "cwd": job.cwd,
        "timeout_s": job.timeout,
        "overlap": job.overlap,
        "grace_s": job.grace,
        "catch_up": job.catch_up,
        "retries": job.retries,
        "retry_delay_s": job.retry_delay,
        "description": job.description,
        "next_run_at": iso(job.next_run_at) if job.enabled else None,
        "last_run_at": iso(job.last_run_at),
        "last_status": job.last_status,
        "finished": job.finished,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "on_failure": job.on_failure,
        "on_success": job.on_success,
        "on_recovery": job.on_recovery,
        "webhook": job.webhook,
        "webhook_format": job.webhook_format,
        "ping": job.ping,
        "notify_on": job.notify_on,
        "mailto": job.mailto,
        "mail_on": job.mail_on,
        "jitter_s": job.jitter,
        "at_boot": job.at_boot,
    }


def run_dict(run: Run, output: str | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "id": run.id,
        "job": run.job,
        "trigger": run.trigger,
        "scheduled_for": iso(run.scheduled_for),
        "started_at": iso(run.started_at, millis=True),
        "finished_at": iso(run.finished_at, millis=True),
        "duration_s": round(run.duration_s, 3) if run.duration_s is not None else None,
        "status": run.status,
        "exit_code": run.exit_code,
        "attempt": run.attempt,
        "reason": run.reason,
    }
    if run.retry_at is not None:  # a retry is pending
        doc["retry_due_at"] = iso(run.retry_at, millis=True)
    if run.status == "missed":
        doc["missed_count"] = run.missed_count
        doc["missed_first"] = iso(run.missed_first)
        doc["missed_last"] = iso(run.missed_last)
    if output is not None:
        doc["output"] = output
    return doc


def run_summary(run: Run) -> str:
    duration = f" in {run.duration_s:.2f}s" if run.duration_s is not None else ""
    exit_part = f", exit code {run.exit_code}" if run.exit_code is not None else ""
    said = run.reason and (run.status == "success" or run.reason == f"exit code {run.exit_code}")
    reason = f" ({run.reason})" if run.reason and not said else ""
    return f"run #{run.id} {run.job}: {run.status}{duration}{exit_part}{reason}"
