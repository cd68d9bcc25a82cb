"""What runs next across all jobs: one timeline, soonest first, merged lazily.

Jobs come from the store soonest next run first (an index walk) and each job's
upcoming runs from the schedule package (:func:`schedcli.schedule.upcoming`), so
the next ``count`` runs of 10,000 jobs compute the schedules of the few jobs that
can appear among them, not of every job. Library code: time is an argument.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import datetime

from schedcli.model import Job

_FIRST_CHUNK = 4  # upcoming runs asked of a job at first; doubled each time more are needed


def first_after(job: Job, start: datetime) -> datetime:
    """Where a job's upcoming runs start: ``start``, or just before its stored next run
    when that is later (a stored next run may also be due already: the runner has not
    ticked yet, and it still runs)."""
    assert job.next_run_at is not None
    return max(start, datetime.fromtimestamp(job.next_run_at - 1, start.tzinfo))


def job_upcoming(job: Job, start: datetime) -> Iterator[datetime]:
    """A job's upcoming runs from ``start``, asked of the schedule in growing chunks."""
    from schedcli.schedule import upcoming
    from schedcli.services.jobs import job_schedule

    schedule = job_schedule(job)
    first = first_after(job, start)
    given, chunk = 0, _FIRST_CHUNK
    while True:
        found = upcoming(schedule, first, chunk)
        yield from found[given:]
        if len(found) < chunk:  # the schedule ends (a one-off)
            return
        given, chunk = len(found), chunk * 2


def merged_upcoming(jobs: Iterable[Job], start: datetime, count: int) -> list[tuple[str, datetime]]:
    """The next ``count`` runs of all ``jobs`` after ``start``, by time then job name.

    ``jobs`` must come soonest stored next run first (as ``Store.iter_jobs_by_next_run``
    gives them): a job's runs are never earlier than ``first_after(job, start)``, so a
    job is opened only once the timeline has reached that bound, and reading stops
    there. (What the schedule package gives as a job's upcoming runs must therefore
    not come before its stored next run, less a second: the runner's own rule.)
    """
    heap: list[tuple[datetime, str, int, Iterator[datetime]]] = []
    pending = iter(jobs)
    waiting: Job | None = next(pending, None)
    out: list[tuple[str, datetime]] = []
    serial = 0  # a tie-breaker, so that iterators are never compared
    while len(out) < count:
        # open every job that may come before what the heap has first (or at the same time)
        while waiting is not None and (not heap or first_after(waiting, start) <= heap[0][0]):
            runs = job_upcoming(waiting, start)
            at = next(runs, None)
            if at is not None:
                heapq.heappush(heap, (at, waiting.name, serial, runs))
                serial += 1
            waiting = next(pending, None)
        if not heap:
            break
        at, name, number, runs = heapq.heappop(heap)
        out.append((name, at))
        nxt = next(runs, None)
        if nxt is not None:
            heapq.heappush(heap, (nxt, name, number, runs))
    return out
