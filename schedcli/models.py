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
KINDS = ("cron", "every", "at")


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
        keys = row.keys()
        return cls(
            id=row["id"],
            name=row["name"],
            kind=row["kind"],
            expr=row["expr"],
            timezone=row["timezone"],
            anchor=row["anchor"],
            command=json.loads(row["command"]) if row["command"] is not None else None,
            collector=row["collector"],
            params=json.loads(row["params"]),
            env=json.loads(row["env"]),
            cwd=row["cwd"],
            timeout=row["timeout"],
            overlap=row["overlap"],
            grace=row["grace"],
            catch_up=row["catch_up"],
            retries=row["retries"],
            retry_delay=row["retry_delay"],
            enabled=bool(row["enabled"]),
            description=row["description"],
            next_run_at=row["next_run_at"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            on_failure=row["on_failure"],
            on_success=row["on_success"],
            on_recovery=row["on_recovery"],
            webhook=row["webhook"],
            last_run_at=row["last_run_at"] if "last_run_at" in keys else None,
            last_status=row["last_status"] if "last_status" in keys else None,
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
    output_truncated: bool | None = None

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
