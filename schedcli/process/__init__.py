"""Run one job as a child process, and recognise or clean up processes of crashed runners.

This module never prints and imports only the standard library.

Running a job
-------------
:func:`start` executes ``spec.argv`` directly (no shell is added here) in a new
session, so the child is the leader of its own session and process group and
``Running.pid`` is also the process group id (and session id).  stdin is
``/dev/null``; stdout and stderr share one pipe, so the captured output is the
two streams interleaved in the order they were written.  Signal dispositions
the runner ignores (and signals blocked in the starting thread) are reset to
their defaults in the child, so a job always starts with a clean slate.

One daemon thread per process, the *supervisor*, looks after every job.  It
waits in ``epoll`` on each job's output pipe and on a pidfd of each child (or,
where the kernel has no pidfd, an eventfd written by a thread blocked in
``waitid(WNOWAIT)``), and on the next deadline of any job; for each job it:

* drains the pipe continuously (a job writing gigabytes never blocks), keeping
  only the first ``cap // 2`` bytes and a rolling tail of the last
  ``cap - cap // 2`` bytes, so memory stays ``O(output_cap)``;
* learns of the child's exit *without* reaping it: while the child is an
  unreaped zombie its pid cannot be reused, so signalling its process group can
  never hit an unrelated process;
* enforces ``spec.timeout`` and :meth:`Running.terminate` (SIGTERM, then SIGKILL
  after the grace period), cleans up what the job left behind, reaps the child
  and builds the :class:`Outcome`.

The timeout runs from :func:`start` (for a held process, from
:meth:`Gate.release`), whether or not anybody is blocked in
:meth:`Running.wait`.  The supervisor is a daemon thread: a runner that exits
without waiting leaves its jobs running, to be found again with
:func:`is_alive` and stopped with :func:`kill_group`.

Held processes
--------------
:func:`prepare` starts a job's process ahead of its due time and holds it
before ``exec`` (a few lines of ``sh`` reading a pipe); :meth:`Gate.load` sends
what only the run knows, :meth:`Gate.release` lets it run.  End of file on the
pipe (:meth:`Gate.cancel`, or the runner's death) ends it without running
anything.

A job's background processes do not outlive the job
---------------------------------------------------
When the child exits while other processes of its job remain (for example
``sleep 1000 &`` in a shell script, which would otherwise keep the output pipe
open forever), they receive SIGTERM and, if any remain after ``kill_grace``,
SIGKILL.  "The job" is every process in the child's process group *and* every
process of its session that moved to another process group (``setpgid``, as
``timeout(1)`` does).  Only a process that starts a new session of its own
(``setsid``, a classic double-forking daemon) escapes; if it keeps the output
pipe open, the supervisor stops waiting for end-of-file shortly after the job is
gone, and whatever that process writes afterwards is not captured.

Finding what is left of a job could mean reading every process in ``/proc``.
Instead, the first :func:`start` makes the runner a child subreaper
(``prctl(PR_SET_CHILD_SUBREAPER)``): every orphan of its jobs becomes its child
(they are listed in ``/proc/PID/task/PID/children``).  When a job's leader
exits, its remaining processes all descend from such adopted children, so if
none is alive (other than those of another running job's session), nothing is
left and no scan is needed; otherwise ``/proc`` is scanned as described above.
Adopted orphans that exit are reaped.

Orphans of a crashed runner
---------------------------
A runner records ``Running.pid`` and ``Running.identity``.  After a crash,
:func:`is_alive` tells whether that exact process still exists (a pid reused by
an unrelated process does not match the identity) and :func:`kill_group`
terminates the job it leads.  The identity is
``"<boot_id>:<starttime>"`` from ``/proc``, so it cannot match after a reboot.

Zombies (exited processes whose parent has not collected them yet) count as
gone everywhere in this module: they cannot run, hold no files, and ignore all
signals.  This matters in containers whose init does not reap orphans.
"""

from __future__ import annotations

import collections
import errno
import heapq
import math
import os
import select
import _signal
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "DEFAULT_KILL_GRACE",
    "DEFAULT_OUTPUT_CAP",
    "Gate",
    "Outcome",
    "ProcessSpec",
    "Running",
    "group_alive",
    "ignores",
    "is_alive",
    "kill_group",
    "prepare",
    "prepare_runner",
    "process_identity",
    "start",
]

DEFAULT_OUTPUT_CAP = 1024 * 1024  # bytes kept of a run's combined output
DEFAULT_KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL

_OMITTED_MARKER = b"\n[... schedcli: %d bytes omitted ...]\n"

_READ_CHUNK = 64 * 1024  # bytes per read from the output pipe
_FINAL_DRAIN_READS = 16  # reads (of _READ_CHUNK) of what is buffered when EOF does not come
_READER_EOF_TIMEOUT = 0.5  # s to wait for end-of-file once the whole job is gone
_KILL_CONFIRM_TIMEOUT = 1.0  # s to wait for processes to vanish after SIGKILL
_POLL_MIN = 0.01  # s, first interval when polling /proc for remaining processes
_POLL_MAX = 0.1  # s, longest interval when polling /proc
_MAX_WAIT = 60.0  # s, longest single wait of the supervisor loop

# Signals the interpreter ignores that subprocess' restore_signals=True already
# resets in the child; any *other* ignored signal needs a preexec_fn.
_RESTORED_BY_SUBPROCESS = frozenset(
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, name)
)
_UNCATCHABLE = frozenset({signal.SIGKILL, signal.SIGSTOP})


# --------------------------------------------------------------------------- data


