"""Parsing and formatting of points in time (WHEN values, ISO 8601 output, zones).

Schedule arithmetic lives in :mod:`schedcli.schedule`; this module only turns text
into aware datetimes and back.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from schedcli.errors import InvalidTime
from schedcli.schedule.zones import zone

UTC = timezone.utc

_WHEN_RE = re.compile(
    r"^\d{4}-\d{2}-\d{2}"  # date
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"  # optional time
    r"(?:Z|[+-]\d{2}:?\d{2})?$"  # optional zone
)


def parse_when(text: str, tz_name: str) -> datetime:
    """Parse an ISO 8601 date/time; without an offset it is read in ``tz_name``.

    Returns an aware datetime in UTC. A local time that does not exist (inside a
    daylight-saving gap) is rejected; one that occurs twice means the first.
    """
    raw = text.strip()
    if not raw.isascii() or not _WHEN_RE.match(raw):
        raise InvalidTime(
            f"invalid time {text!r}: use ISO 8601 such as 2026-12-01T09:00, "
            "'2026-12-01 09:00' or 2026-12-01T09:00Z"
        )
    try:
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidTime(f"invalid time {text!r}: {exc}") from None
    if dt.tzinfo is None:
        tz = zone(tz_name)
        local = dt.replace(tzinfo=tz, fold=0)
        back = local.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if back != dt:
            raise InvalidTime(
                f"time {text!r} does not exist in {tz_name} (the clocks skip it); pick another time"
            )
        dt = local
    return dt.astimezone(UTC)


def from_epoch(ts: float | None) -> datetime | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC)


def iso(ts: float | datetime | None, *, millis: bool = False) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix (seconds, or milliseconds when asked)."""
    if ts is None:
        return None
    dt = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, UTC)
    dt = dt.astimezone(UTC)
    if millis:
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


def local_text(ts: float | None, tz_name: str | None = None) -> str:
    """A short human form in the given zone (default: the machine's): ``2026-12-01 09:00:00 CET``."""
    if ts is None:
        return "-"
    tz = zone(tz_name) if tz_name else None
    dt = datetime.fromtimestamp(ts, UTC).astimezone(tz)
    return dt.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
