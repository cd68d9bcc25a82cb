"""The orphans of this process's jobs: adopted (child subreaper), found, reaped.

Finding what is left of a job whose main process has exited could mean reading
every process in ``/proc``.  A runner that has called :func:`become_subreaper`
(the command line's ``run``, ``run-due`` and ``watch`` do, when they start)
adopts every orphan of its jobs: they become its children and are listed in
``/proc/PID/task/PID/children``.  When a job's leader exits, its remaining
processes all descend from such adopted children, so if none is alive (other
than those of another running job's session), nothing is left and no scan is
needed (:func:`job_surely_gone`).  Adopted orphans that exit are reaped.

An adopted orphan that left the job's session (``setsid``) is told apart from
other jobs' by the job's mark in its environment (``ProcessSpec.marker``: the engine
marks each run with ``SCHEDCLI_RUN_ID``): :func:`marked_orphans` finds them and
:func:`signal_orphans` ends them, with their groups and sessions.

A process that is not a subreaper (a program using this package directly that
never called :func:`become_subreaper`, or one that turned it off) gets no such
proof: :func:`job_surely_gone` answers "not proven" and the caller scans
``/proc``.  Nothing here changes the process's state unless asked to.

Process-wide state, on purpose: the children of a process are one set, so the
registry of the job leaders it started (:data:`LEADERS`) is one per process.
"""

from __future__ import annotations

import os
import threading

from schedcli.process.procfs import (
    KILL_CONFIRM_TIMEOUT, is_dead_state, read_environ, read_stat, signal_job, valid_pid,
)

_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37

_libc = None  # ctypes' view of the C library, loaded by become_subreaper() only


def become_subreaper() -> bool:
    """Make this process a child subreaper: the orphans of its jobs become its children
    instead of init's, so that what is left of a job can be found among them.

    Call it once when a runner starts (it is not inherited by forked children).
    Returns whether this process is now a subreaper: False where the kernel does not
    list a thread's children (``/proc/PID/task/TID/children``; without that adopted
    orphans could be neither found nor reaped) or ``prctl`` is unavailable.
    """
    global _libc
    try:
        pid = os.getpid()
        if not os.path.exists(f"/proc/{pid}/task/{pid}/children"):
            return False
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
            return False
        _libc = libc
    except Exception:  # no ctypes, no prctl: the /proc scan does the work
        return False
    return True


def is_subreaper() -> bool:
    """Is this process a child subreaper now?  Asks the kernel, but only after
    :func:`become_subreaper` has been called here (before that: False, at no cost)."""
    libc = _libc
    if libc is None:
        return False
    import ctypes

    value = ctypes.c_int()
    try:
        if libc.prctl(_PR_GET_CHILD_SUBREAPER, ctypes.byref(value), 0, 0, 0) != 0:
            return False
    except Exception:  # pragma: no cover - prctl vanished
        return False
    return value.value == 1


def _forget_libc_in_child() -> None:
    global _libc
    _libc = None  # a forked child is not a subreaper


os.register_at_fork(after_in_child=_forget_libc_in_child)


class Leaders:
    """The leaders of the jobs this process started and has not reaped yet, and how
    many starts are under way (a leader is known only once its start returns).

    An adopted child that has exited is reaped as an orphan only when it is not one
    of these and no start is under way: it could be a job that ended at once.
    """

    def __init__(self) -> None:
        self._pids: set[int] = set()
        self._starting = 0
        self._cond = threading.Condition(threading.Lock())

    def __contains__(self, pid: int) -> bool:
        return pid in self._pids

    def begin_start(self) -> None:
        with self._cond:
            self._starting += 1

    def end_start(self, pid: int | None) -> None:
        """A start is over: ``pid`` is the new leader, or None if nothing started."""
        with self._cond:
            self._starting -= 1
            if pid is not None:
                self._pids.add(pid)
            if not self._starting:
                self._cond.notify_all()

    def forget(self, pid: int) -> None:
        """The leader ``pid`` has been reaped."""
        with self._cond:
            self._pids.discard(pid)

    def started_meanwhile(self, pid: int) -> bool:
        """Is ``pid`` a leader whose start was under way?  Waits for the starts under way."""
        with self._cond:
            self._cond.wait_for(lambda: not self._starting, timeout=KILL_CONFIRM_TIMEOUT)
            return pid in self._pids

    def reap_orphan(self, pid: int, session: int) -> None:
        """Reap an adopted orphan that has exited (never a leader that a start tracks)."""
        with self._cond:
            if pid in self._pids or (pid == session and self._starting):
                return
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


