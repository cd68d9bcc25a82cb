"""export / import: TOML and JSON round trips, crontab import, all-or-nothing, --replace,
--dry-run, Kubernetes CronJob and systemd unit output, and a 10k-job import."""

from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import sqlite3
import stat
import subprocess
import time
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schedcli.cli import transfer as cmd_transfer
from schedcli import transfer
from schedcli.cli.app import app
from schedcli.schedule import CronSchedule
from transfer_helpers import k8s_validate, set_grid, yaml_docs

DATA = Path(__file__).parent / "data"
TIME_FIELDS = ("created_at", "updated_at")


def _jobs(cli, db=None):
    r = cli("list", "--json") if db is None else cli("list", "--json", db=db)
    assert r.exit_code == 0, r.stderr
    return r.json()


def _comparable(jobs, drop_next_for_every=True):
    out = []
    for job in jobs:
        job = {k: v for k, v in job.items() if k not in TIME_FIELDS}
        if drop_next_for_every and job["schedule_kind"] == "every":
            job.pop("next_run_at")  # an interval restarts its grid at import time
        out.append(job)
    return out


def _add_all_kinds(cli):
    """One job of each kind, with every field set to something other than its default."""
    cmds = [
        ("add", "backup", "--cron", "0 3 * * 1-5", "--tz", "Europe/Paris", "--timeout", "1h30m",
         "--overlap", "replace", "--grace", "45m", "--catch-up", "all", "--env", "A=1",
         "--env", "URL=http://x/?a=b&c=d", "--cwd", "/tmp", "--retries", "3", "--retry-delay", "90s",
         "--description", 'nightly "backup" 100% — ünïcode', "--", "tar", "czf", "/tmp/x y.tgz", "/etc"),
        ("add", "poll", "--every", "90m", "--overlap", "allow", "--catch-up", "none",
         "--", "curl -fsS https://example.org/health && echo $HOME\nsecond line"),
        ("add", "remind", "--at", "2099-12-24 18:00", "--tz", "America/New_York", "--disabled",
         "--", "notify-send 'Presents!'"),
        ("add", "weather", "--cron", "@weekly", "--collector", "demo-ok", "--param", "city=Lyon",
         "--param", "units=metric", "--env", "LANG=C", "--timeout", "30s"),
        ("add", "plain", "--cron", "0 0 1,15 * mon", "--", "echo plain"),
    ]
    for argv in cmds:
        r = cli(*argv)
        assert r.exit_code == 0, r.stderr


# -- TOML / JSON round trips ---------------------------------------------------------


