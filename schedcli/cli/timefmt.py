"""Times for people: short local times in tables, full ones where one job is shown, and
spans like systemd's ``list-timers`` (``4h 37m``).

Which zone: where one job is shown (``show``, ``next NAME``, ``add``'s confirmation), the
job's own zone; where many are, the machine's zone; ``--utc`` switches to UTC. Day and
month names are English whatever the locale, so output does not depend on it.

Time is an argument: every function takes ``now`` where it needs it.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from functools import lru_cache
from typing import Optional

from schedcli.schedule.zones import zone

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_UNITS = (("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def display_zone(job_zone: Optional[str] = None, utc: bool = False) -> str:
    """The zone to show times in: UTC when asked, else the job's, else the machine's."""
    if utc:
        return "UTC"
    if job_zone:
        return job_zone
    from schedcli.schedule import local_zone_name

    return local_zone_name()


def _local(ts: float, zone_name: str) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc).astimezone(zone(zone_name))


@lru_cache(maxsize=16)
def _day_of(now: float, zone_name: str) -> date:
    """The date of ``now`` in the zone (a table asks it for every row, with one ``now``)."""
    return _local(now, zone_name).date()


def short_time(ts: Optional[float], now: float, zone_name: str) -> str:
    """``14:05`` today, ``Wed 14:05`` within a week, ``Dec 24 18:00`` this year, else
    ``2027-01-05 18:00``; ``-`` for no time."""
    if ts is None:
        return "-"
    dt, today = _local(ts, zone_name), _day_of(now, zone_name)
    hm = f"{dt.hour:02d}:{dt.minute:02d}"
    days = (dt.date() - today).days
    if days == 0:
        return hm
    if -6 <= days <= 6:
        return f"{WEEKDAYS[dt.weekday()]} {hm}"
    if dt.year == today.year:
        return f"{MONTHS[dt.month - 1]} {dt.day} {hm}"
    return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d} {hm}"


def full_time(ts: Optional[float], zone_name: str) -> str:
    """``Wed 2026-12-02 02:30 CET`` (seconds shown when there are some); ``-`` for no time."""
    if ts is None:
        return "-"
    dt = _local(ts, zone_name)
    clock = f"{dt.hour:02d}:{dt.minute:02d}" + (f":{dt.second:02d}" if dt.second else "")
    abbrev = dt.strftime("%Z") or zone_name
    return f"{WEEKDAYS[dt.weekday()]} {dt.year:04d}-{dt.month:02d}-{dt.day:02d} {clock} {abbrev}"


def span(seconds: float) -> str:
    """A length of time in its two largest units: ``4h 37m``, ``2d 3h``, ``42s``, ``0s``."""
    rest = int(abs(seconds))
    parts = []
    for unit, size in _UNITS:
        count, rest = divmod(rest, size)
        if count or parts:
            parts.append(f"{count}{unit}")
        if len(parts) == 2:
            break
    parts = [p for p in parts if not p.startswith("0")] or ["0s"]
    return " ".join(parts)


def left(ts: Optional[float], now: float) -> str:
    """Time until ``ts``, for a NEXT/LEFT column: ``4h 37m``; ``now`` within a second;
    ``overdue`` when it is past."""
    if ts is None:
        return "-"
    if ts - now >= 1:
        return span(ts - now)
    if now - ts < 60:
        return "now"
    return "overdue"


def passed(ts: Optional[float], now: float) -> str:
    """Time since ``ts``, for a LAST/PASSED column: ``19h 2m``."""
    if ts is None:
        return "-"
    return span(max(0.0, now - ts))


def relative(ts: Optional[float], now: float) -> str:
    """``in 4h 37m`` or ``19h 2m ago`` (``now`` within a second)."""
    if ts is None:
        return "-"
    if abs(ts - now) < 1:
        return "now"
    return f"in {span(ts - now)}" if ts > now else f"{span(now - ts)} ago"
