"""Schema migrations: fresh databases, upgrades from every earlier version, version checks."""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

from schedcli.store import SCHEMA_VERSION, Store
from schedcli.errors import DatabaseError
from schedcli.store.migrations import migrations

from old_databases import database_before, insert_job, insert_run


def test_schema_version_counts_the_migrations(db_path):
    with Store(db_path) as store:
        applied = migrations.applied(Database(store.conn))
        assert len(applied) == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_upgrade_from_first_version_keeps_data(db_path):
    with database_before(db_path, "m002_notifications") as conn:
        conn.execute("PRAGMA user_version = 1")
        insert_job(conn)
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


def _database_of_schema_2(path, *, stop_before=None):
    """A database as schedcli wrote it before m003: its migrations applied through sqlite-utils'
    own Migrations (which records them in its _sqlite_migrations table) and, besides,
    PRAGMA user_version set to their number, in one transaction."""
    from sqlite_utils.migrations import Migrations

    from schedcli.store.migrations import m001_initial, m002_notifications

    released = Migrations("schedcli")
    released()(m001_initial)
    released()(m002_notifications)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    released.apply(Database(conn), stop_before=stop_before)
    version = len(released.applied(Database(conn)))
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("COMMIT")
    insert_job(conn)
    insert_run(conn)
    conn.close()
    path.chmod(0o600)
    return version


@pytest.mark.parametrize("stop_before", [None, "m002_notifications"])
def test_database_with_both_version_records_opens_and_keeps_one(db_path, stop_before):
    """Databases written by earlier versions recorded their schema version twice (sqlite-utils'
    _sqlite_migrations rows and PRAGMA user_version): they open, migrate, keep their data, and
    are left with user_version alone."""
    version = _database_of_schema_2(db_path, stop_before=stop_before)
    assert version == (1 if stop_before else 2)
    with Store(db_path) as store:
        job = store.get_job("old")
        assert job.command == ["true"] and job.on_failure is None
        assert [(r.status, r.exit_code) for r in store.history()] == [("success", 0)]
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "_sqlite_migrations" not in tables and {"jobs", "runs", "hook_results"} <= tables
        assert [m.name for m in migrations.applied(Database(store.conn))][:2] == [
            "m001_initial", "m002_notifications"]
    with Store(db_path) as store:  # opened again: nothing left to do
        assert store.get_job("old").name == "old"


def test_schema_version_is_recorded_once(db_path):
    """A new database keeps its schema version in PRAGMA user_version only."""
    with Store(db_path) as store:
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "_sqlite_migrations" not in tables
        assert migrations.pending(Database(store.conn)) == []


def test_a_failing_migration_leaves_the_version_where_it_was(db_path):
    """A migration and the user_version it sets are one transaction."""
    from schedcli.store.migrations import UserVersionMigrations

    steps = UserVersionMigrations("demo")

    @steps()
    def first(db):
        db.execute("CREATE TABLE a (x)")

    @steps()
    def second(db):
        db.execute("CREATE TABLE b (x)")
        raise RuntimeError("half done")

    conn = sqlite3.connect(db_path, isolation_level=None)
    with pytest.raises(RuntimeError, match="half done"):
        steps.apply(Database(conn))
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    assert [m.name for m in steps.pending(Database(conn))] == ["second"]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {"a"}
    conn.close()


def test_a_database_before_the_notification_channels_upgrades_and_its_jobs_read(db_path):
    """m006 adds the job columns of pings, webhook formats, --notify-on and mail; a job
    written before it reads with none of them set, and notifies as it did."""
    import sqlite3

    from sqlite_utils import Database

    from schedcli.store.migrations import migrations

    conn = sqlite3.connect(db_path)
    migrations.apply(Database(conn), stop_before="m006_notification_channels")
    conn.execute(
        "INSERT INTO jobs (name, kind, expr, timezone, anchor, command, created_at, updated_at, webhook) "
        "VALUES ('old', 'every', '1h', 'UTC', 0, '[\"true\"]', 0, 0, 'https://example.org/hook')"
    )
    conn.commit()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 5
    conn.close()
    with Store(db_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        job = store.get_job("old")
    assert job.webhook == "https://example.org/hook"
    assert (job.ping, job.webhook_format, job.notify_on, job.mailto, job.mail_on) == (None,) * 5
