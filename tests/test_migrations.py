"""Schema migrations: fresh databases, upgrades from every earlier version, version checks."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from schedcli.store import SCHEMA_VERSION, Store
from schedcli.errors import DatabaseError
from schedcli.store.migrations import migrations


def test_schema_version_counts_the_migrations(db_path):
    with Store(db_path) as store:
        applied = migrations.applied(Database(store.conn))
        assert len(applied) == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_upgrade_from_first_version_keeps_data(db_path):
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    migrations.apply(Database(conn), stop_before="m002_notifications")
    conn.execute("PRAGMA user_version = 1")
    conn.execute(
        "INSERT INTO jobs (name, kind, expr, timezone, anchor, command, created_at, updated_at, next_run_at) "
        "VALUES ('old', 'every', '5m', 'UTC', 0, '[\"true\"]', 0, 0, 300)"
    )
    conn.close()
    db_path.chmod(0o600)
    with Store(db_path) as store:
        job = store.get_job("old")
        assert job.command == ["true"] and job.on_failure is None
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_newer_schema_is_refused(db_path):
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseError, match="newer schedcli"):
        Store(db_path)