@dataclass(frozen=True)
class ProcessSpec:
    """What to run.

    ``argv`` is exec'd directly; a bare name is looked up in the ``PATH`` of
    ``env`` (``os.defpath`` when ``env`` has no ``PATH``).  ``env`` is the
    complete environment of the child: nothing is inherited from the runner.
    ``argv`` and ``env`` are copied, so later changes by the caller have no
    effect.  Invalid values raise ``TypeError`` / ``ValueError``.
    """

    argv: list[str]
    env: dict[str, str]
    cwd: str | None = None
    timeout: float | None = None
    kill_grace: float = DEFAULT_KILL_GRACE
    output_cap: int = DEFAULT_OUTPUT_CAP

    def __post_init__(self) -> None:
        argv = self.argv
        if isinstance(argv, (str, bytes)) or not isinstance(argv, (list, tuple)):
            raise TypeError("argv must be a list of strings")
        if not argv:
            raise ValueError("argv must not be empty")
        for arg in argv:
            if not isinstance(arg, str):
                raise TypeError(f"argv items must be strings, not {type(arg).__name__}")
            if "\0" in arg:
                raise ValueError("argv items must not contain NUL characters")
        if not argv[0]:
            raise ValueError("argv[0] must not be empty")
        object.__setattr__(self, "argv", list(argv))

        if not isinstance(self.env, dict):
            raise TypeError("env must be a dict of strings")
        for key, value in self.env.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError("env keys and values must be strings")
            if not key or "=" in key or "\0" in key:
                raise ValueError(f"invalid environment variable name: {key!r}")
            if "\0" in value:
                raise ValueError(f"environment variable {key} contains a NUL character")
        object.__setattr__(self, "env", dict(self.env))

        if self.cwd is not None:
            cwd = os.fspath(self.cwd)
            if not isinstance(cwd, str):
                raise TypeError("cwd must be a string or None")
            if not cwd or "\0" in cwd:
                raise ValueError("cwd must be a non-empty path without NUL characters")
            object.__setattr__(self, "cwd", cwd)

        if self.timeout is not None:
            _check_seconds("timeout", self.timeout, allow_zero=False)
        _check_seconds("kill_grace", self.kill_grace, allow_zero=True)
        if isinstance(self.output_cap, bool) or not isinstance(self.output_cap, int):
            raise TypeError("output_cap must be an int")
        if self.output_cap < 0:
            raise ValueError("output_cap must not be negative")


@dataclass
class Outcome:
    """How a run ended.

    ``timed_out`` and ``terminated`` record what *caused* the termination, so at
    most one of them is true: whichever of the timeout and :meth:`Running.terminate`
    came first while the child was still running.  Both are false for a child
    that exited on its own, even if leftover background processes had to be
    killed afterwards.
    """

    exit_code: int | None
    signal: int | None
    timed_out: bool
    terminated: bool
    output: bytes
    truncated: bool
    total_bytes: int
    duration: float
    error: str | None = None

    @classmethod
    def without_output(cls, exit_code: int | None, error: str, duration: float) -> "Outcome":
        """The outcome of a process that could not be started or supervised."""
        return cls(
            exit_code=exit_code, signal=None, timed_out=False, terminated=False,
            output=b"", truncated=False, total_bytes=0, duration=duration, error=error,
        )


