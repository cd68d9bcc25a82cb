"""SIGHUP to a runner, and a second signal while a runner shuts down (issue 10, item 5).

SIGHUP stops ``run``, ``run-due`` and ``watch`` as SIGTERM does (exit 129), and no
signal that comes during the shutdown cuts it short: jobs that ignore SIGTERM are
still killed after the kill grace, grandchildren included, and every run is recorded
``interrupted``.
"""

from __future__ import annotations

import signal
from datetime import datetime, timedelta

import pytest

from waiting import wait_for

from .helpers import UTC, add, history, iso, kill_quietly, pid_exists, read_pid, start

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _jobs(tmp_path, db_path, created, count=2, ignore_term=False):
    """Jobs that start a grandchild, write both pids, and (``ignore_term``) note the
    SIGTERM they receive in a file instead of dying of it."""
    files = []
    for n in range(count):
        pidfile, gc, termed = tmp_path / f"job{n}.pid", tmp_path / f"gc{n}.pid", tmp_path / f"term{n}"
        if ignore_term:
            # Both ignore SIGTERM; only SIGKILL ends them.
            script = (f"trap 'echo > {termed}' TERM; (trap '' TERM; exec sleep 1000) & echo $! > {gc}; "
                      f"echo $$ > {pidfile}; while :; do wait $!; done")
        else:
            script = f"sleep 1000 & echo $! > {gc}; echo $$ > {pidfile}; wait"
        add(db_path, f"job{n}", created, kind="every", expr="1m", command=[script])
        files.append((pidfile, gc, termed))
    return files


def _started(files):
    return [
        wait_for(lambda f=f: read_pid(f[0]) and read_pid(f[1]) and (read_pid(f[0]), read_pid(f[1])),
                 timeout=30, what="jobs to start")
        for f in files
    ]


def _check_nothing_left(pids, db_path, count):
    for job_pid, gc_pid in pids:
        assert not pid_exists(job_pid), "the job survived"
        assert not pid_exists(gc_pid), "the job's grandchild survived"
    runs = history(db_path)
    assert [r.status for r in runs] == ["interrupted"] * count
    assert all("stopped" in (r.reason or "") for r in runs)


def test_sighup_stops_watch_like_sigterm(tmp_path, db_path):
    now = datetime.now(UTC).replace(microsecond=0)
    files = _jobs(tmp_path, db_path, now - timedelta(seconds=59))
    watch = start(db_path, "watch")
    pids = _started(files)
    try:
        watch.send_signal(signal.SIGHUP)
        out, err = watch.communicate(timeout=30)
        assert watch.returncode == 129, err
        assert "Traceback" not in err
        _check_nothing_left(pids, db_path, 2)
    finally:
        for job_pid, gc_pid in pids:
            kill_quietly(job_pid)
            kill_quietly(gc_pid)


def test_sighup_stops_run_due(tmp_path, db_path):
    files = _jobs(tmp_path, db_path, T0)
    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    pids = _started(files)
    try:
        runner.send_signal(signal.SIGHUP)
        out, err = runner.communicate(timeout=30)
        assert runner.returncode == 129, err
        _check_nothing_left(pids, db_path, 2)
    finally:
        for job_pid, gc_pid in pids:
            kill_quietly(job_pid)
            kill_quietly(gc_pid)


@pytest.mark.parametrize("command", ["run-due", "watch"])
@pytest.mark.parametrize("second", [signal.SIGHUP, signal.SIGINT, signal.SIGTERM])
def test_second_signal_during_shutdown_does_not_cut_it_short(tmp_path, db_path, command, second):
    """SIGTERM, then (once the jobs have been told to stop and ignored it) another
    signal: the runner still waits for the kill grace, SIGKILLs the jobs and their
    grandchildren, records them, and exits with the first signal's code."""
    # A short kill grace: the test waits for it.
    (tmp_path / "xdg-config" / "schedcli").mkdir(parents=True)
    (tmp_path / "xdg-config" / "schedcli" / "config.toml").write_text('kill_grace = "2s"\n')
    if command == "watch":
        files = _jobs(tmp_path, db_path, datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=59),
                      ignore_term=True)
        runner = start(db_path, "watch")
    else:
        files = _jobs(tmp_path, db_path, T0, ignore_term=True)
        runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    pids = _started(files)
    try:
        runner.send_signal(signal.SIGTERM)
        # The runner is shutting down: its jobs got SIGTERM (and ignored it).
        wait_for(lambda: all(f[2].exists() for f in files), timeout=30, what="the jobs to get SIGTERM")
        runner.send_signal(second)
        runner.send_signal(second)
        out, err = runner.communicate(timeout=30)
        assert runner.returncode == 143, err
        assert "Traceback" not in err
        _check_nothing_left(pids, db_path, 2)
    finally:
        for job_pid, gc_pid in pids:
            kill_quietly(job_pid)
            kill_quietly(gc_pid)


def _registered(db_path):
    from schedcli.store import Store

    with Store(db_path) as store:
        return store.conn.execute("SELECT count(*) FROM runners WHERE stopped_at IS NULL").fetchone()[0]


def test_watch_started_under_nohup_goes_on_ignoring_sighup(tmp_path, db_path):
    watch = start(db_path, "watch", preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    try:
        wait_for(lambda: db_path.exists() and _registered(db_path), what="watch to register")
        watch.send_signal(signal.SIGHUP)
        # Still running: it runs a job added after the SIGHUP.
        now = datetime.now(UTC).replace(microsecond=0)
        add(db_path, "after", now - timedelta(seconds=59), kind="every", expr="1m", command=["true"])
        wait_for(lambda: [r.status for r in history(db_path)] == ["success"], timeout=30,
                 what="watch to run the job added after SIGHUP")
        assert watch.poll() is None
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=30)
        assert watch.returncode == 143, err
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.communicate()


@pytest.mark.parametrize("first, second, code", [(signal.SIGHUP, None, 129), (signal.SIGTERM, signal.SIGHUP, 143)])
def test_run_stops_on_sighup_and_finishes_its_shutdown(tmp_path, db_path, first, second, code):
    (tmp_path / "xdg-config" / "schedcli").mkdir(parents=True)
    (tmp_path / "xdg-config" / "schedcli" / "config.toml").write_text('kill_grace = "2s"\n')
    files = _jobs(tmp_path, db_path, T0, count=1, ignore_term=True)
    runner = start(db_path, "run", "job0")
    pids = _started(files)
    try:
        runner.send_signal(first)
        if second is not None:
            wait_for(lambda: files[0][2].exists(), timeout=30, what="the job to get SIGTERM")
            runner.send_signal(second)
        out, err = runner.communicate(timeout=30)
        assert runner.returncode == code, err
        assert "Traceback" not in err
        _check_nothing_left(pids, db_path, 1)
    finally:
        for job_pid, gc_pid in pids:
            kill_quietly(job_pid)
            kill_quietly(gc_pid)
