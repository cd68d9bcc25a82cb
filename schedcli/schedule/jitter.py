"""Jitter (``--jitter``) and boot-time (``@reboot``) schedules.

Jitter works like systemd's ``RandomizedDelaySec``: each occurrence at ``t`` starts at
``t + offset``, where the offset is a stable pseudo-random number of whole seconds in
``[0, jitter)``.  It is a hash (BLAKE2b) of the job's name and ``t``, so every runner,
on any machine, computes the same offset for the same occurrence and no state is kept.
The offset is also below the gap to the following occurrence: an occurrence always
starts before the next one is scheduled, so occurrences start in order and each keeps
its identity (its scheduled time, ``t``).

:class:`JitteredSchedule` is a schedule whose instants are those start times; the
engine works on it as on any schedule and maps each start back to its occurrence with
:meth:`JitteredSchedule.occurrence_of`.

An ``@reboot`` job has no instants at all (:class:`RebootSchedule`): it runs at the
first tick of each boot, which the engine recognises by the boot id.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Iterator

from schedcli.schedule.zones import naive_utc

REBOOT = "@reboot"  # a cron job whose expression is this runs once per boot
_SECOND = timedelta(seconds=1)


def is_reboot(kind: str | None, expr: str | None) -> bool:
    """Is this stored schedule ``@reboot`` (kind ``cron``, any letter case)?"""
    return kind == "cron" and isinstance(expr, str) and expr.strip().lower() == REBOOT


def jitter_offset(key: str, scheduled_for: int, jitter: int) -> int:
    """The stable offset, in whole seconds in ``[0, jitter)``, of the occurrence at
    epoch ``scheduled_for`` of the job named ``key``. 0 when ``jitter`` is 0."""
    if jitter <= 1:
        return 0
    digest = hashlib.blake2b(f"{key}\x00{scheduled_for}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % jitter


class RebootSchedule:
    """``@reboot``: no instants on the clock (the engine runs it once per boot)."""

    __slots__ = ()
    expr = REBOOT

    def __repr__(self) -> str:
        return "RebootSchedule()"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RebootSchedule)

    def __hash__(self) -> int:
        return hash(RebootSchedule)

    def next_after(self, t: datetime) -> datetime | None:
        naive_utc(t)
        return None

    def prev_before(self, t: datetime) -> datetime | None:
        naive_utc(t)
        return None

    def iter_after(self, t: datetime) -> Iterator[datetime]:
        naive_utc(t)
        return iter(())


class JitteredSchedule:
    """The start times of a schedule's occurrences delayed by their jitter offsets.

    Its instants are strictly increasing, and the start of the occurrence at ``t`` lies
    in ``[t, next occurrence)``: the latest occurrence at or before a start is the one
    it belongs to.
    """

    __slots__ = ("base", "jitter", "key")

    def __init__(self, base, jitter: int, key: str) -> None:
        self.base = base
        self.jitter = jitter
        self.key = key

    def __repr__(self) -> str:
        return f"JitteredSchedule({self.base!r}, {self.jitter}, {self.key!r})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, JitteredSchedule):
            return NotImplemented
        return (self.base, self.jitter, self.key) == (other.base, other.jitter, other.key)

    def __hash__(self) -> int:
        return hash((JitteredSchedule, self.base, self.jitter, self.key))

    def start_of(self, occurrence: datetime) -> datetime:
        """When the occurrence at ``occurrence`` starts."""
        nxt = self.base.next_after(occurrence)
        bound = self.jitter
        if nxt is not None:
            bound = min(bound, int((nxt - occurrence).total_seconds()))
        return occurrence + timedelta(seconds=jitter_offset(self.key, int(occurrence.timestamp()), bound))

    def occurrence_of(self, start: datetime) -> datetime:
        """The occurrence that starts at ``start`` (an instant of this schedule)."""
        found = self.base.prev_before(start + _SECOND)
        return start if found is None else found

    def next_after(self, t: datetime) -> datetime | None:
        """First start strictly after ``t``."""
        latest = self.base.prev_before(t + _SECOND)  # the latest occurrence at or before t
        if latest is not None:
            start = self.start_of(latest)
            if start > t:
                return start
        nxt = self.base.next_after(t)
        return None if nxt is None else self.start_of(nxt)

    def prev_before(self, t: datetime) -> datetime | None:
        """Last start strictly before ``t``."""
        latest = self.base.prev_before(t)
        if latest is None:
            return None
        start = self.start_of(latest)
        if start < t:
            return start
        earlier = self.base.prev_before(latest)
        return None if earlier is None else self.start_of(earlier)

    def iter_after(self, t: datetime) -> Iterator[datetime]:
        start = self.next_after(t)
        while start is not None:
            yield start
            start = self.next_after(start)

    def count_between(self, after: datetime, until: datetime, cap: int) -> int:
        """Starts in (after, until], counted on the base schedule (stops once >= cap)."""
        from schedcli.schedule.kinds import count_occurrences

        if until <= after:
            return 0
        # Starts <= x: the occurrences before the latest one at or before x, and that
        # one if it has started by x.  So starts in (a, b] = occurrences in [oa, ob)
        # + [start(ob) <= b] - [start(oa) <= a].
        oa = self.base.prev_before(after + _SECOND)
        ob = self.base.prev_before(until + _SECOND)
        if ob is None:
            return 0
        n = 1 if self.start_of(ob) <= until else 0
        if oa is not None:
            between, _ = count_occurrences(self.base, oa - _SECOND, ob - _SECOND, cap)
            n += between - (1 if self.start_of(oa) <= after else 0)
        else:
            # No occurrence at or before ``after``: every occurrence before ob counts.
            between, _ = count_occurrences(self.base, after, ob - _SECOND, cap)
            n += between
        return n


def with_jitter(schedule, jitter: int, key: str):
    """``schedule`` as the start times of its occurrences (itself without jitter)."""
    if not jitter or isinstance(schedule, RebootSchedule):
        return schedule
    return JitteredSchedule(schedule, jitter, key)


def start_after(schedule, t: datetime) -> datetime | None:
    """When the first occurrence scheduled strictly after ``t`` starts: a new or
    rescheduled job's next run (an occurrence scheduled before ``t`` is not its own,
    even if its jittered start is later)."""
    if isinstance(schedule, JitteredSchedule):
        nxt = schedule.base.next_after(t)
        return None if nxt is None else schedule.start_of(nxt)
    return schedule.next_after(t)


def occurrence_at(schedule, start: int) -> int:
    """The scheduled time (epoch) of the occurrence that starts at epoch ``start``."""
    if not isinstance(schedule, JitteredSchedule):
        return start
    from schedcli.schedule.text import from_epoch

    return int(schedule.occurrence_of(from_epoch(start)).timestamp())
