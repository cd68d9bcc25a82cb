"""Schema migrations, applied in order through sqlite-utils ``Migrations``.

Never edit a migration that has been released: add a new one (and count it in
``SCHEMA_VERSION``, :mod:`schedcli.store.connection`).
Times are stored as Unix epoch seconds (UTC): INTEGER for schedule instants,
REAL for measured start and end times.

The schema version is recorded in one place: ``PRAGMA user_version``, the number of
migrations applied (in the file's header: every open reads it without a query and
without loading sqlite-utils). Each migration moves it in the transaction that
changes the schema. Databases written before m003 also had sqlite-utils' table of
applied migrations (``_sqlite_migrations``), always in step with user_version: m003
drops it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from schedcli.errors import DatabaseError
from schedcli.store.connection import SCHEMA_VERSION

if TYPE_CHECKING:
    from schedcli.store.connection import Connection

LEGACY_TABLE = "_sqlite_migrations"  # sqlite-utils' record, kept beside user_version before m003


class UserVersionMigrations(Migrations):
    """sqlite-utils ``Migrations`` whose record of what has been applied is
    ``PRAGMA user_version``: the first ``user_version`` migrations of the set, in order.

    Registration (``@migrations()``), ``pending``, ``applied`` and ``apply`` (with
    ``stop_before``) work as in sqlite-utils; no ``_sqlite_migrations`` row is written
    and no time of application is kept (``applied_at`` is empty).
    """

    def __len__(self) -> int:
        return len(self._migrations)

    def applied(self, db: Database) -> list[Migrations._AppliedMigration]:
        version = db.execute("PRAGMA user_version").fetchone()[0]
        return [self._AppliedMigration(name=m.name, applied_at="") for m in self._migrations[:version]]

    def apply(self, db: Database, *, stop_before: str | Iterable[str] | None = None) -> None:
        """Apply the pending migrations in order, each in a transaction (a savepoint
        inside one already open) together with the new user_version."""
        if stop_before is None:
            stop_names: set[str] = set()
        elif isinstance(stop_before, str):
            stop_names = {stop_before}
        else:
            stop_names = set(stop_before)
        done = self.applied(db)
        already = stop_names.intersection(m.name for m in done)
        if already:  # as sqlite-utils: stopping before an applied migration cannot be honoured
            raise ValueError(
                f"Cannot stop before migration(s) {', '.join(sorted(already))} in set "
                f"'{self.name}' - already been applied"
            )
        for number, migration in enumerate(self._migrations[len(done):], start=len(done) + 1):
            if migration.name in stop_names:
                return
            if migration.transactional:
                with db.atomic():
                    migration.fn(db)
                    db.execute(f"PRAGMA user_version = {number}")
            else:
                migration.fn(db)
                db.execute(f"PRAGMA user_version = {number}")


migrations = UserVersionMigrations("schedcli")


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



@migrations()
def m003_one_schema_version_record(db: Database) -> None:
    """The schema version is kept in PRAGMA user_version only."""
    db.execute(f"DROP TABLE IF EXISTS {LEGACY_TABLE}")


@migrations()
def m004_pending_retries(db: Database) -> None:
    """A failed attempt with attempts left records when its retry is due (``retry_at``)
    until the retry's own row is created: a retry survives its runner."""
    db.execute("ALTER TABLE runs ADD COLUMN retry_at REAL")
    db.execute("CREATE INDEX runs_retry_due ON runs (retry_at) WHERE retry_at IS NOT NULL")


@migrations()
def m005_reboot_and_jitter(db: Database) -> None:
    """``--jitter`` (seconds; 0: none) and, for ``@reboot`` jobs (kind ``cron``,
    expression ``@reboot``: no table rebuild), the boot they last ran for or were
    added in (``last_boot``, from /proc/sys/kernel/random/boot_id).  Jobs due at
    boot have no ``next_run_at``; this index finds those of a new boot."""
    db.execute("ALTER TABLE jobs ADD COLUMN jitter INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE jobs ADD COLUMN last_boot TEXT")
    # Looked up by expression (a search, which the planner prefers to scanning jobs_due).
    db.execute("CREATE INDEX jobs_at_boot ON jobs (expr, last_boot) WHERE enabled = 1")


@migrations()
def m006_notification_channels(db: Database) -> None:
    """A job's healthchecks-style ping URL, its webhook's format, the events that notify
    (``notify_on``), and its mail (``mailto``, ``mail_on``); NULL: the defaults."""
    for column in ("ping", "webhook_format", "notify_on", "mailto", "mail_on"):
        db.execute(f"ALTER TABLE jobs ADD COLUMN {column} TEXT")


@migrations()
def m007_output_compression(db: Database) -> None:
    """A run's stored output may be compressed: ``encoding`` says how (``zlib``), NULL for
    the raw bytes (every row written before, and output stored while a run is going on).
    And an index for ``stats``."""
    db.execute("ALTER TABLE run_output ADD COLUMN encoding TEXT")
    # stats of all jobs: counts by job and outcome, and duration percentiles, read from
    # this index alone (never the history's rows)
    db.execute("CREATE INDEX runs_stats ON runs (job_id, status, duration_s)")


