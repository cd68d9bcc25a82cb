"""Per-job run totals (``job_run_totals``, kept by triggers on ``runs``, migration m009).

Whatever writes or deletes runs (claim, finish, retries, recovery after a crash, missed
and skipped entries, prune, ``rm``, import, a hand-made UPDATE), the totals must equal a
recount of the runs table, and ``stats`` of the whole history (read from the totals) must
equal the same numbers aggregated from the history. Real SQLite files throughout.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from schedcli.clock import ManualClock
from schedcli.engine import Engine
from schedcli.model import JobSpec
from schedcli.services.jobs import add_job
from schedcli.store import SCHEMA_VERSION, Store

from old_databases import database_before, insert_job

UTC = timezone.utc
T0 = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)
REAL = ("success", "warning", "error", "timeout", "interrupted")
FAILED = ("error", "timeout", "interrupted")
EVERYTHING = -1e18  # a --since window that holds every run: the aggregate queries


def recount(conn: sqlite3.Connection) -> dict[int, tuple]:
    """Each job's totals counted again from the runs table (jobs with counted runs only)."""
    found = {}
    for row in conn.execute(
        "SELECT job_id, sum(status = 'success'), sum(status = 'warning'), sum(status = 'error'), "
        "sum(status = 'timeout'), sum(status = 'interrupted'), sum(status = 'skipped'), "
        "sum(CASE WHEN status = 'missed' THEN coalesce(missed_count, 1) ELSE 0 END), "
        f"sum(status IN {REAL} AND duration_s IS NOT NULL), "
        f"max(CASE WHEN status IN {FAILED} THEN id END) "
        "FROM runs WHERE status != 'running' GROUP BY job_id"
    ):
        last = row[-1]
        status_at = conn.execute(
            "SELECT status, coalesce(finished_at, started_at, scheduled_for) FROM runs WHERE id = ?", (last,)
        ).fetchone() if last is not None else (None, None)
        found[row[0]] = (*row[1:], *status_at)
    return found


def kept(conn: sqlite3.Connection) -> dict[int, tuple]:
    """What the triggers keep, without the rows of jobs left with nothing counted."""
    rows = conn.execute(
        "SELECT job_id, success, warning, error, timeout, interrupted, skipped, missed, timed, "
        "last_failure_run, last_failure_status, last_failure_at FROM job_run_totals"
    ).fetchall()
    return {r[0]: tuple(r[1:]) for r in rows if any(r[1:9]) or r[9] is not None}


def assert_totals_match(store: Store) -> None:
    with store.read():
        counted = recount(store.conn)
        assert {k: v for k, v in counted.items() if any(v[:8]) or v[8] is not None} == kept(store.conn)
        # stats of the whole history (the totals) == the same from the history (aggregates)
        assert store.stats_summary(None) == store.stats_summary(EVERYTHING)
        assert store.stats_last_failures(None, None) == store.stats_last_failures(EVERYTHING, None)
        for job_id in counted:
            assert store.stats_summary(None, job_id) == store.stats_summary(EVERYTHING, job_id)
            assert store.stats_last_failures(None, job_id) == store.stats_last_failures(EVERYTHING, job_id)
        totals = {c.job_id: c.timed for c in store.stats_summary(None)}
        assert store.stats_percentiles(None, totals) == store.stats_percentiles(
            EVERYTHING, {c.job_id: c.timed for c in store.stats_summary(EVERYTHING)})


# -- any sequence of what writes runs -------------------------------------------------------------

job_pick = st.integers(0, 2)
run_pick = st.integers(0, 10_000)
duration = st.one_of(st.none(), st.floats(0, 1000, allow_nan=False).map(lambda d: round(d, 3)))
operation = st.one_of(
    st.tuples(st.just("claim"), job_pick),
    st.tuples(st.just("finish"), run_pick, st.sampled_from(REAL), duration),
    st.tuples(st.just("retry"), run_pick),
    st.tuples(st.just("recover"), run_pick, st.booleans()),
    st.tuples(st.just("missed"), job_pick, st.one_of(st.none(), st.integers(0, 50))),
    st.tuples(st.just("recount missed"), run_pick, st.one_of(st.none(), st.integers(0, 50))),
    st.tuples(st.just("skipped"), job_pick),
    st.tuples(st.just("import"), job_pick, st.sampled_from(REAL + ("missed", "skipped")), duration),
    st.tuples(st.just("rewrite"), run_pick, st.sampled_from(REAL + ("skipped",)), duration),
    st.tuples(st.just("prune by age"), st.integers(0, 60)),
    st.tuples(st.just("prune by count"), st.integers(0, 4), st.one_of(st.none(), job_pick)),
    st.tuples(st.just("rm"), job_pick),
)


