"""Tests for schedcli.schedule cron expressions (schedule/cron.py): validation, field semantics in UTC."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from schedcli.errors import InvalidSchedule, InvalidZone, UsageError
from schedcli.schedule import CronSchedule, validate_cron

UTC = timezone.utc


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)



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


def test_steps_larger_than_the_range_keep_only_the_start() -> None:
    """Vixie cron and cronie accept a step past the field's range (cronie only warns):
    ``for (i = low; i <= high; i += step)`` sets the first value alone.  The field still
    starts with '*', so the day fields are ANDed (cronie's DOM_STAR is set by a leading '*')."""
    # The first-Monday idiom: days 1-7 AND Monday.  2026-01-05, 2026-02-02, 2026-03-02 and
    # 2026-04-06 are the first Mondays of their months (hand-checked on a calendar).
    assert first("0 9 */100,1-7 * MON", "2026-01-01T00:00Z", 4) == [
        "2026-01-05T09:00Z",
        "2026-02-02T09:00Z",
        "2026-03-02T09:00Z",
        "2026-04-06T09:00Z",
    ]
    # Without the leading '*' the same days are ORed: every day 1-7, and every Monday.
    assert first("0 9 1-7 * MON", "2026-01-08T00:00Z", 3) == [
        "2026-01-12T09:00Z",
        "2026-01-19T09:00Z",
        "2026-01-26T09:00Z",
    ]
    assert first("*/61 * * * *", "2026-01-01T00:30Z", 2) == ["2026-01-01T01:00Z", "2026-01-01T02:00Z"]
    assert first("0 0 */40 * *", "2026-01-15T00:00Z", 2) == ["2026-02-01T00:00Z", "2026-03-01T00:00Z"]
    assert first("0 1-7/10 * * *", "2026-01-01T00:00Z", 2) == ["2026-01-01T01:00Z", "2026-01-02T01:00Z"]
    assert validate_cron("0 9 */100,1-7 * MON") == "0 9 */100,1-7 * MON"
