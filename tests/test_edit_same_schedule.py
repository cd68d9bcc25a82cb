"""``edit NAME`` given the schedule the job already has leaves its next run where it is,
and messages count in words ("1 occurrence", "3 occurrences")."""

from __future__ import annotations

import sqlite3

import pytest


def _next_run(db_path) -> int:
    con = sqlite3.connect(db_path)
    try:
        return con.execute("SELECT next_run_at FROM jobs WHERE name = 'j'").fetchone()[0]
    finally:
        con.close()


def _set_next_run(db_path, value: int) -> None:
    con = sqlite3.connect(db_path)
    with con:
        con.execute("UPDATE jobs SET next_run_at = ? WHERE name = 'j'", (value,))
    con.close()


@pytest.mark.parametrize("schedule, again", [
    (["--every", "5m"], ["--every", "5m"]),
    (["--every", "5m"], ["--every", "300s"]),
    (["--cron", "*/5 * * * *"], ["--cron", "*/5 * * * *"]),
])
def test_the_same_schedule_again_does_not_move_the_next_run(cli, db_path, schedule, again):
    assert cli("add", "j", *schedule, "--tz", "UTC", "--", "true").exit_code == 0
    overdue = _next_run(db_path) - 3600  # the runner was down: the occurrence is owed
    _set_next_run(db_path, overdue)
    assert cli("edit", "j", *again, "--timeout", "1m").exit_code == 0
    assert _next_run(db_path) == overdue


def test_a_new_interval_does_move_the_next_run(cli, db_path):
    cli("add", "j", "--every", "5m", "--tz", "UTC", "--", "true")
    overdue = _next_run(db_path) - 3600
    _set_next_run(db_path, overdue)
    cli("edit", "j", "--every", "10m")
    assert _next_run(db_path) > overdue


@pytest.mark.parametrize("gap, words", [(2, "1 occurrence missed"), (4, "3 occurrences missed")])
def test_missed_entries_count_in_words(cli, gap, words):
    cli("add", "j", "--every", "1m", "--catch-up", "latest", "--", "true")
    cli("run-due", "--now", f"+{gap}m")
    reasons = [r["reason"] or "" for r in cli("history", "j", "--json").json()]
    assert any(reason.startswith(words + " from") for reason in reasons), reasons
    assert not any("(s)" in reason for reason in reasons)