def test_toml_round_trip_reproduces_every_field(cli, db_path, tmp_path):
    _add_all_kinds(cli)
    out = tmp_path / "jobs.toml"
    r = cli("export", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    text = out.read_text()
    doc = tomllib.loads(text)
    assert doc["version"] == 1
    by_name = {j["name"]: j for j in doc["jobs"]}
    assert set(by_name) == {"backup", "poll", "remind", "weather", "plain"}
    backup = by_name["backup"]
    assert backup["cron"] == "0 3 * * 1-5" and "every" not in backup and "at" not in backup
    assert backup["timeout"] == "1h30m" and backup["grace"] == "45m" and backup["retry_delay"] == "1m30s"
    assert backup["command"] == ["tar", "czf", "/tmp/x y.tgz", "/etc"]
    assert by_name["poll"]["every"] == "90m"
    assert by_name["remind"]["at"] == "2099-12-24T23:00:00Z" and by_name["remind"]["enabled"] is False
    assert by_name["weather"]["collector"] == "demo-ok" and "command" not in by_name["weather"]
    assert "cwd" not in by_name["plain"] and "timeout" not in by_name["plain"]  # no nulls in TOML

    other = tmp_path / "other" / "b.db"
    other.parent.mkdir(mode=0o700)
    r = cli("import", str(out), db=other)
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "Imported 5 jobs (0 updated, 0 removed)"
    before, after = _jobs(cli), _jobs(cli, other)
    assert _comparable(after) == _comparable(before)
    # the interval job keeps its period; only its grid restarts
    assert [j["schedule"] for j in after if j["name"] == "poll"] == ["90m"]
    # exporting the copy gives the same document
    assert cli("export", db=other).stdout == text


def test_json_round_trip_via_stdin(cli, db_path, tmp_path):
    _add_all_kinds(cli)
    r = cli("export", "--format", "json")
    assert r.exit_code == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["version"] == 1 and len(doc["jobs"]) == 5
    assert {j["name"]: j["cwd"] for j in doc["jobs"]}["plain"] is None  # JSON keeps nulls

    other = tmp_path / "other" / "b.db"
    other.parent.mkdir(mode=0o700)
    res = CliRunner().invoke(app, ["--db", str(other), "import", "-", "--format", "json", "--json"], input=r.stdout)
    assert res.exit_code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert sorted(summary["added"]) == ["backup", "plain", "poll", "remind", "weather"]
    assert summary["updated"] == [] and summary["removed"] == [] and summary["skipped_lines"] == []
    assert _comparable(_jobs(cli, other)) == _comparable(_jobs(cli))


def test_finished_one_off_job_round_trips_as_finished(cli, tmp_path):
    doc = {"version": 1, "jobs": [{"name": "past", "at": "2001-01-01T00:00:00Z", "command": ["true"]}]}
    path = tmp_path / "past.json"
    path.write_text(json.dumps(doc))
    r = cli("import", str(path))
    assert r.exit_code == 0, r.stderr
    assert "has passed: imported as finished" in r.stderr
    (job,) = _jobs(cli)
    assert job["finished"] is True and job["next_run_at"] is None and job["schedule"] == "2001-01-01T00:00:00Z"


# -- crontab import -------------------------------------------------------------------


def test_crontab_import_refuses_untranslatable_lines_and_imports_nothing(cli, db_path, tmp_path):
    path = tmp_path / "system.crontab"
    path.write_text("0 1 * * * nobody-else-here true\n")
    r = cli("import", str(path), "--system")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: line 1 cannot be translated: runs as user 'nobody-else-here'")
    assert "more: line" not in r.stderr and "--skip-untranslatable" in r.stderr
    assert _jobs(cli) == []


def test_crontab_import_realistic_file(cli, db_path):
    r = cli("import", str(DATA / "crontab.txt"), "--skip-untranslatable", "--json")
    assert r.exit_code == 0, r.stderr
    summary = r.json()
    assert summary["added"] == [
        "nightly-backup", "curl", "find", "date", "mail", "start-agent", "backup", "rotate-logs"]
    assert summary["skipped_lines"] == []
    assert "MAILTO=ops@example.org: the entries below mail every run that prints anything" in r.stderr
    assert "line 13: the text after '%' is the command's standard input" in r.stderr

    jobs = {j["name"]: j for j in _jobs(cli)}
    nb = jobs["nightly-backup"]
    assert nb["schedule"] == "30 2 * * *" and nb["timezone"] == "Europe/Paris"
    assert nb["command"] == ["/bin/bash", "-c", "/usr/local/bin/backup.sh --full >> /var/log/backup.log 2>&1"]
    assert nb["env"] == {"PATH": "/usr/local/bin:/usr/bin:/bin", "MAILTO": "ops@example.org"}
    assert nb["overlap"] == "allow" and nb["catch_up"] == "none"  # cron's own behaviour
    assert jobs["curl"]["schedule"] == "*/15 9-17 * * mon-fri"
    assert jobs["find"]["schedule"] == "@daily"
    assert jobs["date"]["command"][-1] == "date +%Y-%m > /tmp/month.txt"  # \% -> %
    # '%' ends the command; the rest, with '%' as newlines, is its standard input
    assert jobs["mail"]["command"] == [
        "/bin/bash", "-c", "printf 'Everything is fine.\\n' | /bin/bash -c 'mail -s \"daily report\" ops@example.org'"]
    # TZ= is the job's environment (cron passes it to the command); CRON_TZ= the schedule's zone
    assert jobs["backup"]["timezone"] == "Europe/Paris" and jobs["backup"]["schedule"] == "0 */6 * * *"
    assert jobs["backup"]["env"]["TZ"] == "UTC"
    assert "TZ" not in nb["env"]
    assert jobs["rotate-logs"]["command"][-1] == "cd /srv/app && ./rotate-logs"
    # @reboot: once at each boot, from the next one
    agent = jobs["start-agent"]
    assert (agent["schedule"], agent["at_boot"], agent["next_run_at"]) == ("@reboot", True, None)
    assert agent["command"] == ["/bin/bash", "-c", "/usr/local/bin/start-agent --daemon"]
    # re-importing the same crontab with --replace changes nothing
    again = cli("import", str(DATA / "crontab.txt"), "--skip-untranslatable", "--replace", "--json").json()
    assert again["added"] == [] and again["updated"] == [] and again["removed"] == []
    assert len(again["unchanged"]) == 8


def test_crontab_system_format_user_field(cli, tmp_path):
    me = pwd.getpwuid(os.geteuid()).pw_name
    other = "nobody" if me != "nobody" else "root"
    path = tmp_path / "crontab"
    path.write_text(f"17 * * * * {me} cd / && run-parts --report /etc/cron.hourly\n"
                    f"25 6 * * * {other} /usr/bin/true\n")
    # not a system crontab by its path, but its lines look like one: refused, nothing imported
    r = cli("import", str(path), "--skip-untranslatable", "--json")
    assert r.exit_code == 2
    assert r.stderr.startswith(f"Error: {path} looks like a system crontab (line 1 has {me!r} after its schedule")
    assert "pass --system to read the user fields" in r.stderr and "or --user to read every line" in r.stderr
    assert r.stderr.count("\n") == 1 and _jobs(cli) == []

    # --user: every line is a command, as asked
    r = cli("import", str(path), "--user", "--dry-run", "--json")
    assert r.exit_code == 0, r.stderr
    assert len(r.json()["added"]) == 2
    assert cli("import", str(path), "--user", "--system").exit_code == 2

    r = cli("import", str(path), "--system", "--skip-untranslatable", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json()["added"] == ["cron.hourly"]
    assert r.json()["skipped_lines"][0]["reason"].startswith(f"runs as user {other!r}")
    (job,) = _jobs(cli)
    assert job["command"] == ["cd / && run-parts --report /etc/cron.hourly"]


def test_crontab_bad_line_names_line_and_changes_nothing(cli, db_path, tmp_path):
    assert cli("add", "keep", "--every", "1h", "--", "true").exit_code == 0
    before = db_path.read_bytes()
    path = tmp_path / "crontab"
    path.write_text("# ok\n0 1 * * * echo one\n0 2 * * * echo two\n61 3 * * * echo three\n")
    r = cli("import", str(path))
    assert r.exit_code == 2
    assert re.match(r"Error: entry 3 \('echo-3'\) at line 4: invalid cron expression '61 3 \* \* \*'", r.stderr)
    assert "nothing was imported" in r.stderr
    assert db_path.read_bytes() == before


# -- all or nothing, --replace, --dry-run ------------------------------------------------

_FIVE = """version = 1

[[jobs]]
name = "a"
cron = "0 1 * * *"
command = ["echo a"]

[[jobs]]
name = "b"
every = "10m"
command = ["echo b"]

# the third job has a bad expression
[[jobs]]
name = "c"
cron = "0 25 * * *"
command = ["echo c"]

[[jobs]]
name = "d"
cron = "@hourly"
command = ["echo d"]
"""


def test_one_bad_entry_imports_nothing(cli, db_path, tmp_path):
    assert cli("add", "existing", "--every", "1h", "--", "true").exit_code == 0
    before = db_path.read_bytes()
    path = tmp_path / "jobs.toml"
    path.write_text(_FIVE)
    r = cli("import", str(path))
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: entry 3 ('c') at line 14: invalid cron expression '0 25 * * *'")
    assert r.stderr.count("\n") == 1
    assert db_path.read_bytes() == before
    assert [j["name"] for j in _jobs(cli)] == ["existing"]

    # JSON names the entry (no line numbers per entry in JSON)
    doc = tomllib.loads(_FIVE)
    doc["jobs"][3]["overlap"] = "sometimes"
    doc["jobs"][2]["cron"] = "0 2 * * *"
    jpath = tmp_path / "jobs.json"
    jpath.write_text(json.dumps(doc))
    r = cli("import", str(jpath))
    assert r.exit_code == 2 and r.stderr.startswith("Error: entry 4 ('d'): invalid --overlap 'sometimes'")
    assert db_path.read_bytes() == before


def test_existing_name_without_replace_is_an_error(cli, db_path, tmp_path, sh):
    assert cli("add", "b", "--every", "1h", "--", "true").exit_code == 0
    before = db_path.read_bytes()
    path = tmp_path / "jobs.toml"
    path.write_text(_FIVE.replace('"0 25 * * *"', '"0 2 * * *"'))
    r = sh("import", str(path))  # through the real entry point
    assert r.exit_code == 2
    assert r.stderr == ("Error: entry 2 ('b') at line 8: a job named 'b' already exists "
                        "(use --replace to update it); nothing was imported\n")
    assert db_path.read_bytes() == before


@pytest.mark.parametrize("problem, message", [
    ('name = "a"\nname2 = 1', "unknown field 'name2'"),
    ('name = "a"\nevery = "5m"', "give exactly one of 'cron', 'every' and 'at'"),
    ('name = "a"\nretries = "3"', "'retries' must be an integer"),
    ('name = "a"\nenv = { A = 1 }', "env.A must be a string"),
    ('name = "bad name"', "invalid job name 'bad name'"),
    ('name = "a"\ntimeout = "soon"', "timeout: invalid duration 'soon'"),
])
def test_invalid_toml_entries(cli, tmp_path, problem, message):
    path = tmp_path / "jobs.toml"
    path.write_text(f'version = 1\n[[jobs]]\ncron = "@daily"\ncommand = "true"\n{problem}\n')
    r = cli("import", str(path))
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: entry 1") and "at line 2" in r.stderr
    assert message in r.stderr
    assert _jobs(cli) == []


def test_duplicate_names_in_file_and_bad_files(cli, tmp_path):
    path = tmp_path / "jobs.toml"
    path.write_text('version = 1\n[[jobs]]\nname = "x"\ncron = "@daily"\ncommand = "true"\n'
                    '[[jobs]]\nname = "x"\ncron = "@hourly"\ncommand = "true"\n')
    r = cli("import", str(path))
    assert r.exit_code == 2 and "entry 2 ('x') at line 6: the name 'x' is already used by entry 1 (line 2)" in r.stderr

    r = cli("import", str(tmp_path / "missing.toml"))
    assert r.exit_code == 2 and "cannot read" in r.stderr and "No such file" in r.stderr
    (tmp_path / "v2.json").write_text('{"version": 2, "jobs": []}')
    r = cli("import", str(tmp_path / "v2.json"))
    assert r.exit_code == 2 and "unsupported document version 2" in r.stderr
    (tmp_path / "broken.toml").write_text("version = = 1")
    r = cli("import", str(tmp_path / "broken.toml"))
    assert r.exit_code == 2 and r.stderr.startswith("Error: invalid TOML")
    # --format overrides the extension
    (tmp_path / "jobs.txt").write_text('version = 1\n[[jobs]]\nname = "y"\nevery = "1h"\ncommand = "true"\n')
    assert cli("import", str(tmp_path / "jobs.txt")).exit_code == 2  # read as a crontab
    assert cli("import", str(tmp_path / "jobs.txt"), "--format", "toml").exit_code == 0


def test_replace_updates_in_place_and_removes_the_rest(cli, db_path, tmp_path):
    for argv in (("add", "a", "--cron", "0 1 * * *", "--", "true"),
                 ("add", "b", "--every", "10m", "--", "echo b"),
                 ("add", "old", "--every", "1h", "--", "echo old")):
        assert cli(*argv).exit_code == 0
    assert cli("run", "a").exit_code == 0  # history that --replace must keep
    before_b = {j["name"]: j for j in _jobs(cli)}["b"]

    path = tmp_path / "jobs.toml"
    path.write_text('version = 1\n'
                    '[[jobs]]\nname = "a"\ncron = "0 1 * * *"\ncommand = "true"\ndescription = "changed"\n'
                    '[[jobs]]\nname = "b"\nevery = "10m"\ncommand = ["echo b"]\ntimezone = "UTC"\n'
                    '[[jobs]]\nname = "c"\ncron = "@daily"\ncommand = "echo c"\n')
    before = db_path.read_bytes()
    r = cli("import", str(path), "--replace", "--dry-run", "--json")
    assert r.exit_code == 0, r.stderr
    assert r.json() == {"added": ["c"], "updated": ["a"], "unchanged": ["b"], "removed": ["old"],
                        "skipped_lines": [], "notes": [], "dry_run": True}
    assert db_path.read_bytes() == before  # --dry-run wrote nothing

    r = cli("import", str(path), "--replace")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "Imported 3 jobs (1 updated, 1 unchanged, 1 removed)"
    jobs = {j["name"]: j for j in _jobs(cli)}
    assert sorted(jobs) == ["a", "b", "c"]
    assert jobs["a"]["description"] == "changed"
    assert jobs["b"] == before_b  # unchanged: same grid, same next run, same timestamps
    shown = cli("show", "a", "--json").json()
    assert len(shown["recent_runs"]) == 1 and shown["recent_runs"][0]["trigger"] == "manual"


def test_replace_clears_fields_left_out_of_the_file(cli, tmp_path):
    assert cli("add", "a", "--cron", "0 1 * * *", "--timeout", "5m", "--cwd", "/tmp", "--env", "K=V",
               "--retries", "2", "--", "true").exit_code == 0
    path = tmp_path / "jobs.toml"
    path.write_text('version = 1\n[[jobs]]\nname = "a"\ncron = "0 1 * * *"\ncommand = "true"\n')
    assert cli("import", str(path), "--replace").exit_code == 0
    (job,) = _jobs(cli)
    assert (job["timeout_s"], job["cwd"], job["env"], job["retries"]) == (None, None, {}, 0)


# -- progress bar ------------------------------------------------------------------------


def _toml_jobs(n: int, start: int = 0) -> str:
    parts = ["version = 1\n"]
    for i in range(start, start + n):
        sched = f'cron = "{i % 60} {i % 24} * * *"' if i % 2 else f'every = "{i % 50 + 1}m"'
        parts.append(f'[[jobs]]\nname = "job-{i:05d}"\n{sched}\ncommand = ["echo", "{i}"]\n'
                     f'env = {{ N = "{i}" }}\n')
    return "\n".join(parts)


def test_progress_bar_only_for_large_imports_on_a_terminal(cli, tmp_path, monkeypatch):
    big = tmp_path / "big.toml"
    big.write_text(_toml_jobs(cmd_transfer.PROGRESS_MIN))
    r = cli("import", str(big), "--dry-run")
    assert r.exit_code == 0 and "\x1b[" not in r.stderr and "Checking" not in r.stderr  # not a terminal

    monkeypatch.setattr(cmd_transfer, "_stderr_is_terminal", lambda: True)
    small = tmp_path / "small.toml"
    small.write_text(_toml_jobs(cmd_transfer.PROGRESS_MIN - 1))
    r = cli("import", str(small), "--dry-run")
    assert r.exit_code == 0 and "\x1b[" not in r.stderr
    r = cli("import", str(big))
    assert r.exit_code == 0, r.stderr
    assert "Checking jobs" in r.stderr and "Writing jobs" in r.stderr and "\x1b[" in r.stderr
    assert r.stdout.strip() == f"Imported {cmd_transfer.PROGRESS_MIN} jobs (0 updated, 0 removed)"


def test_import_of_10k_jobs(sh, db_path, tmp_path):
    path = tmp_path / "many.toml"
    path.write_text(_toml_jobs(10_000))
    started = time.perf_counter()
    r = sh("import", str(path))
    elapsed = time.perf_counter() - started
    assert r.exit_code == 0, r.stderr
    assert r.stdout.strip() == "Imported 10000 jobs (0 updated, 0 removed)"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT name) FROM jobs").fetchone() == (10_000, 10_000)
    print(f"\n10k-job import (real process, incl. start-up): {elapsed:.2f}s")


# -- crontab export ------------------------------------------------------------------------


def test_crontab_export_and_back(cli, db_path, tmp_path):
    _add_all_kinds(cli)
    assert cli("add", "tick", "--every", "5m", "--env", "X=a b", "--", "echo 50% done").exit_code == 0
    set_grid(db_path, "tick", "2026-01-05T10:02:00Z")  # on whole minutes: 2, 7, 12 ... past the hour
    assert cli("add", "tokyo", "--cron", "0 9 * * 1-5", "--tz", "Asia/Tokyo", "--", "echo tokyo").exit_code == 0
    r = cli("export", "--format", "crontab")
    assert r.exit_code == 0, r.stderr
    text = r.stdout
    # the header names the one zone every line is read in (TZ=UTC in the tests)
    assert "# Schedules are on the wall clock of UTC: install this crontab where cron runs in UTC\n" in text
    assert "\nCRON_TZ=UTC\nSHELL=/bin/sh\n" in text and text.count("CRON_TZ=") == 1
    assert "# name: plain\n0 0 1,15 * mon echo plain\n" in text
    # environment as crontab variables, never 'export' prefixes; '%' escaped; the grid exact
    assert "\nX=a b\n# name: tick\n2-57/5 * * * * echo 50\\% done\n" in text
    assert "export X" not in text
    # a job in another zone is converted where that is exact ...
    assert "# name: tokyo\n0 0 * * 1-5 echo tokyo\n" in text
    # ... and left out, with the reason, where it is not (Paris moves against UTC twice a year)
    assert "Warning: skipped 4 jobs that crontab cannot express: backup, poll, remind, weather" in r.stderr
    assert ("backup: no cron expression in UTC runs exactly when '0 3 * * 1-5' runs in Europe/Paris "
            "(UTC is 1h or 2h from Europe/Paris depending on daylight saving time)") in r.stderr
    path = tmp_path / "exported.crontab"
    path.write_text(text)
    other = tmp_path / "o" / "b.db"
    other.parent.mkdir(mode=0o700)
    r = cli("import", str(path), db=other)
    assert r.exit_code == 0, r.stderr
    jobs = {j["name"]: j for j in _jobs(cli, other)}
    assert sorted(jobs) == ["plain", "tick", "tokyo"]
    assert jobs["tick"]["command"] == ["echo 50% done"] and jobs["tick"]["env"] == {"X": "a b"}
    assert jobs["tick"]["schedule"] == "2-57/5 * * * *" and jobs["tick"]["timezone"] == "UTC"
    assert jobs["tokyo"]["schedule"] == "0 0 * * 1-5" and jobs["tokyo"]["timezone"] == "UTC"
    assert jobs["plain"]["env"] == {}  # X=a b is set below plain's entry, not above it


def test_crontab_export_never_adds_a_line_from_a_value(cli, tmp_path):
    """A line break in an env value or a working directory cannot become a crontab entry."""
    evil_env = "Y=a\n* * * * * touch /tmp/x"
    (tmp_path / "d\n* * * * * touch").mkdir()
    assert cli("add", "envjob", "--cron", "*/5 * * * *", "--env", evil_env, "--", "true").exit_code == 0
    assert cli("add", "cwdjob", "--cron", "*/5 * * * *", "--cwd", str(tmp_path / "d\n* * * * * touch"), "--", "true").exit_code == 0
    assert cli("add", "fine", "--cron", "*/5 * * * *", "--", "true").exit_code == 0
    r = cli("export", "--format", "crontab")
    assert r.exit_code == 0, r.stderr
    entries = [line for line in r.stdout.splitlines() if line and not line.startswith("#") and "=" not in line.split()[0]]
    assert entries == ["*/5 * * * * true"]
    assert "envjob: an environment value contains a line break" in r.stderr
    assert "cwdjob: its working directory contains a line break" in r.stderr


# -- Kubernetes ------------------------------------------------------------------------------


def _k8s_fixture(cli, db_path):
    for argv in (
        ("add", "Nightly_Backup.v2", "--cron", "0 3 * * 7", "--tz", "Europe/Paris", "--timeout", "1h",
         "--grace", "10m", "--overlap", "replace", "--retries", "2", "--env", "MSG=say \"hi\"\nthere",
         "--cwd", "/srv", "--", "tar", "czf", "/tmp/x.tgz", "/etc"),
        ("add", "poll", "--every", "5m", "--overlap", "allow", "--disabled", "--", "curl -fsS http://x/ | grep -q ok"),
        ("add", "hourly", "--every", "1h", "--", "echo h"),
        ("add", "daily", "--every", "1d", "--", "echo d"),
        ("add", "odd", "--every", "7m", "--", "echo odd"),
        ("add", "once", "--at", "2099-01-01 00:00", "--", "echo once"),
    ):
        assert cli(*argv).exit_code == 0
    for name in ("poll", "hourly", "daily"):
        set_grid(db_path, name, "2026-01-05T00:00:00Z")


def test_k8s_manifests(cli, db_path, tmp_path):
    _k8s_fixture(cli, db_path)
    r = cli("export", "--format", "k8s", "--image", "alpine:3.20")
    assert r.exit_code == 0, r.stderr
    assert "Warning: skipped 2 jobs that k8s cannot express: odd, once" in r.stderr
    text = r.stdout
    docs = yaml_docs(text)
    assert len(docs) == 4 and text.startswith("---\n")
    for doc in docs:
        assert doc["apiVersion"] == "batch/v1" and doc["kind"] == "CronJob"
        name = doc["metadata"]["name"]
        assert re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", name) and len(name) <= 52
    backup = docs[0]
    assert backup["metadata"]["name"] == "nightly-backup-v2"
    assert backup["metadata"]["annotations"]["schedcli/job"] == "Nightly_Backup.v2"
    spec = backup["spec"]
    assert spec["schedule"] == "0 3 * * 0" and spec["timeZone"] == "Europe/Paris" and spec["suspend"] is False
    assert spec["startingDeadlineSeconds"] == 600 and spec["concurrencyPolicy"] == "Replace"
    job_spec = spec["jobTemplate"]["spec"]
    assert job_spec["backoffLimit"] == 2 and "activeDeadlineSeconds" not in job_spec
    pod = job_spec["template"]["spec"]
    assert pod["activeDeadlineSeconds"] == 3600  # per attempt: each retry is a new pod
    container = pod["containers"][0]
    assert container["image"] == "alpine:3.20" and container["workingDir"] == "/srv"
    assert container["command"] == ["tar", "czf", "/tmp/x.tgz", "/etc"]
    assert container["env"] == [{"name": "MSG", "value": 'say "hi"\nthere'}]
    by_name = {d["metadata"]["name"]: d["spec"] for d in docs}
    assert by_name["poll"]["schedule"] == "*/5 * * * *" and by_name["poll"]["timeZone"] == "Etc/UTC"
    assert by_name["hourly"]["schedule"] == "0 * * * *" and by_name["daily"]["schedule"] == "0 0 * * *"
    assert by_name["poll"]["suspend"] is True and by_name["poll"]["concurrencyPolicy"] == "Allow"
    assert by_name["poll"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"] == [
        "/bin/sh", "-c", "curl -fsS http://x/ | grep -q ok"]
    assert "Nightly_Backup.v2: retry delay 1m (doubling) becomes Kubernetes' pod back-off" in r.stderr
    out = tmp_path / "cronjobs.yaml"
    out.write_text(text)
    k8s_validate(out)


def test_k8s_names_and_every_conversion():
    taken: set[str] = set()
    assert transfer.k8s_name("Backup", taken) == "backup"
    second = transfer.k8s_name("backup", taken)
    assert second != "backup" and second.startswith("backup-")
    assert len(transfer.k8s_name("x" * 64, taken)) <= 52
    assert transfer.k8s_name("__", taken) == "job"
    conversions = {60: "* * * * *", 300: "*/5 * * * *", 900: "*/15 * * * *", 3600: "0 * * * *",
                   7200: "0 */2 * * *", 86400: "0 0 * * *", 604800: "0 0 * * 0",
                   420: None, 90: None, 30: None, 5400: None, 172800: None}
    for seconds, expected in conversions.items():
        assert transfer.every_to_cron(seconds) == expected, seconds


def test_k8s_yaml_keeps_every_string(cli, tmp_path):
    """The manifests go through a YAML emitter: strings YAML would read as something else
    (yes, 0755, '- x', line separators, control characters) come back as they were."""
    tricky = ['a"b\\c', "x\u2028y\x7fz\x85", "héllo 🎉", "yes", "0755", "- x", ": y", "#z", "null", "~", "'q'", "tab\there"]
    env = [arg for i, value in enumerate(tricky) for arg in ("--env", f"V{i}={value}")]
    assert cli("add", "tricky", "--cron", "@daily", *env, "--", "printf", "%s\n", *tricky).exit_code == 0
    r = cli("export", "--format", "k8s")
    assert r.exit_code == 0, r.stderr
    (doc,) = yaml_docs(r.stdout)
    container = doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["printf", "%s\n", *tricky]
    assert {e["name"]: e["value"] for e in container["env"]} == {f"V{i}": v for i, v in enumerate(tricky)}
    out = tmp_path / "tricky.yaml"
    out.write_text(r.stdout)
    k8s_validate(out)


# -- systemd ---------------------------------------------------------------------------------

CRON_CASES = {
    "*/15 * * * *": ["*-*-* *:00/15:00"],
    "0 3 * * 1-5": ["Mon..Fri *-*-* 03:00:00"],
    "30 2 1,15 * *": ["*-*-01,15 02:30:00"],
    "0 0 1 * mon": ["*-*-01 00:00:00", "Mon *-*-* 00:00:00"],
    "0 12 */2 * 1": ["Mon *-*-01/2 12:00:00"],  # dom starts with '*': cron ANDs the day fields
    "5 4 * jan-mar,oct sun": ["Sun *-01..03,10-* 04:05:00"],
    "0 22 * * 5-7": ["Fri..Sun *-*-* 22:00:00"],
    "0 0-23/6 * * *": ["*-*-* 00..23/6:00:00"],
    "10/20 1 * * *": ["*-*-* 01:10/20:00"],
    "@weekly": ["Sun *-*-* 00:00:00"],
    "@monthly": ["*-*-01 00:00:00"],
    "0 9 */100,1-7 * MON": ["Mon *-*-01,01..07 09:00:00"],  # the first Monday (days 1-7 AND Monday)
    "*/61 * * * *": ["*-*-* *:00:00"],
}


def test_cron_to_oncalendar():
    for expr, expected in CRON_CASES.items():
        assert transfer.cron_to_oncalendar(expr) == expected, expr
    assert transfer.cron_to_oncalendar("0 9 * * *", "Europe/Paris") == ["*-*-* 09:00:00 Europe/Paris"]


def _systemd_fixture(cli):
    for argv in (
        ("add", "backup", "--cron", "0 0 1 * mon", "--tz", "Europe/Paris", "--timeout", "1h30m",
         "--env", "A=x y", "--env", "P=50%", "--cwd", "/tmp", "--description", "nightly 100%",
         "--", "/bin/echo", 'say "hi"', "$HOME", "100%"),
        ("add", "poll", "--every", "5m", "--catch-up", "none", "--", "echo $USER 'quoted' \\back"),
        ("add", "once", "--at", "2099-01-01T12:00:00Z", "--", "echo once"),
        ("add", "weather", "--cron", "@daily", "--collector", "demo-ok"),
    ):
        assert cli(*argv).exit_code == 0, argv


def test_systemd_units(cli, tmp_path):
    _systemd_fixture(cli)
    out = tmp_path / "units"
    r = cli("export", "--format", "systemd", "--output", str(out))
    assert r.exit_code == 0, r.stderr
    assert "Warning: skipped 1 job that systemd cannot express: weather" in r.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"schedcli-{n}.{k}" for n in ("backup", "once", "poll") for k in ("service", "timer")]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.iterdir())

    service = (out / "schedcli-backup.service").read_text().splitlines()
    assert "Type=oneshot" in service
    assert 'ExecStart="/bin/echo" "say \\"hi\\"" "$$HOME" "100%%"' in service
    assert 'Environment="A=x y"' in service and 'Environment="P=50%%"' in service
    assert "WorkingDirectory=/tmp" in service and "TimeoutStartSec=5400s" in service
    assert "Description=schedcli job backup: nightly 100%%" in service
    timer = (out / "schedcli-backup.timer").read_text().splitlines()
    assert [l for l in timer if l.startswith("OnCalendar=")] == [
        "OnCalendar=*-*-01 00:00:00 Europe/Paris", "OnCalendar=Mon *-*-* 00:00:00 Europe/Paris"]
    assert "Persistent=true" in timer and "AccuracySec=1s" in timer and "WantedBy=timers.target" in timer

    poll_service = (out / "schedcli-poll.service").read_text()
    assert 'ExecStart="/bin/sh" "-c" "echo $$USER \'quoted\' \\\\back"\n' in poll_service
    assert "WorkingDirectory=~\n" in poll_service and "TimeoutStartSec=infinity\n" in poll_service
    poll_timer = (out / "schedcli-poll.timer").read_text()
    assert "OnBootSec=300s\nOnUnitActiveSec=300s\n" in poll_timer and "OnCalendar" not in poll_timer
    assert "Persistent" not in poll_timer
    assert "OnCalendar=2099-01-01 12:00:00 UTC\n" in (out / "schedcli-once.timer").read_text()

    # without --output: every unit on stdout behind a header
    r = cli("export", "--format", "systemd")
    headers = re.findall(r"^# ---- file: (.*) ----$", r.stdout, re.M)
    assert headers == names
    # --output must be a directory for systemd
    some_file = tmp_path / "f"
    some_file.write_text("")
    r = cli("export", "--format", "systemd", "-o", str(some_file))
    assert r.exit_code == 2 and "must be a directory" in r.stderr


