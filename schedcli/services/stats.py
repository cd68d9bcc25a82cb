"""What ``stats`` computes: per-job counts, success rate, duration percentiles, last failure and
recent outcomes. Library code, no printing, no typer/rich; time is passed in (``now``) and the
queries live in :mod:`schedcli.store.stats`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Iterator
from datetime import datetime

from schedcli.model import Job
from schedcli.schedule import iso
from schedcli.store import Store

RECENT_RUNS = 20


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
    """Per-job statistics over runs started within ``since`` seconds before ``now`` (all when None)."""
    return list(iter_stats(store, now, since=since, job=job, recent=recent))


def iter_stats(
    store: Store,
    now: datetime,
    *,
    since: float | None = None,
    job: Job | None = None,
    recent: int = RECENT_RUNS,
    chunk: int = 500,
) -> Iterator[JobStats]:
    """:func:`compute_stats`, job by job (by name), computed ``chunk`` jobs at a time so
    that a caller can write each out before the next is read (in one read snapshot).

    Counts and last failures are one query each for all jobs: over the whole history,
    the per-job totals that triggers keep as runs are written (``job_run_totals``);
    with ``since``, aggregates of the runs in the window. The percentiles and the latest
    ``recent`` runs are short index walks per job: only those rows come into Python,
    never the history.
    """
    cutoff = None if since is None else now.timestamp() - since
    job_id = job.id if job else None
    with store.read():
        summary = store.stats_summary(cutoff, job_id)
        failures = store.stats_last_failures(cutoff, job_id)
        for start in range(0, len(summary), chunk):
            part = summary[start : start + chunk]
            percentiles = store.stats_percentiles(cutoff, {c.job_id: c.timed for c in part}, (50, 95))
            recents = store.stats_recent(cutoff, [c.job_id for c in part], recent)
            for counts in part:
                jid = counts.job_id
                found = percentiles.get(jid, {})
                last = failures.get(jid)
                yield JobStats(
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
                    recent=recents.get(jid, []),
                )


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
        "recent": [{"status": status, "duration_s": None if d is None else round(d, 3)} for status, d in s.recent],
    }