@migrations()
def m008_stats_durations(db: Database) -> None:
    """An index for ``stats``' duration percentiles: each job's real runs that have a
    duration, in order of duration. p50 and p95 are read by a walk of it to the ranks
    (``runs_stats`` orders them by outcome first: each job's durations had to be sorted)."""
    db.execute(
        "CREATE INDEX runs_durations ON runs (job_id, duration_s) "
        "WHERE status IN ('success', 'warning', 'error', 'timeout', 'interrupted') AND duration_s IS NOT NULL"
    )


# -- m009: per-job run totals, kept by triggers ---------------------------------------------------
# These build m009's SQL (the triggers are stored in the schema as written then): like the
# migration, they are never changed; a later migration that needs other triggers drops
# and creates its own.
# What each run row adds to its job's totals (``X``: NEW or OLD); a running row adds nothing.
_FAILED = "('error', 'timeout', 'interrupted')"
_REAL = "('success', 'warning', 'error', 'timeout', 'interrupted')"
_TOTALS = ("success", "warning", "error", "timeout", "interrupted", "skipped", "missed", "timed")


def _adds(x: str) -> list[str]:
    """The amount a run row (``NEW`` or ``OLD``) adds to each of :data:`_TOTALS`."""
    return [
        *(f"({x}.status = '{status}')" for status in _TOTALS[:6]),
        f"(CASE WHEN {x}.status = 'missed' THEN coalesce({x}.missed_count, 1) ELSE 0 END)",
        f"({x}.status IN {_REAL} AND {x}.duration_s IS NOT NULL)",
    ]


def _add_row(x: str) -> str:
    """Add run row ``x`` to its job's totals unless it is running; the job's first
    counted run creates its totals row. An INSERT OR IGNORE of the row then an UPDATE:
    measured at about half the cost of an upsert (INSERT ... ON CONFLICT DO UPDATE) per
    finished run."""
    adds = ", ".join(f"{c} = {c} + {add}" for c, add in zip(_TOTALS, _adds(x)))
    newer = f"{x}.status IN {_FAILED} AND {x}.id >= coalesce(last_failure_run, 0)"
    return (
        f"INSERT OR IGNORE INTO job_run_totals (job_id) SELECT {x}.job_id WHERE {x}.status != 'running'; "
        f"UPDATE job_run_totals SET {adds}, "
        "(last_failure_run, last_failure_status, last_failure_at) = "
        f"(CASE WHEN {newer} THEN {x}.id ELSE last_failure_run END, "
        f"CASE WHEN {newer} THEN {x}.status ELSE last_failure_status END, "
        f"CASE WHEN {newer} THEN coalesce({x}.finished_at, {x}.started_at, {x}.scheduled_for) "
        "ELSE last_failure_at END) "
        f"WHERE job_id = {x}.job_id AND {x}.status != 'running';"
    )


def _take_row(x: str) -> str:
    """Take run row ``x`` out of its job's totals. An UPDATE, never an insert: when a
    job is removed, its totals row may be gone before the cascade reaches its runs."""
    subs = ", ".join(f"{c} = {c} - {add}" for c, add in zip(_TOTALS, _adds(x)))
    return f"UPDATE job_run_totals SET {subs} WHERE job_id = {x}.job_id AND {x}.status != 'running';"


def _refind_last_failure(job: str, unless: str = "0") -> str:
    """When run ``OLD`` was its job's last failure (and ``unless`` is false), look the
    latest remaining failure up again (NULL when there is none left). ``max(id + 0)``
    keeps SQLite from its min/max shortcut, which walks ``runs_status`` (all jobs' errors,
    newest first) or ``runs_job`` (the job's newer runs, row by row): it reads that job's
    failures alone, from the covering index ``runs_stats`` (job_id, status, ...)."""
    return (
        "UPDATE job_run_totals SET (last_failure_run, last_failure_status, last_failure_at) = ("
        "SELECT id, status, coalesce(finished_at, started_at, scheduled_for) FROM runs WHERE id = ("
        f"SELECT max(id + 0) FROM runs WHERE job_id = {job} AND status IN {_FAILED})) "
        f"WHERE job_id = {job} AND last_failure_run = OLD.id AND NOT ({unless});"
    )