def _check_seconds(name: str, value: object, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {bound} finite number of seconds, not {value!r}")


# ------------------------------------------------------------------ output buffer


class _OutputBuffer:
    """Keeps the first ``cap // 2`` and the last ``cap - cap // 2`` bytes fed to it.

    Memory is bounded by ``cap`` plus one fed chunk, however much is fed.
    """

    def __init__(self, cap: int) -> None:
        self._head_cap = cap // 2
        self._tail_cap = cap - self._head_cap
        self._head = bytearray()
        self._tail: collections.deque[bytes] = collections.deque()
        self._tail_len = 0
        self._total = 0
        self._lock = threading.Lock()

    def feed(self, data: bytes) -> None:
        with self._lock:
            self._total += len(data)
            room = self._head_cap - len(self._head)
            if room > 0:
                self._head += data[:room]
                data = data[room:]
            if not data or self._tail_cap == 0:
                return
            if len(data) >= self._tail_cap:
                self._tail.clear()
                self._tail.append(data[len(data) - self._tail_cap :])
                self._tail_len = self._tail_cap
                return
            self._tail.append(data)
            self._tail_len += len(data)
            # Drop whole chunks that lie entirely before the last tail_cap bytes.
            while self._tail_len - len(self._tail[0]) >= self._tail_cap:
                self._tail_len -= len(self._tail.popleft())

    def result(self) -> tuple[bytes, bool, int]:
        """Return ``(output, truncated, total_bytes)``."""
        with self._lock:
            tail = b"".join(self._tail)
            if len(tail) > self._tail_cap:
                tail = tail[len(tail) - self._tail_cap :]
            head = bytes(self._head)
            omitted = self._total - len(head) - len(tail)
            if omitted > 0:
                return head + _OMITTED_MARKER % omitted + tail, True, self._total
            return head + tail, False, self._total


# ------------------------------------------------------------------------- /proc


_boot_id: str | None = None


def _get_boot_id() -> str | None:
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


def _read_stat(pid: int) -> tuple[str, int, int, int] | None:
    """``(state, pgrp, session, starttime)`` from ``/proc/<pid>/stat``, or None."""
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
    if len(fields) < 20:
        return None
    try:
        return fields[0].decode("ascii"), int(fields[2]), int(fields[3]), int(fields[19])
    except (UnicodeDecodeError, ValueError):
        return None


def _is_dead_state(state: str) -> bool:
    return state in ("Z", "X", "x")


def _job_members(pgid: int) -> list[tuple[int, int]] | None:
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
        stat = _read_stat(pid)
        if stat is None:
            continue
        state, pgrp, session, _ = stat
        if (pgrp == pgid or session == pgid) and not _is_dead_state(state):
            members.append((pid, pgrp))
    return members


# Leaders of the jobs started here and not yet reaped, and how many starts are
# under way (a leader is known only once its start returns).  A session
# leader that has exited is reaped as an adopted orphan only when it is not
# one of these and no start is under way: it could be a job that ended at once.
_leaders: set[int] = set()
_starting = 0
_leaders_lock = threading.Condition(threading.Lock())
_subreaper: bool | None = None  # None: not tried yet

_PR_SET_CHILD_SUBREAPER = 36


def _become_subreaper() -> bool:
    """Make this process a child subreaper, once: the orphans of its jobs become its
    children instead of init's, so that what is left of a job can be found among them.

    Only where the kernel lists a thread's children (``/proc/PID/task/TID/children``):
    without that, adopted orphans could be neither found nor reaped.
    """
    global _subreaper
    if _subreaper is None:
        _subreaper = False
        try:
            pid = os.getpid()
            if os.path.exists(f"/proc/{pid}/task/{pid}/children"):
                import ctypes

                libc = ctypes.CDLL(None, use_errno=True)
                _subreaper = libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0
        except Exception:  # no ctypes, no prctl: the /proc scan does the work
            _subreaper = False
    return _subreaper


def _forget_leader(pid: int) -> None:
    with _leaders_lock:
        _leaders.discard(pid)


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


def _job_surely_gone(pgid: int) -> bool:
    """True when nothing can be left of job ``pgid``, whose leader has exited (unreaped).

    The cheap proof, as a child subreaper: when the leader exits its children are
    reparented to this process before the exit is reported, and so is every
    orphan the job made earlier.  Whatever is left of the job therefore descends
    from a child of this process that is not a job leader.  If no such child
    is alive, except children of another running job's session, nothing is left.
    False means "not proven": the caller scans ``/proc``.
    """
    live = _live_adopted()
    if live is None:
        return False
    for pid, session in live:
        if session != pgid and session in _leaders:
            continue  # part of another job that is still running
        if pid == session and _started_meanwhile(pid):
            continue  # a job that another thread has just started
        return False
    return True


def _started_meanwhile(pid: int) -> bool:
    """Is ``pid`` a leader whose start was under way?  Waits for the starts under way."""
    with _leaders_lock:
        _leaders_lock.wait_for(lambda: not _starting, timeout=_KILL_CONFIRM_TIMEOUT)
        return pid in _leaders


def _live_adopted() -> list[tuple[int, int]] | None:
    """``(pid, session)`` of this process's live children other than job leaders, or
    None when they cannot be known (not a subreaper, ``/proc`` unreadable).  Adopted
    orphans that have exited are reaped on the way (never a child of this process's
    own session, which ``subprocess`` may be waiting for)."""
    if not _subreaper:
        return None
    children = _adopted_children()
    if children is None:
        return None
    own_session = os.getsid(0)
    live = []
    for pid in children:
        if pid in _leaders:
            continue
        stat = _read_stat(pid)
        if stat is None:
            continue
        state, _, session, _ = stat
        if not _is_dead_state(state):
            live.append((pid, session))
        elif session != own_session:
            _reap_orphan(pid, session)
    return live


def _reap_orphan(pid: int, session: int) -> None:
    """Reap an adopted orphan that has exited (never a leader that ``start`` tracks)."""
    with _leaders_lock:
        if pid in _leaders or (pid == session and _starting):
            return
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass


def _valid_pid(pid: object) -> bool:
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
    stat = _read_stat(pid)
    if stat is None or _is_dead_state(stat[0]):
        return None
    boot_id = _get_boot_id()
    if boot_id is None:
        return None
    return f"{boot_id}:{stat[3]}"


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
    if not _valid_pid(pgid):
        return False
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    members = _job_members(pgid)
    if members is None:
        return True
    return any(pgrp == pgid for _, pgrp in members)


def _job_alive(pgid: int) -> bool:
    """Any live process left in group ``pgid`` or in session ``pgid``."""
    members = _job_members(pgid)
    if members is not None:
        return bool(members)
    try:  # no /proc: fall back on the group (zombies then count as alive)
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _signal_member(pid: int, pgid: int, sig: int) -> bool:
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
        stat = _read_stat(pid)
        if stat is None or _is_dead_state(stat[0]) or pgid not in (stat[1], stat[2]):
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


def _signal_job(pgid: int, sig: int) -> bool:
    """Send ``sig`` to process group ``pgid`` and to the rest of session ``pgid``.

    Returns True if anything was signalled.
    """
    sent = False
    try:
        os.killpg(pgid, sig)
        sent = True
    except (ProcessLookupError, PermissionError):
        pass
    for pid, pgrp in _job_members(pgid) or ():
        if pgrp != pgid and _signal_member(pid, pgid, sig):
            sent = True
    return sent


def _term_job(pgid: int) -> bool:
    # SIGCONT after SIGTERM so that a stopped process can act on the SIGTERM.
    sent = _signal_job(pgid, signal.SIGTERM)
    _signal_job(pgid, signal.SIGCONT)
    return sent


def _poll_until_gone(pgid: int, deadline: float, resend: int | None = None) -> bool:
    """Poll ``/proc`` until job ``pgid`` is gone or ``deadline``; True if gone.

    With ``resend``, that signal is sent again on every round (catches processes
    forked while the previous one was being delivered).
    """
    interval = _POLL_MIN
    while True:
        if not _job_alive(pgid):
            return True
        now = time.monotonic()
        if now >= deadline:
            return False
        if resend is not None:
            _signal_job(pgid, resend)
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
    _check_seconds("grace", grace, allow_zero=True)
    if not _valid_pid(pgid) or not is_alive(pgid, identity):
        return False
    sent = _term_job(pgid)
    if not sent:
        return False
    if _poll_until_gone(pgid, time.monotonic() + grace):
        return True
    _signal_job(pgid, signal.SIGKILL)
    _poll_until_gone(pgid, time.monotonic() + _KILL_CONFIRM_TIMEOUT, resend=signal.SIGKILL)
    return True


# --------------------------------------------------------------------- running


_RESETTABLE = tuple(
    int(sig) for sig in signal.valid_signals() if sig not in _UNCATCHABLE and sig not in _RESTORED_BY_SUBPROCESS
)


# Ignoring these instead of catching them changes how the terminal treats the
# runner (a caught SIGTTOU would stop background writes to the terminal).
_JOB_CONTROL = frozenset(
    getattr(signal, name) for name in ("SIGTSTP", "SIGTTIN", "SIGTTOU") if hasattr(signal, name)
)
_signals_caught = False


def _do_nothing(signum: int, frame: object) -> None:
    """The runner's handler for a signal it was started ignoring: still ignored."""


def _catch_ignored_signals() -> None:
    """Catch, with a handler that does nothing, each signal the runner was started
    ignoring (``nohup`` ignores SIGHUP; a shell's ``&`` ignores SIGINT and SIGQUIT).

    The runner goes on ignoring them, but jobs start with their defaults without a
    preexec function: exec() resets caught signals, not ignored ones, and a preexec
    function forces fork() instead of vfork(), which costs milliseconds per start
    in a large runner.  Only the main thread may set handlers: elsewhere this does
    nothing, and :func:`_child_signal_reset` resets the signals in the child.
    """
    global _signals_caught
    if _signals_caught or threading.current_thread() is not threading.main_thread():
        return
    _signals_caught = True
    for sig in _RESETTABLE:
        if sig in _JOB_CONTROL:
            continue
        try:
            if _signal.getsignal(sig) == _signal.SIG_IGN:
                _signal.signal(sig, _do_nothing)
        except (OSError, ValueError):
            continue


def ignores(sig: int) -> bool:
    """Does this process ignore ``sig`` (``SIG_IGN``, or caught by the no-op handler)?"""
    handler = _signal.getsignal(sig)
    return handler == _signal.SIG_IGN or handler is _do_nothing


def prepare_runner() -> None:
    """Make this process ready to start jobs quickly: it adopts its jobs' orphans (see
    "A job's background processes do not outlive the job") and catches the signals it
    ignores.  Call it from the main thread before starting jobs from other threads;
    :func:`start` calls it too (once)."""
    _become_subreaper()
    _catch_ignored_signals()


def _child_signal_reset():  # type: ignore[no-untyped-def]
    """A preexec_fn resetting inherited signal state in the child, or None if not needed.

    exec() resets caught signals by itself, but ignored signals and the blocked
    signal mask survive it.  A preexec_fn forces fork() instead of vfork(), so
    it is only used when the runner actually ignores or blocks something.
    """
    ignored = []
    for sig in _RESETTABLE:
        try:
            # _signal is what the signal module wraps; its getsignal skips the enum
            # conversions that made this loop cost a third of a millisecond per start.
            if _signal.getsignal(sig) == _signal.SIG_IGN:
                ignored.append(sig)
        except (OSError, ValueError):
            continue
    blocked = bool(signal.pthread_sigmask(signal.SIG_BLOCK, ()))
    if not ignored and not blocked:
        return None
    to_reset = tuple(ignored)

    def reset() -> None:  # runs in the child between fork and exec
        for sig in to_reset:
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, ())

    return reset


