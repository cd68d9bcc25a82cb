"""Queries on runs, their captured output and their hooks' results; pruning the history."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

from schedcli.errors import DatabaseError, JobNotFound
from schedcli.store import rows
from schedcli.store.connection import SQLITE_INT_MAX, Connection, too_large, translate

if TYPE_CHECKING:
    from schedcli.model import HookRecord, LiveRun, Run

_IDS_PER_QUERY = 500  # run ids bound per query (SQLite allows 999 on old builds)
_COLUMNS = rows.columns(rows.RUN_COLUMNS)
_COLUMNS_OF_R = rows.columns(rows.RUN_COLUMNS, "r")


_ZLIB = "zlib"
_COMPRESS_FROM = 64  # bytes: shorter output is stored as it is (zlib's header would not pay)


def _encode_output(output: bytes) -> tuple[bytes, str | None]:
    """The bytes to store and their encoding: zlib when it saves space, else the raw
    bytes (encoding NULL, as every row written before output was compressed)."""
    if len(output) < _COMPRESS_FROM:
        return output, None
    import zlib

    packed = zlib.compress(output, 6)
    return (packed, _ZLIB) if len(packed) < len(output) else (output, None)


def _decode_output(data: bytes, encoding: str | None, run_id: int) -> bytes:
    if encoding is None:
        return data
    if encoding != _ZLIB:
        raise DatabaseError(f"the output of run {run_id} is stored as {encoding!r}, which this "
                            "version of schedcli cannot read; upgrade schedcli")
    import zlib

    try:
        return zlib.decompress(data)
    except zlib.error as exc:
        raise DatabaseError(f"the stored output of run {run_id} is damaged ({exc})") from None


class RunQueries(Connection):
    """Runs: each returned as a :class:`~schedcli.model.Run`."""

    def insert_run(self, fields: dict[str, Any]) -> int:
        cols = ", ".join(fields)
        marks = ", ".join("?" for _ in fields)
        cur = self._q(f"INSERT INTO runs ({cols}) VALUES ({marks})", list(fields.values()))
        return int(cur.lastrowid)

    def insert_run_once(self, fields: dict[str, Any]) -> int | None:
        """Insert a scheduled run unless its occurrence (job, scheduled_for, attempt) already
        has one: then None, and nothing is written (an occurrence never runs twice)."""
        try:
            return self.insert_run(fields)
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" in str(exc):
                return None
            raise DatabaseError(f"cannot record a run of {fields.get('job')!r}: {exc}") from None

    def update_run(self, run_id: int, fields: dict[str, Any]) -> None:
        sets = ", ".join(f"{k} = ?" for k in fields)
        self._q(f"UPDATE runs SET {sets} WHERE id = ?", [*fields.values(), run_id])

    def finish_run(self, run_id: int, fields: dict[str, Any]) -> bool:
        """Record a run's end, only if it is still marked running."""
        sets = ", ".join(f"{k} = ?" for k in fields)
        cur = self._q(
            f"UPDATE runs SET {sets} WHERE id = ? AND status = 'running'", [*fields.values(), run_id]
        )
        return cur.rowcount == 1

    def take_retry(self, run_id: int) -> bool:
        """Take the pending retry of run ``run_id`` (inside a write transaction): True
        once, for whoever creates the retry's row."""
        return self._q(
            "UPDATE runs SET retry_at = NULL WHERE id = ? AND retry_at IS NOT NULL", (run_id,)
        ).rowcount == 1

    def due_retries(self, now: float) -> list["Run"]:
        """Failed attempts whose retry is due at ``now`` and not yet taken, oldest first."""
        return rows.runs(self._q(
            f"SELECT {_COLUMNS} FROM runs WHERE retry_at IS NOT NULL AND retry_at <= ? ORDER BY retry_at, id",
            (now,),
        ))

    def run_owner(self, run_id: int) -> tuple[int | None, str | None]:
        """The runner (pid, identity) that recorded a run."""
        row = self._q("SELECT runner_pid, runner_identity FROM runs WHERE id = ?", (run_id,)).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def run_exists(self, run_id: int) -> bool:
        return self._q("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is not None

    def run_reason(self, run_id: int) -> str | None:
        """The reason recorded on a run; None also when there is no such run."""
        row = self._q("SELECT reason FROM runs WHERE id = ?", (run_id,)).fetchone()
        return row[0] if row else None

    def save_output(self, run_id: int, output: bytes, truncated: bool, total_bytes: int) -> None:
        """A finished run's output, compressed with zlib when that makes it smaller."""
        data, encoding = _encode_output(output)
        self._q(
            "INSERT OR REPLACE INTO run_output (run_id, output, truncated, total_bytes, encoding) "
            "VALUES (?, ?, ?, ?, ?)",
            (run_id, data, int(truncated), total_bytes, encoding),
        )

    # -- the output of running runs (raw; the finish replaces it with the final output) --

    def save_output_so_far(self, parts: list[tuple[int, bytes, bool, int]], *, wait: float) -> bool:
        """Store the output so far of running runs, ``(run_id, output, truncated,
        total_bytes)`` each, raw, in one ``BEGIN IMMEDIATE`` transaction that waits at
        most ``wait`` seconds for the write lock: False, with nothing written, when the
        database stayed busy that long.  Only a run still marked running gets it, so the
        output its finish stored is never overwritten."""
        with self._lock:
            self.conn.execute(f"PRAGMA busy_timeout = {max(int(wait * 1000), 0)}")
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    return False
                raise translate(exc, self.path, self.read_only) from None
            finally:
                self.conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            try:
                self.conn.executemany(
                    "INSERT OR REPLACE INTO run_output (run_id, output, truncated, total_bytes) "
                    "SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM runs WHERE id = ? AND status = 'running')",
                    [(run_id, output, int(truncated), total, run_id) for run_id, output, truncated, total in parts],
                )
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise translate(exc, self.path, self.read_only) from None
        return True

    def output_progress(self, run_id: int) -> tuple[str, int | None]:
        """``(status, total_bytes)`` of a run: how far its stored output has come
        (None: nothing stored yet), for ``logs -f``; cheap, the output is not read."""
        row = self._q(
            "SELECT r.status, o.total_bytes FROM runs r LEFT JOIN run_output o ON o.run_id = r.id WHERE r.id = ?",
            (run_id,),
        ).fetchone()
        if row is None:
            raise JobNotFound(f"no run with id {run_id} (see: schedcli history)")
        return row[0], row[1]

    def latest_run_that_ran(self, job_id: int | None = None, *, running: bool = False) -> "Run | None":
        """The newest run of a job (of any job: None) that ran or runs, not a missed or
        skipped entry (``running``: only one still running); None when there is none."""
        where = "status = 'running'" if running else "status NOT IN ('missed', 'skipped')"
        params: list[Any] = []
        if job_id is not None:
            where += " AND job_id = ?"
            params.append(job_id)
        found = rows.runs(self._q(f"SELECT {_COLUMNS} FROM runs WHERE {where} ORDER BY id DESC LIMIT 1", params))
        return found[0] if found else None

    def get_run(self, run_id: int) -> "Run":
        found = rows.runs(self._q(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (run_id,)))
        if not found:
            raise JobNotFound(f"no run with id {run_id} (see: schedcli history)")
        return found[0]

    def get_output(self, run_id: int) -> tuple[bytes, bool, int] | None:
        """A run's stored output, byte for byte as the run wrote it (decompressed)."""
        row = self._q(
            "SELECT output, truncated, total_bytes, encoding FROM run_output WHERE run_id = ?", (run_id,)
        ).fetchone()
        if row is None:
            return None
        return _decode_output(bytes(row[0]), row[3], run_id), bool(row[1]), int(row[2])

    def running_runs(self, job_id: int | None = None) -> list["LiveRun"]:
        """Runs still marked running, with the identities needed to judge them."""
        from schedcli.model import LiveRun

        sql = (
            "SELECT id, job_id, job, pid, pid_identity, runner_pid, runner_identity, started_at "
            "FROM runs WHERE status = 'running'"
        )
        if job_id is not None:
            found = self._named(sql + " AND job_id = ? ORDER BY id", (job_id,))
        else:
            found = self._named(sql + " ORDER BY id")
        return [LiveRun(**fields) for fields in found]

    def has_running(self) -> bool:
        return self._q("SELECT 1 FROM runs WHERE status = 'running' LIMIT 1").fetchone() is not None

    def history(
        self,
        job_id: int | None = None,
        status: str | None = None,
        limit: int = 20,
        before_id: int | None = None,
    ) -> list["Run"]:
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
        sql = f"SELECT {_COLUMNS} FROM runs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id DESC LIMIT ?"
        params.append(limit)
        return rows.runs(self._q(sql, params))

    def runs_by_ids(self, run_ids: list[int], *, with_retries: bool = False) -> list["Run"]:
        """The given runs in id order; ``with_retries`` adds later attempts of the same occurrences.

        Through the primary key and the occurrence index (never a scan of the history),
        in chunks that stay below SQLite's limit on bound parameters.
        """
        found: dict[int, Run] = {}
        for start in range(0, len(run_ids), _IDS_PER_QUERY):
            chunk = run_ids[start : start + _IDS_PER_QUERY]
            marks = ", ".join("?" for _ in chunk)
            sql = f"SELECT {_COLUMNS} FROM runs WHERE id IN ({marks})"
            if with_retries:
                sql += (
                    f" UNION SELECT {_COLUMNS_OF_R} FROM runs AS o JOIN runs AS r"
                    f" ON r.job_id = o.job_id AND r.scheduled_for = o.scheduled_for AND r.attempt > 1"
                    f" WHERE o.id IN ({marks}) AND r.trigger = 'schedule'"
                )
            found.update(rows.runs_by_id(self._q(sql, chunk * 2 if with_retries else chunk)))
        return [found[i] for i in sorted(found)]

    def previous_outcome(self, job_id: int, before_id: int) -> str | None:
        """Status of the job's last real run (not missed/skipped) before run ``before_id``."""
        row = self._q(
            "SELECT status FROM runs WHERE job_id = ? AND id < ? "
            "AND status NOT IN ('missed', 'skipped', 'running') ORDER BY id DESC LIMIT 1",
            (job_id, before_id),
        ).fetchone()
        return row[0] if row else None

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
            if keep > SQLITE_INT_MAX:
                raise too_large([keep])
            if keep == 0:
                limits.append("1")  # keep none: every finished run
            else:
                limits.append(
                    "id < coalesce((SELECT k.id FROM runs k WHERE k.job_id = runs.job_id "
                    "ORDER BY k.id DESC LIMIT 1 OFFSET ?), -1)"
                )
                params.append(keep - 1)
        if not limits:
            return 0
        where = " AND ".join(conds) + " AND (" + " OR ".join(limits) + ")"
        if dry_run:
            return int(self._q(f"SELECT count(*) FROM runs WHERE {where}", params).fetchone()[0])
        cur = self._q(f"DELETE FROM runs WHERE {where}", params)
        return int(cur.rowcount)

    # -- hooks' results ----------------------------------------------------------

    def record_hook(self, run_id: int, event: str, target: str, ok: bool, detail: str, at: float) -> None:
        self._q(
            "INSERT INTO hook_results (run_id, event, target, ok, detail, at) VALUES (?, ?, ?, ?, ?, ?)",
            (run_id, event, target, int(ok), detail, at),
        )

    def hook_results(self, run_id: int) -> list["HookRecord"]:
        """What each hook of the run reported, in the order they were recorded."""
        from schedcli.model import HookRecord

        found = self._named(
            "SELECT event, target, ok, detail, at FROM hook_results WHERE run_id = ? ORDER BY id",
            (run_id,),
        )
        return [HookRecord(**{**fields, "ok": bool(fields["ok"])}) for fields in found]