def _analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.skip("systemd-analyze is not installed")
    return path


def test_systemd_analyze_verify(cli, tmp_path):
    analyze = _analyze()
    _systemd_fixture(cli)
    out = tmp_path / "units"
    assert cli("export", "--format", "systemd", "-o", str(out)).exit_code == 0
    units = sorted(str(p) for p in out.iterdir())
    p = subprocess.run([analyze, "verify", "--man=no", *units], capture_output=True, text=True, timeout=60)
    output = p.stdout + p.stderr
    if "Failed to initialize manager" in output or "Failed to lookup RuntimeDirectory" in output:
        pytest.skip(f"systemd-analyze verify cannot run here: {output.strip().splitlines()[-1]}")
    assert p.returncode == 0, output
    assert "schedcli-" not in output, output  # no complaint about any generated unit


def _systemd_next(analyze: str, spec: str, base: str, count: int) -> list[datetime]:
    p = subprocess.run(
        [analyze, "calendar", f"--iterations={count}", f"--base-time={base}", spec],
        capture_output=True, text=True, timeout=30, env={**os.environ, "TZ": "UTC", "LC_ALL": "C"},
    )
    assert p.returncode == 0, f"{spec!r}: {p.stderr}"
    found = re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", p.stdout)
    return [datetime.fromisoformat(t).replace(tzinfo=timezone.utc) for t in found]


