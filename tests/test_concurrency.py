"""Many runners on one database: every occurrence runs exactly once."""

from __future__ import annotations

import os
import subprocess
import sys
from collections import Counter

from datetime import datetime, timezone

from schedcli.store import Store
from schedcli.services.jobs import add_job
from schedcli.model import JobSpec


def test_six_run_due_processes_fifty_due_jobs(sh, db_path, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    created = datetime(2099, 12, 1, 8, 0, tzinfo=timezone.utc)
    with Store(db_path) as store:
        for n in range(50):
            spec = JobSpec(kind="at", expr="2099-12-01T09:00Z", timezone="UTC",
                           command=[f"echo $SCHEDCLI_RUN_ID >> {marks}/job{n:02d}"])
            add_job(store, f"job{n:02d}", spec, created)
    argv = [sys.executable, "-m", "schedcli", "--db", str(db_path), "run-due",
            "--now", "2099-12-01T09:00:30Z", "--json", "--max-parallel", "8"]
    # Start all six at once; they race for the same 50 occurrences.
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              stdin=subprocess.DEVNULL) for _ in range(6)]
    outs = [p.communicate(timeout=120) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, err
        assert "Traceback" not in err
    import json

    claimed = [run for out, _ in outs for run in json.loads(out)]
    per_job = Counter(run["job"] for run in claimed)
    assert len(per_job) == 50 and set(per_job.values()) == {1}
    # Each job's command really ran exactly once.
    files = sorted(os.listdir(marks))
    assert len(files) == 50
    for f in files:
        assert len((marks / f).read_text().split()) == 1
    with Store(db_path) as store:
        history = store.history(limit=1000)
    assert len(history) == 50
    assert {r.status for r in history} == {"success"}
