"""The supervisor: one thread that looks after every job this process runs.

It waits in ``epoll`` on each job's output pipe and on a pidfd of each child (or,
where the kernel has no pidfd, an eventfd written by a thread blocked in
``waitid(WNOWAIT)``: :func:`exit_notifier`), and on the next deadline of any job,
and runs the calls other threads queue for it.  What it does for each job is
:class:`~schedcli.process.running.Running`'s business.

One per process, on purpose, made when the first job starts
(:func:`default_supervisor`): a thread and an epoll descriptor that live as long as
the process.  It is a daemon thread: a runner that exits without waiting leaves its
jobs running, to be found again with :func:`~schedcli.process.procfs.is_alive` and
stopped with :func:`~schedcli.process.procfs.kill_group`.  A forked child starts
its own when it needs one.
"""

from __future__ import annotations

import collections
import contextlib
import heapq
import os
import select
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schedcli.process.running import Running

_MAX_WAIT = 60.0  # s, longest single wait of the supervisor loop
_MAX_DEFER = 1.0  # s, longest the loop waits for a burst of starts (Supervisor.defer)


class Supervisor:
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
        self._deferring = 0  # callers inside defer(): the loop waits for them
        self._resume = threading.Condition(threading.Lock())
        self._thread = threading.Thread(target=self._loop, name="schedcli-supervisor", daemon=True)
        self._thread.start()

    # -- from any thread ------------------------------------------------------

    @contextlib.contextmanager
    def defer(self) -> Iterator[None]:
        """While inside, the loop does none of its work (output, exits, timeouts): a
        burst of starts then runs without waiting for this thread to let go of the
        interpreter.  Keep it short: the loop waits at most :data:`_MAX_DEFER` seconds."""
        with self._resume:
            self._deferring += 1
        try:
            yield
        finally:
            with self._resume:
                self._deferring -= 1
                if not self._deferring:
                    self._resume.notify_all()

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
            if self._deferring:
                with self._resume:
                    self._resume.wait_for(lambda: not self._deferring, timeout=_MAX_DEFER)
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


_the_supervisor: Supervisor | None = None
_supervisor_lock = threading.Lock()


def default_supervisor() -> Supervisor:
    """This process's supervisor, started on first use."""
    global _the_supervisor
    loop = _the_supervisor
    if loop is None:
        with _supervisor_lock:
            if _the_supervisor is None:
                _the_supervisor = Supervisor()
            loop = _the_supervisor
    return loop


def _forget_supervisor_in_child() -> None:
    # A forked child has none of the parent's threads: it starts its own loop if needed.
    global _the_supervisor, _supervisor_lock
    _the_supervisor = None
    _supervisor_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_supervisor_in_child)


def exit_notifier(pid: int) -> int:
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