@pytest.mark.parametrize("expr, tz", [
    ("*/15 * * * *", "UTC"), ("0 3 * * 1-5", "Europe/Paris"), ("0 0 1 * mon", "UTC"),
    ("0 12 */2 * 1", "UTC"), ("5 4 * jan-mar,oct sun", "UTC"), ("0 0-23/6 * * *", "America/New_York"),
    ("10/20 1 * * *", "UTC"), ("0 22 13 * 5", "UTC"), ("@weekly", "UTC"), ("30 2 29 2 *", "UTC"),
    ("0 9 */100,1-7 * MON", "UTC"), ("0 9 */100,1-7 * MON", "Europe/Paris"), ("0 0 */40 * *", "UTC"),
])
def test_oncalendar_fires_when_schedcli_does(expr, tz):
    """systemd-analyze calendar gives the same next times as schedcli's own cron engine."""
    analyze = _analyze()
    base = datetime(2026, 1, 5, 0, 0, 30, tzinfo=timezone.utc)
    count = 8
    got: set[datetime] = set()
    for spec in transfer.cron_to_oncalendar(expr, tz):
        got.update(_systemd_next(analyze, spec, base.strftime("%Y-%m-%d %H:%M:%S UTC"), count))
    expected, cursor, schedule = [], base, CronSchedule(expr, tz)
    for _ in range(count):
        cursor = schedule.next_after(cursor)
        expected.append(cursor)
    assert sorted(got)[:count] == expected


