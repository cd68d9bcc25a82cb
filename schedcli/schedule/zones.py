"""Time zones: lookup, the machine's zone, and DST arithmetic between wall clock and UTC.

A cron expression is matched on the wall clock of the job's IANA zone, and its
fire instants are UTC.  Where the wall clock jumps, schedcli follows Vixie cron
as patched by Debian (and cronie), cron(8):

* A *fixed* job (neither the minute nor the hour field starts with ``*``)
  whose local time does not exist (spring-forward gap) runs once, at the
  first instant after the gap; a local time that occurs twice (fall back)
  runs once, at its first occurrence.
* A *wildcard* job follows the wall clock: minutes inside a gap do not exist,
  repeated minutes fire twice.

Time is cut into UTC *segments* of constant UTC offset (real transitions, plus
every 1 January 00:00 UTC as a harmless pseudo-boundary), so a segment maps
naive wall time to UTC by subtracting one offset; DST rules only matter at
segment starts.  :func:`next_fire`, :func:`prev_fire` and :func:`count_fires`
walk the segments and ask a wall-clock matcher (:class:`schedcli.schedule.cron.CronSpec`)
for matching naive minutes inside each one.

All datetimes handled here are *naive UTC* (``tzinfo=None``) unless a function
says otherwise; :func:`naive_utc` and :func:`aware_utc` convert at the edges.
"""

from __future__ import annotations

import os
from bisect import bisect_right
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from schedcli.errors import InvalidZone

UTC = timezone.utc
_US = timedelta(microseconds=1)
_SECOND = timedelta(seconds=1)

# ---------------------------------------------------------------------------
# Zone lookup
# ---------------------------------------------------------------------------


def zone(name: str) -> ZoneInfo:
    """Return the IANA zone ``name`` or raise :class:`InvalidZone`."""
    if not name or not name.isascii() or name.startswith(("/", ".")) or ".." in name:
        raise InvalidZone(f"unknown time zone {name!r} (use an IANA name such as Europe/Paris or UTC)")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidZone(
            f"unknown time zone {name!r} (use an IANA name such as Europe/Paris or UTC)"
        ) from None


def local_zone_name() -> str:
    """The machine's IANA zone name: ``$TZ``, else /etc/localtime, else /etc/timezone, else UTC."""
    tz = os.environ.get("TZ", "").lstrip(":")
    if tz:
        try:
            zone(tz)
            return tz
        except InvalidZone:
            pass
    try:
        target = os.path.realpath("/etc/localtime")
        marker = "/zoneinfo/"
        if marker in target:
            name = target.split(marker, 1)[1]
            zone(name)
            return name
    except (OSError, InvalidZone):
        pass
    try:
        with open("/etc/timezone", encoding="ascii") as fh:
            name = fh.read().strip()
        zone(name)
        return name
    except (OSError, UnicodeDecodeError, InvalidZone):
        pass
    return "UTC"


# ---------------------------------------------------------------------------
# Instants: aware datetimes in, naive UTC inside, aware UTC out
# ---------------------------------------------------------------------------


def naive_utc(t: datetime) -> datetime:
    """``t`` (an aware datetime) as naive UTC; TypeError / ValueError for anything else."""
    if not isinstance(t, datetime):
        raise TypeError(f"expected a datetime, not {type(t).__name__}")
    if t.tzinfo is None or t.utcoffset() is None:
        raise ValueError(f"naive datetime {t.isoformat()} given; schedules need timezone-aware datetimes")
    return t.astimezone(UTC).replace(tzinfo=None)


def aware_utc(u: datetime) -> datetime:
    """Naive UTC ``u`` as an aware UTC datetime in whole seconds."""
    return u.replace(tzinfo=UTC, microsecond=0)


# ---------------------------------------------------------------------------
# UTC segments of constant offset
# ---------------------------------------------------------------------------

#: Probe spacing when looking for offset changes.  No two transitions since
#: 1900 in tzdata are closer than about 4 days, so 12 hours cannot miss one.
_PROBE = timedelta(hours=12)
_MIN_YEAR, _MAX_YEAR = 2, 9998


class OutOfRange(Exception):
    """Internal: the computation left the supported years (2..9998)."""


class Segment(NamedTuple):
    year: int
    index: int
    start: datetime  # naive UTC, inclusive
    end: datetime  # naive UTC, exclusive
    offset: timedelta  # UTC offset inside the segment
    prev_offset: timedelta  # UTC offset just before start


