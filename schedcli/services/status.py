"""What ``status``, ``health`` and ``stats`` compute: library code, no printing, no typer/rich.

Time is always passed in (``now``); the queries live in :mod:`schedcli.store.stats`.

A runner *ticks* when it claims due work (``run-due`` or a ``watch`` iteration,
recorded as the ``last_tick`` state) — but an idle ``watch`` with nothing due
does not claim anything, so a live ``watch`` whose heartbeat (every 30 s) is
recent counts as ticking too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from schedcli import process
from schedcli.store import Store
from schedcli.model import FailingJob, Job
from schedcli.schedule import format_duration
from schedcli.schedule import iso

DEFAULT_MAX_TICK_AGE = 180  # s: cron ticks every 60 s, watch beats every 30 s
DEFAULT_OVERDUE_AFTER = 120  # s
RECENT_RUNS = 20


@dataclass
class Runner:
    id: int
    kind: str
    pid: int
    started_at: float
    heartbeat_at: float
    heartbeat_age_s: float


@dataclass
class Overdue:
    job: str
    next_run_at: int
    late_s: float


@dataclass
class Status:
    db: str
    now: float
    watches: list[Runner]  # live watch processes, newest first
    stale_runners: int  # runner rows never stopped whose process is gone (crashed)
    last_tick_at: float | None
    jobs: int
    enabled: int
    running: list[str]  # jobs with a run in progress (its runner alive)
    failing: list[FailingJob]
    overdue: list[Overdue]
    cron_installed: bool | None = None  # None: unknown (no crontab program)

    @property
    def last_tick_age_s(self) -> float | None:
        return None if self.last_tick_at is None else self.now - self.last_tick_at

    @property
    def last_activity_at(self) -> float | None:
        """The latest sign of a runner: a tick, or a live watch's heartbeat."""
        times = [t for t in [self.last_tick_at, *(w.heartbeat_at for w in self.watches)] if t is not None]
        return max(times) if times else None