class History:
    """Writes runs as schedcli's code paths do, each in its own BEGIN IMMEDIATE."""

    def __init__(self, store: Store):
        self.store = store
        self.clock = 0.0
        self.occurrence = 1_000_000
        self.jobs = [self._add(f"j{i}") for i in range(3)]

    def _add(self, name: str) -> int:
        return add_job(self.store, name, JobSpec(kind="every", expr="1h", timezone="UTC", command=["true"]), T0).id

    def _tick(self) -> float:
        self.clock += 1.0
        return self.clock

    def _row(self, job_idx: int, status: str, **extra) -> dict:
        job_id = self.jobs[job_idx]
        self.occurrence += 60
        return {"job_id": job_id, "job": f"job {job_id}", "trigger": "schedule",
                "scheduled_for": self.occurrence, "status": status, **extra}

    def _pick(self, k: int, where: str) -> tuple | None:
        rows = self.store.conn.execute(
            f"SELECT id, job_id, job, scheduled_for, attempt, started_at FROM runs WHERE {where} ORDER BY id"
        ).fetchall()
        return rows[k % len(rows)] if rows else None

    def apply(self, op: tuple) -> None:
        kind, *args = op
        with self.store.write():
            if kind == "claim":
                self.store.insert_run(self._row(args[0], "running", started_at=self._tick()))
            elif kind == "finish":
                found = self._pick(args[0], "status = 'running'")
                if found:
                    end = self._tick()
                    self.store.finish_run(found[0], {"status": args[1], "finished_at": end, "duration_s": args[2]})
            elif kind == "retry":
                found = self._pick(args[0], f"status IN {FAILED} AND trigger = 'schedule'")
                if found:
                    self.store.insert_run_once({
                        "job_id": found[1], "job": found[2], "trigger": "schedule", "scheduled_for": found[3],
                        "attempt": found[4] + 1, "status": "running", "started_at": self._tick()})
            elif kind == "recover":  # the runner died: interrupted, with a duration if it had started
                found = self._pick(args[0], "status = 'running'")
                if found:
                    now = self._tick()
                    self.store.update_run(found[0], {
                        "status": "interrupted", "finished_at": now,
                        "duration_s": (now - found[5]) if args[1] and found[5] is not None else None})
            elif kind == "missed":
                self.store.insert_run(self._row(args[0], "missed", missed_count=args[1], finished_at=self._tick()))
            elif kind == "recount missed":
                found = self._pick(args[0], "status = 'missed'")
                if found:
                    self.store.update_run(found[0], {"missed_count": args[1]})
            elif kind == "skipped":
                self.store.insert_run(self._row(args[0], "skipped", reason="still running", finished_at=self._tick()))
            elif kind == "import":
                start = self._tick()
                self.store.insert_run(self._row(args[0], args[1], started_at=start, finished_at=start + 0.5,
                                                duration_s=args[2] if args[1] in REAL else None))
            elif kind == "rewrite":  # a hand-made correction of a finished run
                found = self._pick(args[0], "status != 'running'")
                if found:
                    self.store.update_run(found[0], {"status": args[1], "duration_s": args[2]})
            elif kind == "prune by age":
                self.store.prune(older_than=self.clock - args[0])
            elif kind == "prune by count":
                job_id = None if args[1] is None else self.jobs[args[1]]
                self.store.prune(keep=args[0], job_id=job_id)
            elif kind == "rm":
                self.store.delete_job(self.jobs[args[0]])
        if kind == "rm":  # a job in its place (add_job has its own transaction)
            self.jobs[args[0]] = self._add(f"new{self._tick():.0f}")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(operation, max_size=40))
def test_totals_equal_a_recount_after_any_sequence_of_operations(ops):
    with tempfile.TemporaryDirectory() as tmp:  # 0700: a fresh database per example
        with Store(Path(tmp) / "schedcli.db") as store:
            history = History(store)
            for op in ops:
                history.apply(op)
                assert_totals_match(store)


