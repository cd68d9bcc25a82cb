"""Read-only queries of ``schedcli metrics`` (:mod:`schedcli.services.metrics`).

Functions over an open :class:`~schedcli.store.Store` rather than one more of its query
classes: this module is then loaded only by what exports metrics, never by the quick
``run-due`` path (which builds a Store every minute).

Each function is one query over every job, grouped in SQLite, so that a metrics
refresh costs a fixed number of statements whatever the number of jobs. The
latest runs are found per job through the ``runs_job`` index (job, id), read
backwards; the run counters are the per-job totals that triggers keep (m009).
"""

from __future__ import annotations

from schedcli.model import JobGauge, LatestRun, StatusCount
from schedcli.store.connection import Connection

REAL = "('success', 'warning', 'error', 'timeout', 'interrupted')"
SUCCEEDED = "('success', 'warning')"


def metric_jobs(store: Connection) -> list[JobGauge]:
    """Every job with its enabled flag and next run, by name."""
    found = store._named(
        "SELECT id AS job_id, name AS job, enabled, next_run_at FROM jobs ORDER BY name"
    )
    return [JobGauge(**{**fields, "enabled": bool(fields["enabled"])}) for fields in found]


def latest_real_runs(store: Connection) -> dict[int, LatestRun]:
    """Each job's latest run that ran to an end (success, warning, error, timeout or
    interrupted), by job id."""
    found = store._named(
        "SELECT r.job_id AS job_id, r.status AS status, r.started_at AS started_at, "
        "r.finished_at AS finished_at, r.duration_s AS duration_s, r.exit_code AS exit_code "
        "FROM jobs j JOIN runs r ON r.id = ("
        # '+' keeps SQLite on runs_job: through runs_status it would read every run of that status
        f"  SELECT l.id FROM runs l WHERE l.job_id = j.id AND +l.status IN {REAL} "
        "  ORDER BY l.id DESC LIMIT 1)"
    )
    return {fields["job_id"]: LatestRun(**fields) for fields in found}


def latest_success_times(store: Connection) -> dict[int, float]:
    """When each job's latest run that ended success or warning finished (epoch), by job id."""
    found = store._named(
        "SELECT r.job_id AS job_id, coalesce(r.finished_at, r.started_at) AS at "
        "FROM jobs j JOIN runs r ON r.id = ("
        f"  SELECT l.id FROM runs l WHERE l.job_id = j.id AND +l.status IN {SUCCEEDED} "
        "  ORDER BY l.id DESC LIMIT 1)"
    )
    return {fields["job_id"]: fields["at"] for fields in found if fields["at"] is not None}


_COUNTED = ("success", "warning", "error", "timeout", "interrupted", "skipped", "missed")


def run_counts(store: Connection) -> list[StatusCount]:
    """How many runs of each job ended with each status (not ``running``); a ``missed``
    row counts the occurrences it stands for. Read from ``job_run_totals`` (one row per
    job that has runs, kept by triggers on ``runs``, migration m009): the history is not
    read. A status no run of the job ended with is left out."""
    found = store._q(f"SELECT job_id, {', '.join(_COUNTED)} FROM job_run_totals")
    return [
        StatusCount(job_id=row[0], status=status, count=count)
        for row in found
        for status, count in zip(_COUNTED, row[1:])
        if count
    ]
