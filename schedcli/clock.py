"""Clocks: where "now" comes from. The engine never reads the time itself."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float, until: threading.Event | None = None) -> bool:
        """Sleep; return True early if ``until`` is set."""
        if seconds <= 0:
            return bool(until and until.is_set())
        if until is None:
            time.sleep(seconds)
            return False
        return until.wait(seconds)


class ManualClock(SystemClock):
    """A clock that only moves when told to (tests, ``run-due --now``)."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(timezone.utc)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        with self._lock:
            self._now = when.astimezone(timezone.utc)

    def advance(self, seconds: float) -> datetime:
        with self._lock:
            self._now += timedelta(seconds=seconds)
            return self._now