# -- the engine itself ----------------------------------------------------------------------------


def test_totals_follow_the_engine_runs_retries_missed_recovery_prune_and_rm(db_path, cli):
    at = lambda minutes: T0 + timedelta(minutes=minutes)  # noqa: E731
    with Store(db_path) as store:
        spec = lambda **kw: JobSpec(kind="every", timezone="UTC", **kw)  # noqa: E731
        add_job(store, "ok", spec(expr="1m", command=["true"]), T0)
        add_job(store, "bad", spec(expr="1m", command=["sh", "-c", "exit 3"], retries=2, retry_delay=0), T0)
        add_job(store, "slow", spec(expr="1m", command=["true"]), T0)
        for minute in (1, 2):
            Engine(store, ManualClock(at(minute)), kill_grace=1.0).tick()
        assert_totals_match(store)
        # a runner that died with its run marked running: the next claim ends it, interrupted
        Engine(store, ManualClock(at(3)), kill_grace=1.0).claim(at(3))
        dead = subprocess.Popen([sys.executable, "-c", "pass"])
        dead.wait()
        with store.write():
            for run in store.running_runs():
                store.update_run(run.id, {"runner_pid": dead.pid, "runner_identity": "boot:gone"})
        # a long outage: one missed entry that counts its occurrences
        Engine(store, ManualClock(at(3 + 24 * 60)), kill_grace=1.0).tick()
        statuses = {r[0] for r in store.conn.execute("SELECT status FROM runs")}
        assert {"success", "error", "interrupted", "missed"} <= statuses
        assert_totals_match(store)
        with store.read():
            [ok] = [c for c in store.stats_summary(None) if c.job == "ok"]
        assert ok.missed > 1000 and ok.runs >= 3
    assert cli("prune", "--keep", "2").exit_code == 0
    with Store(db_path) as store:
        assert_totals_match(store)
    assert cli("rm", "bad", "--yes").exit_code == 0
    with Store(db_path) as store:
        assert_totals_match(store)
        assert store.conn.execute("SELECT count(*) FROM job_run_totals WHERE job_id NOT IN "
                                  "(SELECT id FROM jobs)").fetchone()[0] == 0


def test_rm_cascades_to_runs_through_the_delete_trigger(db_path):
    """SQLite fires DELETE triggers for rows an ON DELETE CASCADE removes; the totals row
    goes with the job, in whichever order SQLite takes the two cascades."""
    with Store(db_path) as store:
        job = add_job(store, "gone", JobSpec(kind="every", expr="1h", timezone="UTC", command=["true"]), T0)
        other = add_job(store, "stays", JobSpec(kind="every", expr="1h", timezone="UTC", command=["true"]), T0)
        with store.write():
            for i, status in enumerate(("success", "error", "missed", "skipped", "error")):
                for j in (job, other):
                    store.insert_run({"job_id": j.id, "job": j.name, "trigger": "manual", "scheduled_for": i,
                                      "status": status, "finished_at": float(i), "duration_s": 1.0})
        store.conn.execute("CREATE TEMP TABLE deleted (run_id)")
        store.conn.execute("CREATE TEMP TRIGGER seen AFTER DELETE ON runs BEGIN "
                           "INSERT INTO deleted VALUES (OLD.id); END")
        with store.write():
            assert store.delete_job(job.id) == 5
        assert store.conn.execute("SELECT count(*) FROM temp.deleted").fetchone()[0] == 5
        assert store.conn.execute("SELECT job_id FROM job_run_totals").fetchall() == [(other.id,)]
        assert_totals_match(store)


def test_prune_of_the_last_failure_falls_back_to_the_one_before(db_path):
    with Store(db_path) as store:
        job = add_job(store, "p", JobSpec(kind="every", expr="1h", timezone="UTC", command=["true"]), T0)
        with store.write():
            ids = [store.insert_run({"job_id": job.id, "job": "p", "trigger": "manual", "scheduled_for": i,
                                     "status": status, "started_at": float(i), "finished_at": i + 0.5})
                   for i, status in enumerate(("timeout", "success", "error", "success"))]

        def last():
            with store.read():
                return store.stats_last_failures(None, job.id).get(job.id)

        assert (last().run_id, last().status, last().at) == (ids[2], "error", 2.5)
        with store.write():
            store.conn.execute("DELETE FROM runs WHERE id = ?", (ids[2],))
        assert (last().run_id, last().status, last().at) == (ids[0], "timeout", 0.5)
        with store.write():
            store.prune(keep=2, job_id=job.id)  # the timeout goes too
        assert last() is None
        assert_totals_match(store)


