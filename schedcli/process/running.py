"""A started job: :class:`Running`, whose supervision runs in the supervisor's thread.

What :class:`Running` does for each job, in the supervisor's loop
(:mod:`schedcli.process.supervise`):

* drains the output pipe continuously (a job writing gigabytes never blocks), into
  an :class:`~schedcli.process.output.OutputBuffer` (memory ``O(output_cap)``);
* learns of the child's exit *without* reaping it: while the child is an unreaped
  zombie its pid cannot be reused, so signalling its process group can never hit an
  unrelated process;
* enforces ``spec.timeout`` and :meth:`Running.terminate` (SIGTERM, then SIGKILL
  after the grace period), ends what the job left behind, reaps the child and
  builds the :class:`~schedcli.process.spec.Outcome`.

The timeout runs from :func:`~schedcli.process.spawn.start`, whether or not anybody
is blocked in :meth:`Running.wait`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from schedcli.process.adoption import LEADERS, job_surely_gone, live_adopted, marked_orphans, signal_orphans
from schedcli.process.output import OutputBuffer
from schedcli.process.procfs import KILL_CONFIRM_TIMEOUT, job_alive, process_identity, signal_job, term_job
from schedcli.process.spec import Outcome, ProcessSpec, check_seconds
from schedcli.process.supervise import exit_notifier

if TYPE_CHECKING:
    from schedcli.process.supervise import Supervisor

_READ_CHUNK = 64 * 1024  # bytes per read from the output pipe
_FINAL_DRAIN_READS = 16  # reads (of _READ_CHUNK) of what is buffered when EOF does not come
_READER_EOF_TIMEOUT = 0.5  # s to wait for end-of-file once the whole job is gone
_POLL_MIN = 0.01  # s, first interval when polling /proc for remaining processes
_POLL_MAX = 0.1  # s, longest interval when polling /proc


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
        self._loop = None
        self.spec = spec
        self.pid = 0
        self.identity = None
        self.error = message
        self._proc = None
        self._mark = None
        self._done = threading.Event()
        self._outcome = Outcome.without_output(exit_code, message, time.monotonic() - t0)
        self._done.set()
        return self

    @classmethod
    def _started(
        cls, spec: ProcessSpec, proc: subprocess.Popen[bytes], fd: int, t0: float, loop: Supervisor,
        gated: bool = False,
    ) -> Running:
        self = object.__new__(cls)
        self._loop = loop
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
        # A held process (see schedcli.process.gate) gets its timeout when it is let through.
        self._timeout_at = t0 + spec.timeout if spec.timeout is not None and not gated else None
        self._kill_at: float | None = None  # SIGKILL deadline from the timeout
        self._term_sent = False
        self._kill_sent = False
        self._poll_interval = _POLL_MIN
        self._give_up_at: float | None = None
        self._eof_deadline = 0.0
        self._timer_seq = 0
        # What marks this job's processes that left its session (ProcessSpec.marker),
        # and those of them that have had their SIGTERM.
        self._mark = spec.mark()
        self._orphans_termed: set[int] = set()

        self.identity = process_identity(proc.pid)
        self._buffer = OutputBuffer(spec.output_cap)
        self._out_fd = fd
        self._exit_fd = -1
        try:
            self._exit_fd = exit_notifier(proc.pid)
            loop.attach(self)
        except BaseException:
            # Supervision could not be set up (resource exhaustion): do not leave
            # the job running unsupervised.
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except OSError:
                pass
            proc.wait()
            LEADERS.forget(proc.pid)
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

    def follow(self, follower: Callable[[bytes], None]) -> None:
        """Have ``follower`` called with the output so far, then with each chunk as it
        is read, in the supervisor's thread: it must not block (put the bytes on a
        queue).  The output kept (:meth:`output_so_far`, the outcome) is the same
        with or without a follower.  A no-op for a job that never started."""
        if self._proc is not None:
            self._buffer.follow(follower)

    def output_so_far(self) -> tuple[bytes, bool, int]:
        """``(output, truncated, total_bytes)`` kept so far, as the outcome will hold them."""
        if self._proc is None:
            return b"", False, 0
        return self._buffer.result()

    @property
    def output_total(self) -> int:
        """How many bytes of output were read so far (cheap)."""
        return self._buffer.total if self._proc is not None else 0

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
            check_seconds("grace", grace, allow_zero=True)
        if self._proc is None:
            return
        with self._lock:
            if self._done.is_set():
                return
            if not self._exited and not self._timed_out and self._term_kill_at is None:
                self._terminated_first = True
            self._term_kill_at = _min(self._term_kill_at, time.monotonic() + grace)
        self._loop.call_soon(self, self._step)

    def _open_gate(self, t0: float) -> None:
        """The held process goes on to run the job: its time counts from ``t0``."""
        with self._lock:
            self._t0 = self._exit_time = t0
        if self.spec.timeout is not None:
            self._loop.call_soon(self, self._arm_timeout)

    def _arm_timeout(self) -> None:
        if self.spec.timeout is not None and not self._exited:
            self._timeout_at = self._t0 + self.spec.timeout
        self._step()

    def __repr__(self) -> str:
        state = "error" if self.error else ("done" if self.poll() else "running")
        return f"<Running pid={self.pid} {state} argv={self.spec.argv!r}>"

    # -- in the supervisor loop ---------------------------------------------

    def _attach(self, loop: Supervisor) -> None:
        loop.watch(self._out_fd, self, self._on_output)
        loop.watch(self._exit_fd, self, self._on_exit)
        self._step()

    def _on_output(self) -> None:
        data = os.read(self._out_fd, _READ_CHUNK)
        if data:
            self._buffer.feed(data)
            return
        # End of file: nothing holds the write end any more.
        self._loop.unwatch(self._out_fd)
        os.close(self._out_fd)
        self._out_fd = -1
        if self._phase == _COLLECTING:
            self._step()

    def _on_exit(self) -> None:
        """The child exited (it stays unreaped until its job is over)."""
        self._loop.unwatch(self._exit_fd)
        os.close(self._exit_fd)
        self._exit_fd = -1
        with self._lock:
            self._exit_time = time.monotonic()
            self._exited = True
        pgid = self.pid
        if job_surely_gone(pgid) or not (job_alive(pgid) or self._left_orphans()):
            self._reap()
        else:
            # Leftovers: end the rest of the job (SIGTERM now, SIGKILL after the grace).
            if not self._term_sent:
                term_job(pgid)
                self._term_sent = True
            self._term_new_orphans()
            if self._kill_at is None:
                self._kill_at = time.monotonic() + self.spec.kill_grace
            self._phase = _CLEANING_UP
        self._step()

    def _reap(self) -> None:
        assert self._proc is not None
        self._proc.wait()  # immediate: the child has exited
        LEADERS.forget(self.pid)
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
            term_job(self.pid)
            self._term_new_orphans()
            self._term_sent = True
        if not self._kill_sent and kill_at is not None and now >= kill_at:
            signal_job(self.pid, signal.SIGKILL)
            signal_orphans(self._left_orphans(), signal.SIGKILL)
            self._kill_sent = True
        self._set_timer(_min(self._timeout_at, None if self._kill_sent else kill_at))

    def _step_cleaning_up(self) -> None:
        pgid = self.pid
        while True:
            orphans = self._left_orphans()
            if not job_alive(pgid) and not orphans:
                break
            self._term_new_orphans(orphans)
            now = time.monotonic()
            with self._lock:
                kill_at = _min(self._kill_at, self._term_kill_at)
            if self._kill_sent:
                if self._give_up_at is None:
                    self._give_up_at = now + KILL_CONFIRM_TIMEOUT
                if now >= self._give_up_at:
                    break  # unkillable (e.g. stuck in the kernel): stop waiting
                signal_job(pgid, signal.SIGKILL)
                signal_orphans(orphans, signal.SIGKILL)
            elif kill_at is not None and now >= kill_at:
                signal_job(pgid, signal.SIGKILL)
                signal_orphans(orphans, signal.SIGKILL)
                self._kill_sent = True
                continue
            pause = self._poll_interval
            if not self._kill_sent and kill_at is not None:
                pause = min(pause, max(kill_at - now, 0.0))
            self._poll_interval = min(self._poll_interval * 2, _POLL_MAX)
            self._set_timer(now + pause)
            return
        live_adopted()  # reaps the leftovers just ended
        self._reap()

    def _left_orphans(self) -> list[tuple[int, int, int]]:
        """The processes of this job that left its session and were adopted by this
        runner (a subreaper), found by the job's mark; empty without a mark."""
        return marked_orphans(self._mark) if self._mark is not None else []

    def _term_new_orphans(self, orphans: list[tuple[int, int, int]] | None = None) -> None:
        """SIGTERM (and SIGCONT) to the job's adopted orphans that have not had it yet."""
        if self._mark is None:
            return
        for orphan in self._left_orphans() if orphans is None else orphans:
            if orphan[0] not in self._orphans_termed:
                self._orphans_termed.add(orphan[0])
                signal_orphans([orphan], signal.SIGTERM)
                signal_orphans([orphan], signal.SIGCONT)

    def _set_timer(self, when: float | None) -> None:
        self._timer_seq += 1
        if when is not None:
            self._loop.wake_at(when, self, self._timer_seq)

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
                LEADERS.forget(self.pid)
        except BaseException:
            pass
        self._finish(f"internal error while supervising pid {self.pid}: {exc!r}")

    def _finish(self, error: str | None) -> None:
        """Take what is left in the pipe without waiting, build the Outcome, wake the waiters."""
        loop = self._loop
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