def _describe_start_error(exc: BaseException, spec: ProcessSpec) -> tuple[str, int]:
    """``(message, exit_code)`` for a failed start, following shell conventions."""
    cmd = spec.argv[0]
    if not isinstance(exc, OSError):
        return f"cannot start {cmd}: {exc}", 126
    err = exc.errno
    if spec.cwd is not None and exc.filename == spec.cwd:  # chdir() failed
        if err == errno.ENOENT:
            return f"no such directory: {spec.cwd}", 126
        if err == errno.ENOTDIR:
            return f"not a directory: {spec.cwd}", 126
        if err == errno.EACCES:
            return f"permission denied: {spec.cwd}", 126
        return f"cannot change to directory {spec.cwd}: {exc.strerror}", 126
    if err in (errno.ENOENT, errno.ENOTDIR):
        if _command_file_exists(cmd, spec):
            # The file is there, so exec() could not find its #! interpreter.
            return f"bad interpreter: {cmd}: {exc.strerror}", 126
        return f"command not found: {cmd}", 127
    if err == errno.EACCES:
        return f"permission denied: {cmd}", 126
    if err == errno.ENOEXEC:
        return f"exec format error: {cmd}", 126
    return f"cannot run {cmd}: {exc.strerror or exc}", 126


def _command_file_exists(cmd: str, spec: ProcessSpec) -> bool:
    try:
        base = spec.cwd if spec.cwd is not None else os.getcwd()
    except OSError:  # the runner's own working directory was removed
        return False
    if "/" in cmd:
        candidates = [os.path.join(base, cmd)]
    else:
        candidates = [os.path.join(base, d, cmd) for d in os.get_exec_path(spec.env)]
    return any(os.path.isfile(path) for path in candidates)


