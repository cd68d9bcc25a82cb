"""What one tick does with one due job: :func:`decide` applies the catch-up policy and
grace to the occurrences due since the job's ``next_run_at``. Pure arithmetic: no
database, no clock (:mod:`schedcli.engine.claim` runs it inside the claim transaction)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

from schedcli import schedule as sched
from schedcli.model import Job

CATCH_UP_LIMIT = 1000  # most occurrences one job may run in one tick with --catch-up all
COUNT_CAP = 1_000_000  # missed occurrences are counted exactly up to this many


@dataclass
class Decision:
    """What one tick does with one due job."""

    run: list[int] = field(default_factory=list)  # occurrence epochs to run, oldest first
    missed_count: int = 0
    missed_first: int | None = None
    missed_last: int | None = None
    missed_capped: bool = False
    next_run_at: int | None = None


def _dt(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def decide(job: Job, schedule: sched.Schedule, now: datetime) -> Decision:
    """Apply the catch-up policy and grace to the occurrences due since ``job.next_run_at``.

    Pure arithmetic: no database, no clock.  With ``--jitter`` the schedule's instants
    are the occurrences' start times (so grace counts from each start, and jitter
    never makes an occurrence late); the decision names the occurrences by their
    scheduled times.
    """
    decision = _decide(job, schedule, now)
    if isinstance(schedule, sched.JitteredSchedule):
        decision.run = [sched.occurrence_at(schedule, t) for t in decision.run]
        if decision.missed_first is not None:
            decision.missed_first = sched.occurrence_at(schedule, decision.missed_first)
        if decision.missed_last is not None:
            decision.missed_last = sched.occurrence_at(schedule, decision.missed_last)
    return decision


def _decide(job: Job, schedule: sched.Schedule, now: datetime) -> Decision:
    first = job.next_run_at
    assert first is not None
    now_s = int(now.timestamp())
    decision = Decision()
    grace_start = now_s - job.grace  # occurrences at or after this may still run
    after_first = schedule.next_after(_dt(first))
    if after_first is None or after_first > now:
        # The common case: exactly one occurrence is due.
        decision.next_run_at = int(after_first.timestamp()) if after_first is not None else None
        if first >= grace_start:
            decision.run = [first]
        else:
            decision.missed_count = 1
            decision.missed_first = decision.missed_last = first
        return decision
    nxt = schedule.next_after(now)
    decision.next_run_at = int(nxt.timestamp()) if nxt is not None else None
    lo = max(first, grace_start)
    # occurrences in [lo, now]
    in_grace_count, _ = sched.count_occurrences(schedule, _dt(lo - 1), _dt(now_s), cap=COUNT_CAP)
    want = {"latest": 2, "none": 2, "all": CATCH_UP_LIMIT + 1}[job.catch_up]
    newest, _more = sched.occurrences(schedule, _dt(lo - 1), _dt(now_s), limit=want)
    newest = [int(d.timestamp()) for d in newest]  # oldest first
    old_count, old_capped, old_last = 0, False, None
    if first < grace_start:
        old_count, old_capped = sched.count_occurrences(
            schedule, _dt(first - 1), _dt(grace_start - 1), cap=COUNT_CAP
        )
        if old_count:
            prev = schedule.prev_before(_dt(grace_start))
            old_last = int(prev.timestamp()) if prev is not None else None

    if job.catch_up == "latest":
        run = newest[-1:]
    elif job.catch_up == "all":
        run = newest[-CATCH_UP_LIMIT:]
    else:  # none: no catch-up after a gap; only a lone on-time occurrence runs
        run = newest[-1:] if in_grace_count == 1 and old_count == 0 else []
    decision.run = run
    missed_count = old_count + in_grace_count - len(run)
    if missed_count > 0:
        before = newest[: len(newest) - len(run)]  # due occurrences older than those that run
        decision.missed_count = missed_count
        decision.missed_capped = old_capped
        decision.missed_first = first
        decision.missed_last = before[-1] if before else (old_last if old_last is not None else first)
    return decision
