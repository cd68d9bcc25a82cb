"""The output of running runs, stored as it comes, for ``logs`` and ``logs -f``.

One thread per engine, alive only while runs are: every :data:`FLUSH_EVERY`
seconds it takes the output kept so far of each running run that wrote something
since the last flush, and stores all of them in one short ``BEGIN IMMEDIATE``
transaction (:meth:`~schedcli.store.runs.RunQueries.save_output_so_far`). That
transaction waits for the write lock at most :data:`FLUSH_WAIT` seconds; when the
database stays busy, the flush is simply made again at the next turn, so it never
holds up the runs, their finish, or another runner for longer than that. A run that
ends within its first :data:`FLUSH_EVERY` seconds is never flushed: its output is
stored once, when it finishes, as before.

What is stored is what the finish would store at that moment (head and tail past
the output cap), raw: the finish replaces it with the final output.
"""

from __future__ import annotations

import threading
from typing import Callable

from schedcli import process
from schedcli.store import Store

FLUSH_EVERY = 0.5  # s between two flushes of the output of running runs
FLUSH_WAIT = 0.05  # s a flush waits for the database's write lock before giving up its turn


class LiveOutput:
    """Stores, while they run, the output of the runs it is told about."""

    def __init__(
        self, store: Store, warn: Callable[[str], None], *, every: float = FLUSH_EVERY, wait: float = FLUSH_WAIT
    ) -> None:
        self.store = store
        self.warn = warn
        self.every = every
        self.wait = wait
        self._runs: dict[int, process.Running] = {}
        self._flushed: dict[int, int] = {}  # run id -> total bytes at its last flush
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._warned = False

    def add(self, run_id: int, running: process.Running) -> None:
        with self._lock:
            self._runs[run_id] = running
            self._flushed[run_id] = 0
            if self._thread is None:
                self._wake.clear()
                self._thread = threading.Thread(target=self._loop, name="schedcli-live-output", daemon=True)
                self._thread.start()

    def remove(self, run_id: int) -> None:
        with self._lock:
            self._runs.pop(run_id, None)
            self._flushed.pop(run_id, None)
            if not self._runs:
                self._wake.set()  # the thread ends: nothing left to flush

    def _loop(self) -> None:
        while True:
            self._wake.wait(self.every)
            self._wake.clear()
            with self._lock:
                if not self._runs:
                    self._thread = None
                    return
                runs = list(self._runs.items())
            try:
                self.flush(runs)
            except Exception as exc:  # the runs go on; their output is stored when they end
                if not self._warned:
                    self._warned = True
                    self.warn(f"the output of running runs could not be stored: {getattr(exc, 'message', exc)}")

    def flush(self, runs: list[tuple[int, process.Running]]) -> int:
        """Store the new output of ``runs``; return how many were written."""
        parts = []
        for run_id, running in runs:
            total = running.output_total
            if total and total != self._flushed.get(run_id):
                output, truncated, total = running.output_so_far()
                parts.append((run_id, output, truncated, total))
        if not parts:
            return 0
        if not self.store.save_output_so_far(parts, wait=self.wait):
            return 0  # busy: next turn
        with self._lock:
            for run_id, _, _, total in parts:
                if run_id in self._flushed:
                    self._flushed[run_id] = total
        return len(parts)
