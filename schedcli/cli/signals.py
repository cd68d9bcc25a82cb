"""SIGTERM/SIGINT during a run: a stop request for the engine, and the exit code to give."""

from __future__ import annotations

import signal
from typing import Any, Callable


class StopOnSignal:
    """While active, SIGTERM and SIGINT call ``stop`` instead of killing the process.

    A signal the process was started ignoring (``nohup``, a shell's ``&`` for
    SIGINT) stays ignored.
    """

    def __init__(self, stop: Callable[[], None]) -> None:
        self.received: int | None = None
        self._stop = stop
        self._old: dict[int, Any] = {}

    def __enter__(self) -> "StopOnSignal":
        from schedcli.process import ignores

        for sig in (signal.SIGTERM, signal.SIGINT):
            if ignores(sig):
                continue
            try:
                self._old[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread (in-process tests)
                pass
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        self.received = signum
        self._stop()

    def __exit__(self, *exc: Any) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)

    def exit_code(self) -> int | None:
        """128 + the signal number (143 for SIGTERM, 130 for SIGINT), or None."""
        return None if self.received is None else 128 + self.received