def _min(a: float | None, b: float | None) -> float | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


class Running:
    """A started job (or one that could not be started).

    ``pid`` is the child's pid, which is also its process group and session id;
    it is 0 when the job could not be started (then ``error`` is set,
    ``identity`` is None and :meth:`wait` returns the error outcome at once).
    """

    pid: int
    identity: str | None
    spec: ProcessSpec
    error: str | None

    def __init__(self) -> None:
        raise TypeError("use schedcli.process.start() to create a Running")

    @classmethod
    def _failed(cls, spec: ProcessSpec, message: str, exit_code: int, t0: float) -> Running:
        self = object.__new__(cls)
        self.spec = spec
        self.pid = 0
        self.identity = None
        self.error = message
        self._proc = None
        self._done = threading.Event()
        self._outcome = Outcome.without_output(exit_code, message, time.monotonic() - t0)
        self._done.set()
        return self

    @classmethod
    def _started(
        cls, spec: ProcessSpec, proc: subprocess.Popen[bytes], fd: int, t0: float, gated: bool = False
    ) -> Running:
        self = object.__new__(cls)
        self.spec = spec
        self.pid = proc.pid
        self.error = None
        self._proc = proc
        self._t0 = t0
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._outcome: Outcome | None = None
        # Shared with terminate(), guarded by _lock.
        self._exited = False
        self._exit_time = t0
        self._term_kill_at: float | None = None  # SIGKILL deadline set by terminate()
        self._terminated_first = False  # terminate() came before the timeout and the exit
        self._timed_out = False
        # Owned by the supervisor loop.
        self._phase = _RUNNING
        # A gated process (see Gate) gets its timeout when the gate opens.
        self._timeout_at = t0 + spec.timeout if spec.timeout is not None and not gated else None
        self._kill_at: float | None = None  # SIGKILL deadline from the timeout
        self._term_sent = False
        self._kill_sent = False
        self._poll_interval = _POLL_MIN
        self._give_up_at: float | None = None
        self._eof_deadline = 0.0
        self._timer_seq = 0

        self.identity = process_identity(proc.pid)
        self._buffer = _OutputBuffer(spec.output_cap)
        self._out_fd = fd
        self._exit_fd = -1
        try:
            self._exit_fd = _exit_notifier(proc.pid)
            _supervisor().attach(self)
        except BaseException:
            # Supervision could not be set up (resource exhaustion): do not leave
            # the job running unsupervised.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
            _forget_leader(proc.pid)
            self._close_fds()
            raise
        return self

    # -- public API ---------------------------------------------------------

    def wait(self) -> Outcome:
        """Block until the child has exited, leftovers are cleaned up and output is collected.

        The timeout (from :func:`start`) is enforced whether or not anybody
        waits.  May be called several times and from several threads; every
        call returns the same :class:`Outcome`.
        """
        self._done.wait()
        assert self._outcome is not None
        return self._outcome

    def poll(self) -> bool:
        """True when the run is over: :meth:`wait` would return at once."""
        return self._done.is_set()

    def terminate(self, grace: float | None = None) -> None:
        """Stop the job: SIGTERM to its process group now, SIGKILL after ``grace`` seconds.

        ``grace`` defaults to ``spec.kill_grace``.  Thread-safe, returns at once
        (the signals are sent by the supervisor); :meth:`wait` then reports
        ``terminated=True`` unless the job had already exited or timed out.
        Calling it again can only bring the SIGKILL forward.  A no-op when the
        run is over or never started.
        """
        if grace is None:
            grace = self.spec.kill_grace
        else:
            _check_seconds("grace", grace, allow_zero=True)
        if self._proc is None:
            return
        with self._lock:
            if self._done.is_set():
                return
            if not self._exited and not self._timed_out and self._term_kill_at is None:
                self._terminated_first = True
            self._term_kill_at = _min(self._term_kill_at, time.monotonic() + grace)
        _supervisor().call_soon(self, self._step)

    def _open_gate(self, t0: float) -> None:
        """The held process goes on to run the job: its time counts from ``t0``."""
        with self._lock:
            self._t0 = self._exit_time = t0
        if self.spec.timeout is not None:
            _supervisor().call_soon(self, self._arm_timeout)

    def _arm_timeout(self) -> None:
        if self.spec.timeout is not None and not self._exited:
            self._timeout_at = self._t0 + self.spec.timeout
        self._step()

    def __repr__(self) -> str:
        state = "error" if self.error else ("done" if self.poll() else "running")
        return f"<Running pid={self.pid} {state} argv={self.spec.argv!r}>"

    # -- in the supervisor loop ---------------------------------------------

    def _attach(self, loop: _Supervisor) -> None:
        loop.watch(self._out_fd, self, self._on_output)
        loop.watch(self._exit_fd, self, self._on_exit)
        self._step()

    def _on_output(self) -> None:
        data = os.read(self._out_fd, _READ_CHUNK)
        if data:
            self._buffer.feed(data)
            return
        # End of file: nothing holds the write end any more.
        _supervisor().unwatch(self._out_fd)
        os.close(self._out_fd)
        self._out_fd = -1
        if self._phase == _COLLECTING:
            self._step()

    def _on_exit(self) -> None:
        """The child exited (it stays unreaped until its job is over)."""
        _supervisor().unwatch(self._exit_fd)
        os.close(self._exit_fd)
        self._exit_fd = -1
        with self._lock:
            self._exit_time = time.monotonic()
            self._exited = True
        pgid = self.pid
        if _job_surely_gone(pgid) or not _job_alive(pgid):
            self._reap()
        else:
            # Leftovers: end the rest of the job (SIGTERM now, SIGKILL after the grace).
            if not self._term_sent:
                _term_job(pgid)
                self._term_sent = True
            if self._kill_at is None:
                self._kill_at = time.monotonic() + self.spec.kill_grace
            self._phase = _CLEANING_UP
        self._step()

    def _reap(self) -> None:
        assert self._proc is not None
        self._proc.wait()  # immediate: the child has exited
        _forget_leader(self.pid)
        self._phase = _COLLECTING
        self._eof_deadline = time.monotonic() + _READER_EOF_TIMEOUT

    def _step(self) -> None:
        """Act on the deadlines (timeout, SIGKILL, polling for leftovers, end of output)
        and set the next wake-up."""
        if self._phase == _RUNNING:
            self._step_running()
        if self._phase == _CLEANING_UP:
            self._step_cleaning_up()
        if self._phase == _COLLECTING:
            if self._out_fd < 0 or time.monotonic() >= self._eof_deadline:
                self._finish(None)
            else:
                self._set_timer(self._eof_deadline)

    def _step_running(self) -> None:
        now = time.monotonic()
        with self._lock:
            if self._exited:
                return
            fire_timeout = self._timeout_at is not None and now >= self._timeout_at and not self._timed_out
            if fire_timeout and self._term_kill_at is None:
                self._timed_out = True  # the timeout came before any terminate()
            if fire_timeout:
                self._timeout_at = None
                self._kill_at = now + self.spec.kill_grace
            kill_at = _min(self._kill_at, self._term_kill_at)
        if not self._term_sent and kill_at is not None:
            _term_job(self.pid)
            self._term_sent = True
        if not self._kill_sent and kill_at is not None and now >= kill_at:
            _signal_job(self.pid, signal.SIGKILL)
            self._kill_sent = True
        self._set_timer(_min(self._timeout_at, None if self._kill_sent else kill_at))

    def _step_cleaning_up(self) -> None:
        pgid = self.pid
        while True:
            if not _job_alive(pgid):
                break
            now = time.monotonic()
            with self._lock:
                kill_at = _min(self._kill_at, self._term_kill_at)
            if self._kill_sent:
                if self._give_up_at is None:
                    self._give_up_at = now + _KILL_CONFIRM_TIMEOUT
                if now >= self._give_up_at:
                    break  # unkillable (e.g. stuck in the kernel): stop waiting
                _signal_job(pgid, signal.SIGKILL)
            elif kill_at is not None and now >= kill_at:
                _signal_job(pgid, signal.SIGKILL)
                self._kill_sent = True
                continue
            pause = self._poll_interval
            if not self._kill_sent and kill_at is not None:
                pause = min(pause, max(kill_at - now, 0.0))
            self._poll_interval = min(self._poll_interval * 2, _POLL_MAX)
            self._set_timer(now + pause)
            return
        _live_adopted()  # reaps the leftovers just ended
        self._reap()

    def _set_timer(self, when: float | None) -> None:
        self._timer_seq += 1
        if when is not None:
            _supervisor().wake_at(when, self, self._timer_seq)

    def _on_timer(self, seq: int) -> None:
        if seq == self._timer_seq:  # else superseded by a later one
            self._step()

    def _fail(self, exc: BaseException) -> None:  # pragma: no cover - defensive, must never hang wait()
        """An internal error while supervising: kill the job, reap it, report the error."""
        if self._done.is_set():
            return
        try:
            if self._proc is not None and self._proc.returncode is None:
                try:
                    os.killpg(self.pid, signal.SIGKILL)
                except OSError:
                    pass
                self._proc.wait()
                _forget_leader(self.pid)
        except BaseException:
            pass
        self._finish(f"internal error while supervising pid {self.pid}: {exc!r}")

    def _finish(self, error: str | None) -> None:
        """Take what is left in the pipe without waiting, build the Outcome, wake the waiters."""
        loop = _supervisor()
        try:
            if self._out_fd >= 0:
                loop.unwatch(self._out_fd)
                os.set_blocking(self._out_fd, False)
                for _ in range(_FINAL_DRAIN_READS):
                    data = os.read(self._out_fd, _READ_CHUNK)
                    if not data:
                        break
                    self._buffer.feed(data)
        except OSError:
            pass  # BlockingIOError: nothing more buffered; the output kept so far stands
        if self._exit_fd >= 0:
            loop.unwatch(self._exit_fd)
        self._timer_seq += 1  # no further timers
        loop.detach(self)
        output, truncated, total = self._buffer.result()
        assert self._proc is not None
        rc = self._proc.returncode
        with self._lock:
            outcome = Outcome(
                exit_code=rc if rc is not None and rc >= 0 else None,
                signal=-rc if rc is not None and rc < 0 else None,
                timed_out=self._timed_out,
                terminated=self._terminated_first,
                output=output,
                truncated=truncated,
                total_bytes=total,
                duration=max(self._exit_time - self._t0, 0.0),
                error=error,
            )
            self._outcome = outcome
            self._phase = _DONE
            self._close_fds()
            self._done.set()

    def _close_fds(self) -> None:
        for name in ("_out_fd", "_exit_fd"):
            fd = getattr(self, name)
            if fd >= 0:
                setattr(self, name, -1)
                try:
                    os.close(fd)
                except OSError:
                    pass


