"""Engine semantics with real SQLite files and real child processes; time is passed in."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from schedcli.clock import ManualClock
from schedcli.store import Store
from schedcli.engine import Engine, decide
from schedcli.services.jobs import add_job, job_schedule, set_enabled
from schedcli.model import JobSpec
from waiting import wait_for

UTC = timezone.utc
T0 = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)


def at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


@pytest.fixture
def store(db_path):
    s = Store(db_path)
    yield s
    s.close()


def add(store, name, now=T0, **kw):
    command = kw.pop("command", ["true"])
    spec = JobSpec(command=command, timezone=kw.pop("timezone", "UTC"), **kw)
    return add_job(store, name, spec, now)


def engine(store, now=T0, **kw):
    return Engine(store, ManualClock(now), kill_grace=1.0, **kw)


def statuses(store, name=None):
    job_id = store.get_job(name).id if name else None
    return [(r.status, r.scheduled_for) for r in reversed(store.history(job_id=job_id, limit=1000))]


def ts(dt):
    return int(dt.timestamp())


# -- the grid ----------------------------------------------------------------------


def test_every_grid_first_run_one_period_after_creation(store):
    job = add(store, "g", kind="every", expr="30m", now=at(0, 17))
    assert job.next_run_at == ts(at(30, 17))
    sched = job_schedule(job)
    assert sched.next_after(at(30, 17)) == at(60, 17)
    assert sched.next_after(at(45)) == at(60, 17)


def test_every_grid_survives_late_ticks(store):
    add(store, "g", kind="every", expr="10m")
    e = engine(store)
    e.tick(at(10, 42))  # 42 s late
    job = store.get_job("g")
    assert job.next_run_at == ts(at(20))  # still on the grid, not "now + 10m"


def test_cron_next_run(store):
    job = add(store, "c", kind="cron", expr="15 * * * *")
    assert job.next_run_at == ts(at(15))


# -- catch-up arithmetic ---------------------------------------------------------------


def _job(store, **kw):
    return add(store, "x", kind="every", expr="1h", **kw)


@pytest.mark.parametrize(
    "policy, expect_run, expect_missed",
    [
        # due at 10:00..15:00 (6 occurrences); now 15:10; grace 1h -> 15:00 within grace, 14:10.. cutoff
        ("latest", [15], (5, 10, 14)),
        ("all", [15], (5, 10, 14)),
        ("none", [], (6, 10, 15)),
    ],
)
def test_decide_policies_one_in_grace(store, policy, expect_run, expect_missed):
    job = _job(store, catch_up=policy)
    now = T0.replace(hour=15, minute=10)
    d = decide(job, job_schedule(job), now)
    assert [datetime.fromtimestamp(t, UTC).hour for t in d.run] == expect_run
    count, first_h, last_h = expect_missed
    assert d.missed_count == count
    assert datetime.fromtimestamp(d.missed_first, UTC).hour == first_h
    assert datetime.fromtimestamp(d.missed_last, UTC).hour == last_h
    assert d.next_run_at == ts(T0.replace(hour=16))


def test_decide_all_runs_every_occurrence_within_grace(store):
    job = add(store, "x", kind="every", expr="10m", catch_up="all", grace=1800)
    now = at(65)  # due 09:10 .. 10:00 (6); grace 30m -> 09:35..10:05 -> 09:40, 09:50, 10:00
    d = decide(job, job_schedule(job), now)
    assert d.run == [ts(at(40)), ts(at(50)), ts(at(60))]
    assert (d.missed_count, d.missed_first, d.missed_last) == (3, ts(at(10)), ts(at(30)))


def test_decide_latest_within_grace_no_missed_when_on_time(store):
    job = add(store, "x", kind="every", expr="10m")
    d = decide(job, job_schedule(job), at(10, 30))
    assert d.run == [ts(at(10))] and d.missed_count == 0


def test_decide_nothing_within_grace(store):
    job = add(store, "x", kind="cron", expr="0 9 * * *", grace=600)  # next: tomorrow 09:00
    now = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)  # 30 min late, grace 10 min
    d = decide(job, job_schedule(job), now)
    assert d.run == []
    assert d.missed_count == 1 and d.missed_first == d.missed_last == ts(datetime(2026, 12, 2, 9, tzinfo=UTC))


def test_long_outage_is_one_missed_entry(store):
    add(store, "m", kind="cron", expr="* * * * *")
    e = engine(store)
    later = T0 + timedelta(days=30, seconds=5)
    result = e.tick(later)
    runs = store.history(limit=100)
    assert [r.status for r in runs] == ["success", "missed"]
    missed = runs[1]
    assert missed.missed_count == 30 * 24 * 60 - 1
    assert missed.missed_first == ts(at(1))
    assert missed.missed_last == ts(later.replace(second=0) - timedelta(minutes=1))
    assert result.runs[-1].scheduled_for == ts(later.replace(second=0))


# -- ticks ---------------------------------------------------------------------------


def test_tick_runs_once_and_records(store):
    add(store, "a", kind="every", expr="5m", command=["echo hi"])
    e = engine(store)
    assert e.tick(at(4)).runs == []
    r = e.tick(at(5))
    assert [(x.status, x.scheduled_for, x.trigger) for x in r.runs] == [("success", ts(at(5)), "schedule")]
    assert e.tick(at(5)).runs == []  # same instant again: nothing
    assert store.get_output(r.runs[0].id)[0] == b"hi\n"


def test_clock_set_back_never_replays(store):
    add(store, "a", kind="every", expr="5m")
    e = engine(store)
    e.tick(at(5))
    e.tick(at(10))
    assert len(store.history()) == 2
    e.tick(at(6))  # clock went back
    e.tick(at(9))
    e.tick(at(10))  # and forward again to an instant already handled
    assert len(store.history()) == 2
    e.tick(at(15))
    assert [s for s, _ in statuses(store)] == ["success"] * 3


def test_dry_run_changes_nothing(store, db_path):
    add(store, "a", kind="every", expr="5m")
    before = db_path.read_bytes()
    planned = engine(store).tick(at(20), dry_run=True).planned
    assert [(p.action, p.scheduled_for) for p in planned] == [("missed", at(15)), ("run", at(20))]
    assert store.history() == []
    assert store.get_job("a").next_run_at == ts(at(5))
    assert db_path.read_bytes() == before


def test_disabled_job_does_not_run_and_enable_does_not_catch_up(store):
    add(store, "a", kind="every", expr="5m", enabled=False)
    e = engine(store)
    assert e.tick(at(30)).runs == []
    set_enabled(store, "a", True, at(32))
    assert e.tick(at(33)).runs == []  # nothing missed while disabled
    r = e.tick(at(35))
    assert [x.status for x in r.runs] == ["success"]


def test_failure_timeout_statuses(store):
    add(store, "fail", kind="every", expr="5m", command=["sh", "-c", "exit 4"])
    add(store, "slow", kind="every", expr="5m", command=["sleep", "30"], timeout=0.5)
    r = engine(store).tick(at(5))
    by_job = {x.job: x for x in r.runs}
    assert by_job["fail"].status == "error" and by_job["fail"].exit_code == 4
    assert by_job["slow"].status == "timeout"
    assert by_job["slow"].duration_s < 5
    assert not r.ok


def test_missing_executable_is_error(store):
    add(store, "nope", kind="every", expr="5m", command=["/nonexistent/tool", "x"])
    r = engine(store).tick(at(5))
    assert r.runs[0].status == "error"
    assert b"nonexistent" in store.get_output(r.runs[0].id)[0]


def test_job_environment(store, tmp_path):
    add(store, "env", kind="every", expr="5m", env={"GREETING": "hello"}, cwd=str(tmp_path),
        command=['echo "$GREETING $SCHEDCLI_JOB $SCHEDCLI_TRIGGER $SCHEDCLI_SCHEDULED_FOR $PWD"; cat'])
    r = engine(store).tick(at(5))
    out = store.get_output(r.runs[0].id)[0].decode()
    assert out == f"hello env schedule 2026-12-01T09:05:00Z {tmp_path}\n"


def test_parallel_runs_of_one_tick(store, tmp_path):
    # Four jobs that each wait until all four have started: only possible in parallel.
    flag_dir = tmp_path / "flags"
    flag_dir.mkdir()
    script = (
        f'touch {flag_dir}/$SCHEDCLI_JOB; i=0; while [ $(ls {flag_dir} | wc -l) -lt 4 ]; do '
        'i=$((i+1)); [ $i -gt 200 ] && exit 9; sleep 0.05; done'
    )
    for n in range(4):
        add(store, f"p{n}", kind="every", expr="5m", command=[script])
    r = engine(store, max_parallel=4).tick(at(5))
    assert sorted(x.status for x in r.runs) == ["success"] * 4


def test_overlap_skip_while_running(store):
    add(store, "o", kind="every", expr="1m")
    e = engine(store)
    claims, _ = e.claim(at(1))  # claimed (running) but not finished
    assert len(claims) == 1
    e.claim(at(2))
    history = store.history()
    assert [r.status for r in history] == ["skipped", "running"]
    assert "still running" in history[0].reason


def test_overlap_allow(store):
    add(store, "o", kind="every", expr="1m", overlap="allow")
    e = engine(store)
    e.claim(at(1))
    claims, _ = e.claim(at(2))
    assert len(claims) == 1
    assert [r.status for r in store.history()] == ["running", "running"]


def test_runner_crash_marks_interrupted_and_does_not_rerun(store):
    add(store, "c", kind="every", expr="1m")
    e = engine(store)
    e.claim(at(1))
    # Simulate the row belonging to a runner that has died: a finished process's pid.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    run = store.history()[0]
    with store.write():
        store.update_run(run.id, {"runner_pid": dead.pid, "runner_identity": "boot:123"})
    r = engine(store).tick(at(2))
    history = store.history()
    assert [(h.status, h.scheduled_for) for h in reversed(history)] == [
        ("interrupted", ts(at(1))),
        ("success", ts(at(2))),
    ]
    assert "died" in history[1].reason
    assert [x.status for x in r.runs] == ["success"]


def test_retries_each_attempt_recorded(store):
    add(store, "r", kind="every", expr="1h", command=["sh", "-c", "exit 5"], retries=2, retry_delay=0)
    r = engine(store).tick(at(60))
    assert [(x.attempt, x.status) for x in r.runs] == [(1, "error"), (2, "error"), (3, "error")]
    assert len({x.scheduled_for for x in r.runs}) == 1


def test_a_large_tick_reports_every_run_in_order_with_retries(store):
    # More runs than one query binds (500), each with its retries, and other jobs' runs
    # that the tick did not create are left out.
    add(store, "other", kind="every", expr="100m", command=["true"])
    assert len(engine(store).tick(at(100)).runs) == 1
    for n in range(520):
        add(store, f"j{n:03d}", at(60), kind="every", expr="1h", command=["true"])
    add(store, "flaky", at(60), kind="every", expr="1h", command=["sh", "-c", "exit 5"], retries=1, retry_delay=0)
    r = engine(store, max_parallel=8).tick(at(120))
    assert [x.id for x in r.runs] == sorted(x.id for x in r.runs)
    assert len(r.runs) == 520 + 2
    assert "other" not in {x.job for x in r.runs}
    assert [(x.attempt, x.status) for x in r.runs if x.job == "flaky"] == [(1, "error"), (2, "error")]


def test_silent_run_stores_no_output_row(store):
    add(store, "quiet", kind="every", expr="1h", command=["true"])
    add(store, "loud", kind="every", expr="1h", command=["echo", "hi"])
    r = engine(store).tick(at(60))
    by_job = {x.job: x for x in r.runs}
    assert store.get_output(by_job["quiet"].id) is None
    assert store.get_output(by_job["loud"].id) == (b"hi\n", False, 3)


def test_manual_run_does_not_move_schedule(store):
    job = add(store, "m", kind="every", expr="1h")
    run = engine(store).run_now("m", now=at(10))
    assert run.trigger == "manual" and run.status == "success"
    assert store.get_job("m").next_run_at == job.next_run_at


def test_manual_run_refused_while_running_unless_force(store):
    from schedcli.errors import Overlap

    add(store, "m", kind="every", expr="1m")
    e = engine(store)
    e.claim(at(1))
    with pytest.raises(Overlap):
        e.run_now("m", now=at(1, 10))
    run = e.run_now("m", now=at(1, 20), force=True)
    assert run.status == "success"


def test_collectors(store):
    add(store, "ok", kind="every", expr="5m", command=None, collector="demo-ok", params={"city": "Lyon"})
    add(store, "warn", kind="every", expr="5m", command=None, collector="demo-warn", params={"source": "s1"})
    add(store, "fail", kind="every", expr="5m", command=None, collector="demo-fail")
    add(store, "modfn", kind="every", expr="5m", command=None, collector="schedcli_demo_plugin:collect_ok")
    r = engine(store).tick(at(5))
    by_job = {x.job: x for x in r.runs}
    assert by_job["ok"].status == "success"
    assert by_job["warn"].status == "warning"
    assert by_job["fail"].status == "error"
    assert by_job["modfn"].status == "success"
    import json as _json

    doc = _json.loads(store.get_output(by_job["ok"].id)[0])
    assert doc == {"job": "ok", "run_id": by_job["ok"].id, "params": {"city": "Lyon"},
                   "scheduled_for": "2026-12-01T09:05:00Z", "trigger": "schedule"}
    assert b"partial data for s1" in store.get_output(by_job["warn"].id)[0]
    assert b"source unreachable" in store.get_output(by_job["fail"].id)[0]


def test_unknown_collector_rejected(store):
    from schedcli.errors import InvalidValue

    with pytest.raises(InvalidValue):
        add(store, "x", kind="every", expr="5m", command=None, collector="not-registered")
    with pytest.raises(InvalidValue):
        add(store, "y", kind="every", expr="5m", command=None, collector="no_such_module_xyz:f")


def _process_start_epoch(stat_line: str) -> float:
    """When the process whose /proc/PID/stat line this is was created (clock-tick precision)."""
    fields = stat_line[stat_line.rindex(")") + 2 :].split()
    btime = next(int(line.split()[1]) for line in open("/proc/stat") if line.startswith("btime "))
    return btime + int(fields[19]) / os.sysconf("SC_CLK_TCK")


def test_watch_holds_the_process_ready_and_lets_it_run_at_the_instant(store):
    import threading

    from schedcli.clock import SystemClock

    now = datetime.now(timezone.utc)
    due = int(now.timestamp()) + 3
    script = 'echo "$SCHEDCLI_RUN_ID $SCHEDCLI_SCHEDULED_FOR $SCHEDCLI_TRIGGER $SCHEDCLI_ATTEMPT"; date +%s.%N; cat /proc/$$/stat'
    when = datetime.fromtimestamp(due, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    add(store, "held", now, kind="at", expr=when, command=[script])
    e = Engine(store, SystemClock(), kill_grace=1.0)
    watcher = threading.Thread(target=e.watch, kwargs={"poll": 0.2})
    watcher.start()
    try:
        runs = wait_for(lambda: [r for r in store.history(limit=10) if r.status != "running"], timeout=20,
                        what="the job to run")
    finally:
        e.stop.set()
        watcher.join(20)
    [run] = runs
    assert run.status == "success" and run.scheduled_for == due
    env_line, started, stat = store.get_output(run.id)[0].decode().splitlines()
    assert env_line == f"{run.id} {when} schedule 1"
    assert float(started) >= due  # never before its time...
    assert float(started) < due + 2
    assert _process_start_epoch(stat) < due - 0.2  # ...from a process made ahead of it


def test_a_held_process_serves_only_an_unchanged_job(store, tmp_path):
    from schedcli.services.jobs import edit_job

    old, new = tmp_path / "old", tmp_path / "new"
    add(store, "j", kind="every", expr="1h", command=[f": > {old}"])
    add(store, "k", kind="every", expr="1h", command=["echo k"])
    e = engine(store)
    due = int(at(60).timestamp())
    e.executor.prepare_held(due, deadline=time.monotonic() + 30)
    gates = dict(e.executor.held.gates)
    assert set(gates) == {store.get_job("j").id, store.get_job("k").id}
    edit_job(store, "j", JobSpec(command=[f": > {new}"]), at(30))
    r = e.tick(at(60))
    assert sorted((x.job, x.status) for x in r.runs) == [("j", "success"), ("k", "success")]
    assert new.exists() and not old.exists()  # the stale process was cancelled, never run
    by_job = {x.job: x for x in r.runs}
    assert by_job["k"].pid == gates[store.get_job("k").id][2].running.pid  # the held one ran
    assert by_job["j"].pid != gates[store.get_job("j").id][2].running.pid
    assert e.executor.held.gates == {}


def test_held_processes_whose_time_passed_unclaimed_are_cancelled(store, tmp_path):
    marker = tmp_path / "ran"
    add(store, "j", kind="every", expr="1h", command=[f": > {marker}"])
    e = engine(store)
    e.executor.prepare_held(int(at(60).timestamp()), deadline=time.monotonic() + 30)
    [(_, _, gate)] = e.executor.held.gates.values()
    set_enabled(store, "j", False, at(59))
    assert e.tick(at(60)).runs == []
    e.executor.held.cancel(through=int(at(60).timestamp()))
    outcome = gate.running.wait()
    assert outcome.exit_code == 0 and not marker.exists()


def test_the_jobs_own_env_comes_on_top_of_the_run_variables(store):
    script = 'echo "$SCHEDCLI_TRIGGER $SCHEDCLI_ATTEMPT $SCHEDCLI_RUN_ID"'
    add(store, "mine", kind="every", expr="1h", command=[script], env={"SCHEDCLI_TRIGGER": "mine"})
    add(store, "plain", kind="every", expr="1h", command=[script])
    e = engine(store)
    e.executor.prepare_held(int(at(60).timestamp()), deadline=time.monotonic() + 30)  # held or not: the same
    r = e.tick(at(60))
    out = {x.job: store.get_output(x.id)[0].decode() for x in r.runs}
    ids = {x.job: x.id for x in r.runs}
    assert out == {"mine": f"mine 1 {ids['mine']}\n", "plain": f"schedule 1 {ids['plain']}\n"}


class _JumpingClock(ManualClock):
    """Virtual time that jumps ahead when the engine sleeps (its monotonic clock is real)."""

    def sleep(self, seconds: float, until=None) -> bool:
        if seconds > 0:
            self.advance(seconds)
        return bool(until is not None and until.is_set())


@pytest.mark.parametrize("lead", [1.02, 1.0, 0.3])
def test_watch_prepares_the_process_within_the_lead_time_and_uses_it(store, monkeypatch, lead):
    from schedcli import process

    made = []
    real_prepare = process.prepare

    def prepare(spec):
        made.append(real_prepare(spec))
        return made[-1]

    monkeypatch.setattr(process, "prepare", prepare)
    due = at(60)
    add(store, "once", kind="at", expr=due.strftime("%Y-%m-%dT%H:%M:%SZ"), command=["true"])
    e = Engine(store, _JumpingClock(due - timedelta(seconds=lead)), kill_grace=1.0,
               on_finish=lambda run: e.stop.set())
    e.watch(poll=1.0)
    [run] = store.history(limit=10)
    assert run.status == "success" and run.scheduled_for == ts(due)
    assert len(made) == 1 and made[0] is not None
    assert run.pid == made[0].running.pid  # the held process became the job
    assert e.executor.held.gates == {}


# -- the finish of a run never loses a step ---------------------------------------------


def _hooked_engine(store, clock, **kw):
    from schedcli.config import Hooks
    from schedcli.services.notify import Notifier

    def record(run_id, result):
        with store.write():
            store.record_hook(run_id, result.event, result.target, result.ok, result.detail, T0.timestamp())

    return Engine(store, clock, kill_grace=1.0, notifier=Notifier(Hooks(), 30.0, record), **kw)


def _hook_count(store, runs) -> int:
    return sum(len(store.hook_results(r.id)) for r in runs)


def test_a_failing_report_does_not_stop_retries_or_hooks(store, tmp_path):
    log = tmp_path / "hooks.log"
    add(store, "flaky", kind="every", expr="1h", command=["sh", "-c", "exit 3"], retries=1, retry_delay=0,
        on_failure=f"echo $SCHEDCLI_RUN_ID >> {log}")
    warnings = []

    def report(run):
        raise RuntimeError(f"cannot print run {run.id}")

    e = _hooked_engine(store, ManualClock(at(60)), on_finish=report, on_warning=warnings.append)
    r = e.tick(at(60))
    assert [(x.attempt, x.status) for x in r.runs] == [(1, "error"), (2, "error")]
    assert sorted(log.read_text().split()) == sorted(str(x.id) for x in r.runs)
    assert _hook_count(store, r.runs) == 2
    assert warnings == [f"the report of run #{x.id} failed: cannot print run {x.id}" for x in r.runs]


def test_six_failing_jobs_at_once_under_watch_all_retry_and_run_their_hooks(store, tmp_path):
    import threading

    from schedcli.clock import SystemClock

    log = tmp_path / "hooks.log"
    now = datetime.now(timezone.utc)
    when = datetime.fromtimestamp(int(now.timestamp()) + 2, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for n in range(6):
        add(store, f"fail{n}", now, kind="at", expr=when, command=["sh", "-c", "exit 3"], retries=1, retry_delay=0,
            on_failure=f"echo $SCHEDCLI_RUN_ID >> {log}")
    finished, warnings = [], []
    e = _hooked_engine(store, SystemClock(), max_parallel=8, on_finish=finished.append, on_warning=warnings.append)
    watcher = threading.Thread(target=e.watch, kwargs={"poll": 0.2})
    watcher.start()
    try:
        wait_for(lambda: len(finished) >= 12, what="12 attempts")
        runs = [r for r in store.history(limit=100)]
        wait_for(lambda: _hook_count(store, runs) >= 12, what="12 hooks")
    finally:
        e.stop.set()
        watcher.join(30)
    assert not watcher.is_alive()
    assert len(runs) == 12 and {r.status for r in runs} == {"error"}
    assert sorted((r.job, r.attempt) for r in runs) == sorted((f"fail{n}", a) for n in range(6) for a in (1, 2))
    assert _hook_count(store, runs) == 12
    assert sorted(log.read_text().split()) == sorted(str(r.id) for r in runs)
    assert len(finished) == 12 and warnings == []