@migrations()
def m009_job_run_totals(db: Database) -> None:
    """Per-job run totals, so that ``stats`` and ``metrics`` of the whole history never
    aggregate it: how many runs ended with each status (missed occurrences counted one by
    one, as ``missed_count`` says), how many real runs have a duration, and the latest
    run that failed (error, timeout, interrupted).

    Kept by triggers on ``runs`` rather than by the code that writes runs, so that no
    path (claim, finish, retry, recovery of a crashed runner, missed entries and their
    coalescing, prune, ``rm`` of a job through the cascade, import, a hand-made UPDATE)
    can leave them behind: each change of a row takes its old values out and puts its
    new ones in, inside the statement (and so the transaction, ``BEGIN IMMEDIATE``) that
    changes it. A running row counts nowhere, so a claim writes nothing here. When the
    last failure is deleted (prune) or stops being one, the latest remaining failure is
    looked up (an index walk of that job's failures only). A job's totals row goes with
    the job (ON DELETE CASCADE); a job without runs has none.

    A later migration that rebuilds ``runs`` (a table copy, as sqlite-utils' transform
    does) drops these triggers with the old table: it must create them again (the
    property test of tests/test_stats_totals.py fails otherwise).

    The totals are filled from the existing history in the same migration.
    ``last_failure_at`` has no type (no affinity): it holds what
    coalesce(finished_at, started_at, scheduled_for) gave, REAL or INTEGER, unchanged.
    """
    counts = ",\n".join(f"            {c} INTEGER NOT NULL DEFAULT 0" for c in _TOTALS)
    db.execute(
        f"""
        CREATE TABLE job_run_totals (
            job_id INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
{counts},
            last_failure_run INTEGER,
            last_failure_status TEXT,
            last_failure_at
        )
        """
    )
    watched = "job_id, status, duration_s, missed_count, started_at, finished_at, scheduled_for"
    db.execute(
        "CREATE TRIGGER runs_totals_insert AFTER INSERT ON runs WHEN NEW.status != 'running' "
        f"BEGIN {_add_row('NEW')} END"
    )
    # the old values out, the new ones in; the last failure looked up again only when
    # the row was it and is no longer (a row that stays the last failure was just rewritten)
    still_last = f"NEW.id = OLD.id AND NEW.job_id = OLD.job_id AND NEW.status IN {_FAILED}"
    db.execute(
        f"CREATE TRIGGER runs_totals_update AFTER UPDATE OF {watched} ON runs "
        "WHEN OLD.status != 'running' OR NEW.status != 'running' "
        f"BEGIN {_take_row('OLD')} {_add_row('NEW')} {_refind_last_failure('OLD.job_id', still_last)} END"
    )
    db.execute(
        "CREATE TRIGGER runs_totals_delete AFTER DELETE ON runs WHEN OLD.status != 'running' "
        f"BEGIN {_take_row('OLD')} {_refind_last_failure('OLD.job_id')} END"
    )
    _backfill_totals(db)


def _backfill_totals(db: Database) -> None:
    """The totals of the history already there: one GROUP BY over the runs, then each
    last failure's status and time by its id."""
    sums = ", ".join(f"sum({add})" for add in _adds("r"))
    db.execute(
        f"INSERT INTO job_run_totals (job_id, {', '.join(_TOTALS)}, last_failure_run) "
        f"SELECT r.job_id, {sums}, max(CASE WHEN r.status IN {_FAILED} THEN r.id END) FROM runs r "
        "WHERE r.status != 'running' AND r.job_id IN (SELECT id FROM jobs) GROUP BY r.job_id"
    )
    db.execute(
        "UPDATE job_run_totals SET (last_failure_status, last_failure_at) = ("
        "SELECT status, coalesce(finished_at, started_at, scheduled_for) FROM runs WHERE id = last_failure_run) "
        "WHERE last_failure_run IS NOT NULL"
    )
@migrations()
def m010_schedule_descriptions(db: Database) -> None:
    """Each job's schedule in words (``schedule_description``: "At 09:00, Monday through
    Friday", "every 5m"), stored when its schedule is written (add, edit, import) so that
    a listing of thousands of jobs does not describe each distinct schedule again. The
    jobs already stored get it here, through the same
    :func:`schedcli.schedule.describe`; a job whose text is NULL is described when read.

    The text is cron-descriptor's and :mod:`schedcli.schedule.kinds`' wording when it was
    written. A release that changes the wording (a new cron-descriptor, a change to
    ``describe``) rolls it out with a migration of its own that calls
    :func:`fill_schedule_descriptions` again: every job's text is recomputed in the
    upgrade, before anything reads it."""
    db.execute("ALTER TABLE jobs ADD COLUMN schedule_description TEXT")
    fill_schedule_descriptions(db.conn)


def fill_schedule_descriptions(conn: sqlite3.Connection) -> None:
    """Set every job's ``schedule_description`` to what describe() says now (each distinct
    schedule described once). Inside the caller's transaction."""
    from schedcli.schedule import describe

    said: dict[tuple[str, str], str] = {}
    pairs = []
    for job_id, kind, expr in conn.execute("SELECT id, kind, expr FROM jobs"):
        text = said.get((kind, expr))
        if text is None:
            text = said[(kind, expr)] = describe(kind, expr)
        pairs.append((text, job_id))
    conn.executemany("UPDATE jobs SET schedule_description = ? WHERE id = ?", pairs)


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


def _foreign_tables(c: sqlite3.Connection) -> list[str]:
    return [
        r[0]
        for r in c.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            f"AND name NOT LIKE 'sqlite_%' AND name != '{LEGACY_TABLE}'"
        )
    ]


if len(migrations) != SCHEMA_VERSION:  # pragma: no cover - caught by the first test run
    raise RuntimeError(f"SCHEMA_VERSION is {SCHEMA_VERSION} but there are {len(migrations)} migrations")
