"""Tests for schedcli.schedule kinds (schedule/kinds.py): intervals, one-offs, counting, upcoming, describe."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from schedcli.errors import InvalidDuration, InvalidSchedule, InvalidZone
from schedcli.schedule import (
    CronSchedule,
    IntervalSchedule,
    OnceSchedule,
    count_occurrences,
    describe,
    make_schedule,
    occurrences,
    upcoming,
)

UTC = timezone.utc


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)



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


def test_upcoming_takes_the_next_fires_in_order() -> None:
    workdays = CronSchedule("0 9 * * 1-5", "Europe/Berlin")
    friday_9 = utc("2026-03-27T08:00:00Z")  # 09:00 CET; Berlin moves to CEST on Sunday 03-29
    assert upcoming(workdays, friday_9, 3) == [
        utc("2026-03-30T07:00:00Z"),
        utc("2026-03-31T07:00:00Z"),
        utc("2026-04-01T07:00:00Z"),
    ]
    assert upcoming(workdays, friday_9, 3) == list(islice(workdays.iter_after(friday_9), 3))
    assert upcoming(IntervalSchedule(90, ANCHOR), ANCHOR, 2) == [
        ANCHOR + timedelta(seconds=90),
        ANCHOR + timedelta(seconds=180),
    ]
    once = OnceSchedule(utc("2026-06-01T00:00:00Z"))
    assert upcoming(once, ANCHOR, 5) == [utc("2026-06-01T00:00:00Z")]
    assert upcoming(once, utc("2026-06-01T00:00:00Z"), 5) == []
    assert upcoming(workdays, friday_9, 0) == []


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


# ---------------------------------------------------------------------------
# Clock changes, wall-clock matches and comparing two schedules
# ---------------------------------------------------------------------------


def test_clock_changes_of_a_zone() -> None:
    from schedcli.schedule import clock_changes, utc_offset

    changes = clock_changes("Europe/Paris", utc("2026-01-01T00:00:00Z"), utc("2027-01-01T00:00:00Z"))
    assert [(c.at, c.before, c.after) for c in changes] == [
        (utc("2026-03-29T01:00:00Z"), timedelta(hours=1), timedelta(hours=2)),
        (utc("2026-10-25T01:00:00Z"), timedelta(hours=2), timedelta(hours=1)),
    ]
    gap, fold = changes
    assert (gap.wall_start, gap.wall_end) == (datetime(2026, 3, 29, 2), datetime(2026, 3, 29, 3))
    assert (fold.wall_start, fold.wall_end) == (datetime(2026, 10, 25, 2), datetime(2026, 10, 25, 3))
    # the window is [start, end): a change at the start counts, one at the end does not
    assert clock_changes("Europe/Paris", gap.at, fold.at) == [gap]
    assert clock_changes("UTC", utc("2026-01-01T00:00:00Z"), utc("2036-01-01T00:00:00Z")) == []
    assert utc_offset("America/New_York", utc("2026-07-01T00:00:00Z")) == timedelta(hours=-4)
    with pytest.raises(InvalidZone):
        clock_changes("Mars/Base", ANCHOR, ANCHOR + timedelta(days=1))


def test_matches_wall_clock() -> None:
    schedule = CronSchedule("30 2 * * *", "Europe/Paris")
    assert schedule.matches_wall_clock(datetime(2026, 3, 29, 2), datetime(2026, 3, 29, 3))
    assert not schedule.matches_wall_clock(datetime(2026, 3, 29, 2, 31), datetime(2026, 3, 29, 3))
    assert not schedule.matches_wall_clock(datetime(2026, 3, 29, 2), datetime(2026, 3, 29, 2, 30))  # hi excluded


def test_first_difference() -> None:
    from schedcli.schedule import clock_changes, first_difference

    start, end = utc("2026-01-01T00:00:00Z"), utc("2028-01-01T00:00:00Z")
    around = [c.at for c in clock_changes("Europe/Paris", start, end)]
    paris, utc_ = CronSchedule("*/15 * * * *", "Europe/Paris"), CronSchedule("*/15 * * * *", "UTC")
    assert first_difference(paris, utc_, start, end, around) is None
    # 03:00 in Paris is 02:00 UTC in winter and 01:00 UTC in summer: they part at the first change
    assert first_difference(CronSchedule("0 3 * * *", "Europe/Paris"), CronSchedule("0 2 * * *", "UTC"),
                            start, end, around) == utc("2026-03-29T01:00:00Z")
    # an interval of 30 minutes from 00:07 is '7,37 * * * *'; from 00:07:01 it is not
    grid = IntervalSchedule(1800, utc("2026-01-01T00:07:00Z"))
    assert first_difference(grid, CronSchedule("7,37 * * * *", "UTC"), grid.anchor, end) is None
    assert first_difference(grid, CronSchedule("7,37 * * * *", "UTC"), start, end) == grid.anchor  # k >= 1
    late = IntervalSchedule(1800, utc("2026-01-01T00:07:01Z"))
    assert first_difference(late, CronSchedule("7,37 * * * *", "UTC"), late.anchor, end) == utc("2026-01-01T00:37:00Z")
