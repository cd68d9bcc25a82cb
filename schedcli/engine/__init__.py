"""The engine: find what is due, claim each occurrence exactly once, run it, record it.

A *tick* has two phases:

1. **claim** — one ``BEGIN IMMEDIATE`` transaction: mark runs whose runner died as
   ``interrupted``; read the due jobs through the ``next_run_at`` index; decide for
   each which occurrences run, which are skipped (overlap) and which are missed
   (catch-up policy, grace); insert those rows (a unique key on job, occurrence and
   attempt makes a second claim impossible); move ``next_run_at`` past ``now``.
2. **execute** — outside any transaction, run the claimed occurrences as child
   processes, up to ``max_parallel`` at once, each finished in its own short
   write transaction.

Time always comes from the caller (``now``) or from the clock object given to
:class:`Engine`; nothing here reads the system clock directly.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import sqlite3
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from schedcli import process
from schedcli import schedule as sched
from schedcli.clock import SystemClock
from schedcli.store import Store
from schedcli.errors import DatabaseBusy, Overlap
from schedcli.services.jobs import job_schedule
from schedcli.model import CONTEXT_ENV, WARNING_EXIT_CODE, Job, LiveRun, Occurrence, Run
from schedcli.engine.retention import Retention

if TYPE_CHECKING:
    from schedcli.config import Config
    from schedcli.services.notify import Notifier
from schedcli.schedule import iso

GATE_LEAD = 1.0  # s before a due time when watch starts the due jobs' processes, held
GATE_MIN_LEAD = 0.05  # s: closer to the due time than this, nothing more is prepared
CLAIM_AHEAD = 0.02  # s before a due time when watch claims it (its processes start at the time)
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


@dataclass
class Claim:
    """Runs of one job claimed by a tick, executed one after another."""

    job: Job
    runs: list[tuple[int, int]]  # (run id, scheduled_for)
    trigger: str = "schedule"


@dataclass
class TickResult:
    now: datetime
    run_ids: list[int] = field(default_factory=list)  # every row the tick created
    planned: list[Occurrence] = field(default_factory=list)  # dry runs only
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status not in ("error", "timeout", "interrupted") for r in self.runs)


def _dt(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, timezone.utc)


def decide(job: Job, schedule: sched.Schedule, now: datetime) -> Decision:
    """Apply the catch-up policy and grace to the occurrences due since ``job.next_run_at``.

    Pure arithmetic: no database, no clock.
    """
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


class Engine:
    """Claims and runs occurrences for one database."""

    def __init__(
        self,
        store: Store,
        clock: SystemClock | None = None,
        *,
        max_parallel: int = 4,
        kill_grace: float = process.DEFAULT_KILL_GRACE,
        output_cap: int = process.DEFAULT_OUTPUT_CAP,
        on_finish: Callable[[Run], None] | None = None,
        on_warning: Callable[[str], None] | None = None,
        notifier: "Notifier | None" = None,
        retention: Retention | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.max_parallel = max(1, max_parallel)
        self.kill_grace = kill_grace
        self.output_cap = output_cap
        self.on_finish = on_finish
        self.on_warning = on_warning
        self.notifier = notifier
        self.retention = retention or Retention()
        self.pid = os.getpid()
        self.identity = process.process_identity(self.pid)
        process.prepare_runner()
        self.stop = threading.Event()
        self._active: dict[int, process.Running] = {}
        self._reasons: dict[int, str] = {}
        self._lock = threading.Lock()
        self._policy: Retention | None = None  # read again by every claim
        # Processes held before exec for jobs about to be due: job id -> (due at, key, gate).
        self._gates: dict[int, tuple[int, tuple, process.Gate]] = {}
        # Jobs inherit the runner's environment, read once.
        self._base_env = {k: v for k, v in os.environ.items() if k != CONTEXT_ENV}

    # -- phase 1: claim ------------------------------------------------------

    def _owner_alive(self, pid: int | None, identity: str | None) -> bool:
        if pid == self.pid and identity == self.identity:
            return True
        return process.owner_alive(pid, identity)

    def _recover(self, now: float) -> tuple[list[tuple[int, str | None]], dict[int, list[LiveRun]]]:
        """Mark runs whose runner died as interrupted.

        Returns the orphaned process groups to kill and the live running runs by job.
        """
        orphans = []
        alive: dict[int, list[LiveRun]] = {}
        for row in self.store.running_runs():
            if self._owner_alive(row.runner_pid, row.runner_identity):
                alive.setdefault(row.job_id, []).append(row)
                continue
            reason = f"runner (pid {row.runner_pid}) died while the job ran; not run again"
            self.store.update_run(
                row.id,
                {
                    "status": "interrupted",
                    "reason": reason,
                    "finished_at": now,
                    "duration_s": (now - row.started_at) if row.started_at else None,
                },
            )
            if row.pid is not None:
                orphans.append((row.pid, row.pid_identity))
        return orphans, alive

    def _alive_running(self, job_id: int) -> list[LiveRun]:
        return [
            r
            for r in self.store.running_runs(job_id)
            if self._owner_alive(r.runner_pid, r.runner_identity)
        ]

    def _run_row(self, job: Job, trigger: str, scheduled_for: int, status: str, **extra: object) -> dict:
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

    def claim(self, now: datetime) -> tuple[list[Claim], list[int]]:
        """Claim everything due at ``now``. Returns the claims and every row id created."""
        now_s = int(now.timestamp())
        now_f = now.timestamp()
        claims: list[Claim] = []
        created: list[int] = []
        replace: list[tuple[int, int | None, str | None, str]] = []
        moved: list[tuple[int | None, int]] = []
        with self.store.write():
            self._load_policy()
            orphans, alive = self._recover(now_f)
            for job in self.store.due_jobs(now_s):
                decision = decide(job, job_schedule(job), now)
                if decision.missed_count:
                    more = "+" if decision.missed_capped else ""
                    reason = (
                        f"{decision.missed_count}{more} occurrence(s) missed from "
                        f"{iso(decision.missed_first)} to {iso(decision.missed_last)} "
                        f"(runner not running or late; catch-up {job.catch_up}, grace {sched.format_duration(job.grace)})"
                    )
                    created.append(
                        self._insert_unique(
                            self._run_row(
                                job,
                                "schedule",
                                decision.missed_last,
                                "missed",
                                reason=reason,
                                missed_count=decision.missed_count,
                                missed_first=decision.missed_first,
                                missed_last=decision.missed_last,
                                finished_at=now_f,
                            )
                        )
                    )
                runs: list[tuple[int, int]] = []
                if decision.run:
                    busy = alive.get(job.id, [])
                    for occurrence in decision.run:
                        if busy and job.overlap == "skip":
                            ids = ", ".join(f"#{r.id}" for r in busy)
                            run_id = self._insert_unique(
                                self._run_row(
                                    job,
                                    "schedule",
                                    occurrence,
                                    "skipped",
                                    reason=f"previous run {ids} still running (overlap skip)",
                                    finished_at=now_f,
                                )
                            )
                            created.append(run_id)
                            continue
                        run_id = self._insert_unique(
                            self._run_row(job, "schedule", occurrence, "running", started_at=None)
                        )
                        if run_id < 0:
                            continue
                        if busy and job.overlap == "replace":
                            for r in busy:
                                replace.append((r.id, r.pid, r.pid_identity, f"replaced by run #{run_id}"))
                                self._mark_replaced(r.id, run_id, now_f)
                            busy = []
                        runs.append((run_id, occurrence))
                        created.append(run_id)
                moved.append((decision.next_run_at, job.id))
                if runs:
                    claims.append(Claim(job, runs))
            # The real time of this tick (``now`` may be simulated with run-due --now).
            self.store.set_next_runs(moved)
            self.store.set_state("last_tick", iso(self.clock.now(), millis=True) or "")
        for pid, identity in orphans:
            process.kill_group(pid, identity, self.kill_grace)
        for run_id, pid, identity, reason in replace:
            self._terminate_run(run_id, pid, identity, reason)
        return claims, [i for i in created if i >= 0]

    def _insert_unique(self, row: dict) -> int:
        try:
            return self.store.insert_run(row)
        except sqlite3.IntegrityError:
            return -1  # this occurrence was already claimed: never run it twice

    def _mark_replaced(self, run_id: int, by: int, now: float) -> None:
        self.store.update_run(
            run_id,
            {"status": "interrupted", "reason": f"replaced by run #{by}", "finished_at": now},
        )

    def _terminate_run(self, run_id: int, pid: int | None, identity: str | None, reason: str) -> None:
        with self._lock:
            running = self._active.get(run_id)
            if running is not None:
                self._reasons[run_id] = reason
        if running is not None:
            running.terminate(self.kill_grace)
        elif pid is not None:
            threading.Thread(
                target=process.kill_group, args=(pid, identity, self.kill_grace), daemon=True
            ).start()

    def plan(self, now: datetime) -> list[Occurrence]:
        """What a tick at ``now`` would do, without changing anything (``--dry-run``)."""
        planned: list[Occurrence] = []
        with self.store.read():
            for job in self.store.due_jobs(int(now.timestamp())):
                decision = decide(job, job_schedule(job), now)
                if decision.missed_count:
                    planned.append(
                        Occurrence(
                            job.name,
                            _dt(decision.missed_last or 0),
                            "missed",
                            f"{decision.missed_count} occurrence(s) from {iso(decision.missed_first)}",
                        )
                    )
                busy = self._alive_running(job.id) if decision.run else []
                for occurrence in decision.run:
                    action = "run"
                    detail = ""
                    if busy and job.overlap == "skip":
                        action, detail = "skip", "previous run still running"
                    elif busy and job.overlap == "replace":
                        action, detail = "replace", "previous run would be terminated"
                    planned.append(Occurrence(job.name, _dt(occurrence), action, detail))
        return planned

    # -- phase 2: execute ------------------------------------------------------

    def _base_spec(self, job: Job, run_env: dict[str, str] | None = None) -> process.ProcessSpec:
        """What runs for ``job``, with ``run_env`` (what one run knows, :meth:`_run_env`) added."""
        env = self._base_env.copy()
        env["SCHEDCLI_JOB"] = job.name
        env["SCHEDCLI_DB"] = str(self.store.path)
        if job.collector:
            argv = [sys.executable, "-m", "schedcli.services.collector_host", job.collector]
        else:
            command = job.command or []
            argv = ["/bin/sh", "-c", command[0]] if len(command) == 1 else list(command)
        env.update(job.env)
        cwd = job.cwd or env.get("HOME") or os.path.expanduser("~")
        if run_env:
            env.update(run_env)  # it leaves out what the job's own --env sets
        return process.ProcessSpec(
            argv=argv,
            env=env,
            cwd=cwd,
            timeout=job.timeout,
            kill_grace=self.kill_grace,
            output_cap=self.output_cap,
        )

    def _run_env(self, job: Job, run_id: int, scheduled_for: int, trigger: str, attempt: int) -> dict[str, str]:
        """The environment variables of one run, except those the job's own ``--env`` sets
        (which comes on top, as documented)."""
        env = {
            "SCHEDCLI_RUN_ID": str(run_id),
            "SCHEDCLI_SCHEDULED_FOR": iso(scheduled_for) or "",
            "SCHEDCLI_TRIGGER": trigger,
            "SCHEDCLI_ATTEMPT": str(attempt),
        }
        if job.collector:
            env[CONTEXT_ENV] = json.dumps(
                {
                    "job": job.name,
                    "run_id": run_id,
                    "scheduled_for": iso(scheduled_for),
                    "trigger": trigger,
                    "attempt": attempt,
                    "params": job.params,
                }
            )
        for key in job.env:
            env.pop(key, None)
        return env

    def _status(self, job: Job, run_id: int, outcome: process.Outcome) -> tuple[str, str | None]:
        if outcome.error:
            return "error", outcome.error
        if outcome.terminated:
            with self._lock:
                reason = self._reasons.pop(run_id, None)
            return "interrupted", reason or "terminated"
        if outcome.timed_out:
            return "timeout", f"timed out after {sched.format_duration(job.timeout or 0)}; process group killed"
        if outcome.exit_code == 0:
            return "success", None
        if job.collector and outcome.exit_code == WARNING_EXIT_CODE:
            return "warning", "collector signalled a warning"
        if outcome.signal is not None:
            try:
                name = signal.Signals(outcome.signal).name
            except ValueError:
                name = str(outcome.signal)
            return "error", f"killed by {name}"
        return "error", f"exit code {outcome.exit_code}"

    def _start(self, job: Job, run_id: int, scheduled_for: int, trigger: str, attempt: int) -> tuple[process.Running, float]:
        """Start one run's process and register it as active (its pid is recorded by the caller)."""
        env = self._run_env(job, run_id, scheduled_for, trigger, attempt)
        held = self._take_gate(job, trigger, attempt, env)
        running = held[0].open(held[1]) if held is not None else None
        return self._started(job, run_id, env, running)

    def _take_gate(
        self, job: Job, trigger: str, attempt: int, env: dict[str, str]
    ) -> tuple[process.Gate, dict[str, str]] | None:
        """The process held for this run (see :meth:`_prepare_gates`) if the job is still
        defined the same way, with what is left to tell it; a stale one is cancelled."""
        if trigger != "schedule" or attempt != 1:
            return None
        with self._lock:
            held = self._gates.pop(job.id, None)
        if held is None:
            return None
        _, key, gate = held
        if key != _spec_key(job):
            gate.cancel()
            return None
        # What the held process was given already need not be sent again.
        return gate, {k: v for k, v in env.items() if gate.spec.env.get(k) != v}

    def _started(
        self, job: Job, run_id: int, env: dict[str, str], running: process.Running | None
    ) -> tuple[process.Running, float]:
        """Register a run's process as active, starting it first if no held process took it."""
        if running is None:
            running = process.start(self._base_spec(job, env))
        started = self.clock.now().timestamp()
        with self._lock:
            self._active[run_id] = running
        return running, started

    def _prepare_gates(self, due_at: int, deadline: float) -> None:
        """Start, held before exec, the processes of the jobs due at ``due_at``
        (:func:`process.prepare`), as many as there are free slots, while the monotonic
        clock is before ``deadline``: at the due time, starting them is a write to a
        pipe each.  Unused ones are cancelled once their time has passed."""
        with self._lock:
            free = self.max_parallel - len(self._active) - len(self._gates)
        if free <= 0:
            return
        for job in self.store.due_jobs(due_at, limit=free + len(self._gates)):
            if free <= 0 or self.stop.is_set() or self.clock.monotonic() >= deadline:
                break
            with self._lock:
                if job.id in self._gates:
                    continue
            # What the run will most likely be: only its id is left to send at the due time.
            likely = self._run_env(job, 0, due_at, "schedule", 1)
            likely.pop("SCHEDCLI_RUN_ID", None)
            if job.collector:
                likely.pop(CONTEXT_ENV, None)
            gate = process.prepare(self._base_spec(job, likely))
            if gate is not None:
                with self._lock:
                    self._gates[job.id] = (due_at, _spec_key(job), gate)
                free -= 1

    def _cancel_gates(self, through: int | None = None) -> None:
        """Cancel the prepared processes due at or before ``through`` (all: None)."""
        with self._lock:
            stale = [jid for jid, held in self._gates.items() if through is None or held[0] <= through]
            gates = [self._gates.pop(jid)[2] for jid in stale]
        for gate in gates:
            gate.cancel()

    def _record_started(self, started: list[tuple[int, process.Running, float]]) -> None:
        """Record the pids of runs just started, in one write transaction."""
        with self.store.write():
            for run_id, running, at in started:
                self.store.update_run(
                    run_id, {"pid": running.pid, "pid_identity": running.identity, "started_at": at}
                )

    def run_one(
        self,
        job: Job,
        run_id: int,
        scheduled_for: int,
        trigger: str,
        attempt: int = 1,
        started: tuple[process.Running, float] | None = None,
    ) -> int:
        """Run one claimed occurrence (and its retries) to the end; return the id of its last run.

        ``started``: the process, already started and recorded by :meth:`_dispatch`.
        """
        while True:
            if started is None and self.stop.is_set():
                self._finish(job, run_id, "interrupted", "runner stopped before the run started", None, None)
                return run_id
            try:
                if started is None:
                    running, started_at = self._start(job, run_id, scheduled_for, trigger, attempt)
                    self._record_started([(run_id, running, started_at)])
                else:
                    running, started_at = started
                if self.stop.is_set():
                    with self._lock:
                        self._reasons[run_id] = "runner stopped (signal)"
                    running.terminate(self.kill_grace)
                outcome = running.wait()
            finally:
                with self._lock:
                    self._active.pop(run_id, None)
            started = None
            status, reason = self._status(job, run_id, outcome)
            with self._lock:
                self._reasons.pop(run_id, None)  # a stop that came after the run ended
            finished = started_at + outcome.duration
            self._finish(job, run_id, status, reason, outcome, finished)
            notify = self.notifier is not None and self.notifier.wanted(job)
            if self.on_finish is not None or notify:
                run = self.store.get_run(run_id)
                if self.on_finish is not None:
                    self.on_finish(run)
                if notify:
                    assert self.notifier is not None
                    previous = self.store.previous_outcome(job.id, run_id)
                    self.notifier.submit(job, run, previous, outcome.output or (outcome.error or "").encode())
            if status not in ("error", "timeout") or attempt > job.retries or self.stop.is_set():
                return run_id
            delay = job.retry_delay * (2 ** (attempt - 1))
            if self.clock.sleep(delay, self.stop):
                return run_id
            attempt += 1
            with self.store.write():
                new_id = self._insert_unique(
                    self._run_row(
                        job, trigger, scheduled_for, "running", attempt=attempt,
                        reason=f"retry {attempt - 1} of {job.retries} after run #{run_id}",
                    )
                )
            if new_id < 0:
                return run_id
            run_id = new_id

    def _finish(
        self,
        job: Job,
        run_id: int,
        status: str,
        reason: str | None,
        outcome: process.Outcome | None,
        finished: float | None,
    ) -> None:
        fields: dict[str, object] = {"status": status, "finished_at": finished or self.clock.now().timestamp()}
        if reason is not None:
            fields["reason"] = reason
        if outcome is not None:
            fields["exit_code"] = outcome.exit_code
            fields["duration_s"] = round(outcome.duration, 6)
        with self.store.write():
            # Only a run still marked running is ours to finish: a run that another
            # runner replaced or recovered keeps the status it was given.
            self.store.finish_run(run_id, fields)
            if outcome is not None:
                output = outcome.output
                if outcome.error and not output:
                    output = (outcome.error + "\n").encode()
                if output or outcome.total_bytes:  # a silent run stores no output row
                    self.store.save_output(run_id, output, outcome.truncated, outcome.total_bytes)
            policy = self._policy if self._policy is not None else self._load_policy()
            if not policy.empty:
                policy.apply(self.store, fields["finished_at"], job_id=job.id)

    def _load_policy(self) -> Retention:
        """The retention policy in force (``prune --auto``, else the configuration), read
        inside a transaction; kept for the runs of this tick."""
        policy = Retention.load(self.store)
        self._policy = self.retention if policy.empty else policy
        return self._policy

    def _dispatch(self, pool: ThreadPoolExecutor, claims: list[Claim], at: float | None = None) -> set[Future]:
        """Hand claims to worker threads. The first run of as many claims as there are free
        slots is started here, in one tight loop, and their pids recorded in one transaction,
        so that processes start within milliseconds of the due time instead of waiting for
        threads to be created.  Nothing starts before ``at`` (claims made just ahead of
        their time): processes held ready are loaded with their runs' variables first and
        let through at ``at``, back to back."""
        free = max(0, self.max_parallel - self.active_count())
        started: list[tuple[int, process.Running, float]] = []
        handles: dict[int, tuple[process.Running, float]] = {}
        try:
            plans = []
            for claim in claims[:free]:
                run_id, scheduled_for = claim.runs[0]
                env = self._run_env(claim.job, run_id, scheduled_for, claim.trigger, 1)
                plans.append((claim.job, run_id, env, self._take_gate(claim.job, claim.trigger, 1, env)))
            loaded = [(run_id, held[0]) for _, run_id, _, held in plans if held is not None and held[0].load(held[1])]
            if at is not None:
                ahead = at - self.clock.now().timestamp()
                if ahead > 0:
                    self.clock.sleep(ahead, self.stop)
            # The held processes are let through back to back, before anything else: each
            # is one write to a pipe.
            opened = {run_id: gate.release() for run_id, gate in loaded} if not self.stop.is_set() else {}
            for job, run_id, env, held in plans:
                running = opened.get(run_id)
                if held is not None and running is None:
                    held[0].cancel()
                if self.stop.is_set() and running is None:
                    continue
                running, started_at = self._started(job, run_id, env, running)
                started.append((run_id, running, started_at))
                handles[run_id] = (running, started_at)
        finally:
            if started:
                try:
                    self._record_started(started)
                except DatabaseBusy as exc:
                    # The runs go on and are recorded when they end; only their pids are
                    # unknown to a runner that would have to clean up after this one.
                    self._warn(f"{exc.message}; could not record the pids of {len(started)} run(s)")
        return {pool.submit(self._run_claim, c, handles.get(c.runs[0][0])) for c in claims}

    def execute(self, claims: list[Claim]) -> list[int]:
        """Run claimed occurrences, up to ``max_parallel`` at once; wait for all of them.
        Returns the id of the last run of each occurrence."""
        if not claims:
            return []
        results: list[int] = []
        # Finished futures arrive on a queue: waiting on the set of pending futures
        # instead would cost O(pending) per completion, O(n^2) for a large tick.
        finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
        with ThreadPoolExecutor(max_workers=self.max_parallel, thread_name_prefix="schedcli-run") as pool:
            futures = self._dispatch(pool, claims)
            for f in futures:
                f.add_done_callback(finished.put)
            pending = len(futures)
            terminated = False
            while pending:
                try:
                    f = finished.get(timeout=0.2)
                except queue.Empty:
                    pass
                else:
                    pending -= 1
                    results.extend(f.result())
                if self.stop.is_set() and not terminated:
                    self.terminate_all("runner stopped (signal)")
                    terminated = True
        return results

    def _run_claim(self, claim: Claim, started: tuple[process.Running, float] | None = None) -> list[int]:
        out = []
        for run_id, scheduled_for in claim.runs:
            out.append(self.run_one(claim.job, run_id, scheduled_for, claim.trigger, started=started))
            started = None
        return out

    def terminate_all(self, reason: str) -> None:
        with self._lock:
            active = list(self._active.items())
            for run_id, _ in active:
                self._reasons[run_id] = reason
        for _, running in active:
            running.terminate(self.kill_grace)

    def active_count(self) -> int:
        with self._lock:
            return len(self._active)

    # -- entry points ----------------------------------------------------------

    def tick(self, now: datetime | None = None, *, dry_run: bool = False) -> TickResult:
        """One ``run-due``: claim what is due at ``now``, run it, wait for it."""
        now = now or self.clock.now()
        result = TickResult(now=now)
        if dry_run:
            result.planned = self.plan(now)
            return result
        claims, created = self.claim(now)
        result.run_ids = created
        self.execute(claims)
        if self.notifier is not None:
            self.notifier.drain()
        result.runs = self.store.runs_by_ids(created, with_retries=True)
        return result

    def run_now(self, name: str, *, force: bool = False, now: datetime | None = None) -> Run:
        """``schedcli run NAME``: one manual run, in the foreground."""
        now = now or self.clock.now()
        replace: list[tuple[int, int | None, str | None, str]] = []
        with self.store.write():
            self._load_policy()
            job = self.store.get_job(name)
            busy = self._alive_running(job.id)
            if busy and not force and job.overlap != "allow":
                if job.overlap == "skip":
                    ids = ", ".join(f"#{r.id}" for r in busy)
                    raise Overlap(
                        f"job {name!r} is already running (run {ids}); use --force to run it anyway"
                    )
            run_id = self.store.insert_run(
                self._run_row(job, "manual", int(now.timestamp()), "running")
            )
            if busy and job.overlap == "replace" and not force:
                for r in busy:
                    replace.append((r.id, r.pid, r.pid_identity, f"replaced by run #{run_id}"))
                    self._mark_replaced(r.id, run_id, now.timestamp())
        for rid, pid, identity, reason in replace:
            self._terminate_run(rid, pid, identity, reason)
        result: list[int] = []

        def target() -> None:
            result.append(self.run_one(job, run_id, int(now.timestamp()), "manual"))

        worker = threading.Thread(target=target, name="schedcli-manual")
        worker.start()
        terminated = False
        while worker.is_alive():
            worker.join(0.2)
            if self.stop.is_set() and not terminated:
                self.terminate_all("runner stopped (signal)")
                terminated = True
        if self.notifier is not None:
            self.notifier.drain()
        return self.store.get_run(result[0] if result else run_id)

    def watch(self, *, poll: float = 1.0, heartbeat_every: float = 30.0) -> None:
        """Tick until :attr:`stop` is set; sleep until the next due time in between."""
        runner_id = self._register_runner("watch")
        pool = ThreadPoolExecutor(max_workers=self.max_parallel, thread_name_prefix="schedcli-run")
        futures: set[Future] = set()
        last_beat = self.clock.monotonic()
        due_at: int | None = None  # the due time the inner loop woke up for
        try:
            while not self.stop.is_set():
                now = self.clock.now()
                if due_at is not None and due_at > now.timestamp():
                    # Claimed just ahead of the instant, as if at the instant; the
                    # processes start at the instant.
                    now = datetime.fromtimestamp(due_at, timezone.utc)
                try:
                    claims, _ = self.claim(now)
                except DatabaseBusy as exc:
                    # Nothing was claimed; the next pass catches up.
                    self._warn(f"{exc.message}; retrying")
                    claims = []
                futures |= self._dispatch(pool, claims, at=now.timestamp())
                self._cancel_gates(through=int(now.timestamp()))
                for f in [f for f in futures if f.done()]:
                    futures.discard(f)
                    if f.exception() is not None:
                        self._warn(f"a run could not be recorded: {f.exception()}")
                version = self.store.data_version()
                due_at = None
                while not self.stop.is_set():
                    nxt = self.store.next_due_at()
                    now = self.clock.now()
                    if nxt is not None and nxt - now.timestamp() <= CLAIM_AHEAD:
                        due_at = nxt
                        break
                    wait_for = poll
                    if nxt is not None:
                        until = nxt - now.timestamp()
                        if GATE_MIN_LEAD <= until <= GATE_LEAD:
                            self._prepare_gates(nxt, self.clock.monotonic() + until - GATE_MIN_LEAD)
                            until = nxt - self.clock.now().timestamp()
                        # Wake up for the lead time (to prepare), then for the claim.
                        wait_for = min(poll, until - (GATE_LEAD if until > GATE_LEAD else CLAIM_AHEAD))
                    if self.clock.sleep(max(wait_for, 0.0), self.stop):
                        break
                    if self.clock.monotonic() - last_beat >= heartbeat_every:
                        self._heartbeat(runner_id)
                        last_beat = self.clock.monotonic()
                    if self.store.data_version() != version:
                        break  # another process changed something: look again
        finally:
            self._cancel_gates()
            if self.active_count():
                self.terminate_all("runner stopped (signal)")
            pool.shutdown(wait=True)
            if self.notifier is not None:
                self.notifier.close()
            self._unregister_runner(runner_id)

    def _warn(self, message: str) -> None:
        if self.on_warning is not None:
            self.on_warning(message)

    def _register_runner(self, kind: str) -> int | None:
        """Record this watch for ``status``; a busy database is waited out, not fatal."""
        while not self.stop.is_set():
            try:
                with self.store.write():
                    return self.store.register_runner(kind, self.pid, self.identity, self.clock.now().timestamp())
            except DatabaseBusy as exc:
                self._warn(f"{exc.message}; retrying")
                self.clock.sleep(1.0, self.stop)
        return None

    def _heartbeat(self, runner_id: int | None) -> None:
        if runner_id is None:
            return
        try:
            with self.store.write():
                self.store.runner_heartbeat(runner_id, self.clock.now().timestamp())
        except DatabaseBusy as exc:
            self._warn(f"{exc.message}; heartbeat skipped")

    def _unregister_runner(self, runner_id: int | None) -> None:
        if runner_id is None:
            return
        try:
            with self.store.write():
                self.store.runner_stopped(runner_id, self.clock.now().timestamp())
        except DatabaseBusy as exc:
            self._warn(f"{exc.message}; could not record the stop")

