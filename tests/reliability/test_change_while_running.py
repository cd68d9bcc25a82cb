"""``rm``, ``edit`` and ``disable`` while a run is in progress: never a traceback."""

from __future__ import annotations

import re

import subprocess
from datetime import datetime, timedelta

from waiting import wait_for

from schedcli.store import Store

from .helpers import UTC, add, history, iso, kill_quietly, pid_exists, read_pid, schedcli, start

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def cli(db_path, *args):
    return subprocess.run(schedcli(db_path, *args), capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_rm_of_a_running_job_is_refused_then_forced(tmp_path, db_path):
    pidfile = tmp_path / "job.pid"
    add(db_path, "busy", T0, kind="every", expr="1m", retries=2, retry_delay=0,
        command=[f"echo $$ > {pidfile}; exec sleep 60"])
    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    job_pid = wait_for(lambda: read_pid(pidfile), what="the job to start")
    try:
        refused = cli(db_path, "rm", "busy")
        assert refused.returncode == 1
        assert "Traceback" not in refused.stderr
        assert refused.stderr.count("\n") == 1 and "is running" in refused.stderr and "--force" in refused.stderr
        assert pid_exists(job_pid)
        with Store(db_path) as store:
            assert store.get_job("busy").name == "busy"

        forced = cli(db_path, "rm", "--force", "busy")
        assert forced.returncode == 0, forced.stderr
        assert "Traceback" not in forced.stderr
        assert not pid_exists(job_pid)
        assert history(db_path) == []
        out, err = runner.communicate(timeout=60)
        assert "Traceback" not in err and "IntegrityError" not in err, err
        # The runner says, in one line, that the job went away; it does not retry it.
        [line] = [line for line in err.splitlines() if "removed" in line]
        assert line.endswith(" schedcli: run #1 of job 'busy' ended: the job was removed meanwhile")
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d ", line)  # a log line, stamped
        assert history(db_path) == []
    finally:
        kill_quietly(job_pid)
        if runner.poll() is None:
            runner.kill()
            runner.communicate()


def test_edit_and_disable_while_running_take_effect_from_the_next_occurrence(tmp_path, db_path):
    pidfile, go = tmp_path / "job.pid", tmp_path / "go"
    add(db_path, "busy", T0, kind="every", expr="1m",
        command=[f"echo $$ > {pidfile}; while [ ! -e {go} ]; do sleep 0.05; done; echo old"])
    runner = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    job_pid = wait_for(lambda: read_pid(pidfile), what="the job to start")
    try:
        edited = cli(db_path, "edit", "busy", "--", "echo new")
        assert edited.returncode == 0, edited.stderr
        disabled = cli(db_path, "disable", "busy")
        assert disabled.returncode == 0, disabled.stderr
        go.touch()
        out, err = runner.communicate(timeout=60)
        assert runner.returncode == 0, err
        assert "Traceback" not in err
        runs = history(db_path)
        assert [r.status for r in runs] == ["success"]
        with Store(db_path) as store:
            assert store.get_output(runs[0].id)[0] == b"old\n"  # the run in progress ran as it started
        # Disabled: nothing runs; enabled again: the edited command runs.
        assert cli(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=2))).returncode == 0
        assert len(history(db_path)) == 1
        assert cli(db_path, "enable", "busy").returncode == 0
        r = cli(db_path, "run", "busy")
        assert r.returncode == 0, r.stderr
        assert "new" in r.stdout
    finally:
        kill_quietly(job_pid)
        if runner.poll() is None:
            runner.kill()
            runner.communicate()
