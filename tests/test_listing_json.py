"""The quick ways of writing a listing's JSON write what the plain ways write."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from schedcli.schedule import iso


def _iso_by_datetime(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


@settings(max_examples=500, deadline=None)
@given(st.floats(min_value=0, max_value=253402300799.0) | st.integers(0, 253402300799))
def test_instants_are_written_as_datetime_writes_them(ts):
    assert iso(ts) == _iso_by_datetime(ts)


def test_fractions_that_round_to_the_next_second():
    for ts in (1.9999995, 1764601199.9999996, 1764601199.999999, 0.0, 59.5, 1764601200, 253402300799):
        assert iso(ts) == _iso_by_datetime(ts)
    assert iso(1764601199.9999996) == "2025-12-01T15:00:00Z"  # rounded to microseconds first
    assert iso(1764601199.5) == "2025-12-01T14:59:59Z"


def test_datetimes_and_milliseconds_as_before():
    from datetime import timedelta

    at = datetime(2026, 12, 1, 16, 0, 0, 250000, tzinfo=timezone(timedelta(hours=1)))
    assert iso(at) == "2026-12-01T15:00:00Z"  # an aware datetime of another offset, in UTC
    assert iso(at.timestamp(), millis=True) == "2026-12-01T15:00:00.250Z"
    assert iso(None) is None