_RUNNING, _CLEANING_UP, _COLLECTING, _DONE = range(4)


class _Supervisor:
    """One thread that supervises every job of this process: it waits in ``epoll`` on
    their output pipes and exit notifiers and on a wake-up eventfd, runs the calls
    other threads queue for it (:meth:`call_soon`), and each job's next deadline."""

    def __init__(self) -> None:
        self._epoll = select.epoll()
        self._wake_fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)
        self._epoll.register(self._wake_fd, select.EPOLLIN)
        self._handlers: dict[int, tuple[Running, Callable[[], None]]] = {}
        # (when, tiebreak, seq, weak reference to the run): a finished run's stale timer
        # must not keep it (and its output) in memory until the timer's time.
        self._timers: list[tuple[float, int, int, weakref.ref[Running]]] = []
        self._live: set[Running] = set()  # runs not finished yet: kept alive while supervised
        self._tiebreak = 0
        self._calls: collections.deque[tuple[Running, Callable[[], None]]] = collections.deque()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="schedcli-supervisor", daemon=True)
        self._thread.start()

    # -- from any thread ------------------------------------------------------

    def attach(self, running: Running) -> None:
        with self._lock:
            self._live.add(running)
        self.call_soon(running, lambda: running._attach(self))

    def detach(self, running: Running) -> None:
        with self._lock:
            self._live.discard(running)

    def call_soon(self, running: Running, call: Callable[[], None]) -> None:
        """Make ``call`` (about ``running``) in the loop thread."""
        with self._lock:
            self._calls.append((running, call))
        os.eventfd_write(self._wake_fd, 1)

    # -- in the loop ------------------------------------------------------------

    def watch(self, fd: int, running: Running, handler: Callable[[], None]) -> None:
        self._handlers[fd] = (running, handler)
        self._epoll.register(fd, select.EPOLLIN)

    def unwatch(self, fd: int) -> None:
        if self._handlers.pop(fd, None) is not None:
            self._epoll.unregister(fd)

    def wake_at(self, when: float, running: Running, seq: int) -> None:
        self._tiebreak += 1
        heapq.heappush(self._timers, (when, self._tiebreak, seq, weakref.ref(running)))

    def _loop(self) -> None:
        # The work is done in methods so that no local variable keeps the last run
        # handled alive while the loop waits.
        while True:
            timeout = -1.0
            if self._timers:
                timeout = min(max(self._timers[0][0] - time.monotonic(), 0.0), _MAX_WAIT)
            try:
                events = self._epoll.poll(timeout)
            except InterruptedError:  # pragma: no cover - retried by Python already
                continue
            self._handle_events(events)
            self._run_calls()
            self._run_timers()

    def _handle_events(self, events: list[tuple[int, int]]) -> None:
        for fd, _ in events:
            if fd == self._wake_fd:
                try:
                    os.eventfd_read(fd)
                except BlockingIOError:
                    pass
                continue
            entry = self._handlers.get(fd)
            if entry is not None:
                self._guarded(entry[0], entry[1])

    def _run_calls(self) -> None:
        while True:
            with self._lock:
                if not self._calls:
                    return
                running, call = self._calls.popleft()
            self._guarded(running, call)

    def _run_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, seq, ref = heapq.heappop(self._timers)
            running = ref()
            if running is not None:
                self._guarded(running, lambda: running._on_timer(seq))

    def _guarded(self, running: Running, call: Callable[[], None]) -> None:
        try:
            call()
        except BaseException as exc:  # pragma: no cover - defensive: the loop must go on
            try:
                running._fail(exc)
            except BaseException:
                pass


