"""Run control through the real runner: timeouts, huge output, overlap replace, retries, watch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta

from schedcli.store import Store

from waiting import wait_for

from .helpers import UTC, add, history, iso, kill_quietly, pid_exists, read_pid, schedcli, start

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def tick(db_path, when, *extra):
    return subprocess.run(schedcli(db_path, "run-due", "--json", "--now", iso(when), *extra),
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def test_term_ignoring_job_with_timeout_is_killed_with_its_grandchildren(tmp_path, db_path):
    gc = tmp_path / "gc.pid"
    add(db_path, "stubborn", T0, kind="every", expr="1m", timeout=1.0,
        command=[f"trap '' TERM; sleep 1000 & echo $! > {gc}; while :; do sleep 1; done"])
    began = time.monotonic()
    r = tick(db_path, T0 + timedelta(minutes=1))
    elapsed = time.monotonic() - began
    [run] = json.loads(r.stdout)
    assert r.returncode == 1 and run["status"] == "timeout"
    # timeout 1 s + kill grace 5 s + 1 s, plus process start-up
    assert elapsed < 1 + 5 + 1 + 3, elapsed
    assert not pid_exists(read_pid(gc))


def test_fifty_megabytes_of_output(tmp_path, db_path):
    script = (
        "import sys; out = sys.stdout.buffer; out.write(b'FIRST'); "
        "[out.write(b'x' * (1 << 20)) for _ in range(50)]; out.write(b'LAST'); out.flush(); sys.exit(3)"
    )
    add(db_path, "loud", T0, kind="every", expr="1m", command=["python3", "-c", script])
    proc = subprocess.Popen(schedcli(db_path, "run-due", "--json", "--now", iso(T0 + timedelta(minutes=1))),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=120)
    [run] = json.loads(out)
    assert run["status"] == "error" and run["exit_code"] == 3
    with Store(db_path) as store:
        output, truncated, total = store.get_output(run["id"])
    assert truncated and total == 50 * (1 << 20) + 9
    assert output.startswith(b"FIRST") and output.endswith(b"LAST")
    assert len(output) < 1.1 * (1 << 20)
    logs = subprocess.run(schedcli(db_path, "logs", str(run["id"])), capture_output=True, timeout=60)
    assert b"bytes omitted" in logs.stdout and b"truncated" in logs.stderr


def test_runner_memory_stays_bounded_with_huge_output(tmp_path, db_path):
    script = "import sys; out = sys.stdout.buffer; [out.write(b'y' * (1 << 20)) for _ in range(50)]"
    add(db_path, "loud", T0, kind="every", expr="1m", command=["python3", "-c", script])
    # A child's peak RSS starts at its parent's at the time of the fork (Linux carries it
    # across exec), so the runner is started by a small process, not by this test's
    # interpreter (which grows over a whole test session), and that process reports it.
    probe = ("import os, sys; quiet = [(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_WRONLY, 0) for fd in (1, 2)]; "
             "pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ, file_actions=quiet); "
             "_, status, usage = os.wait4(pid, 0); print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)")
    done = subprocess.run([sys.executable, "-c", probe, *schedcli(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))],
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    returncode, maxrss = map(int, done.stdout.split())
    assert returncode == 0, done.stderr
    # the runner itself (not the job): well under the 50 MB the job wrote
    assert maxrss < 80 * 1024, maxrss  # KiB


def test_overlap_replace_terminates_the_running_run(tmp_path, db_path):
    pidfile = tmp_path / "first.pid"
    marker = tmp_path / "once"
    add(db_path, "r", T0, kind="every", expr="1m", overlap="replace",
        command=[f"if [ -e {marker} ]; then echo second; exit 0; fi; touch {marker}; echo $$ > {pidfile}; exec sleep 1000"])
    first = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    job_pid = wait_for(lambda: read_pid(pidfile), what="the first run")
    try:
        r = tick(db_path, T0 + timedelta(minutes=2))
        assert r.returncode == 0, r.stderr
        first.communicate(timeout=30)
        runs = history(db_path)
        assert [(x.status, x.scheduled_for) for x in runs] == [
            ("interrupted", int((T0 + timedelta(minutes=1)).timestamp())),
            ("success", int((T0 + timedelta(minutes=2)).timestamp())),
        ]
        assert runs[0].reason == f"replaced by run #{runs[1].id}"
        assert not pid_exists(job_pid)
    finally:
        kill_quietly(job_pid)


def test_overlap_skip_records_the_skipped_occurrence(tmp_path, db_path):
    pidfile = tmp_path / "first.pid"
    add(db_path, "s", T0, kind="every", expr="1m", command=[f"echo $$ > {pidfile}; exec sleep 1000"])
    first = start(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    job_pid = wait_for(lambda: read_pid(pidfile), what="the first run")
    try:
        r = tick(db_path, T0 + timedelta(minutes=2))
        [skipped] = json.loads(r.stdout)
        assert skipped["status"] == "skipped" and "still running" in skipped["reason"]
        manual = subprocess.run(schedcli(db_path, "run", "s"), capture_output=True, text=True, timeout=30)
        assert manual.returncode == 1 and "already running" in manual.stderr and "--force" in manual.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
        kill_quietly(job_pid)


def test_retries_back_off_exponentially(tmp_path, db_path):
    add(db_path, "flaky", T0, kind="every", expr="1h", retries=2, retry_delay=1, command=["exit 1"])
    r = tick(db_path, T0 + timedelta(hours=1))
    runs = json.loads(r.stdout)
    assert [(x["attempt"], x["status"]) for x in runs] == [(1, "error"), (2, "error"), (3, "error")]
    assert len({x["scheduled_for"] for x in runs}) == 1
    starts = [datetime.fromisoformat(x["started_at"].replace("Z", "+00:00")) for x in runs]
    assert (starts[1] - starts[0]).total_seconds() >= 1.0
    assert (starts[2] - starts[1]).total_seconds() >= 2.0


def test_watch_notices_a_job_added_by_another_process(tmp_path, db_path):
    marker = tmp_path / "ran"
    watch = start(db_path, "watch")
    try:
        def registered():
            with Store(db_path) as store:
                return store.conn.execute("SELECT count(*) FROM runners WHERE stopped_at IS NULL").fetchone()[0]

        wait_for(registered, what="watch to start")
        r = subprocess.run(schedcli(db_path, "add", "new", "--every", "2s", "--", f"touch {marker}"),
                           capture_output=True, text=True)
        assert r.returncode == 0
        added = time.monotonic()
        wait_for(marker.exists, timeout=15, what="the new job to run")
        # first occurrence 2 s after add; the watch notices changes within about a second
        assert time.monotonic() - added < 2 + 1.5 + 1
    finally:
        watch.send_signal(signal.SIGTERM)
        watch.communicate(timeout=30)