def test_the_lookup_of_the_failure_before_reads_only_that_jobs_failures(db_path):
    """The trigger's lookup of the latest remaining failure goes through runs_stats, not a
    walk of all jobs' errors (runs_status) or of the job's newer runs (runs_job)."""
    with Store(db_path) as store:
        plan = store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT max(id + 0) FROM runs WHERE job_id = 1 "
            "AND status IN ('error', 'timeout', 'interrupted')").fetchall()
        trigger = store.conn.execute("SELECT sql FROM sqlite_master WHERE name = 'runs_totals_delete'").fetchone()[0]
    assert "COVERING INDEX runs_stats" in plan[-1][-1]
    assert "max(id + 0) FROM runs WHERE job_id = OLD.job_id AND status IN ('error', 'timeout', 'interrupted')" in trigger


# -- an older database: the totals are filled from its history --------------------------------------


def _m008_database(path: Path) -> None:
    with database_before(path, "m009_job_run_totals") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 8
        for name in ("alpha", "beta", "idle"):
            insert_job(conn, name, next_run_at=4000000000)
        rows = []
        for i in range(300):
            for job_id in (1, 2):
                status = ("success", "success", "error", "warning", "timeout", "missed", "skipped", "interrupted",
                          "success", "running")[(i * job_id) % 10]
                start = 1_700_000_000 + i * 60
                missed_count = None if status != "missed" else (i % 4 or None)
                dur = None if status in ("missed", "skipped", "running") or i % 13 == 0 else float((i * 7) % 50)
                rows.append((job_id, ("alpha", "beta")[job_id - 1], start, status,
                             None if status in ("missed", "skipped") else start + 0.25,
                             None if status in ("missed", "skipped", "running") else start + 3.0,
                             dur, missed_count))
        conn.executemany(
            "INSERT INTO runs (job_id, job, trigger, scheduled_for, status, started_at, finished_at, duration_s, "
            "missed_count) VALUES (?, ?, 'schedule', ?, ?, ?, ?, ?, ?)", rows)


def test_an_m008_database_upgrades_and_its_stats_read_as_before(db_path, cli, sh):
    _m008_database(db_path)
    # before the upgrade: what the aggregate queries give over the old schema (as m008 did)
    conn = sqlite3.connect(db_path)
    before = {r[0]: r[1:] for r in conn.execute(
        "SELECT job_id, count(*) FILTER (WHERE status IN ('success', 'warning', 'error', 'timeout', 'interrupted')), "
        "count(*) FILTER (WHERE status = 'skipped'), "
        "sum(CASE WHEN status = 'missed' THEN coalesce(missed_count, 1) ELSE 0 END), "
        "max(id) FILTER (WHERE status IN ('error', 'timeout', 'interrupted')) FROM runs GROUP BY job_id")}
    conn.close()
    with Store(db_path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert_totals_match(store)
        with store.read():
            summary = {c.job_id: c for c in store.stats_summary(None)}
            failures = store.stats_last_failures(None, None)
    for job_id, (runs, skipped, missed, last_failure) in before.items():
        counts = summary[job_id]
        assert (counts.runs, counts.skipped, counts.missed) == (runs, skipped, missed)
        assert failures[job_id].run_id == last_failure
    assert summary[3].runs == 0 and 3 not in failures

    # the output: every job over the whole history (totals) == over a window holding it all
    # (the aggregate queries of every version before)
    everything = ("--since", "36500d")
    assert cli("stats", "--json").stdout == cli("stats", "--json", *everything).stdout
    assert cli("stats", "beta", "--json").stdout == cli("stats", "beta", "--json", *everything).stdout
    table = sh("stats")
    assert table.exit_code == 0, table.stderr
    assert table.stdout == sh("stats", *everything).stdout
    assert [line.split()[0] for line in table.stdout.splitlines()[1:4]] == ["alpha", "beta", "idle"]
