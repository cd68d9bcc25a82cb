"""The nouns: a job (what runs, when), a run (one occurrence and its outcome), and what the
store reports about them. Plain data: how they are stored is :mod:`schedcli.store`'s business."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

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
    jitter: int = 0  # seconds: each occurrence starts at a stable offset in [0, jitter)
    last_boot: str | None = None  # @reboot: the boot id it last ran for (or was added in)
    ping: str | None = None  # healthchecks-style ping URL ("none": not even the config's)
    webhook_format: str | None = None  # json (None), slack or ntfy
    notify_on: str | None = None  # events that notify, comma-separated (None: each channel's default)
    mailto: str | None = None  # mail the run to these addresses ("none": not even the config's)
    mail_on: str | None = None  # which runs are mailed: failure (None), output, always, never
    last_run_at: float | None = None
    last_status: str | None = None
    # The schedule in words, as stored when kind/expr were written (None: not stored, compute it)
    schedule_description: str | None = None

    @property
    def finished(self) -> bool:
        """A one-off job whose time has been handled."""
        return self.kind == "at" and self.next_run_at is None

    @property
    def at_boot(self) -> bool:
        """An ``@reboot`` job: it runs at the first tick of each boot, not on the clock."""
        return self.kind == "cron" and self.expr == "@reboot"


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
    retry_at: float | None = None  # a failed attempt whose retry is pending: when it is due

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


@dataclass(frozen=True)
class RunnerRecord:
    """A runner (``run-due``, ``watch``, ``run``) as it registered itself, with its last heartbeat."""

    id: int
    kind: str
    pid: int
    identity: str | None
    started_at: float
    heartbeat_at: float


@dataclass(frozen=True)
class HookRecord:
    """What one hook (command or webhook) reported after a run, and when."""

    event: str
    target: str
    ok: bool
    detail: str | None
    at: float


@dataclass(frozen=True)
class FailingJob:
    """A job whose latest real run ended error, timeout or interrupted."""

    job: str
    enabled: bool
    run_id: int
    status: str
    at: float | None


@dataclass(frozen=True)
class OverdueJob:
    """An enabled job whose next run should have started by now."""

    job: str
    next_run_at: int


@dataclass(frozen=True)
class JobRunCounts:
    """A job's runs in a stats window, counted by outcome (real runs: success, warning,
    error, timeout, interrupted; ``timed``: real runs with a duration)."""

    job_id: int
    job: str
    enabled: bool
    runs: int
    success: int
    warnings: int
    failures: int
    skipped: int
    missed: int
    timed: int


@dataclass(frozen=True)
class LastFailure:
    """A job's latest run that ended error, timeout or interrupted."""

    job_id: int
    run_id: int
    status: str
    at: float | None


@dataclass(frozen=True)
class RecentRun:
    """The outcome and duration of one of a job's latest real runs."""

    status: str
    duration_s: float | None


@dataclass(frozen=True)
class JobGauge:
    """A job as ``schedcli metrics`` exports it: whether it is on and when it runs next."""

    job_id: int
    job: str
    enabled: bool
    next_run_at: int | None


@dataclass(frozen=True)
class LatestRun:
    """A job's latest real run (one that ran to an end), for ``schedcli metrics``."""

    job_id: int
    status: str
    started_at: float | None
    finished_at: float | None
    duration_s: float | None
    exit_code: int | None


@dataclass(frozen=True)
class StatusCount:
    """How many of a job's runs ended with one status (missed occurrences counted one by one)."""

    job_id: int
    status: str
    count: int


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
    ping: str | None = None
    webhook_format: str | None = None
    notify_on: str | None = None
    mailto: str | None = None
    mail_on: str | None = None
    jitter: int | None = None
    clear: set[str] = field(default_factory=set)


@dataclass
class Occurrence:
    """One due occurrence found by a tick (used for dry runs)."""

    job: str
    scheduled_for: datetime
    action: str  # 'run', 'skip', 'missed', 'replace'
    detail: str = ""
