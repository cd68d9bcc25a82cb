"""The nouns: a job (what runs, when), a run (one occurrence and its outcome)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

STATUSES = ("running", "success", "warning", "error", "timeout", "skipped", "missed", "interrupted")
FINISHED_OK = ("success", "warning")
OVERLAP_POLICIES = ("skip", "allow", "replace")
CATCH_UP_POLICIES = ("latest", "all", "none")

# How a collector's run talks to its runner (see schedcli.collectors).
WARNING_EXIT_CODE = 3  # the collector ended with a warning
CONTEXT_ENV = "SCHEDCLI_COLLECTOR_CONTEXT"  # the run's context, as JSON


@dataclass
class Job:
    id: int
    name: str
    kind: str
    expr: str
    timezone: str
    anchor: int
    command: list[str] | None
    collector: str | None
    params: dict[str, str]
    env: dict[str, str]
    cwd: str | None
    timeout: float | None
    overlap: str
    grace: int
    catch_up: str
    retries: int
    retry_delay: int
    enabled: bool
    description: str | None
    next_run_at: int | None
    created_at: float
    updated_at: float
    on_failure: str | None = None
    on_success: str | None = None
    on_recovery: str | None = None
    webhook: str | None = None
    last_run_at: float | None = None
    last_status: str | None = None

    @classmethod
    def from_row(cls, row: Any) -> "Job":
        """Build from a row whose columns follow ``db._JOB_COLUMNS`` (plus, optionally,
        last_run_at and last_status)."""
        (id_, name, kind, expr, timezone, anchor, command, collector, params, env, cwd, timeout,
         overlap, grace, catch_up, retries, retry_delay, enabled, description, next_run_at,
         created_at, updated_at, on_failure, on_success, on_recovery, webhook, *last) = tuple(row)
        return cls(
            id=id_, name=name, kind=kind, expr=expr, timezone=timezone, anchor=anchor,
            command=json.loads(command) if command is not None else None,
            collector=collector,
            params=json.loads(params) if params != "{}" else {},
            env=json.loads(env) if env != "{}" else {},
            cwd=cwd, timeout=timeout, overlap=overlap, grace=grace, catch_up=catch_up,
            retries=retries, retry_delay=retry_delay, enabled=bool(enabled),
            description=description, next_run_at=next_run_at,
            created_at=created_at, updated_at=updated_at,
            on_failure=on_failure, on_success=on_success, on_recovery=on_recovery, webhook=webhook,
            last_run_at=last[0] if last else None,
            last_status=last[1] if last else None,
        )

    @property
    def finished(self) -> bool:
        """A one-off job whose time has been handled."""
        return self.kind == "at" and self.next_run_at is None


@dataclass
class Run:
    id: int
    job_id: int
    job: str
    trigger: str
    scheduled_for: int
    attempt: int
    status: str
    reason: str | None
    started_at: float | None
    finished_at: float | None
    duration_s: float | None
    exit_code: int | None
    pid: int | None = None
    missed_count: int | None = None
    missed_first: int | None = None
    missed_last: int | None = None

    @classmethod
    def from_row(cls, row: Any) -> "Run":
        keys = row.keys()
        return cls(
            id=row["id"],
            job_id=row["job_id"],
            job=row["job"],
            trigger=row["trigger"],
            scheduled_for=row["scheduled_for"],
            attempt=row["attempt"],
            status=row["status"],
            reason=row["reason"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            duration_s=row["duration_s"],
            exit_code=row["exit_code"],
            pid=row["pid"] if "pid" in keys else None,
            missed_count=row["missed_count"],
            missed_first=row["missed_first"],
            missed_last=row["missed_last"],
        )

    @property
    def ok(self) -> bool:
        return self.status in FINISHED_OK


@dataclass(frozen=True)
class LiveRun:
    """A run still marked ``running``, with what is needed to judge whether it really is:
    its runner (pid and identity) and its process group leader (pid and identity)."""

    id: int
    job_id: int
    job: str
    pid: int | None
    pid_identity: str | None
    runner_pid: int | None
    runner_identity: str | None
    started_at: float | None


@dataclass
class JobSpec:
    """What the user asked for in ``add`` (all fields) or ``edit`` (only those set)."""

    kind: str | None = None
    expr: str | None = None
    timezone: str | None = None
    command: list[str] | None = None
    collector: str | None = None
    params: dict[str, str] | None = None
    env: dict[str, str] | None = None
    cwd: str | None = None
    timeout: float | None = None
    overlap: str | None = None
    grace: int | None = None
    catch_up: str | None = None
    retries: int | None = None
    retry_delay: int | None = None
    enabled: bool | None = None
    description: str | None = None
    on_failure: str | None = None
    on_success: str | None = None
    on_recovery: str | None = None
    webhook: str | None = None
    clear: set[str] = field(default_factory=set)


@dataclass
class Occurrence:
    """One due occurrence found by a tick (used for dry runs)."""

    job: str
    scheduled_for: datetime
    action: str  # 'run', 'skip', 'missed', 'replace'
    detail: str = ""
