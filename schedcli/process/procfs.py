"""Processes as ``/proc`` shows them: identity, liveness, and ending a job's processes.

Nothing here starts or supervises a process (see :mod:`schedcli.process.supervise`):
these functions serve the supervisor (is anything left of a job?) and the recovery
of a crashed runner's runs (is that runner, or that job, still alive? end the job).

The identity of a process is ``"<boot_id>:<starttime>"`` from ``/proc``: a pid reused
by an unrelated process does not match it, and it cannot match after a reboot.
Zombies count as gone everywhere: they cannot run, hold no files, and ignore all
signals.
"""

from __future__ import annotations

import os
import signal
import time

from schedcli.process.spec import DEFAULT_KILL_GRACE, check_seconds

KILL_CONFIRM_TIMEOUT = 1.0  # s to wait for processes to vanish after SIGKILL
_POLL_MIN = 0.01  # s, first interval when polling /proc for remaining processes
_POLL_MAX = 0.1  # s, longest interval when polling /proc


_boot_id: str | None = None  # read once: it does not change while the machine runs


def boot_id() -> str | None:
    """This boot's id (``/proc/sys/kernel/random/boot_id``), or None if unreadable."""
    global _boot_id
    if _boot_id is None:
        try:
            with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as f:
                value = f.read().strip()
        except (OSError, ValueError):
            return None
        if not value:
            return None
        _boot_id = value
    return _boot_id


def _stat_fields(pid: int) -> list[bytes] | None:
    """The fields of ``/proc/<pid>/stat`` from field 3 (state) on, or None."""
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        data = os.read(fd, 4096)
    except OSError:
        return None
    finally:
        os.close(fd)
    # "pid (comm) state ppid pgrp session tty_nr ..." where comm may contain
    # spaces and parentheses: the fields resume after the LAST ')'.
    close = data.rfind(b")")
    if close < 0:
        return None
    fields = data[close + 1 :].split()
    # fields[0] is field 3 (state), so field N is fields[N - 3].
    return fields if len(fields) >= 20 else None