_the_supervisor: _Supervisor | None = None
_supervisor_lock = threading.Lock()


def _supervisor() -> _Supervisor:
    global _the_supervisor
    loop = _the_supervisor
    if loop is None:
        with _supervisor_lock:
            if _the_supervisor is None:
                _the_supervisor = _Supervisor()
            loop = _the_supervisor
    return loop


def _forget_supervisor_in_child() -> None:
    # A forked child has none of the parent's threads: it starts its own loop if needed.
    global _the_supervisor, _supervisor_lock
    _the_supervisor = None
    _supervisor_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_supervisor_in_child)


def _exit_notifier(pid: int) -> int:
    """A file descriptor that becomes readable when child ``pid`` exits, without reaping it.

    A pidfd where the kernel has them; otherwise an eventfd written by a thread
    blocked in ``waitid(WNOWAIT)``.
    """
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        pass
    fd = os.eventfd(0, os.EFD_CLOEXEC | os.EFD_NONBLOCK)

    def watch() -> None:
        try:
            os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
        except BaseException:  # ChildProcessError: reaped elsewhere; Popen.wait() copes
            pass
        finally:
            try:
                os.eventfd_write(fd, 1)
            except OSError:
                pass

    try:
        threading.Thread(target=watch, name=f"schedcli-wait-{pid}", daemon=True).start()
    except BaseException:
        os.close(fd)
        raise
    return fd


def start(spec: ProcessSpec) -> Running:
    """Start ``spec`` as a child process in its own session and process group.

    Never raises for a command that cannot be run (missing or non-executable
    file, bad ``#!`` interpreter, missing or inaccessible ``cwd``, or any other
    ``OSError`` from fork/exec): the returned :class:`Running` has ``pid == 0``
    and its :meth:`~Running.wait` returns an :class:`Outcome` with ``error``
    set and ``exit_code`` 127 (command not found) or 126 (anything else).
    """
    if not isinstance(spec, ProcessSpec):
        raise TypeError("spec must be a ProcessSpec")
    return _spawn(spec, spec.argv, subprocess.DEVNULL)


