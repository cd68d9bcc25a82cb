"""A clock set far forward and back does not stall jobs for years, and says so."""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta

from schedcli.store import Store

from .helpers import UTC, add, history, iso, schedcli


def cli(db_path, *args):
    return subprocess.run(schedcli(db_path, *args), capture_output=True, text=True, timeout=120,
                          stdin=subprocess.DEVNULL)


def test_clock_forward_ten_years_and_back(db_path):
    now = datetime.now(UTC).replace(microsecond=0)
    add(db_path, "minutely", now - timedelta(minutes=5), kind="every", expr="1m")
    add(db_path, "daily", now - timedelta(days=2), kind="cron", expr="0 3 * * *")
    future = now + timedelta(days=3653)
    assert cli(db_path, "run-due", "--now", iso(future)).returncode == 0
    handled = {(r.job, r.scheduled_for) for r in history(db_path)}
    with Store(db_path) as store:
        assert store.get_job("minutely").next_run_at > future.timestamp()
    # Back to real time: a plain tick (the one cron starts) recomputes the next runs.
    tick = cli(db_path, "run-due")
    assert tick.returncode == 0, tick.stderr
    with Store(db_path) as store:
        minutely, daily = store.get_job("minutely"), store.get_job("daily")
    real = datetime.now(UTC).timestamp()
    assert real < minutely.next_run_at <= real + 61
    assert real < daily.next_run_at <= real + 86400
    # The next minute's occurrence runs (not in 2036); nothing handled is replayed.
    later = datetime.fromtimestamp(minutely.next_run_at, UTC)
    assert cli(db_path, "run-due", "--now", iso(later)).returncode == 0
    runs = history(db_path)
    assert ("minutely", minutely.next_run_at) in {(r.job, r.scheduled_for) for r in runs if r.status == "success"}
    keys = [(r.job, r.scheduled_for, r.attempt) for r in runs]
    assert len(keys) == len(set(keys))
    assert handled <= {(r.job, r.scheduled_for) for r in runs}
    # status and health report it.
    health = cli(db_path, "health", "--json")
    assert health.returncode == 1
    problems = json.loads(health.stdout)["problems"]
    assert any("clock went back" in p and "2 jobs" in p for p in problems), problems
    status = json.loads(cli(db_path, "status", "--json").stdout)
    assert "clock went back" in status["clock_warning"]


def test_a_claim_slightly_earlier_changes_nothing(db_path):
    now = datetime.now(UTC).replace(microsecond=0)
    add(db_path, "minutely", now - timedelta(minutes=5), kind="every", expr="1m")
    assert cli(db_path, "run-due", "--now", iso(now + timedelta(seconds=30))).returncode == 0
    with Store(db_path) as store:
        before = store.get_job("minutely").next_run_at
    assert cli(db_path, "run-due", "--now", iso(now)).returncode == 0
    with Store(db_path) as store:
        assert store.get_job("minutely").next_run_at == before
    assert json.loads(cli(db_path, "status", "--json").stdout)["clock_warning"] is None
