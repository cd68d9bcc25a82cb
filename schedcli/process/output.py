"""The output kept of a run: its head and a rolling tail, in bounded memory.

A follower (:meth:`OutputBuffer.follow`) also sees every byte as it comes, for a
terminal that shows the output live; what is kept stays bounded either way.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable

OMITTED_MARKER = b"\n[... schedcli: %d bytes omitted ...]\n"


class OutputBuffer:
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
        self._follower: Callable[[bytes], None] | None = None

    def follow(self, follower: Callable[[bytes], None]) -> None:
        """Call ``follower`` with what was fed so far (as :meth:`result` keeps it), then
        with every chunk fed from now on, in order, each byte once.

        It is called with the buffer's lock held, in the thread that feeds: it must
        not block (hand the bytes to a queue) and must not call back into the buffer.
        """
        with self._lock:
            so_far = self._result()[0]
            if so_far:
                follower(so_far)
            self._follower = follower

    @property
    def total(self) -> int:
        """How many bytes were fed (cheap: to tell whether anything came since)."""
        return self._total

    def feed(self, data: bytes) -> None:
        with self._lock:
            if self._follower is not None:
                self._follower(data)
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
            return self._result()

    def _result(self) -> tuple[bytes, bool, int]:
        tail = b"".join(self._tail)
        if len(tail) > self._tail_cap:
            tail = tail[len(tail) - self._tail_cap :]
        head = bytes(self._head)
        omitted = self._total - len(head) - len(tail)
        if omitted > 0:
            return head + OMITTED_MARKER % omitted + tail, True, self._total
        return head + tail, False, self._total
