"""Honest reasons: a run that finished while the disk was full, and a run whose process
never started, are not labelled "runner died while the job ran"."""

from __future__ import annotations

import resource
import subprocess
import sys
from datetime import datetime, timedelta

from schedcli.process import process_identity
from schedcli.store import Store

from .helpers import UTC, add, history, iso, schedcli

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
FILE_LIMIT = 300_000  # bytes: the claim fits, a run's 900 kB of output does not


def _small_files() -> None:  # as if the disk filled up: writes beyond this fail (EFBIG)
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))


def _tick(db_path, at, **kw):
    return subprocess.run(schedcli(db_path, "run-due", "--now", iso(at)), capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL, **kw)


def test_run_finished_while_the_disk_is_full_keeps_its_status(db_path):
    # random bytes: output is stored compressed, and these stay 900 kB
    add(db_path, "big", T0, kind="every", expr="1m", command=["head -c 900000 /dev/urandom"])
    r = _tick(db_path, T0 + timedelta(minutes=1), preexec_fn=_small_files)
    assert "Traceback" not in r.stderr, r.stderr
    assert "could not be stored" in r.stderr
    _tick(db_path, T0 + timedelta(minutes=1, seconds=30))  # a later tick, without the limit
    [run] = history(db_path)
    assert run.status == "success"
    assert "output not stored" in run.reason and "died" not in run.reason


def _dead_process() -> tuple[int, str]:
    """The pid and identity of a process that has ended."""
    p = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    identity = process_identity(p.pid)
    p.communicate(b"")
    return p.pid, identity


def test_recovered_runs_say_what_happened(db_path):
    add(db_path, "never", T0, kind="every", expr="1h")
    add(db_path, "ended", T0, kind="every", expr="1h")
    runner_pid, runner_identity = _dead_process()
    job_pid, job_identity = _dead_process()
    occurrence = int((T0 + timedelta(minutes=1)).timestamp())
    with Store(db_path) as store, store.write():
        for name, extra in (
            ("never", {}),  # claimed; the runner died before it started the process
            ("ended", {"pid": job_pid, "pid_identity": job_identity, "started_at": T0.timestamp()}),
        ):
            store.insert_run({
                "job_id": store.get_job(name).id, "job": name, "trigger": "schedule",
                "scheduled_for": occurrence, "status": "running",
                "runner_pid": runner_pid, "runner_identity": runner_identity, **extra,
            })
    r = _tick(db_path, T0 + timedelta(minutes=2))
    assert r.returncode == 0, r.stderr
    reasons = {run.job: run.reason for run in history(db_path) if run.status == "interrupted"}
    assert set(reasons) == {"never", "ended"}
    for reason in reasons.values():
        assert "while the job ran" not in reason
    assert "before the job's process was recorded as started" in reasons["never"]
    assert "no process of the run was found" in reasons["never"]
    assert "end of the run was never recorded" in reasons["ended"]
