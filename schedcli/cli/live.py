"""Output shown as it comes: ``run`` streaming its job, ``logs -f`` following a run.

:class:`LiveTerminal` receives the engine's chunks in the supervisor's thread, hands
them to a queue, and one writer thread puts them on stdout, byte for byte, flushed
chunk by chunk; retry notices go to stderr in the same order. A closed stdout
(``run JOB | head -1``) stops the copy, never the run.

:func:`follow` reads a run's stored output, which the runner stores as it comes, and
prints what is new until the run ends.
"""

from __future__ import annotations

import queue
import re
import sys
import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from schedcli.engine.finish import RetryNotice
    from schedcli.store import Store

FOLLOW_POLL = 0.2  # s between two looks at the database while following a run
OWNER_CHECK_EVERY = 5  # looks between two checks that the run's runner is alive
_OMITTED = re.compile(rb"\n\[\.\.\. schedcli: (\d+) bytes omitted \.\.\.\]\n")


def retry_line(notice: "RetryNotice") -> str:
    from schedcli.schedule import format_duration

    why = f" ({notice.reason})" if notice.reason else ""
    when = f"in {format_duration(notice.delay)}" if notice.delay > 0 else "now"
    return (f"run #{notice.run_id} {notice.job}: {notice.status}{why}; "
            f"attempt {notice.attempt} of {notice.attempts} {when}")


class LiveTerminal:
    """Writes a run's output to stdout as it comes (``stream``), and retry notices to stderr."""

    def __init__(self, *, stream: bool = True) -> None:
        self.stream = stream
        self.streamed: dict[int, int] = {}  # run id -> bytes shown
        self.ends_in_newline = True
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._stdout_closed = False
        sys.stdout.flush()
        self._thread = threading.Thread(target=self._write, name="schedcli-live-terminal", daemon=True)
        self._thread.start()

    # -- from the engine's threads (must not block) --------------------------------------

    def output(self, run_id: int, data: bytes) -> None:
        if self.stream:
            self._queue.put((run_id, data))

    def retry(self, notice: "RetryNotice") -> None:
        self._queue.put((None, retry_line(notice)))

    # -- from the command --------------------------------------------------------------

    def close(self) -> None:
        """Wait until everything received so far is written."""
        self._queue.put(None)
        self._thread.join()

    def _write(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            run_id, data = item
            if run_id is None:
                lead = "\n" if not self.ends_in_newline and same_terminal() else ""
                self.ends_in_newline = True
                _stderr_line(lead + data)
                continue
            self.streamed[run_id] = self.streamed.get(run_id, 0) + len(data)
            if not data or self._stdout_closed:
                continue
            self.ends_in_newline = data.endswith(b"\n")
            try:
                sys.stdout.buffer.write(data)
                sys.stdout.buffer.flush()
            except (BrokenPipeError, ValueError, OSError):
                self._stdout_closed = True  # the reader went away: the run goes on


def _stderr_line(text: str) -> None:
    try:
        sys.stderr.write(text + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def same_terminal() -> bool:
    try:
        return sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


# -- logs -f -------------------------------------------------------------------------------


def new_bytes(output: bytes, truncated: bool, total: int, shown: int) -> tuple[bytes, int]:
    """What of a run's stored output comes after the first ``shown`` bytes it wrote:
    ``(bytes to print, bytes written so far)``.  Past the output cap the store keeps the
    head and the tail: what fell between them is replaced by the usual omission marker."""
    if not truncated:
        return output[shown:], len(output)
    for m in _OMITTED.finditer(output):
        head, tail = output[: m.start()], output[m.end():]
        if len(head) + int(m.group(1)) + len(tail) != total:
            continue
        tail_from = total - len(tail)
        if shown >= tail_from:
            return tail[shown - tail_from:], total
        if shown < len(head):
            return head[shown:] + (b"\n[... schedcli: %d bytes omitted ...]\n" % int(m.group(1))) + tail, total
        return (b"\n[... schedcli: %d bytes omitted ...]\n" % (tail_from - shown)) + tail, total
    return output, total  # not a shape this reader knows: all of it


def follow(store: "Store", run_id: int, write, stop: threading.Event, *, poll: float = FOLLOW_POLL) -> str:
    """Print (``write(bytes)``) the stored output of run ``run_id``, then what it adds
    while it runs; return its status when it ends (``"running"`` when its runner is
    gone or ``stop`` is set)."""
    shown = 0
    version = None
    looks = 0
    status = "running"
    while True:
        current = store.data_version()
        if current != version:
            version = current
            status, total = store.output_progress(run_id)
            if total is not None and total != shown:
                stored = store.get_output(run_id)
                if stored is not None:
                    data, shown = new_bytes(stored[0], stored[1], stored[2], shown)
                    if data:
                        write(data)
            if status != "running":
                return status
        looks += 1
        if looks % OWNER_CHECK_EVERY == 0 and not _runner_alive(store, run_id):
            status, _ = store.output_progress(run_id)
            if status == "running":
                return status
            version = None  # it ended just now: read it once more
            continue
        if stop.wait(poll):
            return store.output_progress(run_id)[0]


def _runner_alive(store: "Store", run_id: int) -> bool:
    from schedcli import process

    pid, identity = store.run_owner(run_id)
    if pid is None:
        return True  # not known: keep following
    return process.owner_alive(pid, identity)