def test_crontab_details_names_env_and_home():
    parsed = transfer.parse_crontab(
        'HOME=/srv\nGREETING = "hello world"\n'
        "-*/5 * * * * nice -n 10 /opt/bin/sync.py --all\n"
        "# name: tidy\n@hourly find /tmp -delete\n"
        "0 0 * * * sudo -u www /usr/bin/flock -n /tmp/lock /usr/local/bin/job.sh\n"
        "0 1 * * * /usr/local/bin/job.sh again\n"
    )
    assert [(e.name, e.line) for e in parsed.entries] == [("sync", 3), ("tidy", 5), ("job", 6), ("job-2", 7)]
    first = parsed.entries[0].spec
    assert first.expr == "*/5 * * * *" and first.command == ["nice -n 10 /opt/bin/sync.py --all"]
    assert first.env == {"HOME": "/srv", "GREETING": "hello world"} and first.cwd == "/srv"
    assert parsed.skipped == [] and parsed.notes == []
    with pytest.raises(transfer.TransferError, match=r"^line 2: CRON_TZ: unknown time zone 'Mars/Base'"):
        transfer.parse_crontab("0 0 * * * true\nCRON_TZ=Mars/Base\n")
    with pytest.raises(transfer.TransferError, match=r"^line 1: not a crontab entry"):
        transfer.parse_crontab("* * * *\n")
