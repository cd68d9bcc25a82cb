"""Read-only queries for ``status``, ``health`` and ``stats`` (:mod:`schedcli.services.status`,
:mod:`schedcli.services.stats`).

A "real" run is one that ran to an end: not running, missed or skipped. Whatever the
number of jobs, each function is one query, aggregated in SQLite: the history never
comes into Python.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schedcli.store.connection import Connection

if TYPE_CHECKING:
    from schedcli.model import FailingJob, JobRunCounts, LastFailure, OverdueJob, RecentRun

_REAL = "('success', 'warning', 'error', 'timeout', 'interrupted')"
_SINCE = "(? IS NULL OR coalesce(r.started_at, r.scheduled_for) >= ?)"


class StatsQueries(Connection):
    """What is failing, what is overdue, and per-job counts, percentiles and recent outcomes."""

    def failing_jobs(self) -> list["FailingJob"]:
        """Jobs whose latest real run ended error, timeout or interrupted, by name."""
        from schedcli.model import FailingJob

        found = self._named(
            "SELECT j.name AS job, j.enabled AS enabled, r.id AS run_id, r.status AS status, "
            "coalesce(r.finished_at, r.started_at, r.scheduled_for) AS at "
            "FROM jobs j JOIN runs r ON r.id = ("
            "  SELECT l.id FROM runs l WHERE l.job_id = j.id "
            "  AND l.status NOT IN ('running', 'missed', 'skipped') ORDER BY l.id DESC LIMIT 1) "
            "WHERE r.status IN ('error', 'timeout', 'interrupted') ORDER BY j.name"
        )
        return [FailingJob(**{**fields, "enabled": bool(fields["enabled"])}) for fields in found]

    def overdue_jobs(self, due_before: float) -> list["OverdueJob"]:
        """Enabled jobs whose next run is older than ``due_before`` (epoch), oldest first."""
        from schedcli.model import OverdueJob

        found = self._named(
            "SELECT name AS job, next_run_at FROM jobs WHERE enabled = 1 "
            "AND next_run_at IS NOT NULL AND next_run_at < ? ORDER BY next_run_at, name",
            (due_before,),
        )
        return [OverdueJob(**fields) for fields in found]

    def stats_summary(self, since: float | None = None, job_id: int | None = None) -> list["JobRunCounts"]:
        """Per job (by name): counts of real runs by outcome, skipped and missed occurrences,
        and how many real runs have a duration, for runs at or after ``since`` (epoch)."""
        from schedcli.model import JobRunCounts

        found = self._named(
            "SELECT j.id AS job_id, j.name AS job, j.enabled AS enabled, "
            f"coalesce(sum(r.status IN {_REAL}), 0) AS runs, "
            "coalesce(sum(r.status = 'success'), 0) AS success, "
            "coalesce(sum(r.status = 'warning'), 0) AS warnings, "
            "coalesce(sum(r.status IN ('error', 'timeout', 'interrupted')), 0) AS failures, "
            "coalesce(sum(r.status = 'skipped'), 0) AS skipped, "
            "coalesce(sum(CASE WHEN r.status = 'missed' THEN coalesce(r.missed_count, 1) END), 0) AS missed, "
            f"coalesce(sum(r.status IN {_REAL} AND r.duration_s IS NOT NULL), 0) AS timed "
            "FROM jobs j LEFT JOIN runs r ON r.job_id = j.id AND r.status != 'running' "
            f"AND {_SINCE} "
            "WHERE (? IS NULL OR j.id = ?) GROUP BY j.id ORDER BY j.name",
            (since, since, job_id, job_id),
        )
        return [JobRunCounts(**{**fields, "enabled": bool(fields["enabled"])}) for fields in found]

    def _stats_scope(self, since: float | None, job_id: int | None) -> tuple[str, list[Any]]:
        """WHERE terms for runs in a stats window: one job through its index, or all jobs."""
        terms, params = [_SINCE], [since, since]
        if job_id is not None:
            terms.append("r.job_id = ?")
            params.append(job_id)
        return " AND ".join(terms), params

    def stats_percentiles(
        self, since: float | None, job_id: int | None, percents: tuple[int, ...] = (50, 95)
    ) -> dict[int, dict[int, float]]:
        """Nearest-rank percentiles of real runs' durations, per job, from one sort in SQLite
        (the history never comes into Python): {job_id: {percent: seconds}}."""
        scope, params = self._stats_scope(since, job_id)
        ranks = " OR ".join(f"rn = max(1, (n * {int(p)} + 99) / 100)" for p in percents)
        found = self._named(
            "SELECT job_id, rn, n, d FROM (SELECT r.job_id AS job_id, r.duration_s AS d, "
            "row_number() OVER (PARTITION BY r.job_id ORDER BY r.duration_s) AS rn, "
            "count(*) OVER (PARTITION BY r.job_id) AS n FROM runs r "
            f"WHERE r.status IN {_REAL} AND r.duration_s IS NOT NULL AND {scope}) "
            f"WHERE {ranks}",
            params,
        )
        out: dict[int, dict[int, float]] = {}
        for fields in found:
            for p in percents:
                if fields["rn"] == max(1, (fields["n"] * p + 99) // 100):
                    out.setdefault(fields["job_id"], {})[p] = fields["d"]
        return out

    def stats_last_failures(self, since: float | None, job_id: int | None) -> dict[int, "LastFailure"]:
        """Each job's latest run that ended error, timeout or interrupted, by job id."""
        from schedcli.model import LastFailure

        scope, params = self._stats_scope(since, job_id)
        found = self._named(
            "SELECT r.job_id AS job_id, r.id AS run_id, r.status AS status, "
            "coalesce(r.finished_at, r.started_at, r.scheduled_for) AS at FROM runs r "
            "WHERE r.id IN (SELECT max(r.id) FROM runs r "
            f"WHERE r.status IN ('error', 'timeout', 'interrupted') AND {scope} GROUP BY r.job_id)",
            params,
        )
        return {fields["job_id"]: LastFailure(**fields) for fields in found}

    def stats_recent(self, since: float | None, job_id: int | None, limit: int = 20) -> dict[int, list["RecentRun"]]:
        """Each job's latest ``limit`` real runs, oldest first, by job id."""
        from schedcli.model import RecentRun

        scope, params = self._stats_scope(since, job_id)
        found = self._named(
            "SELECT job_id, status, duration_s FROM (SELECT r.job_id AS job_id, r.id AS id, "
            "r.status AS status, r.duration_s AS duration_s, "
            "row_number() OVER (PARTITION BY r.job_id ORDER BY r.id DESC) AS k FROM runs r "
            f"WHERE r.status IN {_REAL} AND {scope}) WHERE k <= ? ORDER BY job_id, id",
            [*params, limit],
        )
        out: dict[int, list[RecentRun]] = {}
        for fields in found:
            out.setdefault(fields.pop("job_id"), []).append(RecentRun(**fields))
        return out
