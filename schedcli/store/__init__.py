"""The only module that speaks SQL.

A :class:`Store` wraps one SQLite connection to one schedcli database file:
safety checks when it is opened, migrations, ``BEGIN IMMEDIATE`` write
transactions and every query the engine and the command line need.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from schedcli.errors import DatabaseBusy, DatabaseError, JobExists, JobNotFound, UnsafeDatabase

if TYPE_CHECKING:
    from schedcli.model import Job, Run

SCHEMA_VERSION = 2  # number of migrations in schedcli.migrations
DEFAULT_BUSY_TIMEOUT = 10.0

_JOB_COLUMNS = (
    "id, name, kind, expr, timezone, anchor, command, collector, params, env, cwd, timeout, "
    "overlap, grace, catch_up, retries, retry_delay, enabled, description, next_run_at, "
    "created_at, updated_at, on_failure, on_success, on_recovery, webhook"
)
_RUN_COLUMNS = (
    "id, job_id, job, trigger, scheduled_for, attempt, status, reason, started_at, finished_at, "
    "duration_s, exit_code, pid, missed_count, missed_first, missed_last"
)
_RUN_COLUMNS_OF_R = ", ".join(f"r.{c.strip()}" for c in _RUN_COLUMNS.split(","))
_IDS_PER_QUERY = 500  # run ids bound per query (SQLite allows 999 on old builds)


def busy_timeout_from_env() -> float:
    value = os.environ.get("SCHEDCLI_BUSY_TIMEOUT")
    if value:
        try:
            seconds = float(value)
            if seconds >= 0:
                return seconds
        except ValueError:
            pass
    return DEFAULT_BUSY_TIMEOUT


def check_safety(path: Path) -> None:
    """Refuse files that others could change, as cron refuses unsafe crontabs.

    The database holds commands that run as this user: it (and its -wal/-shm
    files) must be a regular file, not a symlink, owned by us, and not writable
    by group or others; its directory must not be writable by others.
    """
    uid = os.geteuid()
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DatabaseError(f"cannot read {candidate}: {exc.strerror}") from None
        if stat.S_ISLNK(st.st_mode):
            raise UnsafeDatabase(
                f"refusing to use {candidate}: it is a symbolic link; "
                f"point --db at the real file ({os.path.realpath(candidate)})"
            )
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeDatabase(f"refusing to use {candidate}: it is not a regular file")
        if st.st_uid != uid:
            raise UnsafeDatabase(
                f"refusing to use {candidate}: it is owned by uid {st.st_uid}, not by you "
                f"(uid {uid}); run: chown {uid} {candidate}"
            )
        if st.st_mode & 0o022:
            raise UnsafeDatabase(
                f"refusing to use {candidate}: it is writable by group or others "
                f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {candidate}"
            )
    parent = path.parent
    try:
        st = os.stat(parent)
    except OSError as exc:
        raise DatabaseError(f"cannot read directory {parent}: {exc.strerror}") from None
    if st.st_mode & 0o002:
        raise UnsafeDatabase(
            f"refusing to use {path}: its directory {parent} is writable by others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); move the database to a private "
            f"directory or run: chmod o-w {parent}"
        )


def _create_file(path: Path) -> None:
    missing = []
    parent = path.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise DatabaseError(f"cannot create directory {directory}: {exc.strerror}") from None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseError(f"cannot create database {path}: {exc.strerror}") from None
    os.close(fd)


def _translate(exc: sqlite3.Error, path: Path) -> Exception:
    text = str(exc)
    if "locked" in text or "busy" in text:
        return DatabaseBusy(
            f"database is busy: another process held {path} locked for too long; "
            "nothing was changed, try again"
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseError(f"database {path} is read-only: nothing can be recorded ({text})")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseError(
            f"{path} is not a schedcli database or is corrupt ({text}); the file was left untouched"
        )
    if "unable to open" in text:
        return DatabaseError(f"cannot open database {path} ({text})")
    return DatabaseError(f"database error on {path}: {text}")


class Store:
    """One open schedcli database."""

    def __init__(self, path: Path | str, *, busy_timeout: float | None = None, create: bool = True):
        self.path = Path(os.path.abspath(Path(path).expanduser()))
        self.busy_timeout = busy_timeout_from_env() if busy_timeout is None else busy_timeout
        self._lock = threading.RLock()
        if not self.path.exists() and not self.path.is_symlink():
            if not create:
                raise DatabaseError(f"database {self.path} does not exist")
            _create_file(self.path)
        check_safety(self.path)
        try:
            self.conn = sqlite3.connect(
                str(self.path),
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise _translate(exc, self.path) from None
        self.conn.row_factory = sqlite3.Row
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self.conn.close()
            raise _translate(exc, self.path) from None

    @classmethod
    def empty(cls, path: Path | str) -> "Store":
        """A migrated, empty in-memory database standing in for a file that does not exist yet
        (so that reading commands never create files)."""
        self = cls.__new__(cls)
        self.path = Path(os.path.abspath(Path(path).expanduser()))
        self.busy_timeout = 0.0
        self._lock = threading.RLock()
        self.conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        self._prepare()
        return self

    # -- connection and schema -------------------------------------------------

    def _prepare(self) -> None:
        c = self.conn
        c.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        c.execute("PRAGMA foreign_keys = ON")
        version = c.execute("PRAGMA user_version").fetchone()[0]
        if version == SCHEMA_VERSION:
            c.execute("PRAGMA synchronous = NORMAL")
            return
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"{self.path} was written by a newer schedcli (schema {version}, "
                f"this version knows {SCHEMA_VERSION}); upgrade schedcli"
            )
        self._migrate()
        c.execute("PRAGMA synchronous = NORMAL")

    def _foreign_tables(self) -> list[str]:
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' AND name != '_sqlite_migrations'"
            )
        ]

    def _migrate(self) -> None:
        c = self.conn
        if c.execute("PRAGMA user_version").fetchone()[0] == 0:
            foreign = self._foreign_tables()
            if foreign:  # checked before anything is written to the file
                raise DatabaseError(
                    f"{self.path} is an SQLite database but not a schedcli one "
                    f"(it has tables {', '.join(sorted(foreign)[:5])}); the file was left untouched"
                )
        if c.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
            c.execute("PRAGMA journal_mode = WAL")
        from sqlite_utils import Database

        from schedcli.store.migrations import migrations

        with self.write():
            version = c.execute("PRAGMA user_version").fetchone()[0]
            if version >= SCHEMA_VERSION:
                return
            if version == 0 and self._foreign_tables():
                raise DatabaseError(f"{self.path} is not a schedcli database; the file was left untouched")
            migrations.apply(Database(c))
            c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` takes the write lock up front."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise _translate(exc, self.path) from None
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise _translate(exc, self.path) from None

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot."""
        with self._lock:
            try:
                self.conn.execute("BEGIN")
                yield self.conn
            except sqlite3.Error as exc:
                raise _translate(exc, self.path) from None
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")

    def data_version(self) -> int:
        """Changes when another connection commits (cheap change detection for ``watch``)."""
        with self._lock:
            return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def _q(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        with self._lock:
            try:
                return self.conn.execute(sql, params)
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as exc:
                raise _translate(exc, self.path) from None

    # -- jobs ------------------------------------------------------------------

    def insert_job(self, fields: dict[str, Any]) -> int:
        row = _encode_job(fields)
        cur = self._insert_job_row(row, fields["name"], "")
        return int(cur.lastrowid)

    def add_job_row(self, fields: dict[str, Any]) -> "Job":
        """Insert a job and return it as stored, without a second query where SQLite
        has ``RETURNING`` (3.35 and later)."""
        row = _encode_job(fields)
        if sqlite3.sqlite_version_info < (3, 35):
            self._insert_job_row(row, fields["name"], "")
            return self.get_job(fields["name"])
        return _job(self._insert_job_row(row, fields["name"], f" RETURNING {_JOB_COLUMNS}").fetchone())

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
        row = _encode_job(fields)
        if not row:
            return
        sets = ", ".join(f"{k} = ?" for k in row)
        self._q(f"UPDATE jobs SET {sets} WHERE id = ?", [*row.values(), job_id])

    def set_next_runs(self, pairs: list[tuple[int | None, int]]) -> None:
        """Move many jobs' next_run_at at once: (next_run_at, job id) pairs."""
        with self._lock:
            try:
                self.conn.executemany("UPDATE jobs SET next_run_at = ? WHERE id = ?", pairs)
            except sqlite3.Error as exc:
                raise _translate(exc, self.path) from None

    def delete_job(self, job_id: int) -> int:
        """Delete a job and its history; returns how many runs went with it."""
        count = self._q("SELECT count(*) FROM runs WHERE job_id = ?", (job_id,)).fetchone()[0]
        self._q("DELETE FROM jobs WHERE id = ?", (job_id,))
        return int(count)

    def get_job(self, name: str) -> Job:
        row = self._q(f"{_WITH_LAST_RUN} WHERE jobs.name = ?", (name,)).fetchone()
        if row is None:
            raise JobNotFound(f"no job named {name!r} (see: schedcli list)")
        return _job(row)

    def list_jobs(self, *, limit: int | None = None, after: str | None = None) -> list[Job]:
        """Jobs by name; ``after``/``limit`` page through them (keyset on the unique name)."""
        sql, params = _WITH_LAST_RUN, []
        if after is not None:
            sql += " WHERE jobs.name > ?"
            params.append(after)
        sql += " ORDER BY jobs.name"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_job(r) for r in self._q(sql, params).fetchall()]

    def due_jobs(self, now: int, limit: int = -1) -> list[Job]:
        """Enabled jobs whose next occurrence is at or before ``now`` (an index range scan),
        the first ``limit`` of them (all: -1)."""
        rows = self._q(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE enabled = 1 AND next_run_at <= ? "
            "ORDER BY next_run_at, id LIMIT ?",
            (now, limit),
        ).fetchall()
        return [_job(r) for r in rows]

    def has_due(self, now: int) -> bool:
        row = self._q(
            "SELECT 1 FROM jobs WHERE enabled = 1 AND next_run_at <= ? LIMIT 1", (now,)
        ).fetchone()
        return row is not None

    def has_running(self) -> bool:
        return self._q("SELECT 1 FROM runs WHERE status = 'running' LIMIT 1").fetchone() is not None

    def next_due_at(self) -> int | None:
        row = self._q(
            "SELECT min(next_run_at) FROM jobs WHERE enabled = 1 AND next_run_at IS NOT NULL"
        ).fetchone()
        return row[0]

    def count_jobs(self) -> dict[str, int]:
        row = self._q(
            "SELECT count(*), coalesce(sum(enabled), 0) FROM jobs"
        ).fetchone()
        return {"jobs": row[0], "enabled": row[1]}

    # -- runs ------------------------------------------------------------------

    def insert_run(self, fields: dict[str, Any]) -> int:
        cols = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        cur = self._q(f"INSERT INTO runs ({cols}) VALUES ({marks})", list(fields.values()))
        return int(cur.lastrowid)

    def update_run(self, run_id: int, fields: dict[str, Any]) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._q(f"UPDATE runs SET {sets} WHERE id = ?", [*fields.values(), run_id])

    def save_output(self, run_id: int, output: bytes, truncated: bool, total_bytes: int) -> None:
        self._q(
            "INSERT OR REPLACE INTO run_output (run_id, output, truncated, total_bytes) "
            "VALUES (?, ?, ?, ?)",
            (run_id, output, int(truncated), total_bytes),
        )

    def get_run(self, run_id: int) -> Run:
        row = self._q(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise JobNotFound(f"no run with id {run_id} (see: schedcli history)")
        return _run(row)

    def get_output(self, run_id: int) -> tuple[bytes, bool, int] | None:
        row = self._q(
            "SELECT output, truncated, total_bytes FROM run_output WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None:
            return None
        return bytes(row[0]), bool(row[1]), int(row[2])

    def running_runs(self, job_id: int | None = None) -> list["LiveRun"]:
        """Runs still marked running, with the identities needed to judge them."""
        from schedcli.model import LiveRun

        sql = (
            "SELECT id, job_id, job, pid, pid_identity, runner_pid, runner_identity, started_at "
            "FROM runs WHERE status = 'running'"
        )
        if job_id is not None:
            rows = self._q(sql + " AND job_id = ? ORDER BY id", (job_id,)).fetchall()
        else:
            rows = self._q(sql + " ORDER BY id").fetchall()
        return [LiveRun(**dict(zip(row.keys(), row))) for row in rows]

    def history(
        self,
        job_id: int | None = None,
        status: str | None = None,
        limit: int = 20,
        before_id: int | None = None,
    ) -> list[Run]:
        where, params = [], []
        if job_id is not None:
            where.append("job_id = ?")
            params.append(job_id)
        if status is not None:
            where.append("status = ?")
            params.append(status)
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        sql = f"SELECT {_RUN_COLUMNS} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        return [_run(r) for r in self._q(sql, params).fetchall()]

    def finish_run(self, run_id: int, fields: dict[str, Any]) -> bool:
        """Record a run's end, only if it is still marked running."""
        sets = ", ".join(f"{k} = ?" for k in fields)
        cur = self._q(
            f"UPDATE runs SET {sets} WHERE id = ? AND status = 'running'", [*fields.values(), run_id]
        )
        return cur.rowcount == 1

    def runs_by_ids(self, run_ids: list[int], *, with_retries: bool = False) -> list[Run]:
        """The given runs in id order; ``with_retries`` adds later attempts of the same occurrences.

        Through the primary key and the occurrence index (never a scan of the history),
        in chunks that stay below SQLite's limit on bound parameters.
        """
        rows: dict[int, Any] = {}
        for start in range(0, len(run_ids), _IDS_PER_QUERY):
            chunk = run_ids[start : start + _IDS_PER_QUERY]
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT {_RUN_COLUMNS} FROM runs WHERE id IN ({marks})"
            if with_retries:
                sql += (
                    f" UNION SELECT {_RUN_COLUMNS_OF_R} FROM runs AS o JOIN runs AS r"
                    f" ON r.job_id = o.job_id AND r.scheduled_for = o.scheduled_for AND r.attempt > 1"
                    f" WHERE o.id IN ({marks}) AND r.trigger = 'schedule'"
                )
            for row in self._q(sql, chunk * 2 if with_retries else chunk).fetchall():
                rows[row["id"]] = row
        return [_run(rows[i]) for i in sorted(rows)]

    def prune(
        self,
        *,
        older_than: float | None = None,
        keep: int | None = None,
        job_id: int | None = None,
        dry_run: bool = False,
    ) -> int:
        """Delete finished runs older than ``older_than`` (epoch) and/or beyond the newest
        ``keep`` of each job. Runs still marked running are never deleted."""
        conds = ["status != 'running'"]
        params: list[Any] = []
        if job_id is not None:
            conds.append("job_id = ?")
            params.append(job_id)
        limits = []
        if older_than is not None:
            limits.append("coalesce(finished_at, started_at, scheduled_for) < ?")
            params.append(older_than)
        if keep is not None:
            limits.append(
                "id < coalesce((SELECT k.id FROM runs k WHERE k.job_id = runs.job_id "
                "ORDER BY k.id DESC LIMIT 1 OFFSET ?), -1)"
            )
            params.append(max(keep - 1, 0) if keep > 0 else 0)
            if keep == 0:
                limits[-1] = "1"
        if not limits:
            return 0
        where = " AND ".join(conds) + " AND (" + " OR ".join(limits) + ")"
        if dry_run:
            return int(self._q(f"SELECT count(*) FROM runs WHERE {where}", params).fetchone()[0])
        cur = self._q(f"DELETE FROM runs WHERE {where}", params)
        return int(cur.rowcount)

    def record_hook(self, run_id: int, event: str, target: str, ok: bool, detail: str, at: float) -> None:
        self._q(
            "INSERT INTO hook_results (run_id, event, target, ok, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, event, target, int(ok), detail, at),
        )

    def hook_results(self, run_id: int) -> list[sqlite3.Row]:
        return self._q(
            "SELECT event, target, ok, detail, at FROM hook_results WHERE run_id = ? ORDER BY id",
            (run_id,),
        ).fetchall()

    def previous_outcome(self, job_id: int, before_id: int) -> str | None:
        """Status of the job's last real run (not missed/skipped) before run ``before_id``."""
        row = self._q(
            "SELECT status FROM runs WHERE job_id = ? AND id < ? "
            "AND status NOT IN ('missed', 'skipped', 'running') ORDER BY id DESC LIMIT 1",
            (job_id, before_id),
        ).fetchone()
        return row[0] if row else None

    # -- runner bookkeeping --------------------------------------------------

    def register_runner(self, kind: str, pid: int, identity: str | None, now: float) -> int:
        cur = self._q(
            "INSERT INTO runners (kind, pid, identity, started_at, heartbeat_at) VALUES (?, ?, ?, ?, ?)",
            (kind, pid, identity, now, now),
        )
        return int(cur.lastrowid)

    def runner_heartbeat(self, runner_id: int, now: float) -> None:
        self._q("UPDATE runners SET heartbeat_at = ? WHERE id = ?", (now, runner_id))

    def runner_stopped(self, runner_id: int, now: float) -> None:
        self._q("UPDATE runners SET stopped_at = ? WHERE id = ?", (now, runner_id))

    def set_state(self, key: str, value: str) -> None:
        self._q("INSERT OR REPLACE INTO state (key, value) VALUES (?, ?)", (key, value))

    def get_state(self, key: str) -> str | None:
        row = self._q("SELECT value FROM state WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- status, health and stats ----------------------------------------------
    # Read-only queries for ``status``, ``health`` and ``stats`` (schedcli.services.status).
    # A "real" run is one that ran to an end: not running, missed or skipped.

    def open_runners(self, kind: str | None = None, limit: int = 100) -> list[sqlite3.Row]:
        """Runners that never recorded a stop (alive, or crashed), newest first."""
        sql = (
            "SELECT id, kind, pid, identity, started_at, heartbeat_at FROM runners "
            "WHERE stopped_at IS NULL"
        )
        params: list[Any] = []
        if kind is not None:
            sql += " AND kind = ?"
            params.append(kind)
        return self._q(sql + " ORDER BY id DESC LIMIT ?", [*params, limit]).fetchall()

    def failing_jobs(self) -> list[sqlite3.Row]:
        """Jobs whose latest real run ended error, timeout or interrupted, by name."""
        return self._q(
            "SELECT j.name AS job, j.enabled AS enabled, r.id AS run_id, r.status AS status, "
            "coalesce(r.finished_at, r.started_at, r.scheduled_for) AS at "
            "FROM jobs j JOIN runs r ON r.id = ("
            "  SELECT l.id FROM runs l WHERE l.job_id = j.id "
            "  AND l.status NOT IN ('running', 'missed', 'skipped') ORDER BY l.id DESC LIMIT 1) "
            "WHERE r.status IN ('error', 'timeout', 'interrupted') ORDER BY j.name"
        ).fetchall()

    def overdue_jobs(self, due_before: float) -> list[sqlite3.Row]:
        """Enabled jobs whose next run is older than ``due_before`` (epoch), oldest first."""
        return self._q(
            "SELECT name AS job, next_run_at FROM jobs WHERE enabled = 1 "
            "AND next_run_at IS NOT NULL AND next_run_at < ? ORDER BY next_run_at, name",
            (due_before,),
        ).fetchall()

    _REAL = "('success', 'warning', 'error', 'timeout', 'interrupted')"
    _SINCE = "(? IS NULL OR coalesce(r.started_at, r.scheduled_for) >= ?)"

    def stats_summary(self, since: float | None = None, job_id: int | None = None) -> list[sqlite3.Row]:
        """Per job (by name): counts of real runs by outcome, skipped and missed occurrences,
        and how many real runs have a duration, for runs at or after ``since`` (epoch)."""
        real = self._REAL
        return self._q(
            "SELECT j.id AS job_id, j.name AS job, j.enabled AS enabled, "
            f"coalesce(sum(r.status IN {real}), 0) AS runs, "
            "coalesce(sum(r.status = 'success'), 0) AS success, "
            "coalesce(sum(r.status = 'warning'), 0) AS warnings, "
            "coalesce(sum(r.status IN ('error', 'timeout', 'interrupted')), 0) AS failures, "
            "coalesce(sum(r.status = 'skipped'), 0) AS skipped, "
            "coalesce(sum(CASE WHEN r.status = 'missed' THEN coalesce(r.missed_count, 1) END), 0) AS missed, "
            f"coalesce(sum(r.status IN {real} AND r.duration_s IS NOT NULL), 0) AS timed "
            "FROM jobs j LEFT JOIN runs r ON r.job_id = j.id AND r.status != 'running' "
            f"AND {self._SINCE} "
            "WHERE (? IS NULL OR j.id = ?) GROUP BY j.id ORDER BY j.name",
            (since, since, job_id, job_id),
        ).fetchall()

    def _stats_scope(self, since: float | None, job_id: int | None) -> tuple[str, list[Any]]:
        """WHERE terms for runs in a stats window: one job through its index, or all jobs."""
        terms, params = [f"{self._SINCE}"], [since, since]
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
        rows = self._q(
            "SELECT job_id, rn, n, d FROM (SELECT r.job_id AS job_id, r.duration_s AS d, "
            "row_number() OVER (PARTITION BY r.job_id ORDER BY r.duration_s) AS rn, "
            "count(*) OVER (PARTITION BY r.job_id) AS n FROM runs r "
            f"WHERE r.status IN {self._REAL} AND r.duration_s IS NOT NULL AND {scope}) "
            f"WHERE {ranks}",
            params,
        ).fetchall()
        out: dict[int, dict[int, float]] = {}
        for job, rn, n, d in rows:
            for p in percents:
                if rn == max(1, (n * p + 99) // 100):
                    out.setdefault(job, {})[p] = d
        return out

    def stats_last_failures(self, since: float | None, job_id: int | None) -> dict[int, sqlite3.Row]:
        """Each job's latest run that ended error, timeout or interrupted."""
        scope, params = self._stats_scope(since, job_id)
        rows = self._q(
            "SELECT r.job_id AS job_id, r.id AS run_id, r.status AS status, "
            "coalesce(r.finished_at, r.started_at, r.scheduled_for) AS at FROM runs r "
            "WHERE r.id IN (SELECT max(r.id) FROM runs r "
            f"WHERE r.status IN ('error', 'timeout', 'interrupted') AND {scope} GROUP BY r.job_id)",
            params,
        ).fetchall()
        return {row["job_id"]: row for row in rows}

    def stats_recent(self, since: float | None, job_id: int | None, limit: int = 20) -> dict[int, list[sqlite3.Row]]:
        """Each job's latest ``limit`` real runs, oldest first: (status, duration_s)."""
        scope, params = self._stats_scope(since, job_id)
        rows = self._q(
            "SELECT job_id, status, duration_s FROM (SELECT r.job_id AS job_id, r.id AS id, "
            "r.status AS status, r.duration_s AS duration_s, "
            "row_number() OVER (PARTITION BY r.job_id ORDER BY r.id DESC) AS k FROM runs r "
            f"WHERE r.status IN {self._REAL} AND {scope}) WHERE k <= ? ORDER BY job_id, id",
            [*params, limit],
        ).fetchall()
        out: dict[int, list[sqlite3.Row]] = {}
        for row in rows:
            out.setdefault(row["job_id"], []).append(row)
        return out


# The job's last real run (missed and skipped entries are not runs), found once per job
# through the runs_job index and joined by its id.
_WITH_LAST_RUN = (
    "SELECT {cols}, coalesce(r.started_at, r.scheduled_for) AS last_run_at, r.status AS last_status "
    "FROM jobs LEFT JOIN runs r ON r.id = (SELECT l.id FROM runs l WHERE l.job_id = jobs.id "
    "AND l.status NOT IN ('missed', 'skipped') ORDER BY l.id DESC LIMIT 1)"
).format(cols=", ".join(f"jobs.{c.strip()}" for c in _JOB_COLUMNS.split(",")))


def _job(row: Any) -> "Job":
    from schedcli.model import Job

    return Job.from_row(row)


def _run(row: Any) -> "Run":
    from schedcli.model import Run

    return Run.from_row(row)


def _encode_job(fields: dict[str, Any]) -> dict[str, Any]:
    import json

    row = dict(fields)
    for key in ("params", "env"):
        if key in row and row[key] is not None:
            row[key] = json.dumps(row[key], sort_keys=True)
    if "command" in row and row["command"] is not None:
        row["command"] = json.dumps(row["command"])
    if "enabled" in row and row["enabled"] is not None:
        row["enabled"] = int(row["enabled"])
    return row
