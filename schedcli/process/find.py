"""Finding the processes of a run by their environment, and ending them.

Every process a runner starts carries ``SCHEDCLI_DB`` (the database) and
``SCHEDCLI_RUN_ID`` (its run) in its environment, and so does every process it
starts in turn unless it clears them.  A runner killed while it starts its jobs may
die before it records their pids; the next runner finds them here, through
``/proc/PID/environ`` (readable for the processes of the same user), whatever
process group or session they moved to.

What can escape: a process that cleared or replaced those two variables
(``env -i``), and one of another user.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterable

from schedcli.process.procfs import (
    KILL_CONFIRM_TIMEOUT, is_alive, process_identity, read_environ, read_stat, signal_job,
)

_RUN_ID = b"SCHEDCLI_RUN_ID="
_DB = b"SCHEDCLI_DB="
_POLL_MIN = 0.01
_POLL_MAX = 0.1

Found = tuple[int, str]  # (pid, identity)


def _same_file(value: str, wanted: set[str]) -> bool:
    if value in wanted:
        return True
    try:
        return os.path.realpath(value) in wanted
    except (OSError, ValueError):
        return False


def _environ_of(pid: int) -> tuple[bytes | None, bytes | None]:
    """(SCHEDCLI_RUN_ID, SCHEDCLI_DB) of process ``pid``, each None when absent or unreadable."""
    data = read_environ(pid)
    if data is None:  # gone, or not ours to read
        return None, None
    run_id = db = None
    for item in data.split(b"\0"):
        if item.startswith(_RUN_ID):
            run_id = item[len(_RUN_ID):]
        elif item.startswith(_DB):
            db = item[len(_DB):]
    return run_id, db


def processes_of_runs(db_path: str, run_ids: Iterable[int]) -> dict[int, list[Found]]:
    """The live processes whose environment names run ``run_id`` of database ``db_path``,
    by run id (runs without any are left out).  One scan of ``/proc`` for all of them."""
    wanted_ids = {str(i).encode() for i in run_ids}
    if not wanted_ids:
        return {}
    wanted_db = {str(db_path), os.path.realpath(str(db_path))}
    try:
        names = os.listdir("/proc")
    except OSError:
        return {}
    me = os.getpid()
    found: dict[int, list[Found]] = {}
    for name in names:
        if not name.isdigit() or int(name) == me:
            continue
        pid = int(name)
        run_id, db = _environ_of(pid)
        if run_id not in wanted_ids or db is None:
            continue
        if not _same_file(os.fsdecode(db), wanted_db):
            continue
        identity = process_identity(pid)
        if identity is not None:
            found.setdefault(int(run_id), []).append((pid, identity))
    return found


def _signal(pid: int, identity: str, sig: int) -> bool:
    """Signal ``pid`` (and the process group and session it leads) if it is still the
    process that was found."""
    if not is_alive(pid, identity):
        return False
    stat = read_stat(pid)
    if stat is not None and pid in (stat[1], stat[2]):
        return signal_job(pid, sig)
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def end_processes(found: list[Found], grace: float) -> list[Found]:
    """SIGTERM each process found (with what it leads), SIGKILL what is left after
    ``grace`` seconds; returns those still alive after that (normally none)."""
    for pid, identity in found:
        if _signal(pid, identity, signal.SIGTERM):
            _signal(pid, identity, signal.SIGCONT)
    left = _wait_gone(found, time.monotonic() + grace)
    if left:
        for pid, identity in left:
            _signal(pid, identity, signal.SIGKILL)
        left = _wait_gone(left, time.monotonic() + KILL_CONFIRM_TIMEOUT, signal.SIGKILL)
    return left


def _wait_gone(found: list[Found], deadline: float, resend: int | None = None) -> list[Found]:
    interval = _POLL_MIN
    while True:
        left = [(pid, identity) for pid, identity in found if is_alive(pid, identity)]
        now = time.monotonic()
        if not left or now >= deadline:
            return left
        if resend is not None:
            for pid, identity in left:
                _signal(pid, identity, resend)
        time.sleep(min(interval, deadline - now))
        interval = min(interval * 2, _POLL_MAX)