class ZoneSegments:
    """One zone's UTC offsets as segments, computed a year at a time and kept."""

    def __init__(self, key: str, tz: ZoneInfo) -> None:
        self.key = key
        self.tz = tz
        self._years: dict[int, tuple[list[datetime], list[timedelta], timedelta]] = {}

    def offset(self, u: datetime) -> timedelta:
        off = u.replace(tzinfo=UTC).astimezone(self.tz).utcoffset()
        assert off is not None
        return off

    def _year(self, year: int) -> tuple[list[datetime], list[timedelta], timedelta]:
        data = self._years.get(year)
        if data is not None:
            return data
        if not _MIN_YEAR <= year <= _MAX_YEAR:
            raise OutOfRange
        start, end = datetime(year, 1, 1), datetime(year + 1, 1, 1)
        bounds = [start]
        offsets = [self.offset(start)]
        prev_point, prev_off = start, offsets[0]
        point = start
        while point < end:
            point = min(point + _PROBE, end - _SECOND)
            off = self.offset(point)
            if off != prev_off:
                lo, hi = prev_point, point  # offset(lo) == prev_off != offset(hi)
                while hi - lo > _SECOND:
                    mid = lo + (hi - lo) // 2
                    mid = mid.replace(microsecond=0)
                    if self.offset(mid) == prev_off:
                        lo = mid
                    else:
                        hi = mid
                bounds.append(hi)
                offsets.append(self.offset(hi))
            prev_point, prev_off = point, off
            if point == end - _SECOND:
                break
        bounds.append(end)
        data = (bounds, offsets, self.offset(start - _SECOND))
        if len(self._years) > 2000:
            self._years.clear()
        self._years[year] = data
        return data

    def _make(self, year: int, index: int) -> Segment:
        bounds, offsets, first_prev = self._year(year)
        prev = first_prev if index == 0 else offsets[index - 1]
        return Segment(year, index, bounds[index], bounds[index + 1], offsets[index], prev)

    def segment(self, u: datetime) -> Segment:
        bounds, _, _ = self._year(u.year)
        return self._make(u.year, bisect_right(bounds, u) - 1)

    def next_segment(self, seg: Segment) -> Segment:
        bounds, _, _ = self._year(seg.year)
        if seg.index + 2 < len(bounds):
            return self._make(seg.year, seg.index + 1)
        bounds, _, _ = self._year(seg.year + 1)
        return self._make(seg.year + 1, 0)

    def prev_segment(self, seg: Segment) -> Segment:
        if seg.index > 0:
            return self._make(seg.year, seg.index - 1)
        bounds, _, _ = self._year(seg.year - 1)
        return self._make(seg.year - 1, len(bounds) - 2)


@lru_cache(maxsize=64)
def _load_segments(key: str) -> ZoneSegments:
    return ZoneSegments(key, ZoneInfo(key))


def zone_segments(key: str) -> ZoneSegments:
    """The (shared, cached) segments of IANA zone ``key``, or :class:`InvalidZone`."""
    if not isinstance(key, str) or not key or not key.isascii() or not key.isprintable():
        raise InvalidZone(f"unknown time zone {key!r}: expected an IANA name such as Europe/Berlin or UTC")
    try:
        return _load_segments(key)
    except (ZoneInfoNotFoundError, ValueError, OSError, TypeError):
        raise InvalidZone(
            f"unknown time zone {key!r}: expected an IANA name such as Europe/Berlin or UTC"
        ) from None


class ClockChange(NamedTuple):
    """A change of a zone's UTC offset: a spring-forward gap (``after > before``) or a
    fall-back fold (``after < before``)."""

    at: datetime  # the instant of the change, aware UTC
    before: timedelta  # UTC offset just before
    after: timedelta  # UTC offset from ``at`` on

    @property
    def wall_start(self) -> datetime:
        """First naive wall time affected: the gap's or the fold's start."""
        return self.at.replace(tzinfo=None) + min(self.before, self.after)

    @property
    def wall_end(self) -> datetime:
        """End (exclusive) of the skipped or repeated naive wall times."""
        return self.at.replace(tzinfo=None) + max(self.before, self.after)


