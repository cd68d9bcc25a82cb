"""Read-only queries for ``status``, ``health`` and ``stats`` (:mod:`schedcli.services.status`,
:mod:`schedcli.services.stats`).

A "real" run is one that ran to an end: not running, missed or skipped. The history
never comes into Python. Counts and last failures over the whole history are read from
``job_run_totals``, one row per job kept by triggers on ``runs`` (migration m009); over a
``--since`` window they are aggregated in SQLite (one query for all jobs). What is per
job (percentiles, the latest runs) is read by short walks of an index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from schedcli.store.connection import Connection

if TYPE_CHECKING:
    from schedcli.model import FailingJob, JobRunCounts, LastFailure, OverdueJob

_REAL = "('success', 'warning', 'error', 'timeout', 'interrupted')"
# a real run's status -> where else it counts in stats_summary's per-job list
_COUNT_SLOT = {"success": 1, "warning": 2, "error": 3, "timeout": 3, "interrupted": 3}


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
        and how many real runs have a duration, for runs at or after ``since`` (epoch).

        Without ``since``: each job's row of ``job_run_totals`` (:meth:`_all_time_summary`).
        With it: counted by job and status in one walk of the ``runs_stats`` index, and
        missed entries, which count their occurrences, through the ``runs_status`` index."""
        from schedcli.model import JobRunCounts

        if since is None:
            return self._all_time_summary(job_id)
        scope, params = self._stats_scope(since, job_id)
        # per job: [runs, success, warnings, failures, skipped, timed], added up row by row
        counts: dict[int, list[int]] = {}
        slot = _COUNT_SLOT
        for jid, status, n, timed in self._q(
            "SELECT r.job_id, r.status, count(*), count(r.duration_s) FROM runs r "
            f"WHERE r.status != 'running' AND {scope} GROUP BY r.job_id, r.status",
            params,
        ):
            found = counts.get(jid)
            if found is None:
                found = counts[jid] = [0, 0, 0, 0, 0, 0]
            where = slot.get(status)
            if where is None:
                if status == "skipped":
                    found[4] += n
                continue
            found[0] += n
            found[where] += n
            found[5] += timed
        missed = dict(self._q(
            "SELECT r.job_id, sum(coalesce(r.missed_count, 1)) FROM runs r "
            f"WHERE r.status = 'missed' AND {scope} GROUP BY r.job_id",
            params,
        ).fetchall())
        none = (0, 0, 0, 0, 0, 0)
        out = []
        for jid, name, enabled in self._q(
            "SELECT id, name, enabled FROM jobs WHERE (? IS NULL OR id = ?) ORDER BY name", (job_id, job_id)
        ):
            runs, success, warnings, failures, skipped, timed = counts.get(jid, none)
            out.append(JobRunCounts(
                job_id=jid, job=name, enabled=bool(enabled), runs=runs, success=success, warnings=warnings,
                failures=failures, skipped=skipped, missed=int(missed.get(jid) or 0), timed=timed,
            ))
        return out

    def _all_time_summary(self, job_id: int | None) -> list["JobRunCounts"]:
        """:meth:`stats_summary` of the whole history: each job's row of ``job_run_totals``
        (kept by triggers on ``runs``, m009), the history itself never read."""
        from schedcli.model import JobRunCounts

        return [
            JobRunCounts(job_id=jid, job=name, enabled=bool(enabled), runs=success + warnings + failures,
                         success=success, warnings=warnings, failures=failures, skipped=skipped,
                         missed=missed, timed=timed)
            for jid, name, enabled, success, warnings, failures, skipped, missed, timed in self._q(
                "SELECT j.id, j.name, j.enabled, coalesce(t.success, 0), coalesce(t.warning, 0), "
                "coalesce(t.error + t.timeout + t.interrupted, 0), coalesce(t.skipped, 0), "
                "coalesce(t.missed, 0), coalesce(t.timed, 0) "
                "FROM jobs j LEFT JOIN job_run_totals t ON t.job_id = j.id "
                "WHERE (? IS NULL OR j.id = ?) ORDER BY j.name",
                (job_id, job_id),
            )
        ]

    def _stats_scope(self, since: float | None, job_id: int | None) -> tuple[str, list[Any]]:
        """WHERE terms for runs in a stats window: one job through its index, or all jobs."""
        if since is None:
            terms: list[str] = []
            params: list[Any] = []
        else:
            terms, params = ["coalesce(r.started_at, r.scheduled_for) >= ?"], [since]
        if job_id is not None:
            terms.append("r.job_id = ?")
            params.append(job_id)
        return " AND ".join(terms) or "1", params

    def stats_percentiles(
        self, since: float | None, timed: dict[int, int], percents: tuple[int, ...] = (50, 95)
    ) -> dict[int, dict[int, float]]:
        """Nearest-rank percentiles of real runs' durations of the jobs in ``timed`` (job
        id -> how many real runs have a duration, from :meth:`stats_summary`, in the same
        read transaction): {job_id: {percent: seconds}}.

        One statement per job on the ``runs_durations`` index (job_id, duration_s), which
        holds each job's durations in order: each percentile is one value read at its rank
        counted from the nearer end, p50 from the shortest, p95 from the longest (an index
        walk of 55% of the job's durations instead of 95% from the shortest; no sort, and
        one row comes into Python)."""
        window = "" if since is None else " AND coalesce(started_at, scheduled_for) >= ?"
        statements: dict[tuple[bool, ...], str] = {}
        out: dict[int, dict[int, float]] = {}
        for jid, n in timed.items():
            if n <= 0:
                continue
            ranks = [max(1, (n * p + 99) // 100) - 1 for p in percents]
            from_top = tuple(rank > n - 1 - rank for rank in ranks)
            sql = statements.get(from_top)
            if sql is None:
                sql = statements[from_top] = "SELECT " + ", ".join(
                    f"(SELECT duration_s FROM runs WHERE job_id = ? AND status IN {_REAL} AND duration_s IS NOT NULL"
                    f"{window} ORDER BY duration_s{' DESC' if top else ''} LIMIT 1 OFFSET ?)"
                    for top in from_top
                )
            params: list[Any] = []
            for rank, top in zip(ranks, from_top):
                params += (jid, n - 1 - rank if top else rank) if since is None else (
                    jid, since, n - 1 - rank if top else rank)
            row = self._q(sql, params).fetchone()
            out[jid] = {p: value for p, value in zip(percents, row) if value is not None}
        return out

    def stats_last_failures(self, since: float | None, job_id: int | None) -> dict[int, "LastFailure"]:
        """Each job's latest run that ended error, timeout or interrupted, by job id."""
        from schedcli.model import LastFailure

        if since is None:  # kept in the job's totals (m009)
            found = self._named(
                "SELECT job_id, last_failure_run AS run_id, last_failure_status AS status, "
                "last_failure_at AS at FROM job_run_totals "
                "WHERE last_failure_run IS NOT NULL AND (? IS NULL OR job_id = ?)",
                (job_id, job_id),
            )
            return {fields["job_id"]: LastFailure(**fields) for fields in found}
        scope, params = self._stats_scope(since, job_id)
        found = self._named(
            "SELECT r.job_id AS job_id, r.id AS run_id, r.status AS status, "
            "coalesce(r.finished_at, r.started_at, r.scheduled_for) AS at FROM runs r "
            "WHERE r.id IN (SELECT max(r.id) FROM runs r "
            f"WHERE r.status IN ('error', 'timeout', 'interrupted') AND {scope} GROUP BY r.job_id)",
            params,
        )
        return {fields["job_id"]: LastFailure(**fields) for fields in found}

    def stats_recent(self, since: float | None, job_ids: int | list[int] | None,
                     limit: int = 20) -> dict[int, list[tuple[str, float | None]]]:
        """The (status, duration) of the latest ``limit`` real runs of each job (one job
        id, a list, or all jobs), oldest first, by job id: a walk of each job's
        ``runs_job`` index, newest first, that stops after ``limit`` rows."""
        if job_ids is None:
            ids = [r[0] for r in self._q("SELECT id FROM jobs ORDER BY id")]
        else:
            ids = [job_ids] if isinstance(job_ids, int) else list(job_ids)
        window = "" if since is None else " AND coalesce(started_at, scheduled_for) >= ?"
        sql = (f"SELECT status, duration_s FROM runs WHERE job_id = ? AND status IN {_REAL}{window} "
               "ORDER BY id DESC LIMIT ?")
        out: dict[int, list[tuple[str, float | None]]] = {}
        for jid in ids:
            found = self._q(sql, (jid, limit) if since is None else (jid, since, limit)).fetchall()
            if found:
                found.reverse()
                out[jid] = found
        return out
