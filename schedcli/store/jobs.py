"""Queries on the ``jobs`` table: adding, changing, finding and listing jobs, and what is due."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any, Iterator

from schedcli.errors import DatabaseError, JobExists, JobNotFound
from schedcli.store import rows
from schedcli.store.connection import Connection

if TYPE_CHECKING:
    from schedcli.model import Job

_COLUMNS = rows.columns(rows.JOB_COLUMNS)

# The job's last real run (missed and skipped entries are not runs), found once per job
# through the runs_job index and joined by its id.
WITH_LAST_RUN = (
    f"SELECT {rows.columns(rows.JOB_COLUMNS, 'jobs')}, "
    "coalesce(r.started_at, r.scheduled_for) AS last_run_at, r.status AS last_status "
    "FROM jobs LEFT JOIN runs r ON r.id = (SELECT l.id FROM runs l WHERE l.job_id = jobs.id "
    "AND l.status NOT IN ('missed', 'skipped') ORDER BY l.id DESC LIMIT 1)"
)


class JobQueries(Connection):
    """Jobs: each returned as a :class:`~schedcli.model.Job` (with its last run where listed)."""

    def insert_job(self, fields: dict[str, Any]) -> int:
        row = rows.encode_job(fields)
        cur = self._insert_job_row(row, fields["name"], "")
        return int(cur.lastrowid)

    def add_job_row(self, fields: dict[str, Any]) -> "Job":
        """Insert a job and return it as stored, without a second query where SQLite
        has ``RETURNING`` (3.35 and later)."""
        row = rows.encode_job(fields)
        if sqlite3.sqlite_version_info < (3, 35):
            self._insert_job_row(row, fields["name"], "")
            return self.get_job(fields["name"])
        job = rows.job_or_none(self._insert_job_row(row, fields["name"], f" RETURNING {_COLUMNS}"))
        assert job is not None  # an INSERT that did not fail returns its row
        return job

    def _insert_job_row(self, row: dict[str, Any], name: str, returning: str) -> sqlite3.Cursor:
        cols = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        try:
            return self._q(f"INSERT INTO jobs ({cols}) VALUES ({marks}){returning}", list(row.values()))
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc) and "name" in str(exc):
                raise JobExists(f"a job named {name!r} already exists") from None
            raise DatabaseError(f"cannot add job: {exc}") from None

    def update_job(self, job_id: int, fields: dict[str, Any]) -> None:
        row = rows.encode_job(fields)
        if not row:
            return
        sets = ", ".join(f"{k} = ?" for k in row)
        self._q(f"UPDATE jobs SET {sets} WHERE id = ?", [*row.values(), job_id])

    def rename_job(self, job_id: int, new_name: str, updated_at: float) -> None:
        """Give job ``job_id`` the name ``new_name``, in ``jobs`` and in every one of its
        ``runs`` (which carry their job's name, so that history reads without a join).
        Call inside ``write()``. Raises :class:`JobExists` when the name is taken."""
        try:
            self._q("UPDATE jobs SET name = ?, updated_at = ? WHERE id = ?", (new_name, updated_at, job_id))
        except sqlite3.IntegrityError:
            raise JobExists(f"a job named {new_name!r} already exists") from None
        self._q("UPDATE runs SET job = ? WHERE job_id = ?", (new_name, job_id))

    def set_next_runs(self, pairs: list[tuple[int | None, int]]) -> None:
        """Move many jobs' next_run_at at once: (next_run_at, job id) pairs."""
        self._q_many("UPDATE jobs SET next_run_at = ? WHERE id = ?", pairs)

    def delete_job(self, job_id: int) -> int:
        """Delete a job and its history; returns how many runs went with it."""
        count = self._q("SELECT count(*) FROM runs WHERE job_id = ?", (job_id,)).fetchone()[0]
        self._q("DELETE FROM jobs WHERE id = ?", (job_id,))
        return int(count)

    def get_job(self, name: str) -> "Job":
        job = rows.job_or_none(self._q(f"{WITH_LAST_RUN} WHERE jobs.name = ?", (name,)))
        if job is None:
            raise JobNotFound(f"no job named {name!r} (see: schedcli list)")
        return job

    def list_jobs(self, *, limit: int | None = None, after: str | None = None) -> list["Job"]:
        """Jobs by name; ``after``/``limit`` page through them (keyset on the unique name)."""
        return list(self.iter_jobs(limit=limit, after=after))

    def iter_jobs(self, *, limit: int | None = None, after: str | None = None) -> Iterator["Job"]:
        """As :meth:`list_jobs`, read as they are used (a listing is written while it is read)."""
        sql, params = WITH_LAST_RUN, []
        if after is not None:
            sql += " WHERE jobs.name > ?"
            params.append(after)
        sql += " ORDER BY jobs.name"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return rows.iter_jobs(self._q(sql, params))

    def iter_jobs_by_next_run(self) -> Iterator["Job"]:
        """Enabled jobs that have a next run, soonest first (the ``jobs_due`` index), read as
        they are used: a timeline of what runs next reads only as far as it needs."""
        return rows.iter_jobs(self._q(
            f"SELECT {_COLUMNS} FROM jobs WHERE enabled = 1 AND next_run_at IS NOT NULL "
            "ORDER BY next_run_at, id"
        ))

    def due_jobs(self, now: int, limit: int = -1) -> list["Job"]:
        """Enabled jobs whose next occurrence is at or before ``now`` (an index range scan),
        the first ``limit`` of them (all: -1)."""
        return rows.jobs(self._q(
            f"SELECT {_COLUMNS} FROM jobs WHERE enabled = 1 AND next_run_at <= ? "
            "ORDER BY next_run_at, id LIMIT ?",
            (now, limit),
        ))

    def jobs_due_after(self, now: int) -> list["Job"]:
        """Enabled jobs whose next occurrence is after ``now`` (after the clock went back)."""
        return rows.jobs(self._q(
            f"SELECT {_COLUMNS} FROM jobs WHERE enabled = 1 AND next_run_at > ? ORDER BY next_run_at, id",
            (now,),
        ))

    def jobs_due_at_boot(self, boot: str) -> list["Job"]:
        """Enabled ``@reboot`` jobs that have not run in boot ``boot`` (nor were added in it)."""
        return rows.jobs(self._q(
            f"SELECT {_COLUMNS} FROM jobs WHERE enabled = 1 AND expr = '@reboot' AND kind = 'cron' "
            "AND (last_boot IS NULL OR last_boot != ?) ORDER BY id",
            (boot,),
        ))

    def has_due_at_boot(self, boot: str | None) -> bool:
        """Is an ``@reboot`` job waiting for its run in boot ``boot``? (None: boots unknown)"""
        if boot is None:
            return False
        row = self._q(
            "SELECT 1 FROM jobs WHERE enabled = 1 AND expr = '@reboot' AND kind = 'cron' "
            "AND (last_boot IS NULL OR last_boot != ?) LIMIT 1",
            (boot,),
        ).fetchone()
        return row is not None

    def latest_occurrence(self, job_id: int) -> int | None:
        """The latest scheduled occurrence recorded for job ``job_id`` (any status), or None."""
        row = self._q(
            "SELECT max(scheduled_for) FROM runs WHERE job_id = ? AND trigger = 'schedule'", (job_id,)
        ).fetchone()
        return row[0]

    def set_last_boot(self, job_id: int, boot: str) -> None:
        """Record that ``@reboot`` job ``job_id`` has been handled in boot ``boot``."""
        self._q("UPDATE jobs SET last_boot = ? WHERE id = ?", (boot, job_id))

    def has_due(self, now: int) -> bool:
        row = self._q(
            "SELECT 1 FROM jobs WHERE enabled = 1 AND next_run_at <= ? LIMIT 1", (now,)
        ).fetchone()
        return row is not None

    def next_due_at(self) -> int | None:
        row = self._q(
            "SELECT min(next_run_at) FROM jobs WHERE enabled = 1 AND next_run_at IS NOT NULL"
        ).fetchone()
        return row[0]

    def count_jobs(self) -> dict[str, int]:
        row = self._q("SELECT count(*), coalesce(sum(enabled), 0) FROM jobs").fetchone()
        return {"jobs": row[0], "enabled": row[1]}
