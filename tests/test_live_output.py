"""Output as it comes: ``run`` streams its job and announces retries, the runner stores
the output of running runs, ``logs`` shows it and ``logs -f`` follows it to the end.

Real processes through the real entry point (``python -m schedcli``), real SQLite files;
every wait is on a condition (``wait_for``), never a fixed sleep.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedcli import process
from schedcli.cli.live import new_bytes
from schedcli.engine import Engine
from schedcli.engine.live import LiveOutput
from schedcli.process.output import OutputBuffer
from schedcli.store import Store
from waiting import wait_for

SLOW = "echo first; sleep 3; echo last"


def _argv(db: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "schedcli", "--db", str(db), *args]


class Reader:
    """Collects what a process writes to one pipe, as it comes (in a thread)."""

    def __init__(self, stream) -> None:
        self.data = b""
        self._stream = stream
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            chunk = os.read(self._stream.fileno(), 65536)
            if not chunk:
                return
            self.data += chunk

    def done(self) -> bytes:
        self._thread.join(30)
        return self.data


def _start(db: Path, *args: str, merged: bool = False) -> tuple[subprocess.Popen, Reader, Reader | None]:
    proc = subprocess.Popen(
        _argv(db, *args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if merged else subprocess.PIPE,
    )
    return proc, Reader(proc.stdout), None if merged else Reader(proc.stderr)


@pytest.fixture
def no_cron(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDCLI_CRONTAB", str(tmp_path / "no-crontab-here"))


# -- run -------------------------------------------------------------------------------------


def test_run_shows_the_first_line_seconds_before_the_job_ends(db_path, sh, no_cron):
    assert sh("add", "slow", "--every", "1h", "--", SLOW).exit_code == 0
    proc, out, err = _start(db_path, "run", "slow")
    wait_for(lambda: b"first\n" in out.data, what="the first line on run's stdout")
    # the job is still sleeping: 'last' has not come, the run has not ended
    assert proc.poll() is None and b"last" not in out.data
    assert proc.wait(30) == 0
    assert out.done() == b"first\nlast\n"
    assert "slow: success" in err.done().decode()
    # what was shown is what was stored, byte for byte
    run_id = json.loads(sh("history", "slow", "--json").stdout)[0]["id"]
    logs = subprocess.run(_argv(db_path, "logs", str(run_id)), capture_output=True)
    assert logs.stdout == b"first\nlast\n"


def test_run_json_prints_the_document_only(db_path, sh, no_cron):
    sh("add", "j", "--every", "1h", "--", "printf 'a\\nb'")
    r = sh("run", "j", "--json")
    assert r.exit_code == 0
    assert json.loads(r.stdout)["output"] == "a\nb"  # one document: nothing streamed before it


def test_run_announces_each_retry_before_its_output(db_path, sh, no_cron):
    sh("add", "flaky", "--every", "1h", "--retries", "2", "--retry-delay", "1s", "--",
       'echo "try $SCHEDCLI_ATTEMPT"; exit 1')
    proc, out, _ = _start(db_path, "run", "flaky", merged=True)
    assert proc.wait(60) == 1
    text = out.done().decode()
    lines = text.splitlines()
    assert lines[0] == "try 1"
    assert lines[1].endswith("flaky: error (exit code 1); attempt 2 of 3 in 1s")
    assert lines[2] == "try 2"
    assert "attempt 3 of 3 in" in lines[3] and lines[4] == "try 3"
    assert "error" in lines[5] and len(lines) == 6


def test_run_streams_more_than_the_output_cap_and_stores_head_and_tail(db_path, sh, no_cron, tmp_path):
    (tmp_path / "xdg-config" / "schedcli").mkdir(parents=True)
    (tmp_path / "xdg-config" / "schedcli" / "config.toml").write_text("output_cap = 1000\n")
    sh("add", "big", "--every", "1h", "--", "seq 1 2000")
    r = subprocess.run(_argv(db_path, "run", "big"), capture_output=True)
    expected = "".join(f"{i}\n" for i in range(1, 2001)).encode()
    assert r.stdout == expected  # all of it on the terminal
    stored = subprocess.run(_argv(db_path, "logs", "big"), capture_output=True)
    assert b"bytes omitted" in stored.stdout and len(stored.stdout) < 1100  # the cap still holds


# -- stored as it comes: logs and logs -f ----------------------------------------------------


def test_logs_of_a_running_run_shows_its_output_so_far(db_path, sh, no_cron):
    sh("add", "slow", "--every", "1h", "--", SLOW)
    proc, _, _ = _start(db_path, "run", "slow")
    shown = wait_for(lambda: (r := sh("logs", "slow")).stdout == "first\n" and r, what="logs of the running run")
    assert proc.poll() is None
    assert "still running" in shown.stderr and "schedcli logs -f" in shown.stderr
    assert proc.wait(30) == 0
    assert sh("logs", "slow").stdout == "first\nlast\n"


@pytest.mark.parametrize("command, code, status", [(SLOW, 0, "success"), (SLOW + "; exit 3", 1, "error")])
def test_logs_follow_prints_as_it_comes_and_exits_with_the_runs_status(db_path, sh, no_cron, command, code, status):
    sh("add", "slow", "--every", "1h", "--", command)
    runner, _, _ = _start(db_path, "run", "slow")
    wait_for(lambda: sh("history", "slow", "--json").json(), what="the run's row")
    follower, out, err = _start(db_path, "logs", "-f", "slow")
    wait_for(lambda: b"first\n" in out.data, what="the first line through logs -f")
    assert follower.poll() is None and runner.poll() is None
    assert follower.wait(30) == code
    assert out.done() == b"first\nlast\n"
    assert f"slow: {status}" in err.done().decode()
    runner.wait(30)


def test_logs_follow_of_a_finished_run_prints_it_and_exits_at_once(sh, no_cron):
    sh("add", "quick", "--every", "1h", "--", "echo done; exit 2")
    sh("run", "quick")
    r = sh("logs", "-f", "quick")
    assert r.exit_code == 1 and r.stdout == "done\n"
    assert sh("logs", "-f").stderr.startswith("Error: nothing is running now")


def test_run_due_stores_the_output_while_the_job_runs(db_path, sh, no_cron):
    sh("add", "slow", "--every", "1m", "--", SLOW)
    proc, _, _ = _start(db_path, "run-due", "--now", "+1m")
    wait_for(lambda: sh("logs", "slow").stdout == "first\n", what="logs of the run-due run")
    assert proc.poll() is None
    assert proc.wait(30) == 0


def test_watch_stores_the_output_while_the_job_runs(db_path, sh, no_cron):
    sh("add", "slow", "--every", "2s", "--overlap", "skip", "--", SLOW)
    proc, _, _ = _start(db_path, "watch")
    try:
        wait_for(lambda: sh("logs", "slow").stdout == "first\n", what="logs of the watch run")
        assert sh("history", "slow", "--status", "running", "--json").json()  # still running
    finally:
        proc.terminate()
        proc.wait(30)


# -- the pieces ------------------------------------------------------------------------------


def test_the_output_of_a_finished_run_is_never_replaced_by_output_so_far(db_path):
    store = Store(db_path)
    with store.write():
        store.add_job_row({"name": "j", "kind": "every", "expr": "1h", "timezone": "UTC", "anchor": 0,
                           "command": ["true"], "enabled": True, "created_at": 0, "updated_at": 0})
        job = store.get_job("j")
        run_id = store.insert_run({"job_id": job.id, "job": "j", "trigger": "manual", "scheduled_for": 0,
                                   "status": "running", "attempt": 1})
    assert store.save_output_so_far([(run_id, b"so far", False, 6)], wait=0.05)
    assert store.get_output(run_id) == (b"so far", False, 6)
    assert store.output_progress(run_id) == ("running", 6)
    with store.write():
        store.finish_run(run_id, {"status": "success", "finished_at": 1})
        store.save_output(run_id, b"so far and the end", False, 18)
    assert store.save_output_so_far([(run_id, b"so far", False, 6)], wait=0.05)
    assert store.get_output(run_id) == (b"so far and the end", False, 18)


def test_a_flush_gives_up_its_turn_when_the_database_is_busy(db_path):
    store = Store(db_path)
    other = sqlite3.connect(db_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert store.save_output_so_far([(1, b"x", False, 1)], wait=0.01) is False
    finally:
        other.execute("ROLLBACK")
        other.close()
    # the store's own busy timeout is back as it was
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] == int(store.busy_timeout * 1000)


def test_live_output_flushes_only_what_changed(db_path):
    store = Store(db_path)
    engine = Engine(store)
    with store.write():
        store.add_job_row({"name": "j", "kind": "every", "expr": "1h", "timezone": "UTC", "anchor": 0,
                           "command": ["true"], "enabled": True, "created_at": 0, "updated_at": 0})
        run_id = store.insert_run({"job_id": store.get_job("j").id, "job": "j", "trigger": "manual",
                                   "scheduled_for": 0, "status": "running", "attempt": 1})
    live = LiveOutput(store, lambda text: None, every=3600)
    running = process.start(process.ProcessSpec(["/bin/sh", "-c", "echo one; read x"], dict(os.environ)))
    try:
        wait_for(lambda: running.output_total == 4, what="the first line")
        assert live.flush([(run_id, running)]) == 1
        assert live.flush([(run_id, running)]) == 1  # not added: it has no baseline to compare
        live.add(run_id, running)
        assert live.flush([(run_id, running)]) == 1
        assert live.flush([(run_id, running)]) == 0  # nothing new since
        assert store.get_output(run_id) == (b"one\n", False, 4)
        live.remove(run_id)
    finally:
        running.terminate(0)
        running.wait()
    del engine


@settings(max_examples=60, deadline=None)
@given(cap=st.integers(0, 64), chunks=st.lists(st.binary(min_size=1, max_size=40), max_size=30),
       split=st.integers(0, 30))
def test_a_follower_sees_every_byte_once_in_order(cap, chunks, split):
    buf = OutputBuffer(cap)
    seen = []
    for chunk in chunks[:split]:
        buf.feed(chunk)
    before = buf.result()
    buf.follow(seen.append)
    for chunk in chunks[split:]:
        buf.feed(chunk)
    assert b"".join(seen) == before[0] + b"".join(chunks[split:])
    if not before[1]:
        assert b"".join(seen) == b"".join(chunks)


@settings(max_examples=200, deadline=None)
@given(cap=st.integers(2, 60), data=st.binary(max_size=200), cut=st.integers(0, 200))
def test_following_past_the_cap_prints_what_is_new_with_one_marker(cap, data, cut):
    cut = min(cut, len(data))
    early, late = OutputBuffer(cap), OutputBuffer(cap)
    early.feed(data[:cut])
    late.feed(data[:cut])
    late.feed(data[cut:])
    shown, upto = new_bytes(*early.result(), 0)
    assert upto == cut
    more, upto = new_bytes(*late.result(), upto)
    assert upto == len(data)
    full, truncated, _ = late.result()
    if not truncated:
        assert shown + more == data
    else:  # the last bytes printed are the tail kept, as logs would print them
        tail = full.rsplit(b" omitted ...]\n", 1)[-1]
        assert (shown + more).endswith(tail)
