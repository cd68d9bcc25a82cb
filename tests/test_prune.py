"""History retention: prune by age and count, automatically or on demand."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from schedcli.clock import ManualClock
from schedcli.store import Store
from schedcli.engine import Engine
from schedcli.services.jobs import add_job
from schedcli.model import JobSpec
from schedcli.engine.retention import Retention

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def _setup(db_path, jobs=("a", "b"), runs=5):
    store = Store(db_path)
    for name in jobs:
        add_job(store, name, JobSpec(kind="every", expr="1m", timezone="UTC", command=["true"]), T0)
    clock = ManualClock(T0)
    engine = Engine(store, clock)
    for minute in range(1, runs + 1):
        clock.set(T0 + timedelta(minutes=minute))
        engine.tick()
    return store


def test_prune_keep_per_job(cli, db_path):
    _setup(db_path).close()
    r = cli("prune", "--keep", "2", "--dry-run", "--json")
    assert r.exit_code == 0 and r.json()["deleted"] == 6
    assert len(cli("history", "--limit", "100", "--json").json()) == 10
    r = cli("prune", "--keep", "2", "--json")
    assert r.json()["deleted"] == 6
    runs = cli("history", "--limit", "100", "--json").json()
    assert sorted((x["job"], x["scheduled_for"]) for x in runs) == [
        ("a", "2026-12-01T09:04:00Z"), ("a", "2026-12-01T09:05:00Z"),
        ("b", "2026-12-01T09:04:00Z"), ("b", "2026-12-01T09:05:00Z"),
    ]


def test_prune_keep_0_deletes_every_finished_run(cli, db_path):
    _setup(db_path).close()
    r = cli("prune", "--keep", "0", "--dry-run", "--json")
    assert r.exit_code == 0 and r.json()["deleted"] == 10
    r = cli("prune", "--keep", "0", "--job", "a", "--json")
    assert r.exit_code == 0 and r.json()["deleted"] == 5
    assert {x["job"] for x in cli("history", "--limit", "100", "--json").json()} == {"b"}
    assert cli("prune", "--keep", "0", "--json").json()["deleted"] == 5
    assert cli("history", "--json").json() == []
    assert [s["runs"] for s in cli("stats", "--json").json()] == [0, 0]


def test_prune_older_than_and_job_filter(db_path):
    store = _setup(db_path)
    with store.write():
        deleted = Retention(older_than=150).apply(store, (T0 + timedelta(minutes=5)).timestamp(), job_id=store.get_job("a").id)
    assert deleted == 2  # a's runs of 09:01 and 09:02 finished before 09:02:30
    assert len(store.history(job_id=store.get_job("a").id)) == 3
    assert len(store.history(job_id=store.get_job("b").id)) == 5
    assert store.get_output(1) is None  # output goes with the run


def test_auto_prune_after_every_run(cli, db_path):
    store = _setup(db_path, jobs=("a",), runs=1)
    store.close()
    r = cli("prune", "--keep", "3", "--auto", "--json")
    assert r.exit_code == 0 and r.json()["auto"] == {"older_than_s": None, "keep": 3}
    store = Store(db_path)
    engine = Engine(store, ManualClock(T0))
    for minute in range(2, 10):
        engine.tick(T0 + timedelta(minutes=minute))
    assert len(store.history(limit=100)) == 3
    store.close()
    assert cli("prune", "--no-auto").exit_code == 0
    store = Store(db_path)
    assert Retention.load(store).empty


def test_prune_needs_a_limit(cli):
    r = cli("prune")
    assert r.exit_code == 2 and r.stderr.startswith("Error: give --older-than")
    assert cli("prune", "--older-than", "0s").exit_code == 2
    assert cli("prune", "--keep", "-1").exit_code == 2