def _spawn(spec: ProcessSpec, argv: list[str], stdin: int, gate_fd: int = -1) -> Running:
    global _starting
    prepare_runner()
    t0 = time.monotonic()
    read_fd, write_fd = os.pipe()  # both close-on-exec: no other child inherits them
    proc: subprocess.Popen[bytes] | None = None
    with _leaders_lock:
        _starting += 1
    try:
        try:
            proc = subprocess.Popen(
                argv,
                stdin=stdin,
                stdout=write_fd,
                stderr=subprocess.STDOUT,
                env=spec.env,
                cwd=spec.cwd,
                close_fds=True,
                start_new_session=True,
                restore_signals=True,
                preexec_fn=_child_signal_reset(),
            )
        finally:
            with _leaders_lock:
                _starting -= 1
                if proc is not None:
                    _leaders.add(proc.pid)
                if not _starting:
                    _leaders_lock.notify_all()
    except (OSError, subprocess.SubprocessError) as exc:
        os.close(read_fd)
        os.close(write_fd)
        message, exit_code = _describe_start_error(exc, spec)
        return Running._failed(spec, message, exit_code, t0)
    except BaseException:
        os.close(read_fd)
        os.close(write_fd)
        raise
    os.close(write_fd)
    assert proc is not None
    return Running._started(spec, proc, read_fd, t0, gated=gate_fd >= 0)


# ------------------------------------------------------------------- gates

# The held process: reads NAME=VALUE lines to add to its environment, then an
# empty line, and only then execs the job (stdin back to /dev/null).  End of
# file first (the runner cancelled, or died) ends it without running anything.
_GATE_SCRIPT = (
    'while IFS= read -r line; do [ -n "$line" ] || exec "$@" </dev/null; export "$line"; done; exit 0'
)


class Gate:
    """A job's process started ahead of its due time and held before ``exec``.

    What it costs to create a process is paid before the instant; at the
    instant :meth:`open` lets the job run (a write to a pipe), so many jobs due
    in the same second start within a few milliseconds, in parallel.  Made by
    :func:`prepare`.
    """

    def __init__(self, running: Running, write_fd: int) -> None:
        self.running = running
        self._fd = write_fd
        self._loaded = False
        self._lock = threading.Lock()

    @property
    def spec(self) -> ProcessSpec:
        return self.running.spec

    def open(self, env: dict[str, str]) -> Running | None:
        """Run the job now, with ``env`` added to its environment: :meth:`load` then
        :meth:`release`.  None when the held process is gone (the caller then starts
        the job with :func:`start`)."""
        if not self.load(env):
            return None
        return self.release()

    def load(self, env: dict[str, str]) -> bool:
        """Send what only the run knows, added to the job's environment; the job still
        waits for :meth:`release`.  False when the held process is gone (or this gate
        was loaded, released or cancelled already).  Values must not contain newlines."""
        lines = []
        for key, value in env.items():
            if not key or "=" in key or "\0" in key or "\n" in key or "\n" in value or "\0" in value:
                raise ValueError(f"cannot pass {key!r} through a gate")
            lines.append(f"{key}={value}\n")
        cwd = self.running.spec.cwd
        if cwd is not None and not os.path.isdir(cwd):
            # Removed since: a fresh start reports it the usual way.
            self.cancel()
            return False
        with self._lock:
            if self._fd < 0 or self._loaded or self.running.poll():
                return False
            self._loaded = True
            fd = self._fd
        try:
            view = memoryview("".join(lines).encode())
            while view:
                view = view[os.write(fd, view) :]
        except OSError:  # BrokenPipeError: it died meanwhile
            self.cancel()
            return False
        return True

    def release(self) -> Running | None:
        """Let the loaded job run now (one write to a pipe); its timeout starts now.
        Returns its :class:`Running`, or None when the held process is gone."""
        with self._lock:
            fd, self._fd = self._fd, -1
        if fd < 0:
            return None
        if not self._loaded or self.running.poll():
            os.close(fd)
            return None
        self.running._open_gate(time.monotonic())
        try:
            os.write(fd, b"\n")
        except OSError:  # BrokenPipeError: it died meanwhile
            return None
        finally:
            os.close(fd)
        return self.running

    def cancel(self) -> None:
        """The job will not run: the held process ends without executing it."""
        with self._lock:
            fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            os.close(self._fd)


def prepare(spec: ProcessSpec) -> Gate | None:
    """Start ``spec``'s process now but hold it before ``exec`` until :meth:`Gate.open`.

    None when that is not possible without changing how a failure to start
    would be reported (the command cannot be found, or its directory cannot be
    entered): the caller then uses :func:`start` at the due time.
    """
    if not isinstance(spec, ProcessSpec):
        raise TypeError("spec must be a ProcessSpec")
    program = _resolve(spec.argv[0], spec)
    if program is None:
        return None
    gate_r, gate_w = os.pipe()
    try:
        argv = ["/bin/sh", "-c", _GATE_SCRIPT, "schedcli-gate", program, *spec.argv[1:]]
        running = _spawn(spec, argv, gate_r, gate_w)
    except BaseException:
        os.close(gate_w)
        raise
    finally:
        os.close(gate_r)
    if running.error is not None:
        os.close(gate_w)
        return None
    return Gate(running, gate_w)


def _resolve(command: str, spec: ProcessSpec) -> str | None:
    """The executable file ``command`` names (``PATH`` of the job's environment for a
    bare name), or None if there is none."""
    if "/" in command:
        base = spec.cwd if spec.cwd is not None else os.getcwd()
        path = os.path.join(base, command)
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    for directory in os.get_exec_path(spec.env):
        path = os.path.join(directory, command)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


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
