"""kill -9 of a runner in the middle of a run: interrupted, orphan terminated, never rerun."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import datetime, timedelta

from waiting import wait_for

from .helpers import UTC, add, history, iso, kill_quietly, pid_exists, read_pid, start

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _sleeper(tmp_path):
    """First run: records its pid and sleeps (with a background grandchild); later runs finish."""
    pidfile = tmp_path / "job.pid"
    marker = tmp_path / "ran-once"
    grandchild = tmp_path / "grandchild.pid"
    script = (
        f"if [ -e {marker} ]; then echo second; exit 0; fi; touch {marker}; "
        f"sleep 1000 & echo $! > {grandchild}; echo $$ > {pidfile}; wait"
    )
    return script, pidfile, grandchild


def test_kill9_run_due_mid_run(tmp_path, db_path):
    script, pidfile, grandchild = _sleeper(tmp_path)
    add(db_path, "crashy", T0, kind="every", expr="1m", command=[script])
    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    job_pid = wait_for(lambda: read_pid(pidfile), what="the job to start")
    gc_pid = wait_for(lambda: read_pid(grandchild), what="the grandchild to start")
    runner.kill()  # kill -9: no cleanup, no final write
    runner.communicate(timeout=10)
    try:
        assert pid_exists(job_pid) and pid_exists(gc_pid)  # orphaned, still running
        assert [r.status for r in history(db_path)] == ["running"]

        nxt = subprocess.run(
            [sys.executable, "-m", "schedcli", "--db", str(db_path), "run-due", "--json",
             "--now", iso(T0 + timedelta(minutes=2))],
            capture_output=True, text=True, timeout=60,
        )
        assert nxt.returncode == 0, nxt.stderr
        runs = history(db_path)
        assert [(r.status, r.scheduled_for) for r in runs] == [
            ("interrupted", int((T0 + timedelta(minutes=1)).timestamp())),
            ("success", int((T0 + timedelta(minutes=2)).timestamp())),
        ]
        assert "died" in runs[0].reason
        wait_for(lambda: not pid_exists(job_pid) and not pid_exists(gc_pid), timeout=10,
                 what="the orphaned process group to be terminated")
        # The interrupted occurrence is never run again.
        again = subprocess.run(
            [sys.executable, "-m", "schedcli", "--db", str(db_path), "run-due", "--json",
             "--now", iso(T0 + timedelta(minutes=2, seconds=30))],
            capture_output=True, text=True, timeout=60,
        )
        assert again.returncode == 0 and again.stdout.strip() == "[]"
    finally:
        kill_quietly(job_pid)


def test_kill9_watch_mid_run(tmp_path, db_path):
    script, pidfile, grandchild = _sleeper(tmp_path)
    now = datetime.now(UTC).replace(microsecond=0)
    add(db_path, "crashy", now - timedelta(seconds=59), kind="every", expr="1m", command=[script])
    watch = start(db_path, "watch")
    job_pid = wait_for(lambda: read_pid(pidfile), what="the job to start")
    watch.send_signal(signal.SIGKILL)
    watch.communicate(timeout=10)
    try:
        assert pid_exists(job_pid)
        tick = subprocess.run(
            [sys.executable, "-m", "schedcli", "--db", str(db_path), "run-due"],
            capture_output=True, text=True, timeout=60,
        )
        assert tick.returncode == 0, tick.stderr
        assert history(db_path)[0].status == "interrupted"
        wait_for(lambda: not pid_exists(job_pid), timeout=10, what="orphan cleanup")
    finally:
        kill_quietly(job_pid)


def test_reused_pid_is_recognised_as_dead(tmp_path, db_path):
    """A stale row whose runner pid now belongs to an unrelated live process."""
    from schedcli.store import Store
    from schedcli.process import process_identity

    add(db_path, "j", T0, kind="every", expr="1m")
    unrelated = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        real = process_identity(unrelated.pid)
        assert real is not None
        with Store(db_path) as store, store.write():
            store.insert_run({
                "job_id": store.get_job("j").id, "job": "j", "trigger": "schedule",
                "scheduled_for": int((T0 + timedelta(minutes=1)).timestamp()), "status": "running",
                "started_at": T0.timestamp(),
                "runner_pid": unrelated.pid,  # the pid is alive ...
                "runner_identity": real.rsplit(":", 1)[0] + ":1",  # ... but started at another time
                "pid": unrelated.pid, "pid_identity": real.rsplit(":", 1)[0] + ":1",
            })
            store.update_job(store.get_job("j").id, {"next_run_at": int((T0 + timedelta(minutes=2)).timestamp())})
        r = subprocess.run(
            [sys.executable, "-m", "schedcli", "--db", str(db_path), "run-due", "--now",
             iso(T0 + timedelta(minutes=2))], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert [x.status for x in history(db_path)] == ["interrupted", "success"]
        # the unrelated process was not touched
        assert unrelated.poll() is None
    finally:
        unrelated.kill()
        unrelated.wait()
