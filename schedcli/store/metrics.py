"""Read-only queries of ``schedcli metrics`` (:mod:`schedcli.services.metrics`).

Each function is one query over every job, grouped in SQLite, so that a metrics
refresh costs a fixed number of statements whatever the number of jobs. The
latest runs are found per job through the ``runs_job`` index (job, id), read
backwards; only the run counters read the whole history.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from schedcli.store.connection import Connection

if TYPE_CHECKING:
    from schedcli.model import JobGauge, LatestRun, StatusCount

REAL = "('success', 'warning', 'error', 'timeout', 'interrupted')"
SUCCEEDED = "('success', 'warning')"


class MetricsQueries(Connection):
    """Per-job gauges and counters for the Prometheus exposition."""

    def metric_jobs(self) -> list["JobGauge"]:
        """Every job with its enabled flag and next run, by name."""
        from schedcli.model import JobGauge

        found = self._named(
            "SELECT id AS job_id, name AS job, enabled, next_run_at FROM jobs ORDER BY name"
        )
        return [JobGauge(**{**fields, "enabled": bool(fields["enabled"])}) for fields in found]

    def latest_real_runs(self) -> dict[int, "LatestRun"]:
        """Each job's latest run that ran to an end (success, warning, error, timeout or
        interrupted), by job id."""
        from schedcli.model import LatestRun

        found = self._named(
            "SELECT r.job_id AS job_id, r.status AS status, r.started_at AS started_at, "
            "r.finished_at AS finished_at, r.duration_s AS duration_s, r.exit_code AS exit_code "
            "FROM jobs j JOIN runs r ON r.id = ("
            # '+' keeps SQLite on runs_job: through runs_status it would read every run of that status
            f"  SELECT l.id FROM runs l WHERE l.job_id = j.id AND +l.status IN {REAL} "
            "  ORDER BY l.id DESC LIMIT 1)"
        )
        return {fields["job_id"]: LatestRun(**fields) for fields in found}

    def latest_success_times(self) -> dict[int, float]:
        """When each job's latest run that ended success or warning finished (epoch), by job id."""
        found = self._named(
            "SELECT r.job_id AS job_id, coalesce(r.finished_at, r.started_at) AS at "
            "FROM jobs j JOIN runs r ON r.id = ("
            f"  SELECT l.id FROM runs l WHERE l.job_id = j.id AND +l.status IN {SUCCEEDED} "
            "  ORDER BY l.id DESC LIMIT 1)"
        )
        return {fields["job_id"]: fields["at"] for fields in found if fields["at"] is not None}

    def run_counts(self) -> list["StatusCount"]:
        """How many runs of each job ended with each status (not ``running``); a ``missed``
        row counts the occurrences it stands for."""
        from schedcli.model import StatusCount

        found = self._named(
            "SELECT job_id, status, "
            "sum(CASE WHEN status = 'missed' THEN coalesce(missed_count, 1) ELSE 1 END) AS count "
            "FROM runs WHERE status != 'running' GROUP BY job_id, status"
        )
        return [StatusCount(**fields) for fields in found]
