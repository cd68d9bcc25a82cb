"""Phase 1 of a tick: decide what is due and claim it, in one ``BEGIN IMMEDIATE`` transaction.

The transaction marks runs whose runner died as ``interrupted``; reads the due jobs
through the ``next_run_at`` index; decides for each which occurrences run, which are
skipped (overlap) and which are missed (catch-up policy, grace); inserts those rows (a
unique key on job, occurrence and attempt makes a second claim impossible); and moves
``next_run_at`` past ``now``.  What has to be ended because of it (the process groups
of dead runners' runs, runs replaced under ``--overlap replace``) is returned, to be
ended after the transaction.

:func:`~schedcli.engine.decide.decide` is the pure arithmetic; :class:`Claimer` does the transaction;
:meth:`Claimer.plan` says what a claim would do without changing anything.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime

from schedcli import process
from schedcli import schedule as sched
from schedcli.clock import SystemClock
from schedcli.engine.decide import CATCH_UP_LIMIT, COUNT_CAP, Decision, decide  # noqa: F401  (their home before)
from schedcli.engine.retention import PolicyInForce
from schedcli.errors import JobNotFound, Overlap
from schedcli.model import Job, LiveRun, Occurrence
from schedcli.schedule import iso
from schedcli.services.jobs import job_schedule
from schedcli.store import Store

CLOCK_BACK_SLACK = 60  # s: a claim this much before the previous one means the clock went back
CLOCK_STATE = "previous_claim_at"  # the ``now`` of the previous claim (epoch seconds)
CLOCK_WARNING = "clock_warning"  # what was done the last time the clock went back, and when


@dataclass
class Claim:
    """Runs of one job claimed by a tick, executed one after another."""

    job: Job
    runs: list[tuple[int, int]]  # (run id, scheduled_for)
    trigger: str = "schedule"
    attempt: int = 1  # of the first run (a pending retry claimed after its runner died)


@dataclass
class Displaced:
    """A run that a claim takes over (``--overlap replace``): ended after the transaction."""

    run_id: int
    pid: int | None
    identity: str | None
    reason: str


@dataclass
class ClaimBatch:
    """What one claim transaction did, and what is left to do after it."""

    claims: list[Claim] = field(default_factory=list)
    created: list[int] = field(default_factory=list)  # every row id created
    orphans: list[tuple[int, str | None]] = field(default_factory=list)  # process groups of dead runners' runs
    strays: list[tuple[int, str]] = field(default_factory=list)  # their processes found by their environment
    displaced: list[Displaced] = field(default_factory=list)


@dataclass(frozen=True)
class RunnerIdentity:
    """This runner, as recorded on every run it creates: its pid and process identity."""

    pid: int
    identity: str | None

    @classmethod
    def of_this_process(cls) -> "RunnerIdentity":
        pid = os.getpid()
        return cls(pid, process.process_identity(pid))

    def owner_alive(self, pid: int | None, identity: str | None) -> bool:
        """Is the runner that owns a run (this one, or another) still alive?"""
        if pid == self.pid and identity == self.identity:
            return True
        return process.owner_alive(pid, identity)

    def run_row(self, job: Job, trigger: str, scheduled_for: int, status: str, **extra: object) -> dict:
        row = {
            "job_id": job.id,
            "job": job.name,
            "trigger": trigger,
            "scheduled_for": scheduled_for,
            "status": status,
            "runner_pid": self.pid,
            "runner_identity": self.identity,
        }
        row.update(extra)
        return row


def retry_delay(job: Job, attempt: int) -> float:
    """Seconds from the end of failed attempt ``attempt`` to its retry (doubling each time)."""
    return job.retry_delay * (2 ** (attempt - 1))


def recovery_reason(row: LiveRun, was_running: bool, retry: str | None = None) -> str:
    """Why a run whose runner is gone was ended, as far as can be told, and whether it
    is retried."""
    who = f"runner (pid {row.runner_pid})"
    if was_running:
        what = f"{who} died while the job ran; its processes were terminated"
    elif row.pid is None:
        what = f"{who} died before the job's process was recorded as started; no process of the run was found"
    else:
        what = f"the end of the run was never recorded: {who} is gone, and the job's process had ended"
    return f"{what}; {retry or 'not run again'}"


def insert_unique(store: Store, row: dict) -> int:
    """Insert a run row (inside a write transaction); -1 if that occurrence and attempt
    was claimed already: it is never run twice."""
    run_id = store.insert_run_once(row)
    return -1 if run_id is None else run_id


class Claimer:
    """Claims due occurrences (and manual runs) for one runner."""

    def __init__(
        self, store: Store, clock: SystemClock, runner: RunnerIdentity, policy: PolicyInForce,
        boot_id: str | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.runner = runner
        self.policy = policy
        self.boot_id = boot_id  # this boot (schedcli.boot); None: @reboot jobs cannot run

    def claim(self, now: datetime) -> ClaimBatch:
        """Claim everything due at ``now`` (one write transaction)."""
        now_s = int(now.timestamp())
        now_f = now.timestamp()
        batch = ClaimBatch()
        moved: list[tuple[int | None, int]] = []
        with self.store.write():
            self.policy.load(self.store)
            alive = self._recover(now_f, batch)
            self._claim_retries(batch, alive)
            self._after_clock_change(now)
            for job in self.store.due_jobs(now_s):
                decision = decide(job, job_schedule(job), now)
                if decision.missed_count:
                    batch.created.append(self._insert_missed(job, decision, now_f))
                runs = self._claim_occurrences(job, decision.run, alive.get(job.id, []), now_f, batch)
                moved.append((decision.next_run_at, job.id))
                if runs:
                    batch.claims.append(Claim(job, runs))
            self._claim_at_boot(now_s, now_f, alive, batch)
            self.store.set_next_runs(moved)
            # The real time of this tick (``now`` may be simulated with run-due --now).
            self.store.set_state("last_tick", iso(self.clock.now(), millis=True) or "")
        batch.created = [i for i in batch.created if i >= 0]
        return batch

    def _claim_at_boot(self, now_s: int, now_f: float, alive: dict[int, list[LiveRun]], batch: ClaimBatch) -> None:
        """The first tick of a boot runs each ``@reboot`` job once, and records the boot it
        ran for in the same transaction.  Its occurrence is this tick, or a second after
        the previous boot's when the clock is behind it (a machine without a real-time
        clock boots with an old time): each boot's occurrence is a new one."""
        if self.boot_id is None:
            return
        for job in self.store.jobs_due_at_boot(self.boot_id):
            self.store.set_last_boot(job.id, self.boot_id)
            previous = self.store.latest_occurrence(job.id)
            occurrence = now_s if previous is None else max(now_s, previous + 1)
            runs = self._claim_occurrences(job, [occurrence], alive.get(job.id, []), now_f, batch)
            if runs:
                batch.claims.append(Claim(job, runs))

    def _insert_missed(self, job: Job, decision: Decision, now_f: float) -> int:
        more = "+" if decision.missed_capped else ""
        reason = (
            f"{decision.missed_count}{more} {_plural(decision.missed_count, 'occurrence', more)} missed from "
            f"{iso(decision.missed_first)} to {iso(decision.missed_last)} "
            f"(runner not running or late; catch-up {job.catch_up}, grace {sched.format_duration(job.grace)})"
        )
        row = self.runner.run_row(
            job, "schedule", decision.missed_last, "missed", reason=reason,
            missed_count=decision.missed_count, missed_first=decision.missed_first,
            missed_last=decision.missed_last, finished_at=now_f,
        )
        return insert_unique(self.store, row)

    def _claim_occurrences(
        self, job: Job, occurrences: list[int], busy: list[LiveRun], now_f: float, batch: ClaimBatch
    ) -> list[tuple[int, int]]:
        runs: list[tuple[int, int]] = []
        for occurrence in occurrences:
            if busy and job.overlap == "skip":
                ids = ", ".join(f"#{r.id}" for r in busy)
                row = self.runner.run_row(
                    job, "schedule", occurrence, "skipped",
                    reason=f"previous run {ids} still running (overlap skip)", finished_at=now_f,
                )
                batch.created.append(insert_unique(self.store, row))
                continue
            run_id = insert_unique(self.store, self.runner.run_row(job, "schedule", occurrence, "running", started_at=None))
            if run_id < 0:
                continue
            if busy and job.overlap == "replace":
                self._displace(busy, run_id, now_f, batch.displaced)
                busy = []
            runs.append((run_id, occurrence))
            batch.created.append(run_id)
        return runs

    def claim_manual(self, name: str, now: datetime, force: bool) -> tuple[Job, int, list[Displaced]]:
        """Claim a manual run of job ``name`` (``schedcli run``): the job, the new run's id
        and the runs it replaces.  Raises :class:`~schedcli.errors.Overlap` when the job
        is running and may not run twice."""
        displaced: list[Displaced] = []
        with self.store.write():
            self.policy.load(self.store)
            job = self.store.get_job(name)
            busy = self.alive_running(job.id)
            if busy and not force and job.overlap == "skip":
                ids = ", ".join(f"#{r.id}" for r in busy)
                raise Overlap(f"job {name!r} is already running (run {ids}); use --force to run it anyway")
            run_id = self.store.insert_run(self.runner.run_row(job, "manual", int(now.timestamp()), "running"))
            if busy and job.overlap == "replace" and not force:
                self._displace(busy, run_id, now.timestamp(), displaced)
        return job, run_id, displaced

    def _displace(self, busy: list[LiveRun], by: int, now_f: float, out: list[Displaced]) -> None:
        for r in busy:
            reason = f"replaced by run #{by}"
            out.append(Displaced(r.id, r.pid, r.pid_identity, reason))
            self.store.update_run(r.id, {"status": "interrupted", "reason": reason, "finished_at": now_f})

    def _recover(self, now: float, batch: ClaimBatch) -> dict[int, list[LiveRun]]:
        """Mark runs whose runner died as interrupted (their process groups go to
        ``batch.orphans``, the other processes found by their environment to
        ``batch.strays``); return the live running runs by job."""
        alive: dict[int, list[LiveRun]] = {}
        dead: list[LiveRun] = []
        for row in self.store.running_runs():
            if self.runner.owner_alive(row.runner_pid, row.runner_identity):
                alive.setdefault(row.job_id, []).append(row)
            else:
                dead.append(row)
        if not dead:
            return alive
        # A runner killed while it started its jobs may not have recorded their pids:
        # every process of a run carries its id and database in its environment.
        found = process.processes_of_runs(self.store.path, [row.id for row in dead])
        real_now = self.clock.now().timestamp()  # retry delays are real time, whatever --now says
        for row in dead:
            strays = found.get(row.id, [])
            leader_alive = row.pid is not None and process.is_alive(row.pid, row.pid_identity)
            fields: dict[str, object] = {
                "status": "interrupted",
                "finished_at": now,
                "duration_s": (now - row.started_at) if row.started_at else None,
            }
            # A run ended by its runner's death counts as a failed attempt.
            retry = None
            run, job = self.store.get_run(row.id), self._job_of(row.job, row.job_id)
            if job is not None and run.attempt <= job.retries:
                fields["retry_at"] = real_now + retry_delay(job, run.attempt)
                retry = f"retry {run.attempt} of {job.retries} due at {iso(fields['retry_at'])}"
            fields["reason"] = recovery_reason(row, leader_alive or bool(strays), retry)
            self.store.update_run(row.id, fields)
            if row.pid is not None:
                batch.orphans.append((row.pid, row.pid_identity))
            batch.strays.extend(strays)
        return alive

    def _after_clock_change(self, now: datetime) -> None:
        """When this claim is earlier than the previous one (the clock, or ``--now``, went
        back), recompute from ``now`` every next run that is later than its schedule
        can explain, and record a warning for ``status`` and ``health``.  An occurrence
        handled already is still never run again (the unique key of the runs)."""
        now_s = int(now.timestamp())
        previous = self.store.get_state(CLOCK_STATE)
        self.store.set_state(CLOCK_STATE, str(now_s))
        try:
            before = int(previous) if previous else None
        except ValueError:
            before = None
        if before is None or not self.store.clock_went_back(now_s, CLOCK_BACK_SLACK, before):
            return
        moved: list[tuple[int | None, int]] = []
        names: list[str] = []
        for job in self.store.jobs_due_after(now_s):
            nxt = job_schedule(job).next_after(now)
            if nxt is not None and job.next_run_at is not None and int(nxt.timestamp()) < job.next_run_at:
                moved.append((int(nxt.timestamp()), job.id))
                names.append(job.name)
        if not moved:
            return
        self.store.set_next_runs(moved)
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        self.store.set_state(
            CLOCK_WARNING,
            json.dumps({
                "at": self.clock.now().timestamp(),
                "message": f"the clock went back from {iso(before)} to {iso(now_s)}: the next run of "
                           f"{len(names)} {_plural(len(names), 'job')} was recomputed from now ({shown})",
            }),
        )

    def _job_of(self, name: str, job_id: int) -> Job | None:
        try:
            job = self.store.get_job(name)
        except JobNotFound:
            return None
        return job if job.id == job_id else None

    def _claim_retries(self, batch: ClaimBatch, alive: dict[int, list[LiveRun]]) -> None:
        """Claim the pending retries that are due and whose runner is gone (a live
        runner runs its own): the next attempt's row, created once.  Each counts as a
        run in progress of its job for the overlap policy (``alive``)."""
        real_now = self.clock.now().timestamp()
        for run in self.store.due_retries(real_now):
            if self.runner.owner_alive(*self.store.run_owner(run.id)):
                continue
            job = self._job_of(run.job, run.job_id)
            if job is None or not self.store.take_retry(run.id):
                continue
            attempt = run.attempt + 1
            row = self.runner.run_row(
                job, run.trigger, run.scheduled_for, "running", attempt=attempt,
                reason=f"retry {attempt - 1} of {job.retries} after run #{run.id}",
            )
            run_id = insert_unique(self.store, row)
            if run_id < 0:
                continue
            batch.created.append(run_id)
            batch.claims.append(Claim(job, [(run_id, run.scheduled_for)], run.trigger, attempt))
            alive.setdefault(job.id, []).append(
                LiveRun(run_id, job.id, job.name, None, None, self.runner.pid, self.runner.identity, None)
            )

    def alive_running(self, job_id: int) -> list[LiveRun]:
        return [
            r
            for r in self.store.running_runs(job_id)
            if self.runner.owner_alive(r.runner_pid, r.runner_identity)
        ]

    def plan(self, now: datetime) -> list[Occurrence]:
        """What a claim at ``now`` would do, without changing anything (``--dry-run``)."""
        planned: list[Occurrence] = []
        with self.store.read():
            for job in self.store.due_jobs(int(now.timestamp())):
                decision = decide(job, job_schedule(job), now)
                if decision.missed_count:
                    planned.append(
                        Occurrence(
                            job.name,
                            sched.from_epoch(decision.missed_last or 0),
                            "missed",
                            f"{decision.missed_count} {_plural(decision.missed_count, 'occurrence')} from "
                            f"{iso(decision.missed_first)}",
                        )
                    )
                busy = self.alive_running(job.id) if decision.run else []
                for occurrence in decision.run:
                    action = "run"
                    detail = ""
                    if busy and job.overlap == "skip":
                        action, detail = "skip", "previous run still running"
                    elif busy and job.overlap == "replace":
                        action, detail = "replace", "previous run would be terminated"
                    planned.append(Occurrence(job.name, sched.from_epoch(occurrence), action, detail))
            if self.boot_id is not None:
                for job in self.store.jobs_due_at_boot(self.boot_id):
                    planned.append(Occurrence(job.name, now, "run", "first tick of this boot (@reboot)"))
        return planned


def _plural(count: int, word: str, more: str = "") -> str:
    return word if count == 1 and not more else word + "s"
