"""Storage faults: a held write lock, unsafe permissions, corrupt, truncated and read-only files."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta

import pytest

from waiting import wait_for

from .helpers import UTC, add, history, iso, schedcli

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def run(db_path, *args, env=None, timeout=60):
    full = dict(os.environ)
    full.update(env or {})
    return subprocess.run(schedcli(db_path, *args), capture_output=True, text=True, env=full,
                          timeout=timeout, stdin=subprocess.DEVNULL)


HOLD_LOCK = r"""
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()          # hold the write lock until told to let go
conn.execute("ROLLBACK")
"""


def _hold_lock(db_path):
    p = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db_path)], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "locked"
    return p


def _waiting_for_the_lock(pid, db_path) -> bool:
    """Process ``pid`` has the database open and sleeps in SQLite's busy handler."""
    try:
        opened = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        wchan = open(f"/proc/{pid}/wchan").read().strip()
        state = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    if wchan in ("", "0"):  # the kernel does not say where: asleep will do
        return str(db_path) in opened and state == "S"
    return str(db_path) in opened and "nanosleep" in wchan


def test_lock_held_briefly_is_waited_for(tmp_path, db_path):
    marker = tmp_path / "ran"
    add(db_path, "j", T0, kind="every", expr="1m", command=[f"touch {marker}"])
    holder = _hold_lock(db_path)
    runner = subprocess.Popen(schedcli(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1))),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "SCHEDCLI_BUSY_TIMEOUT": "30"})
    # The runner is blocked on the lock: it cannot have claimed or run anything.
    wait_for(lambda: _waiting_for_the_lock(runner.pid, db_path), what="the runner to wait for the lock")
    assert runner.poll() is None
    assert not marker.exists()
    holder.communicate("go\n", timeout=10)
    out, err = runner.communicate(timeout=60)
    assert runner.returncode == 0, err
    assert marker.exists()
    assert [r.status for r in history(db_path)] == ["success"]


def test_lock_held_too_long_is_a_clear_error_and_next_tick_catches_up(tmp_path, db_path):
    marker = tmp_path / "ran"
    add(db_path, "j", T0, kind="every", expr="1m", command=[f"touch {marker}"])
    with open(db_path, "rb") as fh:
        before = fh.read()
    holder = _hold_lock(db_path)
    try:
        r = run(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)),
                env={"SCHEDCLI_BUSY_TIMEOUT": "0.5"})
    finally:
        holder.communicate("go\n", timeout=10)
    assert r.returncode == 1
    assert r.stderr.startswith("Error: database is busy") and r.stderr.count("\n") == 1
    assert not marker.exists()
    assert db_path.read_bytes() == before
    r = run(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1, seconds=30)))
    assert r.returncode == 0, r.stderr
    assert marker.exists()
    assert [r.status for r in history(db_path)] == ["success"]


