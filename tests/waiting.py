"""Waiting for a condition in a test: the one polling helper of the suite.

    from waiting import wait_for

(``tests/`` is on ``sys.path`` while pytest runs, for the top-level test modules and
for the ``reliability`` package alike.)
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

import pytest

T = TypeVar("T")


def wait_for(condition: Callable[[], T], timeout: float = 20.0, what: str = "condition",
             interval: float | None = None) -> T:
    """Poll ``condition`` until it returns something truthy and return that; fail the
    test after ``timeout`` seconds.  ``interval``: a fixed pause between polls (by
    default 10 ms, growing to 100 ms)."""
    deadline = time.monotonic() + timeout
    delay = interval if interval is not None else 0.01
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(delay)
        if interval is None:
            delay = min(delay * 1.5, 0.1)
