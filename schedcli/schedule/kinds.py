"""The schedule kinds: cron, interval (``every``) and one-off (``at``) schedules.

Each kind answers the same questions: ``next_after``, ``prev_before`` and
``iter_after`` for one schedule; :func:`occurrences`, :func:`count_occurrences`
and :func:`upcoming` over a window; :func:`describe` in words.  Everything in
and out is timezone-aware; every instant returned is in UTC with
``microsecond == 0``.

* A cron schedule is matched on the wall clock of its IANA zone
  (:mod:`schedcli.schedule.cron`), with cron(8)'s rules where that clock jumps
  (:mod:`schedcli.schedule.zones`).
* Interval schedules count elapsed time and ignore DST entirely.
* A one-off schedule fires once.

cron_descriptor (for :func:`describe`) is imported only when a description is
asked for.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from itertools import islice, takewhile
from typing import Iterable, Iterator, Union

from schedcli.errors import InvalidDuration, InvalidSchedule
from schedcli.schedule.cron import compile_cron, split_expr, validate_cron
from schedcli.schedule.jitter import JitteredSchedule, RebootSchedule, is_reboot
from schedcli.schedule.text import format_duration, parse_duration
from schedcli.schedule.zones import UTC, aware_utc, count_fires, naive_utc, next_fire, prev_fire, zone_segments

_US = timedelta(microseconds=1)

# ---------------------------------------------------------------------------
# The three kinds
# ---------------------------------------------------------------------------


class CronSchedule:
    """A 5-field cron expression evaluated on the wall clock of an IANA zone."""

    __slots__ = ("expr", "tz", "fixed", "_spec", "_zone")

    #: How far next_after / prev_before search before giving up (years).
    SEARCH_YEARS = 400

    def __init__(self, expr: str, tz: str) -> None:
        self.expr = validate_cron(expr)
        self._spec = compile_cron(expr)[1]
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
        found = next_fire(self._zone, self._spec, self.fixed, naive_utc(t), self.SEARCH_YEARS)
        return None if found is None else aware_utc(found)

    def iter_after(self, t: datetime) -> Iterator[datetime]:
        """Successive fire instants strictly after ``t``, strictly increasing."""
        u: datetime | None = naive_utc(t)
        while True:
            assert u is not None
            u = next_fire(self._zone, self._spec, self.fixed, u, self.SEARCH_YEARS)
            if u is None:
                return
            yield aware_utc(u)

    def prev_before(self, t: datetime) -> datetime | None:
        """Last fire instant strictly before ``t`` (UTC), or None."""
        found = prev_fire(self._zone, self._spec, self.fixed, naive_utc(t), self.SEARCH_YEARS)
        return None if found is None else aware_utc(found)

    def matches_wall_clock(self, lo: datetime, hi: datetime) -> bool:
        """Does the expression match a naive wall-clock minute m with lo <= m < hi?"""
        return self._spec.next_match(lo, hi) is not None

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
        self.anchor = aware_utc(naive_utc(anchor))
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
        naive_utc(t)
        return self._at(max(1, self._index(t) + 1))

    def iter_after(self, t: datetime) -> Iterator[datetime]:
        naive_utc(t)
        k = max(1, self._index(t) + 1)
        while True:
            at = self._at(k)
            if at is None:
                return
            yield at
            k += 1

    def prev_before(self, t: datetime) -> datetime | None:
        naive_utc(t)
        k = -((self.anchor - t) // self._step) - 1  # ceil((t - anchor) / step) - 1
        return self._at(k) if k >= 1 else None

    def count_between(self, after: datetime, until: datetime) -> int:
        """Number of fire instants in (after, until], in O(1)."""
        naive_utc(after)
        naive_utc(until)
        if until <= after:
            return 0
        return max(0, self._index(until)) - max(0, self._index(after))


class OnceSchedule:
    """Fires once, at ``at`` (converted to UTC, truncated to whole seconds)."""

    __slots__ = ("at",)

    def __init__(self, at: datetime) -> None:
        self.at = aware_utc(naive_utc(at))

    def __repr__(self) -> str:
        return f"OnceSchedule({self.at.isoformat()})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OnceSchedule):
            return NotImplemented
        return self.at == other.at

    def __hash__(self) -> int:
        return hash((OnceSchedule, self.at))

    def next_after(self, t: datetime) -> datetime | None:
        naive_utc(t)
        return self.at if self.at > t else None

    def iter_after(self, t: datetime) -> Iterator[datetime]:
        found = self.next_after(t)
        if found is not None:
            yield found

    def prev_before(self, t: datetime) -> datetime | None:
        naive_utc(t)
        return self.at if self.at < t else None


Schedule = Union[CronSchedule, IntervalSchedule, OnceSchedule, RebootSchedule, JitteredSchedule]


# ---------------------------------------------------------------------------
# A stored job's schedule
# ---------------------------------------------------------------------------


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
    """Build the schedule object for a stored job (kind 'cron', 'every' or 'at';
    ``@reboot`` is a cron job with no instants)."""
    if is_reboot(kind, expr):
        return RebootSchedule()
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


# ---------------------------------------------------------------------------
# Fire instants over a window
# ---------------------------------------------------------------------------


def occurrences(
    schedule: Schedule, after: datetime, until: datetime, limit: int
) -> tuple[list[datetime], bool]:
    """Fire instants in (after, until], at most ``limit`` of them, the NEWEST ones.

    Returns (ascending list, more) where ``more`` is True when older instants
    in the window were dropped.  Walks backwards from ``until`` with
    prev_before, so the cost is proportional to ``limit``, not to the window.
    """
    naive_utc(after)
    naive_utc(until)
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
    a, b = naive_utc(after), naive_utc(until)
    cap = max(cap, 0)
    if b <= a:
        return 0, False
    if isinstance(schedule, IntervalSchedule):
        n = schedule.count_between(after, until)
    elif isinstance(schedule, OnceSchedule):
        n = 1 if after < schedule.at <= until else 0
    elif isinstance(schedule, CronSchedule):
        n = schedule._count(a, b, cap + 1)
    elif isinstance(schedule, JitteredSchedule):
        n = schedule.count_between(after, until, cap + 1)
    else:  # any object with iter_after
        n = 0
        for fire in schedule.iter_after(after):
            if fire > until or n > cap:
                break
            n += 1
    return (cap, True) if n > cap else (n, False)


def first_difference(
    a: Schedule,
    b: Schedule,
    after: datetime,
    until: datetime,
    around: Iterable[datetime] = (),
    cap: int = 500,
    span: timedelta = timedelta(days=35),
) -> datetime | None:
    """The earliest instant found where two schedules' fires differ in (after, until], else None.

    Checked: the fires in the ``span`` after ``after``, in three days every ``span``
    after that, and from three hours before to two days after each instant of ``around``
    (clock changes, say), at most ``cap`` fires a window; and the number of fires in the
    whole window.  Returns ``until`` when only the counts differ.
    """
    windows = [(after, min(until, after + span))]
    start = after + span
    while start < until:
        windows.append((start, min(until, start + timedelta(days=3))))
        start += span
    windows += [
        (max(after, t - timedelta(hours=3)), min(until, t + timedelta(days=2))) for t in around if after < t <= until
    ]
    for lo, hi in sorted(windows):
        xs, ys = _take(a, lo, hi, cap), _take(b, lo, hi, cap)
        if xs != ys:
            differ = set(xs) ^ set(ys)
            return min(differ) if differ else (xs or ys)[0]
    if count_occurrences(a, after, until, 10**7) != count_occurrences(b, after, until, 10**7):
        return until
    return None


def _take(schedule: Schedule, after: datetime, until: datetime, cap: int) -> list[datetime]:
    return list(islice(takewhile(lambda t: t <= until, schedule.iter_after(after)), cap))


def upcoming(schedule: Schedule, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire instants strictly after ``after``, ascending (fewer if the schedule ends)."""
    return list(islice(schedule.iter_after(after), max(count, 0)))


