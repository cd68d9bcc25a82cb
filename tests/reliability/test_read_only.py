"""A database on a read-only file system (issue 10, item 8).

Commands that only read work; commands that write say "read-only" in one line and
change nothing.  The read-only file system is real: the test bind-mounts the
database's directory read-only onto itself in a private mount namespace
(``unshare -m``), which needs root (CAP_SYS_ADMIN); it is skipped, with the reason,
only where that cannot be done.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from .helpers import UTC, add, schedcli

READERS = [
    ("list",), ("show", "j"), ("history",), ("logs", "1"), ("next",), ("status",),
    ("stats",), ("export", "--format", "toml"), ("health",),
]


def _read_only(directory, argv, timeout=60):
    """Run ``argv`` with ``directory`` mounted read-only (for that process only)."""
    script = 'mount --bind -o ro "$1" "$1" && shift && exec "$@"'
    return subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(directory), *argv],
        capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
    )


@pytest.fixture
def read_only_dir(db_path):
    directory = db_path.parent
    if shutil.which("unshare") is None:
        pytest.skip("unshare(1) is not installed: cannot mount a read-only file system")
    probe = _read_only(directory, ["sh", "-c", f"touch {directory}/probe"])
    if probe.returncode == 0 or "Read-only" not in probe.stderr:
        pytest.skip(f"cannot mount {directory} read-only in a private mount namespace "
                    f"(needs root / CAP_SYS_ADMIN): {probe.stderr.strip()[:200]}")
    return directory


def _prepare(db_path):
    now = datetime.now(UTC).replace(microsecond=0)
    add(db_path, "j", now - timedelta(seconds=5), kind="every", expr="1h", command=["echo hello"])
    for args in (("run", "j"), ("run-due",)):
        r = subprocess.run(schedcli(db_path, *args), capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr


def _listing(directory):
    return {p.name: p.read_bytes() for p in directory.iterdir()}


def test_reading_commands_work_on_a_read_only_file_system(db_path, read_only_dir):
    _prepare(db_path)
    before = _listing(read_only_dir)
    assert set(before) == {db_path.name}  # no -wal: the database is closed cleanly
    outputs = {}
    for args in READERS:
        r = _read_only(read_only_dir, schedcli(db_path, *args))
        assert r.returncode == 0, (args, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr and "Error" not in r.stderr, (args, r.stderr)
        outputs[args[0]] = r.stdout
    assert "j" in outputs["list"] and "echo hello" in outputs["show"]
    assert "success" in outputs["history"] and outputs["logs"] == "hello\n"
    assert 'name = "j"' in outputs["export"]
    assert _listing(read_only_dir) == before


@pytest.mark.parametrize("args", [("add", "k", "--every", "1m", "--", "true"), ("run-due",), ("run", "j"),
                                  ("rm", "j")])
def test_writing_commands_say_read_only(db_path, read_only_dir, args):
    _prepare(db_path)
    before = _listing(read_only_dir)
    r = _read_only(read_only_dir, schedcli(db_path, *args))
    assert r.returncode == 1, (r.stdout, r.stderr)
    assert "read-only" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "unable to open" not in r.stderr
    assert _listing(read_only_dir) == before


WRITER_KILLED = r"""
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("UPDATE jobs SET name = 'renamed'")
os._exit(0)  # dies without checkpointing: the change is only in the -wal file
"""


def test_a_left_over_wal_is_read_on_a_read_only_file_system(db_path, read_only_dir):
    _prepare(db_path)
    subprocess.run([sys.executable, "-c", WRITER_KILLED, str(db_path)], check=True, timeout=60)
    assert os.path.exists(f"{db_path}-wal") and os.path.exists(f"{db_path}-shm")
    r = _read_only(read_only_dir, schedcli(db_path, "list"))
    assert r.returncode == 0, r.stderr
    assert "renamed" in r.stdout  # what the -wal holds is seen, not a stale file
    with sqlite3.connect(db_path) as conn:  # and nothing was lost
        assert conn.execute("SELECT name FROM jobs").fetchall() == [("renamed",)]


NOBODY = 65534


@pytest.fixture
def private_dir():
    """A directory the user who runs the commands owns: this user's, or nobody's when
    the tests run as root (root ignores file modes, so the commands run as nobody)."""
    base = tempfile.mkdtemp(prefix="schedcli-ro-")
    os.chmod(base, 0o755)  # the way in; home itself is private
    home = os.path.join(base, "home")
    os.mkdir(home, 0o700)
    try:
        yield Path(home)
    finally:
        for directory, _, _ in os.walk(base):
            os.chmod(directory, 0o700)
        shutil.rmtree(base)


def _as_owner(argv):
    if os.geteuid() != 0:
        return argv
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv(1) is not installed: cannot run a command as another user")
    return ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *argv]


def _give_away(path):
    if os.geteuid() == 0:
        for directory, dirs, files in os.walk(path.parent):
            for name in [directory, *(os.path.join(directory, f) for f in files)]:
                os.chown(name, NOBODY, NOBODY)


def _run_as_owner(db_path, *args):
    home = str(db_path.parent)
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/config", XDG_DATA_HOME=f"{home}/data")
    return subprocess.run(_as_owner(schedcli(db_path, *args)), capture_output=True, text=True,
                          timeout=60, stdin=subprocess.DEVNULL, env=env)


@pytest.mark.parametrize("locked", ["file 0400", "directory 0500"])
def test_a_database_its_owner_may_not_write(private_dir, locked):
    db_path = private_dir / "schedcli.db"
    _prepare(db_path)
    _give_away(db_path)
    probe = _run_as_owner(db_path, "list")
    if probe.returncode != 0:
        pytest.skip(f"cannot run schedcli as uid {NOBODY}: {probe.stderr.strip()[-300:]}")
    if locked == "file 0400":
        os.chmod(db_path, 0o400)
    else:
        os.chmod(private_dir, 0o500)
    try:
        for args in READERS:
            r = _run_as_owner(db_path, *args)
            assert r.returncode == 0, (args, r.stdout, r.stderr)
            assert "Error" not in r.stderr, (args, r.stderr)
        r = _run_as_owner(db_path, "run-due")
        assert r.returncode == 1 and "read-only" in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as conn:
            assert conn.execute("SELECT count(*) FROM runs").fetchone()[0] == 1  # nothing recorded
    finally:
        os.chmod(private_dir, 0o700)
