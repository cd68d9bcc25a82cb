"""Starting a job's process: :func:`start` (and :func:`spawn`, what it and the held
processes of :mod:`schedcli.process.gate` share).

:func:`start` executes ``spec.argv`` directly (no shell is added here) in a new
session, so the child is the leader of its own session and process group and
``Running.pid`` is also the process group id (and session id).  stdin is
``/dev/null``; stdout and stderr share one pipe, so the captured output is the two
streams interleaved in the order they were written.

A job always starts with the default signal dispositions and an empty signal mask.
``subprocess`` (``restore_signals=True``) resets SIGPIPE and SIGXFSZ, which Python
itself ignores, and ``exec()`` resets every caught signal.  A signal the runner
*ignores* (``nohup`` ignores SIGHUP, a shell's ``&`` SIGINT and SIGQUIT) or blocks
in the starting thread survives ``exec()``: then a function run in the child before
``exec()`` resets it, which makes ``subprocess`` use ``fork()`` instead of
``vfork()``, several times slower in a large runner.  A runner avoids that by
calling :func:`prepare_runner` when it starts: it catches the signals it ignores
with a handler that does nothing, so it still ignores them and ``exec()`` resets
them.  Nothing here changes the caller's dispositions unless asked to.
"""

from __future__ import annotations

import _signal
import contextlib
import errno
import os
import signal
import subprocess
import threading
import time

from schedcli.process.adoption import LEADERS, become_subreaper
from schedcli.process.running import Running
from schedcli.process.spec import ProcessSpec
from schedcli.process.supervise import default_supervisor

# Signals the interpreter ignores that subprocess' restore_signals=True already
# resets in the child; any *other* ignored signal needs resetting in the child.
_RESTORED_BY_SUBPROCESS = frozenset(
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, name)
)
_UNCATCHABLE = frozenset({signal.SIGKILL, signal.SIGSTOP})
_RESETTABLE = tuple(
    int(sig) for sig in signal.valid_signals() if sig not in _UNCATCHABLE and sig not in _RESTORED_BY_SUBPROCESS
)


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
    return spawn(spec, spec.argv, subprocess.DEVNULL)


def spawn(spec: ProcessSpec, argv: list[str], stdin: int, gated: bool = False) -> Running:
    """Start ``argv`` with what ``spec`` says (environment, directory, limits) and
    ``stdin``; ``gated``: a held process, whose timeout starts when it is let through
    (:mod:`schedcli.process.gate`)."""
    loop = default_supervisor()
    t0 = time.monotonic()
    try:
        read_fd, write_fd = os.pipe()  # both close-on-exec: no other child inherits them
    except OSError as exc:  # out of file descriptors: this job cannot start, the others may
        return Running._failed(spec, f"cannot start {spec.argv[0]}: {_resource_text(exc)}", 126, t0)
    proc: subprocess.Popen[bytes] | None = None
    LEADERS.begin_start()
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
            LEADERS.end_start(proc.pid if proc is not None else None)
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
    return Running._started(spec, proc, read_fd, t0, loop, gated)


def starting_together() -> contextlib.AbstractContextManager[None]:
    """A block in which several jobs are started back to back: the supervisor defers
    its work until the block ends, so that no start waits for it (keep it short)."""
    return default_supervisor().defer()


# Ignoring these instead of catching them changes how the terminal treats the
# runner (a caught SIGTTOU would stop background writes to the terminal).
_JOB_CONTROL = frozenset(
    getattr(signal, name) for name in ("SIGTSTP", "SIGTTIN", "SIGTTOU") if hasattr(signal, name)
)


def _do_nothing(signum: int, frame: object) -> None:
    """The runner's handler for a signal it was started ignoring: still ignored."""


def catch_ignored_signals() -> None:
    """Catch, with a handler that does nothing, each signal this process ignores
    (``nohup`` ignores SIGHUP; a shell's ``&`` ignores SIGINT and SIGQUIT).

    The process goes on ignoring them, but its jobs start with the defaults without a
    function run in the child: ``exec()`` resets caught signals, not ignored ones,
    and such a function makes ``subprocess`` use ``fork()`` instead of ``vfork()``,
    which costs milliseconds per start in a large runner.  Call it from the main
    thread (elsewhere it does nothing); :func:`prepare_runner` does.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in _RESETTABLE:
        if sig in _JOB_CONTROL:
            continue
        try:
            if _signal.getsignal(sig) == _signal.SIG_IGN:
                _signal.signal(sig, _do_nothing)
        except (OSError, ValueError):
            continue


def prepare_runner() -> bool:
    """Make this process a runner that starts jobs quickly and cleans up after them:
    it adopts its jobs' orphans (:func:`~schedcli.process.adoption.become_subreaper`)
    and catches the signals it ignores (:func:`catch_ignored_signals`).  Call it
    once, from the main thread, when a runner starts (the command line's ``run``,
    ``run-due`` and ``watch`` do); nothing else in this package changes the
    process's state.  Returns whether the process is a subreaper now."""
    catch_ignored_signals()
    return become_subreaper()


def ignores(sig: int) -> bool:
    """Does this process ignore ``sig`` (``SIG_IGN``, or caught by the handler that
    does nothing, :func:`catch_ignored_signals`)?"""
    handler = _signal.getsignal(sig)
    return handler == _signal.SIG_IGN or handler is _do_nothing


def _child_signal_reset():  # type: ignore[no-untyped-def]
    """A function resetting inherited signal state in the child (between fork and
    exec), or None when there is nothing to reset.

    exec() resets caught signals by itself, but ignored signals and the blocked
    signal mask survive it.  A preexec_fn makes subprocess use fork() instead of
    vfork(), so it is only used when the runner actually ignores or blocks something.
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
            _signal.signal(sig, _signal.SIG_DFL)
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
    if err in (errno.EMFILE, errno.ENFILE, errno.EAGAIN, errno.ENOMEM):
        return f"cannot start {cmd}: {_resource_text(exc)}", 126
    return f"cannot run {cmd}: {exc.strerror or exc}", 126


def _resource_text(exc: OSError) -> str:
    """What ran out, in words: a start refused for lack of file descriptors,
    processes or memory."""
    return {
        errno.EMFILE: "too many open files in the runner (ulimit -n)",
        errno.ENFILE: "too many open files on the system",
        errno.EAGAIN: "too many processes (ulimit -u)",
        errno.ENOMEM: "out of memory",
    }.get(exc.errno or 0, exc.strerror or str(exc))


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