# ---------------------------------------------------------------------------
# Human text
# ---------------------------------------------------------------------------


def _describe_cron(fields: str) -> str:
    """cron_descriptor's English text, its translation catalogue read once per process:
    ``ExpressionDescriptor`` reads and parses it for every expression (0.3 ms each, most
    of ``list --json`` on thousands of distinct expressions)."""
    from cron_descriptor import ExpressionDescriptor

    options, get_text = _cron_text()
    descriptor = ExpressionDescriptor.__new__(ExpressionDescriptor)
    if get_text is None:  # not the cron_descriptor this was written for: its own way
        descriptor.__init__(fields, options)  # type: ignore[misc]
    else:
        from cron_descriptor.ExpressionParser import ExpressionParser

        descriptor._expression = fields
        descriptor._options = options
        descriptor.get_text = get_text
        descriptor._expression_parts = ExpressionParser(fields, options).parse()
    return descriptor.get_description()


@lru_cache(maxsize=1)
def _cron_text():
    """The options (English, 24-hour times) and the translations to share, or None for
    the translations when the installed cron_descriptor builds its descriptors otherwise
    than this knows."""
    from cron_descriptor import ExpressionDescriptor, Options

    # English, as the rest of schedcli speaks, whatever the locale: the text is stored
    # with the job and read by scripts (list --json), so it must not depend on the
    # locale of the process that wrote it
    options = Options(locale_code="en_US")
    options.use_24hour_time_format = True
    probe = ExpressionDescriptor("0 9 * * *", options)
    known = {"_expression", "_options", "_expression_parts", "get_text"}
    return options, (probe.get_text if set(vars(probe)) == known else None)


def describe(kind: str, expr: str) -> str:
    """Human text for a schedule: 'At 09:00, Monday through Friday', 'every 30m', 'once at ...'."""
    if is_reboot(kind, expr):
        return "at every boot"
    if kind == "cron":
        try:
            normalized, fields = split_expr(expr)
            text = _describe_cron(" ".join(fields))
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
