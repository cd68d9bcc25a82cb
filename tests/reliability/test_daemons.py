"""Daemons that leave the job's session (issue 10, item 10).

A job that double-forks a ``setsid`` daemon does not leave it behind: the runner is a
child subreaper, adopts the daemon once its parent is gone, recognises it by the
run's ``SCHEDCLI_RUN_ID`` in its environment, and ends it with the run (SIGTERM,
SIGKILL after the kill grace).  The daemons of a run still going on are left alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from waiting import wait_for

from .helpers import UTC, add, history, iso, kill_quietly, pid_exists, read_pid, start

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


DAEMON = r"""
[ -n "$IGNORE_TERM" ] && trap '' TERM
if [ -n "$2" ]; then
    setsid -f sh "$0" "$2" </dev/null >/dev/null 2>&1
    while [ ! -s "$2" ]; do sleep 0.01; done
fi
echo $$ > "$1"
exec sleep 1000
"""


def _daemonize(tmp_path, pidfile, nested=None, ignore_term=False):
    """Shell that starts a daemon in a session of its own (its parent exits at once, so
    the daemon is an orphan) and waits until the daemon has written its pid.  With
    ``nested``, the daemon first starts one more such daemon of its own, which writes
    its pid to ``nested``.  ``ignore_term``: both ignore SIGTERM."""
    script = tmp_path / "daemon.sh"
    script.write_text(DAEMON)
    env = "IGNORE_TERM=1 " if ignore_term else ""
    return (f"{env}setsid -f sh {script} {pidfile} {nested or ''} </dev/null >/dev/null 2>&1; "
            f"while [ ! -s {pidfile} ]; do sleep 0.01; done")


@pytest.fixture(autouse=True)
def _short_kill_grace(tmp_path):
    config = tmp_path / "xdg-config" / "schedcli"
    config.mkdir(parents=True)
    (config / "config.toml").write_text('kill_grace = "1s"\n')


@pytest.mark.parametrize("ignore_term", [False, True])
def test_run_due_ends_the_daemons_a_job_left(tmp_path, db_path, ignore_term):
    d1, d2 = tmp_path / "daemon1.pid", tmp_path / "daemon2.pid"
    add(db_path, "d", T0, kind="every", expr="1m",
        command=[f"{_daemonize(tmp_path, d1, nested=d2, ignore_term=ignore_term)}; echo started"])
    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    out, err = runner.communicate(timeout=60)
    daemons = [read_pid(d1), read_pid(d2)]
    try:
        assert runner.returncode == 0, err
        assert all(daemons), "the daemons did not start"
        for pid in daemons:
            assert not pid_exists(pid), "a daemon outlived its job"
        [run] = history(db_path)
        assert run.status == "success"
    finally:
        for pid in daemons:
            if pid:
                kill_quietly(pid)


@pytest.mark.parametrize("due_in", [1, 3], ids=["soon", "held"])
def test_watch_ends_the_daemon_a_job_left(tmp_path, db_path, due_in):
    """``held``: due late enough for watch to hold its process ready before the
    instant, so the run's id (its mark) reaches it through the gate."""
    daemon = tmp_path / "daemon.pid"
    now = datetime.now(UTC).replace(microsecond=0)
    add(db_path, "d", now - timedelta(seconds=60 - due_in), kind="every", expr="1m",
        command=[f"{_daemonize(tmp_path, daemon)}; echo started"])
    watch = start(db_path, "watch")
    try:
        wait_for(lambda: [r.status for r in history(db_path)] == ["success"], timeout=30,
                 what="the run to finish")
        pid = read_pid(daemon)
        assert pid
        wait_for(lambda: not pid_exists(pid), timeout=10, what="the daemon to be ended")
    finally:
        watch.terminate()
        watch.communicate(timeout=30)
        if read_pid(daemon):
            kill_quietly(read_pid(daemon))


def test_the_daemon_of_a_run_still_going_on_is_left_alone(tmp_path, db_path):
    daemon, release = tmp_path / "daemon.pid", tmp_path / "release"
    add(db_path, "long", T0, kind="every", expr="1m",
        command=[f"{_daemonize(tmp_path, daemon)}; while [ ! -e {release} ]; do sleep 0.05; done"])
    add(db_path, "short", T0, kind="every", expr="1m",
        command=[f"while [ ! -s {daemon} ]; do sleep 0.01; done; echo done"])
    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    pid = None
    try:
        wait_for(lambda: any(r.job == "short" and r.status == "success" for r in history(db_path)),
                 timeout=30, what="the short job to finish")
        pid = read_pid(daemon)
        assert pid and pid_exists(pid), "another job's end killed the daemon of a running job"
        release.touch()
        out, err = runner.communicate(timeout=60)
        assert runner.returncode == 0, err
        assert not pid_exists(pid)
    finally:
        runner.kill()
        runner.communicate()
        if pid:
            kill_quietly(pid)


def test_a_timeout_ends_the_daemons_too(tmp_path, db_path):
    daemon = tmp_path / "daemon.pid"
    add(db_path, "d", T0, kind="every", expr="1m", timeout=1.0,
        command=[f"{_daemonize(tmp_path, daemon, ignore_term=True)}; exec sleep 1000"])
    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    out, err = runner.communicate(timeout=60)
    pid = read_pid(daemon)
    try:
        assert runner.returncode == 1, err
        assert pid and not pid_exists(pid), "the daemon outlived its timed-out job"
        [run] = history(db_path)
        assert run.status == "timeout"
    finally:
        if pid:
            kill_quietly(pid)
