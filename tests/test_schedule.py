"""Tests for schedcli.schedule: durations, cron validation, intervals, one-offs, counting."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedcli.errors import InvalidDuration, InvalidSchedule, InvalidZone, UsageError
from schedcli.schedule import (
    MAX_DURATION,
    CronSchedule,
    IntervalSchedule,
    OnceSchedule,
    count_occurrences,
    describe,
    format_duration,
    make_schedule,
    occurrences,
    parse_duration,
    validate_cron,
)

UTC = timezone.utc


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("1s", 1),
        ("5m", 300),
        ("90m", 5400),
        ("1h", 3600),
        ("2d", 172800),
        ("1w", 604800),
        ("1h30m", 5400),
        ("2d12h", 216000),
        ("1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5),
        ("1h0m", 3600),
        ("05m", 300),
        ("36525d", MAX_DURATION),
        ("5217w", 5217 * 604800),
    ],
)
def test_parse_duration_valid(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0s", "greater than zero"),
        ("0h0m", "greater than zero"),
        ("-5m", "positive"),
        ("5", "unit is required"),
        ("300", "unit is required"),
        ("m", "number and a unit"),
        ("5x", "number and a unit"),
        ("5y", "number and a unit"),
        ("1.5h", "number and a unit"),
        ("+5m", "number and a unit"),
        ("1h 30m", "spaces"),
        (" 5m", "spaces"),
        ("5m\n", "spaces"),
        ("\uff15m", "ASCII"),  # fullwidth digit five
        ("\u0663m", "ASCII"),  # Arabic-Indic digit three
        ("5\u00b5s", "ASCII"),
        ("", "empty"),
        ("   ", "empty"),
        ("1m1h", "order"),
        ("30m1h", "order"),
        ("1h1h", "order"),
        ("5M", "lowercase"),
        ("1H30M", "lowercase"),
        ("36526d", "100 years"),
        ("5218w", "100 years"),
        ("99999999999999999999w", "100 years"),
        ("9" * 5000 + "s", "100 years"),
    ],
)
def test_parse_duration_invalid(text: str, fragment: str) -> None:
    with pytest.raises(InvalidDuration) as info:
        parse_duration(text)
    message = str(info.value)
    assert fragment in message
    assert message.startswith("invalid duration ")
    assert "\n" not in message
    assert isinstance(info.value, UsageError)


def test_parse_duration_rejects_non_text() -> None:
    with pytest.raises(InvalidDuration):
        parse_duration(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (1, "1s"),
        (59, "59s"),
        (60, "1m"),
        (90, "1m30s"),
        (3600, "1h"),
        (5400, "1h30m"),
        (86400, "1d"),
        (90061, "1d1h1m1s"),
        (604800, "1w"),
        (694800, "1w1d1h"),
        (-90, "-1m30s"),
        (0.5, "0.5s"),
        (0.25, "0.25s"),
        (0.0, "0s"),
        (89.6, "1m30s"),
        (5400.0, "1h30m"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(min_value=1, max_value=MAX_DURATION))
def test_format_parse_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds


# ---------------------------------------------------------------------------
# Cron validation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "normalized"),
    [
        ("* * * * *", "* * * * *"),
        ("  0   9 * *   1-5 ", "0 9 * * 1-5"),
        ("0\t0 * * *", "0 0 * * *"),
        ("*/15 * * * *", "*/15 * * * *"),
        ("0 */2 * * *", "0 */2 * * *"),
        ("5,10-20/5,59 0-23 1-31 1-12 0-7", "5,10-20/5,59 0-23 1-31 1-12 0-7"),
        ("5/10 * * * *", "5/10 * * * *"),
        ("0 0 * * mon-fri", "0 0 * * mon-fri"),
        ("0 0 * JAN-Mar,dec SUN", "0 0 * JAN-Mar,dec SUN"),
        ("0 0 * * 7", "0 0 * * 7"),
        ("0 0 29 2 *", "0 0 29 2 *"),
        ("0 0 31 2 1", "0 0 31 2 1"),  # dom and dow both restricted: OR, so Mondays in February
        ("0 0 30 2 mon", "0 0 30 2 mon"),
        ("*/60 */24 * * *", "*/60 */24 * * *"),
        ("@hourly", "@hourly"),
        ("@Daily", "@daily"),
        ("@MIDNIGHT", "@midnight"),
        ("@weekly", "@weekly"),
        ("@monthly", "@monthly"),
        ("@yearly", "@yearly"),
        (" @annually ", "@annually"),
    ],
)
def test_validate_cron_valid(expr: str, normalized: str) -> None:
    assert validate_cron(expr) == normalized


@pytest.mark.parametrize(
    ("expr", "fragment"),
    [
        # field count
        ("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), got 4"),
        ("*", "got 1"),
        ("* * * * * *", "got 6 (a seconds or year field is not supported)"),
        ("0 0 12 * * ?", "got 6"),
        ("0 0 12 * * ? 2026", "got 7 (seconds and year fields are not supported)"),
        ("", "empty"),
        ("   ", "empty"),
        # out of range
        ("60 * * * *", "minute 60 is out of range (0-59)"),
        ("* 24 * * *", "hour 24 is out of range (0-23)"),
        ("* * 0 * *", "day-of-month 0 is out of range (1-31)"),
        ("* * 32 * *", "day-of-month 32 is out of range (1-31)"),
        ("* * * 0 *", "month 0 is out of range (1-12)"),
        ("* * * 13 *", "month 13 is out of range (1-12)"),
        ("* * * * 8", "day-of-week 8 is out of range (0-7"),
        ("0-60 * * * *", "minute 60 is out of range"),
        ("99999999999 * * * *", "out of range"),
        # steps
        ("*/0 * * * *", "step 0"),
        ("0 0-12/0 * * *", "step 0"),
        ("*/61 * * * *", "larger than the field's range"),
        ("*/x * * * *", "bad step 'x'"),
        ("*/ * * * *", "bad step ''"),
        ("*/5/2 * * * *", "bad step '5/2'"),
        # reversed ranges (croniter would wrap around; Debian cron/cronsim do not)
        ("50-10 * * * *", "range '50-10' in the minute field is reversed"),
        ("0 22-2 * * *", "reversed"),
        ("0 0 * * fri-mon", "reversed"),
        # junk and names
        ("a b c d e", "'a' is not a number in the minute field"),
        ("0 0 * foo *", "unknown month name 'foo'"),
        ("0 0 * * funday", "unknown day-of-week name 'funday'"),
        ("0 0 * mon *", "unknown month name 'mon'"),
        ("0 jan * * *", "'jan' is only allowed in the month field"),
        ("1,,2 * * * *", "empty list item"),
        ("1, * * * *", "empty list item"),
        ("*-5 * * * *", "unexpected '*'"),
        ("5- * * * *", "missing number"),
        ("-5 * * * *", "missing number"),
        ("0 0 1.5 * *", "unexpected '1.5'"),
        # non-ASCII / control characters
        ("0 0 * * \u0663", "only ASCII characters are allowed"),
        ("0 \uff10 * * *", "only ASCII characters are allowed"),
        ("\u00bd * * * *", "only ASCII characters are allowed"),
        ("0\u00a00 * * *", "only ASCII characters are allowed"),
        ("0 0\n * * *", "control characters are not allowed"),
        # can never fire
        ("0 0 31 2 *", "it can never fire (February has no 31st)"),
        ("0 0 30 2 *", "it can never fire (February has no 30th)"),
        ("0 0 30,31 2 *", "February has no 30th"),
        ("0 0 31 4,6,9,11 *", "it can never fire (April, June, September and November have no 31st)"),
        ("0 0 31 2 */2", "never fire"),  # day-of-week starts with '*': AND
        # macros
        ("@reboot", "@reboot is not supported"),
        ("@fortnightly", "unknown macro '@fortnightly'"),
        ("@daily 5", "takes no fields"),
        # Quartz and Jenkins extensions
        ("0 0 L * *", "Quartz"),
        ("0 0 LW * *", "Quartz"),
        ("0 0 15W * *", "Quartz"),
        ("0 0 * * 5L", "Quartz"),
        ("0 0 * * 5#2", "Quartz"),
        ("0 0 ? * *", "Quartz"),
        ("0 0 * * ?", "Quartz"),
        ("H * * * *", "'H' hash syntax"),
        ("H/15 * * * *", "'H' hash syntax"),
        ("H(0-29)/10 * * * *", "'H' hash syntax"),
        ("0 H * * *", "'H' hash syntax"),
    ],
)
def test_validate_cron_invalid(expr: str, fragment: str) -> None:
    with pytest.raises(InvalidSchedule) as info:
        validate_cron(expr)
    message = str(info.value)
    assert fragment in message
    assert message.startswith(f"invalid cron expression {expr!r}: ")
    assert "\n" not in message
    assert isinstance(info.value, UsageError)


def test_validate_cron_message_examples() -> None:
    with pytest.raises(InvalidSchedule) as info:
        validate_cron("0 0 31 2 *")
    assert str(info.value) == "invalid cron expression '0 0 31 2 *': it can never fire (February has no 31st)"
    with pytest.raises(InvalidSchedule) as info:
        validate_cron("* * * *")
    assert str(info.value) == (
        "invalid cron expression '* * * *': expected 5 fields "
        "(minute hour day-of-month month day-of-week), got 4"
    )


def test_validate_cron_rejects_non_text() -> None:
    with pytest.raises(InvalidSchedule):
        validate_cron(None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expr", "fixed"),
    [
        ("30 2 * * *", True),
        ("0,30 1-3 * * *", True),
        ("0-59 0-23 * * *", True),
        ("0 */2 * * *", False),
        ("*/15 * * * *", False),
        ("* 3 * * *", False),
        ("5/10 * * * *", False),
        ("@daily", True),
        ("@weekly", True),
        ("@monthly", True),
        ("@yearly", True),
        ("@hourly", False),
    ],
)
def test_fixed_flag(expr: str, fixed: bool) -> None:
    assert CronSchedule(expr, "UTC").fixed is fixed


def test_unknown_zone() -> None:
    for zone in ("Mars/Olympus", "", "../../etc/passwd", "Europe/Berlin "):
        with pytest.raises(InvalidZone):
            CronSchedule("0 0 * * *", zone)


def test_cron_schedule_keeps_normalized_expr_and_tz() -> None:
    schedule = CronSchedule("  0  9 * * 1-5", "Europe/Berlin")
    assert schedule.expr == "0 9 * * 1-5"
    assert schedule.tz == "Europe/Berlin"
    with pytest.raises(InvalidSchedule):
        CronSchedule("0 0 31 2 *", "UTC")


# ---------------------------------------------------------------------------
# Cron field semantics (UTC, so no DST involved)
# ---------------------------------------------------------------------------


def first(expr: str, start: str, n: int, tz: str = "UTC") -> list[str]:
    schedule = CronSchedule(expr, tz)
    return [x.strftime("%Y-%m-%dT%H:%MZ") for x in islice(schedule.iter_after(utc(start)), n)]


def test_dom_and_dow_both_restricted_is_or() -> None:
    # 2026-02-02 is a Monday: "0 0 31 2 1" fires on every Monday in February.
    assert first("0 0 31 2 1", "2026-01-01T00:00Z", 5) == [
        "2026-02-02T00:00Z",
        "2026-02-09T00:00Z",
        "2026-02-16T00:00Z",
        "2026-02-23T00:00Z",
        "2027-02-01T00:00Z",
    ]
    # Fridays or the 13th.  2026-03-06 and 2026-03-13 are Fridays.
    assert first("0 0 13 * 5", "2026-03-01T00:00Z", 4) == [
        "2026-03-06T00:00Z",
        "2026-03-13T00:00Z",
        "2026-03-20T00:00Z",
        "2026-03-27T00:00Z",
    ]


def test_star_step_dom_with_dow_is_and() -> None:
    # Vixie cron: a field starting with '*' makes the day test an AND (croniter would OR).
    # Odd days of the month that are Mondays: 2026-01-05, 2026-01-19, 2026-02-09 ...
    assert first("0 0 */2 * 1", "2026-01-01T00:00Z", 3) == [
        "2026-01-05T00:00Z",
        "2026-01-19T00:00Z",
        "2026-02-09T00:00Z",
    ]


def test_sunday_is_0_or_7_and_names() -> None:
    assert first("0 12 * * 7", "2026-03-01T13:00Z", 2) == first("0 12 * * sun", "2026-03-01T13:00Z", 2)
    assert first("0 12 * * 7", "2026-03-01T13:00Z", 2) == ["2026-03-08T12:00Z", "2026-03-15T12:00Z"]
    assert first("0 0 1 jan *", "2026-06-01T00:00Z", 2) == ["2027-01-01T00:00Z", "2028-01-01T00:00Z"]


def test_leap_day_and_macros() -> None:
    assert first("0 0 29 2 *", "2026-01-01T00:00Z", 2) == ["2028-02-29T00:00Z", "2032-02-29T00:00Z"]
    assert first("@hourly", "2026-01-01T00:30Z", 2) == ["2026-01-01T01:00Z", "2026-01-01T02:00Z"]
    assert first("@weekly", "2026-01-01T00:00Z", 2) == ["2026-01-04T00:00Z", "2026-01-11T00:00Z"]
    assert first("@monthly", "2026-01-01T00:00Z", 2) == ["2026-02-01T00:00Z", "2026-03-01T00:00Z"]
    assert first("@yearly", "2026-01-01T00:00Z", 1) == ["2027-01-01T00:00Z"]
    assert first("5/20 * * * *", "2026-01-01T00:00Z", 4) == [
        "2026-01-01T00:05Z",
        "2026-01-01T00:25Z",
        "2026-01-01T00:45Z",
        "2026-01-01T01:05Z",
    ]


def test_cron_next_prev_strictness_and_types() -> None:
    schedule = CronSchedule("*/15 * * * *", "UTC")
    on = utc("2026-05-01T10:15:00Z")
    assert schedule.next_after(on) == utc("2026-05-01T10:30:00Z")
    assert schedule.prev_before(on) == utc("2026-05-01T10:00:00Z")
    just_before = on - timedelta(microseconds=1)
    assert schedule.next_after(just_before) == on
    assert schedule.prev_before(on + timedelta(microseconds=1)) == on
    result = schedule.next_after(datetime(2026, 5, 1, 12, 0, tzinfo=ZoneInfo("Europe/Berlin")))
    assert result == utc("2026-05-01T10:15:00Z")
    assert result is not None and result.tzinfo is UTC and result.microsecond == 0
    with pytest.raises(ValueError):
        schedule.next_after(datetime(2026, 5, 1))


# ---------------------------------------------------------------------------
# Intervals and one-off schedules
# ---------------------------------------------------------------------------

ANCHOR = utc("2026-01-01T00:00:00Z")


def test_interval_grid() -> None:
    schedule = IntervalSchedule(90, ANCHOR)
    step = timedelta(seconds=90)
    assert schedule.next_after(ANCHOR) == ANCHOR + step
    assert schedule.next_after(ANCHOR - timedelta(days=3)) == ANCHOR + step  # k >= 1
    assert schedule.next_after(ANCHOR + step) == ANCHOR + 2 * step  # exactly on a grid point: the NEXT one
    assert schedule.next_after(ANCHOR + step - timedelta(microseconds=1)) == ANCHOR + step
    assert schedule.next_after(ANCHOR + timedelta(seconds=100)) == ANCHOR + 2 * step
    assert schedule.prev_before(ANCHOR + step) is None
    assert schedule.prev_before(ANCHOR + step + timedelta(microseconds=1)) == ANCHOR + step
    assert schedule.prev_before(ANCHOR + 2 * step) == ANCHOR + step
    assert schedule.prev_before(ANCHOR + timedelta(days=1)) == ANCHOR + timedelta(days=1) - step
    assert list(islice(schedule.iter_after(ANCHOR + timedelta(seconds=10)), 3)) == [
        ANCHOR + step,
        ANCHOR + 2 * step,
        ANCHOR + 3 * step,
    ]


def test_interval_count_between() -> None:
    schedule = IntervalSchedule(3600, ANCHOR)
    assert schedule.count_between(ANCHOR, ANCHOR + timedelta(hours=24)) == 24
    assert schedule.count_between(ANCHOR - timedelta(days=5), ANCHOR + timedelta(hours=1)) == 1
    assert schedule.count_between(ANCHOR + timedelta(hours=1), ANCHOR + timedelta(hours=2)) == 1
    assert schedule.count_between(ANCHOR + timedelta(minutes=30), ANCHOR + timedelta(minutes=59)) == 0
    assert schedule.count_between(ANCHOR + timedelta(hours=5), ANCHOR + timedelta(hours=2)) == 0
    every_second = IntervalSchedule(1, ANCHOR)
    started = time.perf_counter()
    assert every_second.count_between(ANCHOR, ANCHOR + timedelta(days=365 * 1000)) == 365 * 1000 * 86400
    assert time.perf_counter() - started < 0.1


def test_interval_ignores_dst_and_normalizes_anchor() -> None:
    ny = ZoneInfo("America/New_York")
    anchor = datetime(2026, 3, 7, 12, 0, 0, 123456, tzinfo=ny)
    schedule = IntervalSchedule(3600, anchor)
    assert schedule.anchor == utc("2026-03-07T17:00:00Z")
    fires = list(islice(schedule.iter_after(utc("2026-03-08T04:30:00Z")), 5))
    assert [f.strftime("%H:%M") for f in fires] == ["05:00", "06:00", "07:00", "08:00", "09:00"]
    assert all(f.tzinfo is UTC for f in fires)
    assert make_schedule("every", "1h", "America/New_York", anchor) == schedule


def test_interval_rejects_bad_values() -> None:
    with pytest.raises(InvalidDuration):
        IntervalSchedule(0, ANCHOR)
    with pytest.raises(ValueError):
        IntervalSchedule(60, datetime(2026, 1, 1))


def test_once_schedule() -> None:
    at = utc("2026-12-01T09:00:00Z")
    schedule = OnceSchedule(at)
    assert schedule.next_after(at - timedelta(seconds=1)) == at
    assert schedule.next_after(at) is None
    assert schedule.prev_before(at) is None
    assert schedule.prev_before(at + timedelta(seconds=1)) == at
    assert list(schedule.iter_after(ANCHOR)) == [at]
    assert list(schedule.iter_after(at)) == []


def test_make_schedule() -> None:
    cron = make_schedule("cron", "0 9 * * 1-5", "Europe/Berlin", None)
    assert isinstance(cron, CronSchedule) and cron.tz == "Europe/Berlin"
    every = make_schedule("every", "30m", "UTC", ANCHOR)
    assert isinstance(every, IntervalSchedule) and every.seconds == 1800 and every.anchor == ANCHOR
    once = make_schedule("at", "2026-12-01T09:00:00Z", "UTC", None)
    assert isinstance(once, OnceSchedule) and once.at == utc("2026-12-01T09:00:00Z")
    assert make_schedule("at", "2026-12-01T10:00:00+01:00", "UTC", None) == once
    assert make_schedule("at", "2026-12-01T09:00:00", "UTC", None) == once  # stored values are UTC
    with pytest.raises(InvalidSchedule):
        make_schedule("at", "tomorrow", "UTC", None)
    with pytest.raises(InvalidSchedule):
        make_schedule("at", "", "UTC", None)
    with pytest.raises(InvalidSchedule):
        make_schedule("weekly", "x", "UTC", None)
    with pytest.raises(InvalidSchedule):
        make_schedule("every", "30m", "UTC", None)
    with pytest.raises(InvalidDuration):
        make_schedule("every", "30", "UTC", ANCHOR)
    with pytest.raises(InvalidSchedule):
        make_schedule("cron", "61 * * * *", "UTC", None)
    with pytest.raises(InvalidZone):
        make_schedule("cron", "0 * * * *", "Nowhere/Special", None)


# ---------------------------------------------------------------------------
# occurrences() and count_occurrences()
# ---------------------------------------------------------------------------

YEAR_START = utc("2025-01-01T00:00:00Z")
YEAR_END = utc("2026-01-01T00:00:00Z")


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Australia/Lord_Howe"])
def test_count_every_minute_for_a_year_is_fast(zone: str) -> None:
    schedule = CronSchedule("* * * * *", zone)
    started = time.perf_counter()
    # 2025 is not a leap year; a wildcard job fires once per real minute whatever the zone.
    assert count_occurrences(schedule, YEAR_START, YEAR_END, cap=10_000_000) == (525600, False)
    assert count_occurrences(schedule, YEAR_START, YEAR_END) == (100_000, True)
    assert count_occurrences(schedule, YEAR_START, YEAR_END, cap=525600) == (525600, False)
    assert count_occurrences(schedule, YEAR_START, YEAR_END, cap=525599) == (525599, True)
    assert count_occurrences(schedule, YEAR_END, YEAR_START) == (0, False)
    assert time.perf_counter() - started < 2.0


def test_occurrences_every_minute_year_takes_newest() -> None:
    schedule = CronSchedule("* * * * *", "Europe/Berlin")
    started = time.perf_counter()
    fires, more = occurrences(schedule, YEAR_START, YEAR_END, 3)
    assert time.perf_counter() - started < 1.0
    assert more is True
    assert fires == [utc("2025-12-31T23:58:00Z"), utc("2025-12-31T23:59:00Z"), YEAR_END]
    fires, more = occurrences(schedule, YEAR_END - timedelta(minutes=3), YEAR_END, 3)
    assert more is False and len(fires) == 3
    fires, more = occurrences(schedule, YEAR_END - timedelta(minutes=3), YEAR_END, 2)
    assert more is True and fires == [utc("2025-12-31T23:59:00Z"), YEAR_END]
    assert occurrences(schedule, YEAR_END, YEAR_END, 5) == ([], False)
    assert occurrences(schedule, YEAR_START, YEAR_END, 0) == ([], True)


def test_count_and_occurrences_fixed_daily_cron_over_dst_year() -> None:
    schedule = CronSchedule("30 2 * * *", "America/New_York")
    # Once per day, including the spring-forward day (moved to 03:00) and the fall-back day (once).
    assert count_occurrences(schedule, YEAR_START, YEAR_END) == (365, False)
    wildcard = CronSchedule("*/30 1 * * *", "America/New_York")
    # Twice a day, plus two extra runs on 2025-11-02 (01:00 and 01:30 happen twice).
    assert count_occurrences(wildcard, YEAR_START, YEAR_END) == (732, False)
    skipped = CronSchedule("*/30 2 * * *", "America/New_York")
    # 2025-03-09 has no 02:xx wall-clock time at all.
    assert count_occurrences(skipped, YEAR_START, YEAR_END) == (728, False)


def test_occurrences_and_counts_for_intervals_and_once() -> None:
    schedule = IntervalSchedule(60, YEAR_START)
    assert count_occurrences(schedule, YEAR_START, YEAR_END, cap=10**9) == (525600, False)
    assert count_occurrences(schedule, YEAR_START, YEAR_END) == (100_000, True)
    fires, more = occurrences(schedule, YEAR_START, YEAR_END, 2)
    assert fires == [YEAR_END - timedelta(minutes=1), YEAR_END] and more is True
    fires, more = occurrences(schedule, YEAR_START, YEAR_START + timedelta(minutes=2), 5)
    assert fires == [YEAR_START + timedelta(minutes=1), YEAR_START + timedelta(minutes=2)] and more is False
    once = OnceSchedule(utc("2025-06-01T00:00:00Z"))
    assert count_occurrences(once, YEAR_START, YEAR_END) == (1, False)
    assert count_occurrences(once, utc("2025-06-01T00:00:00Z"), YEAR_END) == (0, False)
    assert occurrences(once, YEAR_START, YEAR_END, 10) == ([utc("2025-06-01T00:00:00Z")], False)
    assert occurrences(once, YEAR_START, YEAR_END, 0) == ([], True)


def test_occurrences_matches_iteration() -> None:
    schedule = CronSchedule("*/7 9-17 * * mon-fri", "Europe/London")
    after, until = utc("2026-03-20T00:00:00Z"), utc("2026-04-03T00:00:00Z")
    expected = []
    for fire in schedule.iter_after(after):
        if fire > until:
            break
        expected.append(fire)
    assert count_occurrences(schedule, after, until) == (len(expected), False)
    assert occurrences(schedule, after, until, len(expected)) == (expected, False)
    assert occurrences(schedule, after, until, 10) == (expected[-10:], True)


# ---------------------------------------------------------------------------
# describe() and import hygiene
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "expr", "text"),
    [
        ("cron", "0 9 * * 1-5", "At 09:00, Monday through Friday"),
        ("cron", "*/15 * * * *", "Every 15 minutes"),
        ("cron", "@daily", "At 00:00"),
        ("cron", "not a cron", "not a cron"),
        ("every", "30m", "every 30m"),
        ("every", "90m", "every 1h30m"),
        ("every", "junk", "every junk"),
        ("at", "2026-12-01T09:00:00Z", "once at 2026-12-01 09:00:00 UTC"),
        ("at", "soon", "once at soon"),
    ],
)
def test_describe(kind: str, expr: str, text: str) -> None:
    assert describe(kind, expr) == text


def test_module_import_is_lazy() -> None:
    code = (
        "import sys, schedcli.schedule as s\n"
        "assert 'croniter' not in sys.modules, 'croniter imported'\n"
        "assert 'cron_descriptor' not in sys.modules, 'cron_descriptor imported'\n"
        "s.CronSchedule('*/5 * * * *', 'Europe/Berlin').next_after(s.datetime.now(s.UTC))\n"
        "assert 'croniter' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
