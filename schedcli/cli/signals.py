"""SIGTERM, SIGINT and SIGHUP while a runner runs: a stop request for the engine, and the
exit code to give."""

from __future__ import annotations

import signal
from typing import Any, Callable

# The signals that stop a runner (run, run-due, watch).  SIGHUP (the terminal went
# away, or a service manager asking) does what SIGTERM does: a runner that died of it
# would leave its jobs running unsupervised.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


class StopOnSignal:
    """While active, SIGTERM, SIGINT and SIGHUP call ``stop`` instead of killing the process.

    The first of them decides the exit code (128 + its number); any signal that comes
    after it, while the runner is shutting down, calls ``stop`` again (which changes
    nothing) and never cuts the shutdown short: running jobs still get SIGTERM, then
    SIGKILL after the kill grace, and are recorded.  A signal the process was started
    ignoring (``nohup``: SIGHUP, a shell's ``&``: SIGINT) stays ignored.
    """

    def __init__(self, stop: Callable[[], None]) -> None:
        self.received: int | None = None
        self._stop = stop
        self._old: dict[int, Any] = {}

    def __enter__(self) -> "StopOnSignal":
        from schedcli.process import ignores

        for sig in STOP_SIGNALS:
            if ignores(sig):
                continue
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (in-process tests)
                pass
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.received is None:
            self.received = signum
        self._stop()

    def __exit__(self, *exc: Any) -> None:
        if self.received is not None:
            # The process is on its way out: a further signal must not kill it before
            # it has reported what it did and exited with the first signal's code.
            return
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def exit_code(self) -> int | None:
        """128 + the first signal's number (143 SIGTERM, 130 SIGINT, 129 SIGHUP), or None."""
        return None if self.received is None else 128 + self.received
