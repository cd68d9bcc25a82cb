"""``health --format nagios``: one plugin line, ``SCHEDCLI STATE - text | perfdata``, and
exit codes 0-3 only (OK, WARNING, CRITICAL, UNKNOWN), whatever happens."""

from __future__ import annotations

import os
import re
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest

from schedcli.services.status import collect_status, nagios_check, nagios_line
from schedcli.store import Store

LINE = re.compile(r"^SCHEDCLI (OK|WARNING|CRITICAL|UNKNOWN) - ([^|\n]+?)(?: \| ([^|\n]+))?\n$")
# Nagios plugin guidelines: 'label'=value[UOM];[warn];[crit];[min];[max]
PERF = re.compile(r"^[a-z_]+=(-?[0-9.]+|U)(s|%|B|c)?(;[0-9:~@.]*){0,4}$")
STATE = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}


def nagios(cli, *args: str, db=None):
    r = cli("health", "--format", "nagios", *args, **({} if db is None else {"db": db}))
    match = LINE.match(r.stdout)
    assert match, repr(r.stdout)
    assert STATE[r.exit_code] == match.group(1)
    assert r.stderr == ""
    perf = {}
    if match.group(3):
        for item in match.group(3).split(" "):
            assert PERF.match(item), item
            label, value = item.split("=", 1)
            perf[label] = value
    return r.exit_code, match.group(2), perf


def test_ok_then_critical_for_a_failing_job_then_ok_when_disabled(cli):
    cli("add", "ok", "--cron", "0 3 * * *", "--", "true")
    cli("add", "bad", "--cron", "0 4 * * *", "--", "exit 7")
    assert cli("run-due").exit_code == 0  # a tick, nothing due
    code, text, perf = nagios(cli)
    assert code == 0
    assert re.fullmatch(r"2 jobs, last tick \d+s ago", text)
    assert perf["jobs"] == "2" and perf["failing"] == "0;;0" and perf["overdue"] == "0;0"
    assert re.fullmatch(r"\d+s;;180", perf["tick_age"])

    assert cli("run", "bad").exit_code == 1
    code, text, perf = nagios(cli)
    assert code == 2
    assert text.startswith("1 job failing: bad (error); 2 jobs, last tick ")
    assert perf["failing"] == "1;;0"

    cli("disable", "bad")  # a disabled job's failure is nobody's emergency
    code, text, perf = nagios(cli)
    assert code == 0 and text.startswith("2 jobs (1 disabled), last tick ")
    assert perf["failing"] == "0;;0"


def test_no_tick_is_critical(cli):
    cli("add", "j", "--every", "1h", "--", "true")
    code, text, perf = nagios(cli)
    assert code == 2 and text.startswith("no runner has ever ticked")
    assert perf["tick_age"] == "U;;180"


def test_overdue_is_warning_and_a_stale_tick_critical(cli, db_path):
    cli("add", "late", "--every", "1h", "--", "true")
    cli("run-due")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE jobs SET next_run_at = strftime('%s', 'now') - 600")
    code, text, perf = nagios(cli)
    assert code == 1
    assert text.startswith("1 job overdue: late; 1 job, last tick ")
    assert perf["overdue"] == "1;0"
    # the same, judged later (time is an argument): the tick is stale too, which is worse
    with Store(db_path) as store:
        later = collect_status(store, datetime.now(timezone.utc) + timedelta(minutes=20))
    code, line = nagios_check(later, max_tick_age=300)
    assert code == 2
    assert line.startswith("SCHEDCLI CRITICAL - no runner has ticked for 20m (limit 5m); 1 job overdue: late; 1 job | ")
    assert line.endswith(";;300")


def test_many_names_are_counted_not_listed(cli, db_path):
    for i in range(8):
        cli("add", f"j{i}", "--every", "1h", "--", "true")
    cli("run-due")
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE jobs SET next_run_at = strftime('%s', 'now') - 600")
    code, text, _ = nagios(cli)
    assert code == 1 and text.startswith("8 jobs overdue: j0, j1, j2, j3, j4 and 3 more; ")


def test_unknown_for_a_missing_database_which_is_not_created(cli, db_path):
    code, text, perf = nagios(cli)
    assert code == 3 and text == f"no database at {db_path}: nothing is scheduled there" and perf == {}
    assert not db_path.exists()


def test_unknown_for_a_corrupt_or_unsafe_database(cli, db_path, tmp_path):
    db_path.write_bytes(b"this is no database" * 100)
    os.chmod(db_path, 0o600)
    code, text, _ = nagios(cli)
    assert code == 3 and "is not a schedcli database or is corrupt" in text
    good = tmp_path / "home" / "good.db"
    cli("add", "j", "--every", "1h", "--", "true", db=good)
    os.chmod(good, 0o664)  # others could change the commands it holds
    code, text, _ = nagios(cli, db=good)
    assert code == 3 and text.startswith(f"refusing to use {good}: it is writable by group or others")


@pytest.mark.parametrize("args, words", [
    (["--max-tick-age", "soon"], "--max-tick-age"),
    (["--overdue-after", "0s"], "--overdue-after"),
    (["--no-such-option"], "unknown option --no-such-option"),
    (["--max-tick-age"], "requires an argument"),
    (["--json"], "not both"),
])
def test_unknown_for_any_invalid_option_never_an_error_line(cli, args, words):
    code, text, _ = nagios(cli, *args)
    assert code == 3 and words in text


def test_real_entry_point_one_line_on_stdout(sh, db_path):
    r = sh("health", "--format", "nagios")
    assert r.exit_code == 3
    assert r.stdout.startswith("SCHEDCLI UNKNOWN - no database at ") and r.stderr == ""
    sh("add", "j", "--every", "1h", "--", "true")
    sh("run-due")
    for args in (["health", "--format", "nagios"], ["health", "--format=nagios", "--max-tick-age", "5m"]):
        r = sh(*args)
        assert r.exit_code == 0 and r.stderr == ""
        assert LINE.match(r.stdout) and r.stdout.count("\n") == 1
    r = sh("health", "--format", "nagios", "--bogus")
    assert r.exit_code == 3 and r.stdout.startswith("SCHEDCLI UNKNOWN - unknown option --bogus")
    # other formats keep their exit codes
    assert sh("health", "--format", "json").json() == {"healthy": True, "problems": []}
    assert sh("health", "--bogus").exit_code == 2


def test_the_line_stays_one_line_whatever_a_message_holds():
    line = nagios_line(3, "database /tmp/a|b.db\nis broken", "jobs=1")
    assert line == "SCHEDCLI UNKNOWN - database /tmp/a/b.db is broken | jobs=1"


def test_only_health_is_a_plugin(cli):
    r = cli("add", "health", "--format", "nagios", "--every", "1h", "--", "true")
    assert r.exit_code == 2 and r.stderr.startswith("Error: ") and r.stdout == ""
    r = cli("health", "--format", "nagios", "--bogus", db=None)  # without --db too
    assert r.exit_code == 3 and r.stdout.startswith("SCHEDCLI UNKNOWN - ")
