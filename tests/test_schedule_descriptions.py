"""A job's schedule in words is stored with it (m010, add, edit, import) and printed from
there; a job without it (NULL) is described when read, with the same text."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone

from schedcli.schedule import describe
from schedcli.store import SCHEMA_VERSION, Store

from old_databases import database_before, insert_job

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=timezone.utc)

_OLD_JOBS = [  # (name, kind, expr): what an older version stored
    ("weekdays", "cron", "0 9 * * 1-5"),
    ("quarterly", "cron", "30 2 1 */3 *"),
    ("nicknamed", "cron", "@daily"),
    ("boot", "cron", "@reboot"),
    ("poll", "every", "5m"),
    ("long", "every", "1d12h"),
    ("once", "at", "2030-01-01T09:00:00Z"),
    ("twin", "cron", "0 9 * * 1-5"),  # the same schedule as another job
]


def _stored(db_path) -> dict[str, str | None]:
    conn = sqlite3.connect(db_path)
    try:
        return dict(conn.execute("SELECT name, schedule_description FROM jobs"))
    finally:
        conn.close()


def _database_before_m010(db_path) -> None:
    """A database as the release before m010 wrote it, with jobs of every kind."""
    with database_before(db_path, "m010_schedule_descriptions") as conn:
        columns = {r[1] for r in conn.execute("PRAGMA table_info(jobs)")}
        assert "schedule_description" not in columns
        for name, kind, expr in _OLD_JOBS:
            insert_job(conn, name, kind, expr)


def test_the_upgrade_stores_every_jobs_description(db_path):
    _database_before_m010(db_path)
    with Store(db_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        jobs = {job.name: job for job in store.list_jobs()}
    stored = _stored(db_path)
    for name, kind, expr in _OLD_JOBS:
        assert stored[name] == describe(kind, expr) and jobs[name].schedule_description == stored[name]
    assert stored["weekdays"] == "At 09:00, Monday through Friday"
    assert stored["boot"] == "at every boot" and stored["poll"] == "every 5m"


def test_upgraded_jobs_list_as_they_did(db_path, cli, sh):
    """list --json, --csv and show --json print the same descriptions before and after the
    text is stored: what the upgrade stored, and what a NULL falls back to."""
    _database_before_m010(db_path)
    first = {fmt: cli("list", fmt).stdout for fmt in ("--json", "--csv", "--tsv")}
    shown = cli("show", "weekdays", "--json").json()
    assert {d["name"]: d["schedule_description"] for d in json.loads(first["--json"])} == {
        name: describe(kind, expr) for name, kind, expr in _OLD_JOBS}
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE jobs SET schedule_description = NULL")
    conn.commit()
    conn.close()
    assert set(_stored(db_path).values()) == {None}
    assert {fmt: cli("list", fmt).stdout for fmt in ("--json", "--csv", "--tsv")} == first
    assert sh("list", "--json").stdout == first["--json"]  # the real entry point
    assert cli("show", "weekdays", "--json").json() == shown


def test_the_stored_text_is_what_is_printed(db_path, cli):
    """Readers take the stored text (not describe() again): text stored by another wording
    shows until a migration recomputes it."""
    assert cli("add", "j", "--cron", "0 9 * * 1-5", "--", "true").exit_code == 0
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE jobs SET schedule_description = 'At nine, on weekdays'")
    conn.commit()
    conn.close()
    assert cli("list", "--json").json()[0]["schedule_description"] == "At nine, on weekdays"
    assert cli("show", "j", "--json").json()["schedule_description"] == "At nine, on weekdays"
    assert "At nine, on weekdays" in cli("list", "--csv").stdout
    assert "0 9 * * 1-5  (At nine, on weekdays)" in cli("show", "j").stdout


def test_add_and_edit_store_the_description(db_path, cli):
    assert cli("add", "c", "--cron", "*/15 9-17 * * 1-5", "--", "true").exit_code == 0
    assert cli("add", "e", "--every", "90m", "--", "true").exit_code == 0
    assert cli("add", "a", "--at", "2030-06-01 08:00", "--tz", "UTC", "--", "true").exit_code == 0
    assert _stored(db_path) == {
        "c": describe("cron", "*/15 9-17 * * 1-5"), "e": "every 1h30m", "a": describe("at", "2030-06-01T08:00:00Z")}
    assert cli("edit", "c", "--every", "2h").exit_code == 0
    assert cli("edit", "e", "--cron", "0 3 * * *").exit_code == 0
    assert cli("edit", "a", "--description", "no schedule change").exit_code == 0
    stored = _stored(db_path)
    assert stored == {"c": "every 2h", "e": describe("cron", "0 3 * * *"), "a": describe("at", "2030-06-01T08:00:00Z")}
    assert stored["e"] == "At 03:00"
    listed = {d["name"]: d["schedule_description"] for d in cli("list", "--json").json()}
    assert listed == stored


def test_import_stores_the_description(db_path, cli, tmp_path):
    crontab = tmp_path / "crontab"
    crontab.write_text("0 4 * * 0 /usr/bin/backup\n@hourly /usr/bin/poll\n")
    assert cli("import", "--format", "crontab", str(crontab)).exit_code == 0
    stored = _stored(db_path)
    assert len(stored) == 2
    with Store(db_path) as store:
        for job in store.list_jobs():
            assert stored[job.name] == describe(job.kind, job.expr) is not None
    # --replace with another schedule: the text follows it
    names = sorted(stored)
    toml = tmp_path / "jobs.toml"
    assert cli("export", "--format", "toml", "-o", str(toml)).exit_code == 0
    toml.write_text(toml.read_text().replace('"0 4 * * 0"', '"15 6 * * *"'))
    assert cli("import", "--replace", str(toml)).exit_code == 0
    after = _stored(db_path)
    assert sorted(after) == names and "At 06:15" in after.values()
    with Store(db_path) as store:
        assert all(after[j.name] == describe(j.kind, j.expr) for j in store.list_jobs())


def test_jobs_read_without_the_listing_columns_carry_it(db_path, cli):
    """Queries that do not select the last run (what is due, the timeline) still map the
    stored text onto the job."""
    assert cli("add", "j", "--every", "5m", "--", "true").exit_code == 0
    with Store(db_path) as store:
        (job,) = store.jobs_due_after(0)
        assert job.schedule_description == "every 5m" and job.last_run_at is None
        (job,) = list(store.iter_jobs_by_next_run())
        assert job.schedule_description == "every 5m"


def test_descriptions_are_english_whatever_the_locale():
    """The text is stored with the job and read by scripts: the locale of the process that
    wrote it must not choose its language (cron-descriptor would follow the locale)."""
    import subprocess
    import sys

    from schedcli.schedule.kinds import _cron_text

    assert _cron_text()[0].locale_code == "en_US"
    code = "from schedcli.schedule import describe; print(describe('cron', '0 9 * * 1-5'))"
    for lang in ("fr_FR.UTF-8", "de_DE.UTF-8", "C"):
        env = {"PATH": "/usr/bin:/bin", "LANG": lang, "LC_ALL": lang}
        p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
        assert p.returncode == 0, p.stderr
        assert p.stdout == "At 09:00, Monday through Friday\n", lang
        assert "locale" not in p.stderr, p.stderr  # no "No system locale set" warning
