"""Out of file descriptors at spawn: each run that cannot start ends ``error`` with the
reason, the others run, no traceback, nothing left ``running``."""

from __future__ import annotations

import resource
import subprocess
from datetime import datetime, timedelta

from schedcli.store import Store

from .helpers import UTC, history, iso, schedcli

from schedcli.model import JobSpec
from schedcli.services.jobs import add_job

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
JOBS = 100


def _few_descriptors() -> None:  # ulimit -n 32 in the runner
    resource.setrlimit(resource.RLIMIT_NOFILE, (32, 32))


def test_out_of_file_descriptors_at_spawn(db_path):
    with Store(db_path) as store:
        for i in range(JOBS):
            add_job(store, f"j{i:03}", JobSpec(kind="every", expr="1m", command=["sleep 0.3"], timezone="UTC"), T0)
    r = subprocess.run(
        schedcli(db_path, "run-due", "--max-parallel", "50", "--now", iso(T0 + timedelta(minutes=1))),
        capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL, preexec_fn=_few_descriptors,
    )
    assert "Traceback" not in r.stderr, r.stderr[-3000:]
    assert "OSError" not in r.stderr
    runs = history(db_path)
    assert len(runs) == JOBS
    statuses = {run.status for run in runs}
    assert "running" not in statuses
    assert statuses <= {"success", "error"}
    failed = [run for run in runs if run.status == "error"]
    assert failed, "the limit did not bite: nothing to prove"
    assert any(run.status == "success" for run in runs)  # it carried on with the others
    for run in failed:
        assert "too many open files" in run.reason.lower(), run.reason
    # The next tick finds nothing to recover.
    r2 = subprocess.run(schedcli(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1, seconds=30))),
                        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert r2.returncode == 0, r2.stderr
    assert not [run for run in history(db_path) if run.status == "interrupted"]
