"""Schema migrations, applied in order through sqlite-utils ``Migrations``.

Never edit a migration that has been released: add a new one.
Times are stored as Unix epoch seconds (UTC): INTEGER for schedule instants,
REAL for measured start and end times.
"""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from schedcli.errors import DatabaseError
from schedcli.store.connection import SCHEMA_VERSION

if TYPE_CHECKING:
    from schedcli.store.connection import Connection

migrations = Migrations("schedcli")


@migrations()
def m001_initial(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('cron', 'every', 'at')),
            expr TEXT NOT NULL,
            timezone TEXT NOT NULL,
            anchor INTEGER NOT NULL,
            command TEXT,
            collector TEXT,
            params TEXT NOT NULL DEFAULT '{}',
            env TEXT NOT NULL DEFAULT '{}',
            cwd TEXT,
            timeout REAL,
            overlap TEXT NOT NULL DEFAULT 'skip',
            grace INTEGER NOT NULL DEFAULT 3600,
            catch_up TEXT NOT NULL DEFAULT 'latest',
            retries INTEGER NOT NULL DEFAULT 0,
            retry_delay INTEGER NOT NULL DEFAULT 60,
            enabled INTEGER NOT NULL DEFAULT 1,
            description TEXT,
            next_run_at INTEGER,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            CHECK ((command IS NULL) <> (collector IS NULL))
        )
        """
    )
    db.execute("CREATE INDEX jobs_due ON jobs (next_run_at) WHERE enabled = 1")
    db.execute(
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            job TEXT NOT NULL,
            trigger TEXT NOT NULL CHECK (trigger IN ('schedule', 'manual')),
            scheduled_for INTEGER NOT NULL,
            attempt INTEGER NOT NULL DEFAULT 1,
            status TEXT NOT NULL CHECK (status IN (
                'running', 'success', 'warning', 'error', 'timeout',
                'skipped', 'missed', 'interrupted')),
            reason TEXT,
            started_at REAL,
            finished_at REAL,
            duration_s REAL,
            exit_code INTEGER,
            pid INTEGER,
            pid_identity TEXT,
            runner_pid INTEGER,
            runner_identity TEXT,
            missed_count INTEGER,
            missed_first INTEGER,
            missed_last INTEGER
        )
        """
    )
    # Exactly once: one row per (job, scheduled occurrence, attempt) for scheduled runs.
    db.execute(
        "CREATE UNIQUE INDEX runs_occurrence ON runs (job_id, scheduled_for, attempt) "
        "WHERE trigger = 'schedule'"
    )
    db.execute("CREATE INDEX runs_job ON runs (job_id, id)")
    db.execute("CREATE INDEX runs_status ON runs (status, id)")
    db.execute("CREATE INDEX runs_running ON runs (job_id) WHERE status = 'running'")
    db.execute(
        """
        CREATE TABLE run_output (
            run_id INTEGER PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
            output BLOB NOT NULL,
            truncated INTEGER NOT NULL DEFAULT 0,
            total_bytes INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute(
        """
        CREATE TABLE runners (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            pid INTEGER NOT NULL,
            identity TEXT,
            started_at REAL NOT NULL,
            heartbeat_at REAL NOT NULL,
            stopped_at REAL
        )
        """
    )
    db.execute("CREATE TABLE state (key TEXT PRIMARY KEY, value TEXT)")


@migrations()
def m002_notifications(db: Database) -> None:
    for column in ("on_failure", "on_success", "on_recovery", "webhook"):
        db.execute(f"ALTER TABLE jobs ADD COLUMN {column} TEXT")
    db.execute(
        """
        CREATE TABLE hook_results (
            id INTEGER PRIMARY KEY,
            run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            event TEXT NOT NULL,
            target TEXT NOT NULL,
            ok INTEGER NOT NULL,
            detail TEXT,
            at REAL NOT NULL
        )
        """
    )
    db.execute("CREATE INDEX hook_results_run ON hook_results (run_id)")


def upgrade(store: "Connection") -> None:
    """Bring an opened database up to this version's schema (its user_version is behind).

    An SQLite file that is not a schedcli one is refused before anything is written to it.
    """
    c = store.conn
    if c.execute("PRAGMA user_version").fetchone()[0] == 0:
        foreign = _foreign_tables(c)
        if foreign:  # checked before anything is written to the file
            raise DatabaseError(
                f"{store.path} is an SQLite database but not a schedcli one "
                f"(it has tables {', '.join(sorted(foreign)[:5])}); the file was left untouched"
            )
    if c.execute("PRAGMA journal_mode").fetchone()[0] not in ("wal", "memory"):
        c.execute("PRAGMA journal_mode = WAL")
    with store.write():
        version = c.execute("PRAGMA user_version").fetchone()[0]
        if version >= SCHEMA_VERSION:
            return
        if version == 0 and _foreign_tables(c):
            raise DatabaseError(f"{store.path} is not a schedcli database; the file was left untouched")
        migrations.apply(Database(c))
        c.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _foreign_tables(c: sqlite3.Connection) -> list[str]:
    return [
        r[0]
        for r in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite_%' AND name != '_sqlite_migrations'"
        )
    ]
