"""Schedule arithmetic: durations, cron expressions, intervals and one-off times.

This is the only module of schedcli that knows how schedules fire.  Everything
in and out is timezone-aware; every instant returned is in UTC with
``microsecond == 0``.

Cron semantics follow Vixie cron as patched by Debian (and cronie), cron(8):

* Expressions have exactly five fields, evaluated on the wall clock of the
  job's IANA zone.  When both day-of-month and day-of-week are restricted
  (neither starts with ``*``) a day matches if EITHER matches; otherwise both
  must match.
* A *fixed* job (neither the minute nor the hour field starts with ``*``)
  whose local time does not exist (spring-forward gap) runs once, at the
  first instant after the gap; a local time that occurs twice (fall back)
  runs once, at its first occurrence.
* A *wildcard* job follows the wall clock: minutes inside a gap do not exist,
  repeated minutes fire twice.
* Interval schedules count elapsed time and ignore DST entirely.

Implementation: the five fields are expanded by our own parser, not by croniter.
croniter 7 departs from cron(8) in ways that break the guarantees above: it ORs
day-of-month and day-of-week when one of them is a step such as ``*/2`` (cron
ANDs them, because the field starts with ``*``), expands ``21-21/1`` to every
minute, accepts Quartz extensions (``L``, ``#``, ``?``) and wraps reversed
ranges. The parser here gives precise error messages, and the whole module is
checked against cronsim, an independent implementation of Debian cron, by a
differential property test.

Matching is done on naive wall-clock datetimes; :mod:`schedcli.schedule.zones`
maps them to UTC segment by segment (gaps and folds).  That keeps
next/previous/count operations fast (a year of an every-minute cron is counted
day by day, not minute by minute).  cron_descriptor (for ``describe``)
is imported only when a description is asked for.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Iterator, Union

from schedcli.errors import InvalidDuration, InvalidSchedule
from schedcli.schedule.text import MAX_DURATION, format_duration, parse_duration  # noqa: F401
from schedcli.schedule.text import from_epoch, iso, local_text, parse_when  # noqa: F401
from schedcli.schedule.text import quoted as _shown
from schedcli.schedule.zones import UTC, local_zone_name, zone  # noqa: F401
from schedcli.schedule.zones import aware_utc as _aware
from schedcli.schedule.zones import count_fires, next_fire, prev_fire, zone_segments
from schedcli.schedule.zones import naive_utc as _utc_naive

__all__ = [
    "MAX_DURATION",
    "CronSchedule",
    "IntervalSchedule",
    "OnceSchedule",
    "Schedule",
    "count_occurrences",
    "describe",
    "format_duration",
    "make_schedule",
    "occurrences",
    "parse_duration",
    "validate_cron",
]

_US = timedelta(microseconds=1)
_SECOND = timedelta(seconds=1)
_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)

# ---------------------------------------------------------------------------
# Cron expressions: parsing and validation
# ---------------------------------------------------------------------------

_FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
_FIELD_LIST = "minute hour day-of-month month day-of-week"
_BOUNDS = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_FULL = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_NAMES: tuple[dict[str, int], ...] = (
    {},
    {},
    {},
    {name: i + 1 for i, name in enumerate(_MONTHS)},
    {name: i for i, name in enumerate(_DAYS)},
)
#: Longest day of each month in any year (February 29 exists in leap years).
_MONTH_MAX_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_QUARTZ_TOKEN = re.compile(r"(?:[0-9]*L|LW|[0-9]*W|[A-Z]{3}L)", re.IGNORECASE)
_HASH_ITEM = re.compile(r"H(?:$|[(/])", re.IGNORECASE)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class _CronError(Exception):
    """Internal: a reason, wrapped into InvalidSchedule with the expression."""


def _parse_value(token: str, index: int, field: str) -> int:
    name = _FIELD_NAMES[index]
    low, high = _BOUNDS[index]
    if token == "":
        raise _CronError(f"missing number in the {name} field {field!r}")
    if token.isascii() and token.isdigit():
        value = int(token) if len(token) <= 6 else high + 10**6
        if not low <= value <= high:
            extra = ", Sunday is 0 or 7" if index == 4 else ""
            raise _CronError(
                f"{name} {token} is out of range ({low}-{high}{extra})"
                if len(token) <= 6
                else f"{name} {token[:8]}... is out of range ({low}-{high}{extra})"
            )
        return value
    lowered = token.lower()
    if lowered in _NAMES[index]:
        return _NAMES[index][lowered]
    if _QUARTZ_TOKEN.fullmatch(token):
        raise _CronError(
            f"{token!r} in the {name} field is a Quartz extension (L/W), not supported by standard cron"
        )
    if token.isalpha():
        if _NAMES[index]:
            choices = "jan-dec" if index == 3 else "sun-sat"
            raise _CronError(f"unknown {name} name {token!r} (expected a number or {choices})")
        other = next((i for i in (3, 4) if lowered in _NAMES[i]), None)
        if other is not None:
            raise _CronError(f"{token!r} is only allowed in the {_FIELD_NAMES[other]} field, not the {name} field")
        raise _CronError(f"{token!r} is not a number in the {name} field {field!r}")
    raise _CronError(f"unexpected {token!r} in the {name} field {field!r}")


def _parse_field(field: str, index: int) -> frozenset[int]:
    name = _FIELD_NAMES[index]
    low, high = _BOUNDS[index]
    if "?" in field:
        raise _CronError(f"'?' in the {name} field is a Quartz extension, not supported by standard cron; use '*'")
    if "#" in field:
        raise _CronError(
            f"'#' (nth weekday) in the {name} field is a Quartz extension, not supported by standard cron"
        )
    values: set[int] = set()
    for item in field.split(","):
        if item == "":
            raise _CronError(f"empty list item in the {name} field {field!r}")
        if _HASH_ITEM.match(item):
            raise _CronError(f"the 'H' hash syntax (Jenkins) in the {name} field is not supported")
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not (step_text.isascii() and step_text.isdigit()):
                raise _CronError(f"bad step {step_text!r} in the {name} field {field!r} (expected a number)")
            step = int(step_text) if len(step_text) <= 6 else 10**6
            if step == 0:
                raise _CronError(f"step 0 in the {name} field {field!r}: the step must be at least 1")
            if step > high - low + 1:
                raise _CronError(
                    f"step {step_text} in the {name} field {field!r} is larger than the field's range ({low}-{high})"
                )
        if base == "*":
            start, end = low, high
        elif "-" in base:
            first, _, last = base.partition("-")
            start = _parse_value(first, index, field)
            end = _parse_value(last, index, field)
            if end < start:
                raise _CronError(
                    f"range {base!r} in the {name} field is reversed (wrap-around ranges are not supported; "
                    f"split it, e.g. {first}-{high},{low}-{last})"
                )
        else:
            start = _parse_value(base, index, field)
            # 'N/step' means N-max/step (croniter, cronsim, cronie).
            end = high if slash else start
        values.update(range(start, end + 1, step))
    if index == 4 and 7 in values:  # Sunday is 0 or 7
        values.discard(7)
        values.add(0)
    return frozenset(values)


# For other modules that translate cron fields (exports to systemd and Kubernetes):
FIELD_BOUNDS = _BOUNDS  # (low, high) of minute, hour, day of month, month, day of week
FIELD_VALUE_NAMES = _NAMES  # per field: lowercase name -> number (jan=1..., sun=0...)


def expand_field(field: str, index: int) -> frozenset[int]:
    """The values one valid cron field stands for (day of week: Sunday is 0)."""
    try:
        return _parse_field(field, index)
    except _CronError as exc:
        raise InvalidSchedule(f"invalid cron field {field!r}: {exc}") from None


class _CronSpec:
    """Expanded fields of a valid 5-field expression, plus wall-clock matching."""

    __slots__ = (
        "minutes", "hours", "hours_set", "doms", "months", "months_set",
        "dows", "day_and", "fixed", "all_days", "per_day",
    )  # fmt: skip

    def __init__(self, fields: list[str]) -> None:
        sets = [_parse_field(f, i) for i, f in enumerate(fields)]
        self.minutes = tuple(sorted(sets[0]))
        self.hours = tuple(sorted(sets[1]))
        self.hours_set = sets[1]
        self.doms = sets[2]
        self.months = tuple(sorted(sets[3]))
        self.months_set = sets[3]
        self.dows = sets[4]
        # Vixie cron: DOM_STAR / DOW_STAR are set when the field *starts* with '*'.
        dom_star = fields[2].startswith("*")
        dow_star = fields[4].startswith("*")
        self.day_and = dom_star or dow_star
        self.fixed = not fields[0].startswith("*") and not fields[1].startswith("*")
        self.all_days = self.day_and and len(self.doms) == 31 and len(self.dows) == 7
        self.per_day = len(self.minutes) * len(self.hours)

    # -- day matching -------------------------------------------------------
    def day_ok(self, d: date) -> bool:
        if self.all_days:
            return True
        dom_ok = d.day in self.doms
        dow_ok = (d.weekday() + 1) % 7 in self.dows
        return (dom_ok and dow_ok) if self.day_and else (dom_ok or dow_ok)

    def _next_month_start(self, d: date) -> date | None:
        i = bisect_right(self.months, d.month)
        if i < len(self.months):
            return date(d.year, self.months[i], 1)
        if d.year >= 9999:
            return None
        return date(d.year + 1, self.months[0], 1)

    def _prev_month_end(self, d: date) -> date | None:
        i = bisect_left(self.months, d.month) - 1
        if i >= 0:
            month, year = self.months[i], d.year
        else:
            month, year = self.months[-1], d.year - 1
            if year < 1:
                return None
        return date(year, month, calendar.monthrange(year, month)[1])

    # -- naive wall-clock search --------------------------------------------
    def next_match(self, n: datetime, hi: datetime) -> datetime | None:
        """First matching naive minute m with n <= m < hi."""
        if n.second or n.microsecond:
            n = n.replace(second=0, microsecond=0) + _MINUTE
        if n >= hi:
            return None
        d = n.date()
        h, mi = n.hour, n.minute
        last = hi.date()
        minutes, hours = self.minutes, self.hours
        while d <= last:
            if d.month not in self.months_set:
                nd = self._next_month_start(d)
                if nd is None:
                    return None
                d, h, mi = nd, 0, 0
                continue
            if self.day_ok(d):
                i = bisect_left(hours, h)
                while i < len(hours):
                    hh = hours[i]
                    j = bisect_left(minutes, mi) if hh == h else 0
                    if j < len(minutes):
                        found = datetime(d.year, d.month, d.day, hh, minutes[j])
                        return found if found < hi else None
                    i += 1
            if d == date.max:
                return None
            d += _DAY
            h = mi = 0
        return None

    def prev_match(self, n: datetime, lo: datetime) -> datetime | None:
        """Last matching naive minute m with lo <= m <= n."""
        n = n.replace(second=0, microsecond=0)
        if n < lo:
            return None
        d = n.date()
        h, mi = n.hour, n.minute
        first = lo.date()
        minutes, hours = self.minutes, self.hours
        while d >= first:
            if d.month not in self.months_set:
                pd = self._prev_month_end(d)
                if pd is None:
                    return None
                d, h, mi = pd, 23, 59
                continue
            if self.day_ok(d):
                i = bisect_right(hours, h) - 1
                while i >= 0:
                    hh = hours[i]
                    j = (bisect_right(minutes, mi) if hh == h else len(minutes)) - 1
                    if j >= 0:
                        found = datetime(d.year, d.month, d.day, hh, minutes[j])
                        return found if found >= lo else None
                    i -= 1
            if d == date.min:
                return None
            d -= _DAY
            h, mi = 23, 59
        return None

    def has_match(self, lo: datetime, hi_inclusive: datetime) -> bool:
        return self.next_match(lo, hi_inclusive + _US) is not None

    def _before(self, k: int) -> int:
        """Matches per matching day at minute-of-day index < k (0..1440)."""
        hour, minute = divmod(k, 60)
        count = bisect_left(self.hours, hour) * len(self.minutes)
        if hour in self.hours_set:
            count += bisect_left(self.minutes, minute)
        return count

    def count_matches(self, lo: datetime, hi: datetime, cap: int) -> int:
        """Number of matching naive minutes m with lo <= m < hi (stops once >= cap)."""
        if hi <= lo:
            return 0
        k_lo = lo.hour * 60 + lo.minute + (1 if lo.second or lo.microsecond else 0)
        k_end = hi.hour * 60 + hi.minute + (1 if hi.second or hi.microsecond else 0)
        d, last = lo.date(), hi.date()
        total = 0
        while d <= last:
            if d.month not in self.months_set:
                nd = self._next_month_start(d)
                if nd is None:
                    break
                d, k_lo = nd, 0
                continue
            if self.day_ok(d):
                a, b = k_lo, (k_end if d == last else 1440)
                if b > a:
                    total += (self.per_day if b == 1440 else self._before(b)) - (self._before(a) if a else 0)
                    if total >= cap:
                        return total
            if d == date.max:
                break
            d += _DAY
            k_lo = 0
        return total


def _split_expr(expr: str) -> tuple[str, list[str]]:
    """Check characters and split; returns (normalized text, 5 fields)."""
    shown = _shown(expr)
    for ch in expr:
        if not (" " <= ch <= "~" or ch == "\t"):
            what = "control characters are not allowed" if ch.isascii() else "only ASCII characters are allowed"
            raise InvalidSchedule(f"invalid cron expression {shown}: {what} (found {ch!r})")
    parts = expr.split()
    if not parts:
        raise InvalidSchedule(f"invalid cron expression {shown}: it is empty; expected 5 fields ({_FIELD_LIST})")
    if parts[0].startswith("@"):
        macro = parts[0].lower()
        if len(parts) != 1:
            raise InvalidSchedule(f"invalid cron expression {shown}: {parts[0]} takes no fields after it")
        if macro == "@reboot":
            raise InvalidSchedule(
                f"invalid cron expression {shown}: @reboot is not supported (it runs at boot, not on a schedule)"
            )
        if macro not in MACROS:
            known = " ".join(MACROS)
            raise InvalidSchedule(f"invalid cron expression {shown}: unknown macro {parts[0]!r} (known: {known})")
        return macro, MACROS[macro].split()
    if len(parts) != 5:
        extra = ""
        if len(parts) == 6:
            extra = " (a seconds or year field is not supported)"
        elif len(parts) == 7:
            extra = " (seconds and year fields are not supported)"
        raise InvalidSchedule(
            f"invalid cron expression {shown}: expected 5 fields ({_FIELD_LIST}), got {len(parts)}{extra}"
        )
    return " ".join(parts), parts


@lru_cache(maxsize=512)
def _compile(expr: str) -> tuple[str, _CronSpec]:
    normalized, fields = _split_expr(expr)
    shown = _shown(expr)
    try:
        spec = _CronSpec(fields)
    except _CronError as exc:
        raise InvalidSchedule(f"invalid cron expression {shown}: {exc}") from None
    if spec.day_and:
        # Every (month, day) pair falls on every weekday in some year, so the
        # only impossible combination is a day-of-month no chosen month has.
        first_day = min(spec.doms)
        if all(first_day > _MONTH_MAX_DAYS[m] for m in spec.months):
            names = [_MONTH_FULL[m - 1] for m in spec.months]
            if len(names) == 1:
                why = f"{names[0]} has no {_ordinal(first_day)}"
            else:
                why = f"{', '.join(names[:-1])} and {names[-1]} have no {_ordinal(first_day)}"
            raise InvalidSchedule(f"invalid cron expression {shown}: it can never fire ({why})")
    return normalized, spec


def validate_cron(expr: str) -> str:
    """Validate a 5-field cron expression or macro; return its normalized form.

    Whitespace is collapsed and macros are lowercased (``@Daily -> @daily``);
    field text is otherwise kept as typed.  Raises :class:`InvalidSchedule`.
    """
    if not isinstance(expr, str):
        raise InvalidSchedule(f"invalid cron expression {expr!r}: expected text")
    return _compile(expr)[0]


# ---------------------------------------------------------------------------
# Schedules
# ---------------------------------------------------------------------------


class CronSchedule:
    """A 5-field cron expression evaluated on the wall clock of an IANA zone."""

    __slots__ = ("expr", "tz", "fixed", "_spec", "_zone")

    #: How far next_after / prev_before search before giving up (years).
    SEARCH_YEARS = 400

    def __init__(self, expr: str, tz: str) -> None:
        self.expr = validate_cron(expr)
        self._spec = _compile(expr)[1]
        self.fixed = self._spec.fixed
        self._zone = zone_segments(tz)
        self.tz = tz

    def __repr__(self) -> str:
        return f"CronSchedule({self.expr!r}, {self.tz!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CronSchedule):
            return NotImplemented
        return (self.expr, self.tz) == (other.expr, other.tz)

    def __hash__(self) -> int:
        return hash((CronSchedule, self.expr, self.tz))

    def next_after(self, t: datetime) -> datetime | None:
        """First fire instant strictly after ``t`` (UTC), or None."""
        found = next_fire(self._zone, self._spec, self.fixed, _utc_naive(t), self.SEARCH_YEARS)
        return None if found is None else _aware(found)

    def iter_after(self, t: datetime) -> Iterator[datetime]:
        """Successive fire instants strictly after ``t``, strictly increasing."""
        u: datetime | None = _utc_naive(t)
        while True:
            assert u is not None
            u = next_fire(self._zone, self._spec, self.fixed, u, self.SEARCH_YEARS)
            if u is None:
                return
            yield _aware(u)

    def prev_before(self, t: datetime) -> datetime | None:
        """Last fire instant strictly before ``t`` (UTC), or None."""
        found = prev_fire(self._zone, self._spec, self.fixed, _utc_naive(t), self.SEARCH_YEARS)
        return None if found is None else _aware(found)

    def _count(self, a: datetime, b: datetime, cap: int) -> int:
        """Fire instants in (a, b] (naive UTC), counting stops once >= cap."""
        return count_fires(self._zone, self._spec, self.fixed, a, b, cap)


class IntervalSchedule:
    """Fires at ``anchor + k * seconds`` for k >= 1 (elapsed time, DST irrelevant).

    The anchor is converted to UTC and truncated to whole seconds.
    """

    __slots__ = ("seconds", "anchor", "_step")

    def __init__(self, seconds: int, anchor: datetime) -> None:
        if isinstance(seconds, bool) or not isinstance(seconds, int):
            raise TypeError(f"interval seconds must be an int, not {type(seconds).__name__}")
        if seconds <= 0:
            raise InvalidDuration(f"invalid interval of {seconds} seconds: it must be greater than zero")
        self.seconds = seconds
        self.anchor = _aware(_utc_naive(anchor))
        self._step = timedelta(seconds=seconds)

    def __repr__(self) -> str:
        return f"IntervalSchedule({self.seconds}, {self.anchor.isoformat()})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IntervalSchedule):
            return NotImplemented
        return (self.seconds, self.anchor) == (other.seconds, other.anchor)

    def __hash__(self) -> int:
        return hash((IntervalSchedule, self.seconds, self.anchor))

    def _index(self, t: datetime) -> int:
        """floor((t - anchor) / step): the number of grid points <= t (may be negative)."""
        return (t - self.anchor) // self._step

    def _at(self, k: int) -> datetime | None:
        try:
            return self.anchor + k * self._step
        except OverflowError:
            return None

    def next_after(self, t: datetime) -> datetime | None:
        _utc_naive(t)
        return self._at(max(1, self._index(t) + 1))

    def iter_after(self, t: datetime) -> Iterator[datetime]:
        _utc_naive(t)
        k = max(1, self._index(t) + 1)
        while True:
            at = self._at(k)
            if at is None:
                return
            yield at
            k += 1

    def prev_before(self, t: datetime) -> datetime | None:
        _utc_naive(t)
        k = -((self.anchor - t) // self._step) - 1  # ceil((t - anchor) / step) - 1
        return self._at(k) if k >= 1 else None

    def count_between(self, after: datetime, until: datetime) -> int:
        """Number of fire instants in (after, until], in O(1)."""
        _utc_naive(after)
        _utc_naive(until)
        if until <= after:
            return 0
        return max(0, self._index(until)) - max(0, self._index(after))


class OnceSchedule:
    """Fires once, at ``at`` (converted to UTC, truncated to whole seconds)."""

    __slots__ = ("at",)

    def __init__(self, at: datetime) -> None:
        self.at = _aware(_utc_naive(at))

    def __repr__(self) -> str:
        return f"OnceSchedule({self.at.isoformat()})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OnceSchedule):
            return NotImplemented
        return self.at == other.at

    def __hash__(self) -> int:
        return hash((OnceSchedule, self.at))

    def next_after(self, t: datetime) -> datetime | None:
        _utc_naive(t)
        return self.at if self.at > t else None

    def iter_after(self, t: datetime) -> Iterator[datetime]:
        found = self.next_after(t)
        if found is not None:
            yield found

    def prev_before(self, t: datetime) -> datetime | None:
        _utc_naive(t)
        return self.at if self.at < t else None


Schedule = Union[CronSchedule, IntervalSchedule, OnceSchedule]


def _parse_at(expr: str) -> datetime:
    hint = "expected an ISO 8601 UTC time such as 2026-12-01T09:00:00Z"
    if not isinstance(expr, str) or not expr.strip() or not expr.isascii():
        raise InvalidSchedule(f"invalid one-off time {expr!r}: {hint}")
    try:
        at = datetime.fromisoformat(expr.strip())
    except ValueError:
        raise InvalidSchedule(f"invalid one-off time {expr!r}: {hint}") from None
    if at.tzinfo is None:  # stored values are UTC
        at = at.replace(tzinfo=UTC)
    return at


def make_schedule(kind: str, expr: str, tz: str, anchor: datetime | None) -> Schedule:
    """Build the schedule object for a stored job (kind 'cron', 'every' or 'at')."""
    if kind == "cron":
        return CronSchedule(expr, tz)
    if kind == "every":
        seconds = parse_duration(expr)
        if anchor is None:
            raise InvalidSchedule(f"interval schedule 'every {expr}' needs an anchor time")
        return IntervalSchedule(seconds, anchor)
    if kind == "at":
        return OnceSchedule(_parse_at(expr))
    raise InvalidSchedule(f"unknown schedule kind {kind!r} (expected cron, every or at)")


def occurrences(
    schedule: Schedule, after: datetime, until: datetime, limit: int
) -> tuple[list[datetime], bool]:
    """Fire instants in (after, until], at most ``limit`` of them, the NEWEST ones.

    Returns (ascending list, more) where ``more`` is True when older instants
    in the window were dropped.  Walks backwards from ``until`` with
    prev_before, so the cost is proportional to ``limit``, not to the window.
    """
    _utc_naive(after)
    _utc_naive(until)
    found: list[datetime] = []
    if until <= after:
        return found, False
    try:
        cursor = until + _US  # instants <= until are those < until + 1us
    except OverflowError:
        cursor = until
    while len(found) <= max(limit, 0):
        prev = schedule.prev_before(cursor)
        if prev is None or prev <= after:
            break
        found.append(prev)
        cursor = prev
    more = len(found) > max(limit, 0)
    del found[max(limit, 0) :]
    found.reverse()
    return found, more


def count_occurrences(
    schedule: Schedule, after: datetime, until: datetime, cap: int = 100_000
) -> tuple[int, bool]:
    """Count fire instants in (after, until].

    Returns (count, False) when there are at most ``cap`` of them, else
    (cap, True).  O(1) for intervals; for cron, proportional to the number of
    days in the window.
    """
    a, b = _utc_naive(after), _utc_naive(until)
    cap = max(cap, 0)
    if b <= a:
        return 0, False
    if isinstance(schedule, IntervalSchedule):
        n = schedule.count_between(after, until)
    elif isinstance(schedule, OnceSchedule):
        n = 1 if after < schedule.at <= until else 0
    elif isinstance(schedule, CronSchedule):
        n = schedule._count(a, b, cap + 1)
    else:  # any object with iter_after
        n = 0
        for fire in schedule.iter_after(after):
            if fire > until or n > cap:
                break
            n += 1
    return (cap, True) if n > cap else (n, False)


def describe(kind: str, expr: str) -> str:
    """Human text for a schedule: 'At 09:00, Monday through Friday', 'every 30m', 'once at ...'."""
    if kind == "cron":
        try:
            normalized, fields = _split_expr(expr)
            from cron_descriptor import ExpressionDescriptor, Options

            options = Options()
            options.use_24hour_time_format = True
            text = ExpressionDescriptor(" ".join(fields), options).get_description()
            return text if isinstance(text, str) and text else str(expr)
        except Exception:  # cron_descriptor is best-effort only
            return str(expr)
    if kind == "every":
        try:
            return f"every {format_duration(parse_duration(expr))}"
        except InvalidDuration:
            return f"every {expr}"
    if kind == "at":
        try:
            at = _parse_at(expr).astimezone(UTC)
        except InvalidSchedule:
            return f"once at {expr}"
        return f"once at {at.strftime('%Y-%m-%d %H:%M:%S')} UTC"
    return str(expr)