@pytest.mark.parametrize("mode", [0o664, 0o646, 0o666])
def test_db_writable_by_others_is_refused(tmp_path, db_path, mode):
    marker = tmp_path / "ran"
    add(db_path, "j", T0, kind="every", expr="1m", command=[f"touch {marker}"])
    os.chmod(db_path, mode)
    r = run(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    assert r.returncode == 1
    assert "writable by group or others" in r.stderr and "chmod 600" in r.stderr
    assert r.stderr.count("\n") == 1
    assert not marker.exists()


def test_wal_file_unsafe_is_refused(db_path):
    add(db_path, "j", T0, kind="every", expr="1m")
    wal = db_path.with_name(db_path.name + "-wal")
    wal.write_bytes(b"")
    os.chmod(wal, 0o666)
    r = run(db_path, "list")
    assert r.returncode == 1 and "-wal" in r.stderr and "writable" in r.stderr


def test_symlink_is_refused(tmp_path, db_path):
    add(db_path, "j", T0, kind="every", expr="1m")
    link = db_path.parent / "link.db"
    link.symlink_to(db_path)
    r = run(link, "list")
    assert r.returncode == 1 and "symbolic link" in r.stderr


def test_directory_writable_by_others_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    r = run(shared / "s.db", "add", "j", "--every", "1h", "--", "true")
    assert r.returncode == 1 and "writable by others" in r.stderr


def test_file_owned_by_someone_else_is_refused(db_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file away")
    add(db_path, "j", T0, kind="every", expr="1m")
    os.chown(db_path, 65534, 65534)
    r = run(db_path, "list")
    assert r.returncode == 1 and "owned by uid 65534" in r.stderr


def test_new_database_is_private(tmp_path):
    target = tmp_path / "a" / "b" / "new.db"
    old = os.umask(0)  # even with a permissive umask
    try:
        r = run(target, "add", "j", "--every", "1h", "--", "true")
    finally:
        os.umask(old)
    assert r.returncode == 0
    assert oct(os.stat(target).st_mode & 0o777) == oct(0o600)
    assert oct(os.stat(target.parent).st_mode & 0o777) == oct(0o700)
    for suffix in ("-wal", "-shm"):
        extra = target.with_name(target.name + suffix)
        if extra.exists():
            assert os.stat(extra).st_mode & 0o077 == 0


def test_corrupt_file_is_left_untouched(db_path):
    db_path.write_bytes(os.urandom(8192))
    os.chmod(db_path, 0o600)
    before = db_path.read_bytes()
    r = run(db_path, "run-due")
    assert r.returncode == 1
    assert r.stderr.startswith("Error: ") and "corrupt" in r.stderr and "Traceback" not in r.stderr
    assert db_path.read_bytes() == before
    assert not db_path.with_name(db_path.name + "-wal").exists()


def test_truncated_file(db_path, tmp_path):
    add(db_path, "j", T0, kind="every", expr="1m")
    for n in range(50):
        add(db_path, f"k{n}", T0, kind="every", expr="1m", description="x" * 2000)
    data = db_path.read_bytes()
    assert len(data) > 8192
    db_path.write_bytes(data[: len(data) // 2])
    before = db_path.read_bytes()
    r = run(db_path, "list")
    assert r.returncode == 1 and r.stderr.startswith("Error: ") and "Traceback" not in r.stderr
    assert db_path.read_bytes() == before


def test_not_a_schedcli_database(tmp_path):
    other = tmp_path / "home" / "other.db"
    other.parent.mkdir(exist_ok=True)
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE customers (id INTEGER)")
    conn.commit()
    conn.close()
    os.chmod(other, 0o600)
    before = other.read_bytes()
    r = run(other, "list")
    assert r.returncode == 1 and "not a schedcli" in r.stderr
    assert other.read_bytes() == before


def test_read_only_database_starts_nothing(tmp_path, db_path):
    if os.geteuid() == 0:
        # root ignores file modes; make the file immutable to the process another way
        pytest.skip("root can write a read-only file; covered by test_read_only_open_starts_nothing")
    marker = tmp_path / "ran"
    add(db_path, "j", T0, kind="every", expr="1m", command=[f"touch {marker}"])
    os.chmod(db_path, 0o400)
    r = run(db_path, "run-due", "--now", iso(T0 + timedelta(minutes=1)))
    assert r.returncode == 1 and "read-only" in r.stderr
    assert not marker.exists()


def test_read_only_open_starts_nothing(tmp_path, db_path):
    """The read-only case as root: SQLite opened read-only through a URI."""
    from schedcli.store import Store
    from schedcli.engine import Engine
    from schedcli.errors import DatabaseError

    marker = tmp_path / "ran"
    add(db_path, "j", T0, kind="every", expr="1m", command=[f"touch {marker}"])
    store = Store(db_path)
    store.conn.close()
    store.conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, isolation_level=None,
                                 check_same_thread=False)
    store.conn.row_factory = sqlite3.Row
    with pytest.raises(DatabaseError, match="read-only"):
        Engine(store).tick(T0 + timedelta(minutes=1))
    assert not marker.exists()


def test_watch_survives_a_lock_held_too_long(tmp_path, db_path):
    import signal

    from .helpers import read_pid

    marker = tmp_path / "ran.pid"
    now = datetime.now(UTC).replace(microsecond=0)
    # due in ~2 s, while the lock is held
    add(db_path, "j", now - timedelta(seconds=58), kind="every", expr="1m", command=[f"echo $$ > {marker}"])
    holder = _hold_lock(db_path)
    watch = subprocess.Popen(schedcli(db_path, "watch"), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, "SCHEDCLI_BUSY_TIMEOUT": "0.3"})
    try:
        # the watch cannot even register while the lock is held: it must not die of it
        with pytest.raises(subprocess.TimeoutExpired):
            watch.wait(timeout=3.0)
        assert not marker.exists()
    finally:
        holder.communicate("go\n", timeout=10)
    try:
        wait_for(lambda: read_pid(marker), timeout=30, what="the job to run once the lock is released")
        # The job wrote its marker before it exited: wait for its end to be recorded.
        wait_for(lambda: [r.status for r in history(db_path)] == ["success"], timeout=30,
                 what="the run to be recorded")
    finally:
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=30)
    assert watch.returncode == 143, err
    assert [r.status for r in history(db_path)] == ["success"]