def parse_tick(value: str | None) -> float | None:
    """The ``last_tick`` state (ISO 8601 UTC) as epoch seconds; None when missing or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def collect_status(
    store: Store,
    now: datetime,
    *,
    overdue_after: float = DEFAULT_OVERDUE_AFTER,
    cron_installed: bool | None = None,
) -> Status:
    """One consistent read of everything ``status`` and ``health`` look at."""
    now_s = now.timestamp()
    with store.read():
        runners = store.open_runners("watch")
        counts = store.count_jobs()
        running_runs = store.running_runs()
        failing = store.failing_jobs()
        overdue_jobs = store.overdue_jobs(now_s - overdue_after)
        last_tick = parse_tick(store.get_state("last_tick"))
        names = {}
        if running_runs:
            names = {j.id: j.name for j in store.list_jobs()}
    watches, stale = [], 0
    for r in runners:
        if process.owner_alive(r.pid, r.identity):
            watches.append(Runner(r.id, r.kind, r.pid, r.started_at, r.heartbeat_at, now_s - r.heartbeat_at))
        else:
            stale += 1
    running = sorted({names.get(r.job_id, r.job) for r in running_runs
                      if process.owner_alive(r.runner_pid, r.runner_identity)})
    return Status(
        db=str(store.path),
        now=now_s,
        watches=watches,
        stale_runners=stale,
        last_tick_at=last_tick,
        jobs=int(counts["jobs"]),
        enabled=int(counts["enabled"]),
        running=running,
        failing=failing,
        overdue=[Overdue(o.job, o.next_run_at, now_s - o.next_run_at) for o in overdue_jobs],
        cron_installed=cron_installed,
    )


def _ago(seconds: float) -> str:
    return format_duration(max(0, int(seconds)))


def problems(
    status: Status,
    *,
    max_tick_age: float = DEFAULT_MAX_TICK_AGE,
    fail_on_failed_runs: bool = False,
) -> list[str]:
    """What ``health`` reports, one line each; empty when healthy.

    * no runner ticked (nor a live ``watch`` beat) within ``max_tick_age``;
    * an enabled job is overdue (``status.overdue``, computed with ``overdue_after``);
    * with ``fail_on_failed_runs``: an enabled job's latest real run failed.
    """
    out: list[str] = []
    last = status.last_activity_at
    if last is None:
        out.append("no runner has ever ticked: install the cron entry (schedcli cron install) "
                   "or run schedcli watch")
    elif status.now - last > max_tick_age:
        out.append(
            f"no runner has ticked for {_ago(status.now - last)} (last at {iso(last)}; "
            f"limit {format_duration(int(max_tick_age))}): is cron or watch running?"
        )
    for o in status.overdue:
        out.append(f"job {o.job} is overdue: due at {iso(o.next_run_at)} ({_ago(o.late_s)} ago)")
    if fail_on_failed_runs:
        for f in status.failing:
            if f.enabled:
                out.append(f"job {f.job}: last run #{f.run_id} ended {f.status} at {iso(f.at)}")
    return out


def status_dict(status: Status) -> dict:
    return {
        "db": status.db,
        "now": iso(status.now),
        "watch": {
            "alive": bool(status.watches),
            "runners": [
                {"pid": w.pid, "started_at": iso(w.started_at), "heartbeat_at": iso(w.heartbeat_at),
                 "heartbeat_age_s": round(w.heartbeat_age_s, 1)}
                for w in status.watches
            ],
            "stale_runners": status.stale_runners,
        },
        "last_tick_at": iso(status.last_tick_at, millis=True),
        "last_tick_age_s": None if status.last_tick_age_s is None else round(status.last_tick_age_s, 1),
        "cron_installed": status.cron_installed,
        "jobs": {
            "total": status.jobs,
            "enabled": status.enabled,
            "running": len(status.running),
            "failing": len(status.failing),
            "overdue": len(status.overdue),
        },
        "running_jobs": status.running,
        "failing_jobs": [
            {"job": f.job, "enabled": f.enabled, "run_id": f.run_id, "status": f.status, "at": iso(f.at)}
            for f in status.failing
        ],
        "overdue_jobs": [
            {"job": o.job, "next_run_at": iso(o.next_run_at), "late_s": round(o.late_s, 1)}
            for o in status.overdue
        ],
    }


# -- stats ------------------------------------------------------------------------------


@dataclass
class JobStats:
    job: str
    enabled: bool
    runs: int  # real runs: success, warning, error, timeout, interrupted
    success: int  # success + warning
    warnings: int
    failures: int  # error + timeout + interrupted
    skipped: int
    missed: int  # missed occurrences
    p50_s: float | None
    p95_s: float | None
    last_failure_at: float | None
    last_failure_status: str | None
    last_failure_run: int | None
    recent: list[tuple[str, float | None]] = field(default_factory=list)  # oldest first

    @property
    def success_rate(self) -> float | None:
        return None if self.runs == 0 else self.success / self.runs


def nearest_rank(count: int, percent: int) -> int:
    """0-based offset of the ``percent``-th percentile among ``count`` sorted values (nearest rank)."""
    rank = (count * percent + 99) // 100  # ceil(count * percent / 100)
    return max(rank, 1) - 1


def compute_stats(
    store: Store,
    now: datetime,
    *,
    since: float | None = None,
    job: Job | None = None,
    recent: int = RECENT_RUNS,
) -> list[JobStats]:
    """Per-job statistics over runs started within ``since`` seconds before ``now`` (all when None).

    A fixed number of queries whatever the number of jobs: counts are SQL aggregates, the
    percentiles one window-function sort in SQLite, and only ``recent`` rows per job come
    into Python.
    """
    cutoff = None if since is None else now.timestamp() - since
    job_id = job.id if job else None
    out: list[JobStats] = []
    with store.read():
        summary = store.stats_summary(cutoff, job_id)
        percentiles = store.stats_percentiles(cutoff, job_id, (50, 95))
        failures = store.stats_last_failures(cutoff, job_id)
        recents = store.stats_recent(cutoff, job_id, recent)
    for counts in summary:
        jid = counts.job_id
        found = percentiles.get(jid, {})
        last = failures.get(jid)
        out.append(
            JobStats(
                job=counts.job,
                enabled=counts.enabled,
                runs=counts.runs,
                success=counts.success + counts.warnings,
                warnings=counts.warnings,
                failures=counts.failures,
                skipped=counts.skipped,
                missed=counts.missed,
                p50_s=found.get(50),
                p95_s=found.get(95),
                last_failure_at=last.at if last else None,
                last_failure_status=last.status if last else None,
                last_failure_run=last.run_id if last else None,
                recent=[(r.status, r.duration_s) for r in recents.get(jid, [])],
            )
        )
    return out


def _r(value: float | None, digits: int = 3) -> float | None:
    return None if value is None else round(value, digits)


def stats_dict(s: JobStats) -> dict:
    return {
        "job": s.job,
        "runs": s.runs,
        "success": s.success,
        "failures": s.failures,
        "warnings": s.warnings,
        "skipped": s.skipped,
        "missed": s.missed,
        "success_rate": _r(s.success_rate, 4),
        "p50_s": _r(s.p50_s),
        "p95_s": _r(s.p95_s),
        "last_failure_at": iso(s.last_failure_at),
        "last_failure_status": s.last_failure_status,
        "last_failure_run": s.last_failure_run,
        "recent": [{"status": status, "duration_s": _r(d)} for status, d in s.recent],
    }