def read_stat(pid: int) -> tuple[str, int, int, int] | None:
    """``(state, pgrp, session, starttime)`` from ``/proc/<pid>/stat``, or None."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    try:
        return fields[0].decode("ascii"), int(fields[2]), int(fields[3]), int(fields[19])
    except (UnicodeDecodeError, ValueError):
        return None


EXEC_SETTLE = 0.05  # s: how long an empty environment is taken for an exec under way
_PF_KTHREAD = 0x00200000  # a kernel thread (field 9, flags): it has no environment


def read_environ(pid: int, settle: float = EXEC_SETTLE) -> bytes | None:
    """The environment process ``pid`` was started with (``/proc/<pid>/environ``), or
    None when it cannot be read (gone, or another user's).

    A live process's environment reads empty for the instant it is exec'ing a new
    program (a job whose last command is ``exec sleep ...``): an empty read is read
    again for up to ``settle`` seconds, unless the process is one that has no
    environment to show (a zombie, a kernel thread)."""
    deadline: float | None = None
    pause = 0.001
    while True:
        try:
            with open(f"/proc/{pid}/environ", "rb") as fh:
                data = fh.read()
        except OSError:
            return None
        if data or not _may_show_an_environment(pid):
            return data
        now = time.monotonic()
        if deadline is None:
            deadline = now + settle
        if now >= deadline:
            return data  # a process whose environment is empty indeed (env -i)
        time.sleep(pause)
        pause = min(pause * 2, 0.01)


def _may_show_an_environment(pid: int) -> bool:
    fields = _stat_fields(pid)
    if fields is None:
        return False
    try:
        return not is_dead_state(fields[0].decode("ascii")) and not int(fields[6]) & _PF_KTHREAD
    except (UnicodeDecodeError, ValueError):
        return False


def is_dead_state(state: str) -> bool:
    return state in ("Z", "X", "x")


def job_members(pgid: int) -> list[tuple[int, int]] | None:
    """Live (non-zombie) processes in process group ``pgid`` or session ``pgid``.

    Returns ``(pid, pgrp)`` pairs, or None when ``/proc`` cannot be listed.
    """
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    members = []
    for name in names:
        if not name.isdigit():
            continue
        pid = int(name)
        stat = read_stat(pid)
        if stat is None:
            continue
        state, pgrp, session, _ = stat
        if (pgrp == pgid or session == pgid) and not is_dead_state(state):
            members.append((pid, pgrp))
    return members


def valid_pid(pid: object) -> bool:
    # pid 0 and 1 are never ours, and os.killpg(0 or 1, ...) would signal our own
    # process group or every process we may signal.
    return isinstance(pid, int) and not isinstance(pid, bool) and pid > 1


def process_identity(pid: int) -> str | None:
    """A token identifying this exact process instance: ``"<boot_id>:<starttime>"``.

    ``starttime`` is field 22 of ``/proc/<pid>/stat`` (clock ticks after boot at
    which the process started), which together with the boot id cannot repeat
    for a reused pid.  None if the process does not exist, is a zombie, or
    ``/proc`` cannot be read.
    """
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
        return None
    stat = read_stat(pid)
    if stat is None or is_dead_state(stat[0]):
        return None
    boot = boot_id()
    if boot is None:
        return None
    return f"{boot}:{stat[3]}"


def is_alive(pid: int, identity: str | None) -> bool:
    """True only if process ``pid`` exists (not a zombie) and is the instance ``identity``.

    A pid reused by an unrelated process is not alive.  With ``identity=None``
    nothing can be proven, so the answer is False.
    """
    if identity is None:
        return False
    return process_identity(pid) == identity


def group_alive(pgid: int) -> bool:
    """True if any live process remains in process group ``pgid``.

    Uses ``os.killpg(pgid, 0)``; EPERM (the group exists but we may not signal
    it) counts as alive.  Zombie members do not count (checked through
    ``/proc`` when the group exists).  ``pgid`` below 2 is never a job's group:
    False.
    """
    if not valid_pid(pgid):
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    members = job_members(pgid)
    if members is None:
        return True
    return any(pgrp == pgid for _, pgrp in members)


def job_alive(pgid: int) -> bool:
    """Any live process left in group ``pgid`` or in session ``pgid``."""
    members = job_members(pgid)
    if members is not None:
        return bool(members)
    try:  # no /proc: fall back on the group (zombies then count as alive)
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def signal_member(pid: int, pgid: int, sig: int) -> bool:
    """Send ``sig`` to ``pid`` if it is (still) a live member of job ``pgid``.

    With a pidfd the check and the signal refer to the same process even if
    ``pid`` is reused in between.
    """
    try:
        pidfd: int | None = os.pidfd_open(pid)
    except ProcessLookupError:
        return False
    except (OSError, AttributeError):
        pidfd = None  # no pidfd support (old kernel, seccomp): best effort
    try:
        stat = read_stat(pid)
        if stat is None or is_dead_state(stat[0]) or pgid not in (stat[1], stat[2]):
            return False
        if pidfd is not None:
            signal.pidfd_send_signal(pidfd, sig)
        else:
            os.kill(pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False
    finally:
        if pidfd is not None:
            os.close(pidfd)


def signal_job(pgid: int, sig: int) -> bool:
    """Send ``sig`` to process group ``pgid`` and to the rest of session ``pgid``.

    Returns True if anything was signalled.
    """
    sent = False
    try:
        os.killpg(pgid, sig)
        sent = True
    except (ProcessLookupError, PermissionError):
        pass
    for pid, pgrp in job_members(pgid) or ():
        if pgrp != pgid and signal_member(pid, pgid, sig):
            sent = True
    return sent


def term_job(pgid: int) -> bool:
    # SIGCONT after SIGTERM so that a stopped process can act on the SIGTERM.
    sent = signal_job(pgid, signal.SIGTERM)
    signal_job(pgid, signal.SIGCONT)
    return sent


def poll_until_gone(pgid: int, deadline: float, resend: int | None = None) -> bool:
    """Poll ``/proc`` until job ``pgid`` is gone or ``deadline``; True if gone.

    With ``resend``, that signal is sent again on every round (catches processes
    forked while the previous one was being delivered).
    """
    interval = _POLL_MIN
    while True:
        if not job_alive(pgid):
            return True
        now = time.monotonic()
        if now >= deadline:
            return False
        if resend is not None:
            signal_job(pgid, resend)
        time.sleep(min(interval, deadline - now))
        interval = min(interval * 2, _POLL_MAX)


def kill_group(pgid: int, identity: str | None, grace: float = DEFAULT_KILL_GRACE) -> bool:
    """Terminate the job led by ``pgid``, for cleaning up after a crashed runner.

    Only if :func:`is_alive` ``(pgid, identity)``, i.e. the group leader is still
    the very process that was started: SIGTERM to its process group (and to the
    rest of its session), wait up to ``grace`` seconds for all of it to be gone,
    then SIGKILL whatever remains and wait up to a further second for it to
    vanish.  The leader is not our child, so this polls ``/proc`` instead of
    reaping.  Returns True if it signalled anything (False when the identity
    does not match: nothing is touched).

    There is an unavoidable, vanishingly small race: the leader could exit and
    its pid be reused as a new process group between the identity check and the
    first signal.
    """
    check_seconds("grace", grace, allow_zero=True)
    if not valid_pid(pgid) or not is_alive(pgid, identity):
        return False
    sent = term_job(pgid)
    if not sent:
        return False
    if poll_until_gone(pgid, time.monotonic() + grace):
        return True
    signal_job(pgid, signal.SIGKILL)
    poll_until_gone(pgid, time.monotonic() + KILL_CONFIRM_TIMEOUT, resend=signal.SIGKILL)
    return True


def owner_alive(pid: int | None, identity: str | None) -> bool:
    """Is the process that owns a run (its runner) still alive?

    With an identity it must match (a reused pid is not the owner); without one
    (``/proc`` was unreadable when it was recorded) the pid merely has to exist.
    """
    if pid is None:
        return False
    if identity is None:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    return is_alive(pid, identity)
