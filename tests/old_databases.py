"""Databases as earlier releases of schedcli wrote them, for the upgrade tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from schedcli.store.migrations import migrations


@contextmanager
def database_before(path: Path, migration: str) -> Iterator[sqlite3.Connection]:
    """A new database at ``path`` with every migration before ``migration`` applied (WAL,
    autocommit), for the block to write its rows; closed and made 0600 after it."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        migrations.apply(Database(conn), stop_before=migration)
        yield conn
    finally:
        conn.close()
    path.chmod(0o600)


def insert_job(conn: sqlite3.Connection, name: str = "old", kind: str = "every", expr: str = "5m",
               next_run_at: int = 300) -> None:
    """A job with the columns every release had (a ``true`` command, in UTC)."""
    conn.execute(
        "INSERT INTO jobs (name, kind, expr, timezone, anchor, command, created_at, updated_at, next_run_at) "
        "VALUES (?, ?, ?, 'UTC', 0, '[\"true\"]', 0, 0, ?)",
        (name, kind, expr, next_run_at),
    )


def insert_run(conn: sqlite3.Connection, job_id: int = 1, job: str = "old") -> None:
    """A run of the job that succeeded (scheduled at 300, from 300.5 to 301.0, exit code 0)."""
    conn.execute(
        "INSERT INTO runs (job_id, job, trigger, scheduled_for, status, started_at, finished_at, exit_code) "
        "VALUES (?, ?, 'schedule', 300, 'success', 300.5, 301.0, 0)",
        (job_id, job),
    )