def clock_changes(name: str, start: datetime, end: datetime) -> list[ClockChange]:
    """The UTC-offset changes of zone ``name`` at instants in [start, end), in order.

    Raises :class:`InvalidZone` for an unknown zone; a window outside years 2..9998 is cut.
    """
    segments = zone_segments(name)
    u, stop = naive_utc(start), naive_utc(end)
    found: list[ClockChange] = []
    try:
        seg = segments.segment(u)
        while seg.start < stop:
            if seg.start >= u and seg.offset != seg.prev_offset:
                found.append(ClockChange(aware_utc(seg.start), seg.prev_offset, seg.offset))
            seg = segments.next_segment(seg)
    except (OutOfRange, OverflowError):
        pass
    return found


def utc_offset(name: str, t: datetime) -> timedelta:
    """Zone ``name``'s UTC offset at instant ``t`` (aware)."""
    return zone_segments(name).offset(naive_utc(t))


# ---------------------------------------------------------------------------
# Gaps and folds: fire instants of a wall-clock matcher, segment by segment
# ---------------------------------------------------------------------------
#
# ``wall`` is a wall-clock matcher over naive minutes (cron.CronSpec):
# next_match(lo, hi), prev_match(hi, lo), has_match(lo, hi_inclusive) and
# count_matches(lo, hi, cap).  ``fixed`` selects the fixed-job rules above.
#
# A segment's fire instants are: optionally its start instant (a fixed
# job's times inside the spring-forward gap that opens the segment, all
# moved to the end of the gap), plus ``n - offset`` for every matching
# naive wall time n in a naive range.  For a wildcard job the range is the
# segment's own wall-clock span; for a fixed job it excludes wall times
# repeated from the previous segment (those already fired at fold=0).


def _layout(fixed: bool, seg: Segment) -> tuple[bool, datetime]:
    """(segment may fire at its start because of a gap, inclusive naive low bound)."""
    s, o, op = seg.start, seg.offset, seg.prev_offset
    if not fixed:
        return False, s + o
    if o > op:
        return True, s + o + _US
    return False, s + op


def _gap_fires(wall, seg: Segment) -> bool:
    return wall.has_match(seg.start + seg.prev_offset, seg.start + seg.offset)


def _seg_next(wall, fixed: bool, seg: Segment, u: datetime) -> datetime | None:
    gap, lo = _layout(fixed, seg)
    if gap and seg.start > u and _gap_fires(wall, seg):
        return seg.start
    o = seg.offset
    found = wall.next_match(max(lo, u + o + _US), seg.end + o)
    return None if found is None else found - o


def _seg_prev(wall, fixed: bool, seg: Segment, u: datetime) -> datetime | None:
    gap, lo = _layout(fixed, seg)
    o = seg.offset
    hi = min(seg.end, u) + o - _US
    if hi >= lo:
        found = wall.prev_match(hi, lo)
        if found is not None:
            return found - o
    if gap and seg.start < u and _gap_fires(wall, seg):
        return seg.start
    return None


def next_fire(zone: ZoneSegments, wall, fixed: bool, u: datetime, years: int) -> datetime | None:
    """First fire instant strictly after naive UTC ``u``, searching ``years`` ahead; None if none."""
    try:
        seg = zone.segment(u)
        stop = u.year + years
        while seg.year <= stop:
            found = _seg_next(wall, fixed, seg, u)
            if found is not None:
                return found
            seg = zone.next_segment(seg)
    except (OutOfRange, OverflowError):
        pass
    return None


def prev_fire(zone: ZoneSegments, wall, fixed: bool, u: datetime, years: int) -> datetime | None:
    """Last fire instant strictly before naive UTC ``u``, searching ``years`` back; None if none."""
    try:
        seg = zone.segment(u)
        stop = u.year - years
        while seg.year >= stop:
            found = _seg_prev(wall, fixed, seg, u)
            if found is not None:
                return found
            seg = zone.prev_segment(seg)
    except (OutOfRange, OverflowError):
        pass
    return None


def count_fires(zone: ZoneSegments, wall, fixed: bool, a: datetime, b: datetime, cap: int) -> int:
    """Fire instants in (a, b] (naive UTC), counting stops once >= cap."""
    if b <= a:
        return 0
    total = 0
    try:
        seg = zone.segment(a)
        while seg.start <= b:
            gap, lo = _layout(fixed, seg)
            if gap and a < seg.start <= b and _gap_fires(wall, seg):
                total += 1
            o = seg.offset
            total += wall.count_matches(max(lo, a + o + _US), min(seg.end, b + _US) + o, cap - total)
            if total >= cap:
                break
            seg = zone.next_segment(seg)
    except (OutOfRange, OverflowError):
        pass
    return total
