"""Cron expressions: parsing, macros, and matching minutes on a wall clock.

Cron semantics follow Vixie cron as patched by Debian (and cronie), cron(8):
expressions have exactly five fields, evaluated on the wall clock of the job's
IANA zone.  When both day-of-month and day-of-week are restricted (neither
starts with ``*``) a day matches if EITHER matches; otherwise both must match.
Where that wall clock jumps (DST gaps and folds) a *fixed* expression (neither
the minute nor the hour field starts with ``*``; :attr:`CronSpec.fixed`) and a
*wildcard* one behave differently; :mod:`schedcli.schedule.zones` applies those
rules.

Implementation: the five fields are expanded by our own parser, not by croniter.
croniter 7 departs from cron(8) in ways that break these rules: it ORs
day-of-month and day-of-week when one of them is a step such as ``*/2`` (cron
ANDs them, because the field starts with ``*``), expands ``21-21/1`` to every
minute, accepts Quartz extensions (``L``, ``#``, ``?``) and wraps reversed
ranges. The parser here gives precise error messages, and the whole layer is
checked against cronsim, an independent implementation of Debian cron, by a
differential property test.

Matching is done on naive wall-clock datetimes (:class:`CronSpec`), a day at a
time, which keeps next/previous/count operations fast (a year of an
every-minute cron is counted day by day, not minute by minute).
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left, bisect_right
from datetime import date, datetime, timedelta
from functools import lru_cache

from schedcli.errors import InvalidSchedule
from schedcli.schedule.text import quoted

_US = timedelta(microseconds=1)
_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)

# ---------------------------------------------------------------------------
# Fields: names, ranges, lists and steps
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
# Patterns, not compiled regexes: re compiles them on first use (and caches them).
_QUARTZ_TOKEN = r"(?:[0-9]*L|LW|[0-9]*W|[A-Z]{3}L)"
_HASH_ITEM = r"H(?:$|[(/])"


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
    if re.fullmatch(_QUARTZ_TOKEN, token, re.IGNORECASE):
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
        if re.match(_HASH_ITEM, item, re.IGNORECASE):
            raise _CronError(f"the 'H' hash syntax (Jenkins) in the {name} field is not supported")
        base, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not (step_text.isascii() and step_text.isdigit()):
                raise _CronError(f"bad step {step_text!r} in the {name} field {field!r} (expected a number)")
            step = int(step_text) if len(step_text) <= 6 else 10**6
            if step == 0:
                raise _CronError(f"step 0 in the {name} field {field!r}: the step must be at least 1")
            # A step larger than the range keeps only the start, as in Vixie cron and cronie
            # (cronie warns, then accepts): '*/100' in day-of-month is day 1 only, and since
            # the field still starts with '*' the day fields are ANDed ('*/100,1-7 * MON' is
            # the first Monday of the month).
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


# ---------------------------------------------------------------------------
# Matching on the wall clock
# ---------------------------------------------------------------------------


class CronSpec:
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


# ---------------------------------------------------------------------------
# Whole expressions: macros, five fields, validation
# ---------------------------------------------------------------------------


def split_expr(expr: str) -> tuple[str, list[str]]:
    """Check characters and split; returns (normalized text, 5 fields)."""
    shown = quoted(expr)
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
def compile_cron(expr: str) -> tuple[str, CronSpec]:
    normalized, fields = split_expr(expr)
    shown = quoted(expr)
    try:
        spec = CronSpec(fields)
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
    return compile_cron(expr)[0]
