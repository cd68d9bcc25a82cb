"""A job's schedule as a cron expression on another wall clock: exactly, or not at all.

A crontab is read on one wall clock (Debian's cron runs every job in the system zone)
and a Kubernetes CronJob on its one ``timeZone``.  :func:`cron_in_zone` rewrites a cron
expression for such a clock and :func:`every_as_cron` writes an interval's grid as one.
Each gives an expression only when its fires are the job's fires, checked with
:func:`schedcli.schedule.first_difference` around every clock change of both zones in
the next two years (the rules tzdata knows today); otherwise it gives the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional

from schedcli import schedule as sched
from schedcli.transfer.cronconv import every_to_cron

#: How far ahead conversions are checked.
HORIZON = timedelta(days=2 * 366)
_DAY_MINUTES = 1440


@dataclass
class Converted:
    """The result of a conversion: ``expr`` when exact, else ``reason``.

    For an interval, ``aligned`` is the clock-aligned expression (not exact) and
    ``shift`` says how its runs differ from the job's grid.
    """

    expr: Optional[str]
    reason: Optional[str] = None
    aligned: Optional[str] = None
    shift: Optional[str] = None


def field_text(values: set[int] | frozenset[int], index: int) -> str:
    """Compact cron text for a set of field values (day of week: Sunday 0)."""
    low, high = sched.FIELD_BOUNDS[index]
    if index == 4:
        high = 6
    ordered = sorted(values)
    if ordered == list(range(low, high + 1)):
        return "*"
    if len(ordered) >= 3:
        step = ordered[1] - ordered[0]
        if all(b - a == step for a, b in zip(ordered, ordered[1:])):
            if index < 2 and ordered[0] == low and ordered[-1] + step > high:
                return f"*/{step}"  # minutes and hours only: in the day fields '*' changes the day rule
            return f"{ordered[0]}-{ordered[-1]}" + (f"/{step}" if step > 1 else "")
    parts: list[str] = []
    start = prev = ordered[0]
    for value in ordered[1:] + [None]:
        if value is not None and value == prev + 1:
            prev = value
            continue
        if prev - start >= 2:
            parts.append(f"{start}-{prev}")
        else:
            parts.extend(str(v) for v in range(start, prev + 1))
        if value is not None:
            start = prev = value
    return ",".join(parts)


def _product(times: set[int]) -> Optional[tuple[set[int], set[int]]]:
    """(hours, minutes) when the minutes-of-day ``times`` are every hour x every minute of two sets."""
    hours = {t // 60 for t in times}
    minutes = {t % 60 for t in times}
    if len(times) != len(hours) * len(minutes):
        return None
    return hours, minutes


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def _hours_text(minutes: int) -> str:
    return sched.format_duration(abs(minutes) * 60) if minutes else "0m"


def _shifted(fields: list[str], diffs: list[int]) -> Optional[str]:
    """The expression moved by ``diffs`` minutes of wall clock, when one expression can say it."""
    sets = [sched.expand_field(text, i) for i, text in enumerate(fields)]
    minutes, hours, doms, months, dows = sets
    day_and = fields[2].startswith("*") or fields[4].startswith("*")
    full_dom, full_dow = len(doms) == 31, len(dows) == 7
    every_day = len(months) == 12 and (
        (full_dom and full_dow) if day_and else (full_dom or full_dow)
    )

    def text(values: set[int], index: int) -> str:
        return fields[index] if values == set(sets[index]) else field_text(values, index)

    if len(diffs) > 1:
        # The zones' offsets differ by different amounts over the year (daylight saving
        # time): only an every-hour, every-day expression keeps its instants, and only
        # when the minutes move by the same amount each time.
        shifts = {d % 60 for d in diffs}
        if len(hours) != 24 or not every_day or len(shifts) != 1:
            return None
        (shift,) = shifts
        moved = {(m + shift) % 60 for m in minutes}
        return " ".join([text(moved, 0), *fields[1:]])
    d = diffs[0]
    stamps = {h * 60 + m + d for h in hours for m in minutes}
    days_moved = {t // _DAY_MINUTES for t in stamps}
    product = _product({t % _DAY_MINUTES for t in stamps})
    if product is None:
        return None
    new_hours, new_minutes = product
    clock = [text(new_minutes, 0), text(new_hours, 1)]
    if every_day or days_moved == {0}:
        return " ".join(clock + fields[2:])
    if len(days_moved) == 1 and len(months) == 12 and day_and and full_dom:
        step = days_moved.pop()  # the weekdays alone select the days: move them
        return " ".join(clock + ["*", fields[3], field_text({(x + step) % 7 for x in dows}, 4)])
    return None


def _changes(zones: tuple[str, ...], now: datetime) -> list[datetime]:
    return sorted({c.at for z in zones for c in sched.clock_changes(z, now, now + HORIZON)})


def cron_in_zone(expr: str, source: str, target: str, now: datetime) -> Converted:
    """``expr`` evaluated in zone ``source``, as an expression for zone ``target``."""
    normalized = sched.validate_cron(expr)
    if source == target:
        return Converted(normalized)
    fields = sched.MACROS.get(normalized, normalized).split()
    changes = _changes((source, target), now)
    diffs = sorted({_minutes(sched.utc_offset(target, t) - sched.utc_offset(source, t)) for t in [now, *changes]})
    if diffs == [0]:
        return Converted(normalized)  # the two wall clocks agree at every instant of the horizon
    candidate = _shifted(fields, diffs)
    if candidate is not None:
        original = sched.CronSchedule(normalized, source)
        moved = sched.CronSchedule(candidate, target)
        if sched.first_difference(original, moved, now, now + HORIZON, changes) is None:
            return Converted(candidate)
    if len(diffs) > 1:
        apart = " or ".join(_hours_text(d) for d in sorted(diffs, key=abs))
        why = f"{target} is {apart} from {source} depending on daylight saving time"
    else:
        why = f"{target} is {_hours_text(diffs[0])} from {source}, which moves runs to other days or times"
    return Converted(None, f"no cron expression in {target} runs exactly when {normalized!r} runs in {source} ({why})")


def _grid_expr(seconds: int, anchor: int, offsets: set[int]) -> Optional[str]:
    """The cron text of the grid ``anchor + k * seconds`` on a clock ``offsets`` minutes from UTC."""
    phase = anchor % seconds  # seconds after the epoch's grid (the epoch is 00:00 UTC, a Thursday)
    if phase % 60 or seconds % 60:
        return None
    phase_minutes, step = phase // 60, seconds // 60
    if 60 % step == 0:
        moved = {o % 60 for o in offsets}
        if len(moved) != 1:
            return None
        start = (phase_minutes + moved.pop()) % step
        return f"{field_text(set(range(start, 60, step)), 0)} * * * *"
    if len(offsets) != 1:
        return None  # a grid of hours is elapsed time; this clock moves at daylight-saving changes
    (offset,) = offsets
    if _DAY_MINUTES % step == 0:
        stamps = {(phase_minutes + k * step + offset) % _DAY_MINUTES for k in range(_DAY_MINUTES // step)}
        product = _product(stamps)
        if product is None:
            return None
        hours, minutes = product
        return f"{field_text(minutes, 0)} {field_text(hours, 1)} * * *"
    if step == 7 * _DAY_MINUTES:
        local = phase_minutes + offset
        weekday = (4 + local // _DAY_MINUTES) % 7
        clock = local % _DAY_MINUTES
        return f"{clock % 60} {clock // 60} * * {weekday}"
    return None


def every_as_cron(expr: str, anchor: int, tz: str, now: datetime) -> Converted:
    """The interval ``every expr`` (grid from ``anchor``, epoch seconds) as a cron expression in ``tz``."""
    seconds = sched.parse_duration(expr)
    aligned = every_to_cron(seconds)
    if aligned is None:
        return Converted(None, f"every {expr} is not a whole divisor of a minute, hour or day")
    grid = sched.IntervalSchedule(seconds, sched.from_epoch(anchor))
    now = max(now, grid.anchor)  # the grid starts at its anchor
    changes = _changes((tz,), now)
    offsets = {_minutes(sched.utc_offset(tz, t)) for t in [now, *changes]}
    candidate = _grid_expr(seconds, anchor, offsets)
    if candidate is not None:
        if sched.first_difference(grid, sched.CronSchedule(candidate, tz), now, now + HORIZON, changes) is None:
            return Converted(candidate)
    upcoming = grid.next_after(now)
    assert upcoming is not None
    on_clock = sched.CronSchedule(aligned, tz).prev_before(upcoming + timedelta(seconds=1))
    lead = int((upcoming - on_clock).total_seconds()) if on_clock is not None else 0
    moves = f"its runs move {sched.format_duration(lead)} earlier" if lead else "its runs stay on the clock now"
    if len(offsets) > 1 and seconds > 3600:
        moves += f" and follow {tz}'s daylight-saving changes, which the interval does not"
    where = f"{sched.format_duration(lead)} after the clock's" if lead else "on the clock in elapsed time"
    reason = (
        f"every {expr} runs on its own grid, {where} (next run {sched.iso(upcoming)}), and a cron "
        f"expression runs on the wall clock of {tz}: pass --align to export it as {aligned!r} ({moves})"
    )
    return Converted(None, reason, aligned, f"exported clock-aligned as {aligned!r}: {moves}")
