"""kill -9 while a tick starts its jobs: the next tick finds every process it started
(by the run id and database in their environment) and ends it before anything else
of those jobs starts."""

from __future__ import annotations

import subprocess
import os
import signal
import time
from datetime import datetime, timedelta

from waiting import wait_for

from schedcli.store import Store

from .helpers import UTC, add, history, iso, pid_exists, read_pid, schedcli, start

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
JOBS = 16


def _pids(folder):
    return {p.name: read_pid(p) for p in folder.iterdir()} if folder.exists() else {}


def test_kill9_while_starting_leaves_no_process_behind(tmp_path, db_path):
    first, second, done = tmp_path / "first", tmp_path / "second", tmp_path / "go-on"
    first.mkdir()
    second.mkdir()
    # First tick: each job records its pid and sleeps.  Second tick: each job reports
    # any process of the first tick still alive, zombies aside (it must be none).
    script = (
        f"if [ -e {done} ]; then echo $$ > {second}/$SCHEDCLI_JOB; "
        f"for p in $(cat {first}/*); do s=$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null); "
        f"[ -n \"$s\" ] && [ \"$s\" != Z ] && echo overlap $p; done; exit 0; fi; "
        f"echo $$ > {first}/$SCHEDCLI_JOB; exec sleep 60"
    )
    for i in range(JOBS):
        add(db_path, f"j{i:02}", T0, kind="every", expr="1m", command=[script], overlap="skip")
    runner = start(db_path, "run-due", "--max-parallel", str(JOBS), "--now", iso(T0 + timedelta(minutes=1)))
    try:
        # (A kill at the first start leaves fewer processes, some of them not yet
        # recorded: see the state made below.)
        wait_for(lambda: len([p for p in _pids(first).values() if p]) == JOBS, timeout=30,
                 what="every job to start")
        runner.kill()  # kill -9
        runner.communicate(timeout=10)
        # What had been started goes on running, unsupervised, until the next tick.
        started = _pids(first)
        assert len([pid for pid in started.values() if pid_exists(pid)]) == JOBS
        # A crash between the starts and the one transaction that records their pids
        # leaves no pid: make it so for half the runs, whichever instant the kill came.
        with Store(db_path) as store, store.write():
            for run in store.running_runs()[: JOBS // 2]:
                store.update_run(run.id, {"pid": None, "pid_identity": None, "started_at": None})
        t0 = time.monotonic()
        done.touch()
        nxt = subprocess.run(schedcli(db_path, "run-due", "--max-parallel", str(JOBS), "--now",
                                      iso(T0 + timedelta(minutes=2))),
                             capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        assert "Traceback" not in nxt.stderr, nxt.stderr
        elapsed = time.monotonic() - t0
        # Every process of the first tick is gone, found through its environment
        # whether or not its pid had been recorded.
        left = [pid for pid in _pids(first).values() if pid and pid_exists(pid)]
        assert left == []
        assert elapsed < 30, elapsed
        runs = history(db_path)
        first_runs = [r for r in runs if r.scheduled_for == int((T0 + timedelta(minutes=1)).timestamp())]
        assert first_runs and all(r.status in ("interrupted", "success", "error") for r in first_runs)
        assert all(r.status != "running" for r in runs)
        interrupted = [r for r in first_runs if r.status == "interrupted"]
        assert interrupted
        for r in interrupted:
            assert "died" in r.reason
        # The occurrences of the second tick ran after the first tick's processes were gone.
        second_runs = [r for r in runs if r.scheduled_for == int((T0 + timedelta(minutes=2)).timestamp())]
        assert len(second_runs) == JOBS and {r.status for r in second_runs} == {"success"}
        with Store(db_path) as store:
            outputs = [store.get_output(r.id) for r in second_runs]
        assert [o for o in outputs if o is not None and b"overlap" in o[0]] == []
    finally:
        for pid in _pids(first).values():
            if pid and pid_exists(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
