"""SIGTERM/SIGINT to a runner while jobs run: forwarded, recorded, exit 143/130, nothing left behind."""

from __future__ import annotations

import signal
from datetime import datetime, timedelta

import pytest

from schedcli.store import Store

from waiting import wait_for

from .helpers import UTC, add, history, iso, kill_quietly, pid_exists, read_pid, start

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _jobs(tmp_path, db_path, created, count=2, ignore_term=False):
    pids = []
    for n in range(count):
        pidfile = tmp_path / f"job{n}.pid"
        gc = tmp_path / f"gc{n}.pid"
        trap = "trap '' TERM; " if ignore_term else ""
        script = f"{trap}sleep 1000 & echo $! > {gc}; echo $$ > {pidfile}; wait; wait"
        add(db_path, f"job{n}", created, kind="every", expr="1m", command=[script])
        pids.append((pidfile, gc))
    return pids


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_to_run_due(tmp_path, db_path, sig, code):
    files = _jobs(tmp_path, db_path, T0)
    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    pids = [wait_for(lambda f=f: read_pid(f[0]) and read_pid(f[1]) and (read_pid(f[0]), read_pid(f[1])),
                     what="jobs to start") for f in files]
    runner.send_signal(sig)
    out, err = runner.communicate(timeout=30)
    try:
        assert runner.returncode == code, err
        assert "Traceback" not in err
        for job_pid, gc_pid in pids:
            assert not pid_exists(job_pid) and not pid_exists(gc_pid)
        runs = history(db_path)
        assert [r.status for r in runs] == ["interrupted", "interrupted"]
        assert all("stopped" in r.reason for r in runs)
    finally:
        for job_pid, _ in pids:
            kill_quietly(job_pid)


def test_sigterm_to_watch_kills_term_ignoring_jobs_after_grace(tmp_path, db_path):
    now = datetime.now(UTC).replace(microsecond=0)
    files = _jobs(tmp_path, db_path, now - timedelta(seconds=59), ignore_term=True)
    watch = start(db_path, "watch")
    pids = [wait_for(lambda f=f: read_pid(f[0]) and read_pid(f[1]) and (read_pid(f[0]), read_pid(f[1])),
                     timeout=30, what="jobs to start") for f in files]
    watch.send_signal(signal.SIGTERM)
    out, err = watch.communicate(timeout=30)  # kill grace is 5 s
    try:
        assert watch.returncode == 143, err
        for job_pid, gc_pid in pids:
            assert not pid_exists(job_pid) and not pid_exists(gc_pid)
        runs = history(db_path)
        assert sorted(r.status for r in runs) == ["interrupted", "interrupted"]
    finally:
        for job_pid, _ in pids:
            kill_quietly(job_pid)


def test_watch_exits_cleanly_when_idle(db_path):
    watch = start(db_path, "watch")
    wait_for(lambda: db_path.exists(), what="the database")
    from schedcli.store import Store

    def registered():
        with Store(db_path) as store:
            return store.conn.execute("SELECT count(*) FROM runners WHERE stopped_at IS NULL").fetchone()[0]

    wait_for(registered, what="watch to register")
    watch.send_signal(signal.SIGTERM)
    watch.communicate(timeout=15)
    assert watch.returncode == 143
    assert registered() == 0


def test_runner_keeps_ignoring_what_it_was_started_ignoring_and_jobs_start_clean(tmp_path, db_path):
    # nohup ignores SIGHUP; a shell's "&" ignores SIGINT and SIGQUIT.  The runner goes on
    # ignoring them (the job sends them to it), and the job starts with every default.
    script = "grep -E '^Sig(Ign|Blk)' /proc/self/status; kill -HUP $PPID; kill -QUIT $PPID; kill -INT $PPID"
    add(db_path, "probe", T0, kind="every", expr="1m", command=[script])
    ignored = (signal.SIGHUP, signal.SIGINT, signal.SIGQUIT)

    def ignore() -> None:
        for sig in ignored:
            signal.signal(sig, signal.SIG_IGN)

    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)), preexec_fn=ignore)
    out, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err
    [run] = history(db_path)
    assert run.status == "success"
    with Store(db_path) as store:
        output, _, _ = store.get_output(run.id)
    masks = dict(line.split(":") for line in output.decode().splitlines())
    assert {key: int(value, 16) for key, value in masks.items()} == {"SigIgn": 0, "SigBlk": 0}
