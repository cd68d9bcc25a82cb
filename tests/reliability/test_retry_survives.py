"""A pending retry is stored: a runner killed during the retry delay, or while the
attempt runs, leaves it to the next tick, which runs it once when it is due."""

from __future__ import annotations

import json
import os
import subprocess
import time
from datetime import datetime, timedelta

from waiting import wait_for

from .helpers import UTC, add, history, iso, kill_quietly, read_pid, schedcli, start

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
# Fails on its first attempt, succeeds on the second.
FLAKY = '[ "$SCHEDCLI_ATTEMPT" = 2 ] && { echo second; exit 0; }; exit 3'


def cli(db_path, *args):
    env = dict(os.environ, COLUMNS="400")
    return subprocess.run(schedcli(db_path, *args), capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL, env=env)


def test_retry_pending_when_the_runner_dies_in_the_delay(db_path):
    add(db_path, "flaky", T0, kind="every", expr="1h", command=[FLAKY], retries=2, retry_delay=2)
    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(hours=1)))
    try:
        first = wait_for(lambda: [r for r in history(db_path) if r.retry_at is not None],
                         what="the first attempt to fail with a retry pending")[0]
        runner.kill()  # kill -9 during the retry delay
        runner.communicate(timeout=10)
    finally:
        if runner.poll() is None:
            runner.kill()
    assert (first.attempt, first.status) == (1, "error")
    assert [r.attempt for r in history(db_path)] == [1]  # the retry has not started
    # history and show display the pending retry and when it is due.
    shown = cli(db_path, "history", "flaky")
    assert "retry pending, due" in shown.stdout, shown.stdout
    assert "retry pending, due" in cli(db_path, "show", "flaky").stdout
    doc = json.loads(cli(db_path, "history", "--json").stdout)
    assert doc[0]["retry_due_at"] is not None
    # The next tick runs it when it is due, and only once.
    wait_for(lambda: time.time() >= first.retry_at, timeout=10, what="the retry to be due")
    tick = cli(db_path, "run-due", "--now", iso(T0 + timedelta(hours=1, minutes=1)))
    assert tick.returncode == 0, tick.stderr
    runs = history(db_path)
    assert [(r.attempt, r.status) for r in runs] == [(1, "error"), (2, "success")]
    assert runs[0].retry_at is None and runs[1].scheduled_for == runs[0].scheduled_for
    assert cli(db_path, "run-due", "--now", iso(T0 + timedelta(hours=1, minutes=2))).returncode == 0
    assert len(history(db_path)) == 2
    assert "retry pending" not in cli(db_path, "history", "flaky").stdout


def test_run_interrupted_by_the_runners_death_is_a_failed_attempt(tmp_path, db_path):
    pidfile = tmp_path / "job.pid"
    script = f'[ "$SCHEDCLI_ATTEMPT" = 2 ] && exit 0; echo $$ > {pidfile}; exec sleep 60'
    add(db_path, "long", T0, kind="every", expr="1h", command=[script], retries=1, retry_delay=0)
    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(hours=1)))
    job_pid = wait_for(lambda: read_pid(pidfile), what="the job to start")
    try:
        runner.kill()
        runner.communicate(timeout=10)
        tick = cli(db_path, "run-due", "--now", iso(T0 + timedelta(hours=1, minutes=1)))
        assert tick.returncode == 0, tick.stderr
        runs = history(db_path)
        assert [(r.attempt, r.status) for r in runs] == [(1, "interrupted"), (2, "success")]
        assert "died" in runs[0].reason and "retry 1 of 1" in runs[0].reason
    finally:
        kill_quietly(job_pid)


def test_a_claimed_retry_counts_for_the_overlap_policy(tmp_path, db_path):
    """The retry of a dead runner's run and the job's next occurrence, due at the same
    tick: under --overlap skip the occurrence is skipped, not run beside the retry."""
    pidfile = tmp_path / "job.pid"
    script = f'[ "$SCHEDCLI_ATTEMPT" = 2 ] && exit 0; echo $$ > {pidfile}; exec sleep 60'
    add(db_path, "long", T0, kind="every", expr="1h", command=[script], retries=1, retry_delay=0,
        overlap="skip")
    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(hours=1)))
    job_pid = wait_for(lambda: read_pid(pidfile), what="the job to start")
    try:
        runner.kill()
        runner.communicate(timeout=10)
        tick = cli(db_path, "run-due", "--now", iso(T0 + timedelta(hours=2)))
        assert tick.returncode == 0, tick.stderr
        runs = history(db_path)
        assert [(r.attempt, r.status) for r in runs] == [(1, "interrupted"), (2, "success"), (1, "skipped")]
        assert runs[2].scheduled_for == int((T0 + timedelta(hours=2)).timestamp())
        assert f"#{runs[1].id}" in runs[2].reason
    finally:
        kill_quietly(job_pid)