LEADERS = Leaders()


def _adopted_children() -> list[int] | None:
    """This process's children as listed for its main thread, or None if unknown.

    Orphans are reparented to a subreaper's first live thread, its main thread,
    so every adopted orphan is listed here; children that other threads started
    themselves are job leaders, which are known anyway.
    """
    pid = os.getpid()
    try:
        with open(f"/proc/{pid}/task/{pid}/children", "rb") as f:
            return [int(child) for child in f.read().split()]
    except (OSError, ValueError):
        return None


def live_adopted() -> list[tuple[int, int]] | None:
    """``(pid, session)`` of this process's live children other than job leaders, or
    None when they cannot be known (not a subreaper, ``/proc`` unreadable).  Adopted
    orphans that have exited are reaped on the way (never a child of this process's
    own session, which ``subprocess`` may be waiting for)."""
    if not is_subreaper():
        return None
    children = _adopted_children()
    if children is None:
        return None
    own_session = os.getsid(0)
    live = []
    for pid in children:
        if pid in LEADERS:
            continue
        stat = read_stat(pid)
        if stat is None:
            continue
        state, _, session, _ = stat
        if not is_dead_state(state):
            live.append((pid, session))
        elif session != own_session:
            LEADERS.reap_orphan(pid, session)
    return live


def job_surely_gone(pgid: int) -> bool:
    """True when nothing can be left of job ``pgid``, whose leader has exited (unreaped).

    The cheap proof, as a child subreaper: when the leader exits its children are
    reparented to this process before the exit is reported, and so is every
    orphan the job made earlier.  Whatever is left of the job therefore descends
    from a child of this process that is not a job leader.  If no such child
    is alive, except children of another running job's session, nothing is left.
    False means "not proven" (also whenever this process is not a subreaper): the
    caller scans ``/proc``.
    """
    live = live_adopted()
    if live is None:
        return False
    for pid, session in live:
        if session != pgid and session in LEADERS:
            continue  # part of another job that is still running
        if pid == session and LEADERS.started_meanwhile(pid):
            continue  # a job that another thread has just started
        return False
    return True


def _carries(pid: int, mark: bytes) -> bool:
    """Does process ``pid``'s environment (as it was exec'd) hold the entry ``mark``?"""
    data = read_environ(pid)  # None: gone, or not ours to read
    return data is not None and mark in data.split(b"\0")


def marked_orphans(mark: bytes) -> list[tuple[int, int, int]]:
    """``(pid, pgrp, session)`` of the live orphans this process adopted whose
    environment carries ``mark`` (``NAME=VALUE``, :meth:`ProcessSpec.mark`): processes
    of one job that left its session (``setsid``) and whose parent is gone.  Empty
    when this process is not a subreaper: then nothing is adopted, and such a process
    cannot be found.  Never a job leader, nor a child of this process's own session."""
    if not is_subreaper():
        return []
    children = _adopted_children()
    if not children:
        return []
    own_session = os.getsid(0)
    found = []
    for pid in children:
        if pid in LEADERS:
            continue
        stat = read_stat(pid)
        if stat is None or is_dead_state(stat[0]):
            continue
        _, pgrp, session, _ = stat
        if session != own_session and _carries(pid, mark):
            found.append((pid, pgrp, session))
    return found


def signal_orphans(orphans: list[tuple[int, int, int]], sig: int) -> None:
    """Send ``sig`` to each adopted orphan of :func:`marked_orphans`, and to its process
    group and session: every member of those descends from the job too (a process
    can only join a group of its own session, and a session is made by its leader).
    An adopted orphan is this process's child: its pid cannot be reused before it is
    reaped, nor a group or session id while the group or session exists."""
    for pid, pgrp, session in orphans:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        for group in {pgrp, session}:
            if valid_pid(group):
                signal_job(group, sig)