def _spec_key(job: Job) -> tuple:
    """What :meth:`Engine._base_spec` builds from: a held process serves a job only if
    this is unchanged."""
    return (job.name, job.command, job.collector, job.env, job.cwd, job.timeout)


def upcoming(schedule: sched.Schedule, after: datetime, count: int) -> list[datetime]:
    """The next ``count`` fire instants after ``after``."""
    out: list[datetime] = []
    for when in schedule.iter_after(after):
        out.append(when)
        if len(out) >= count:
            break
    return out


def configured_engine(store: Store, config: "Config", max_parallel: int | None = None) -> Engine:
    """An engine set up from the configuration file: parallelism, kill grace, output cap,
    global hooks and the default retention."""
    from schedcli.errors import InvalidValue
    from schedcli.services.notify import Notifier

    if max_parallel is not None and max_parallel < 1:
        raise InvalidValue(f"invalid --max-parallel {max_parallel}: use 1 or more")
    clock = SystemClock()

    def record(run_id: int, result) -> None:
        with store.write():
            store.record_hook(run_id, result.event, result.target, result.ok, result.detail, clock.now().timestamp())

    return Engine(
        store,
        clock,
        max_parallel=max_parallel or config.max_parallel,
        kill_grace=config.kill_grace,
        output_cap=config.output_cap,
        notifier=Notifier(config.hooks, config.hook_timeout, record),
        retention=Retention(older_than=config.retention_older_than, keep=config.retention_keep),
    )
