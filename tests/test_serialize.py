"""The one-line summary of a run that run, run-due and watch print."""

from __future__ import annotations

from schedcli.model import Run
from schedcli.serialize import run_summary


def _run(**fields) -> Run:
    base = dict(id=7, job_id=1, job="backup", trigger="schedule", scheduled_for=0, attempt=1,
                status="error", reason=None, started_at=0.0, finished_at=1.5, duration_s=1.5,
                exit_code=None, pid=None, missed_count=None, missed_first=None, missed_last=None)
    base.update(fields)
    return Run(**base)


def test_the_exit_code_is_said_once():
    assert run_summary(_run(exit_code=127, reason="exit code 127")) == "run #7 backup: error in 1.50s, exit code 127"


def test_a_reason_that_says_more_is_kept():
    summary = run_summary(_run(status="timeout", exit_code=None, reason="timed out after 1s; process group killed"))
    assert summary == "run #7 backup: timeout in 1.50s (timed out after 1s; process group killed)"
    assert run_summary(_run(status="success", exit_code=0, reason="retry 1 of 2")) == "run #7 backup: success in 1.50s, exit code 0"
