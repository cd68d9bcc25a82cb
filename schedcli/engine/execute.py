"""Phase 2 of a tick: run the claimed occurrences, outside any transaction.

Up to ``max_parallel`` processes at once, each run (and its retries) looked after by a
worker thread and finished in its own short write transaction
(:class:`~schedcli.engine.finish.RunFinisher`).  The processes of as many claims as
there are free slots are started at once, in one tight loop, and their pids recorded
in one transaction, so that they start within milliseconds of the due time instead of
waiting for threads to be created.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from schedcli import process
from schedcli.clock import SystemClock
from schedcli.engine.claim import Claim, ClaimBatch, Displaced, RunnerIdentity, insert_unique, retry_delay
from schedcli.engine.finish import Callbacks, RetryNotice, RunFinisher, run_status
from schedcli.engine.held import HeldProcesses
from schedcli.engine.launch import STARTER_THREADS, Launcher, Starters
from schedcli.engine.live import LiveOutput
from schedcli.errors import DatabaseBusy, DatabaseError
from schedcli.model import Job
from schedcli.store import Store

STOPPED = "runner stopped (signal)"

Started = tuple[process.Running, float]  # a run's process and when it started (epoch seconds)


@dataclass
class _FirstRun:
    """How the first run of a claim starts at its instant (see :meth:`Executor.dispatch`)."""

    claim: Claim
    run_id: int
    env: dict[str, str]
    gate: process.Gate | None = None  # its held process, loaded
    spec: process.ProcessSpec | None = None  # else what to start


def start_failure(exc: BaseException) -> str:
    """The reason of a run whose process could not be started (the system ran out of
    file descriptors, processes or memory, or anything else ``start`` did not foresee)."""
    if isinstance(exc, OSError) and exc.strerror:
        return f"could not start the process: {exc.strerror} (errno {exc.errno})"
    return f"could not start the process: {exc}"


class Executor:
    """Runs claimed occurrences and knows which of them are running now."""

    def __init__(
        self,
        store: Store,
        clock: SystemClock,
        runner: RunnerIdentity,
        launcher: Launcher,
        finisher: RunFinisher,
        callbacks: Callbacks,
        stop: threading.Event,
        *,
        max_parallel: int,
        kill_grace: float,
    ) -> None:
        self.store = store
        self.clock = clock
        self.runner = runner
        self.launcher = launcher
        self.finisher = finisher
        self.callbacks = callbacks
        self.stop = stop
        self.max_parallel = max_parallel
        self.kill_grace = kill_grace
        self._active: dict[int, process.Running] = {}
        self._reasons: dict[int, str] = {}  # why the engine terminated a run
        self._lock = threading.Lock()
        self._starters: Starters | None = None
        self.held = HeldProcesses(store, clock, launcher, stop)
        self.live = LiveOutput(store, callbacks.warn)  # output stored while runs run (logs -f)

    # -- the threads that start the processes of one instant -----------------------

    def open_starters(self) -> None:
        """Keep threads ready to start several processes at once (see :class:`Starters`)."""
        if self._starters is None and self.max_parallel > 1:
            self._starters = Starters(min(STARTER_THREADS, self.max_parallel))

    def close_starters(self) -> None:
        if self._starters is not None:
            self._starters.close()
            self._starters = None

    # -- what is running -----------------------------------------------------------

    def active_count(self) -> int:
        with self._lock:
            return len(self._active)

    def terminate_all(self, reason: str) -> None:
        with self._lock:
            active = list(self._active.items())
            for run_id, _ in active:
                self._reasons[run_id] = reason
        for _, running in active:
            running.terminate(self.kill_grace)

    def end_displaced(self, batch: ClaimBatch) -> None:
        """End what a claim took over: dead runners' process groups, replaced runs."""
        if batch.strays:  # all together: one grace for all of them
            process.end_processes(batch.strays, self.kill_grace)
        for pid, identity in batch.orphans:
            process.kill_group(pid, identity, self.kill_grace)
        self.terminate_runs(batch.displaced)

    def terminate_runs(self, runs: list[Displaced]) -> None:
        for run in runs:
            with self._lock:
                running = self._active.get(run.run_id)
                if running is not None:
                    self._reasons[run.run_id] = run.reason
            if running is not None:
                running.terminate(self.kill_grace)
            elif run.pid is not None:
                threading.Thread(
                    target=process.kill_group, args=(run.pid, run.identity, self.kill_grace), daemon=True
                ).start()

    # -- running claims --------------------------------------------------------------

    def execute(self, claims: list[Claim]) -> list[int]:
        """Run claimed occurrences, up to ``max_parallel`` at once; wait for all of them.
        Returns the id of the last run of each occurrence."""
        if not claims:
            return []
        results: list[int] = []
        # Finished futures arrive on a queue: waiting on the set of pending futures
        # instead would cost O(pending) per completion, O(n^2) for a large tick.
        finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
        if len(claims) > 1:
            self.open_starters()
        try:
            with ThreadPoolExecutor(max_workers=self.max_parallel, thread_name_prefix="schedcli-run") as pool:
                futures = self.dispatch(pool, claims)
                self.close_starters()
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
                        self.terminate_all(STOPPED)
                        terminated = True
        finally:
            self.close_starters()
        return results

    def dispatch(self, pool: ThreadPoolExecutor, claims: list[Claim], at: float | None = None) -> set[Future]:
        """Hand claims to worker threads.  The first runs of as many claims as there are
        free slots are started here, not before ``at`` (claims made just ahead of their
        time), and their pids recorded in one transaction: held processes (watch) are
        sent their runs' variables first and let through at ``at``, back to back; the
        others are started side by side from the starter threads when there are some.
        A claim whose start failed here is started again by its worker, which reports
        what goes wrong."""
        free = max(0, self.max_parallel - self.active_count())
        # What each process will be is worked out before the instant: at the instant
        # only the starts are left.
        plans = [self._plan(claim) for claim in claims[:free]]
        if at is not None and claims:
            ahead = at - self.clock.now().timestamp()
            if ahead > 0:
                self.clock.sleep(ahead, self.stop)
        started: list[tuple[int, process.Running, float]] = []
        if plans:
            # The held processes are let through first, back to back: each is one write.
            for plan in plans:
                if plan.gate is not None:
                    running = plan.gate.release() if not self.stop.is_set() else None
                    if running is None:
                        plan.gate.cancel()
                        plan.gate = None
                        plan.spec = plan.spec or self._spec(plan)
                    else:
                        started.append((plan.run_id, *self._register(plan.run_id, running)))
            started += self._start_plain([p for p in plans if p.gate is None])
            if started:
                try:
                    self._record_started(started)
                except DatabaseBusy as exc:
                    # The runs go on and are recorded when they end; only their pids are
                    # unknown to a runner that would have to clean up after this one.
                    self.callbacks.warn(f"{exc.message}; could not record the pids of {len(started)} "
                                        f"run{'' if len(started) == 1 else 's'}")
            by_id = {p.run_id: p.claim for p in plans}
            for run_id, _, at_ in started:
                c = by_id[run_id]
                self.finisher.started(c.job, run_id, c.runs[0][1], c.trigger, c.attempt, at_)
        handles = {run_id: (running, at_) for run_id, running, at_ in started}
        return {pool.submit(self._run_claim, c, handles.get(c.runs[0][0])) for c in claims}

    def _plan(self, claim: Claim) -> _FirstRun:
        """How a claim's first run will start: a held process loaded with what the run
        knows, or the spec of a process to start."""
        run_id, scheduled_for = claim.runs[0]
        plan = _FirstRun(
            claim, run_id, self.launcher.run_env(claim.job, run_id, scheduled_for, claim.trigger, claim.attempt)
        )
        held = self.held.take(claim.job, claim.trigger, claim.attempt, plan.env)
        if held is not None:
            gate, rest = held
            try:
                loaded = gate.load(rest)
            except ValueError:  # a value a line cannot carry
                loaded = False
            if loaded:
                plan.gate = gate
                return plan
            gate.cancel()
        plan.spec = self._spec(plan)
        return plan

    def _spec(self, plan: _FirstRun) -> process.ProcessSpec | None:
        try:
            return self.launcher.spec(plan.claim.job, plan.env)
        except Exception:
            return None  # its worker tries again and reports it

    def _start_plain(self, plans: list[_FirstRun]) -> list[tuple[int, process.Running, float]]:
        def start_first(plan: _FirstRun) -> tuple[int, process.Running, float] | None:
            if plan.spec is None or self.stop.is_set():
                return None
            return (plan.run_id, *self._register(plan.run_id, process.start(plan.spec)))

        if not plans:
            return []
        with process.starting_together():
            if self._starters is None or len(plans) == 1:
                done = []
                for plan in plans:
                    try:
                        done.append(start_first(plan))
                    except Exception:
                        done.append(None)
            else:
                futures = self._starters.run(start_first, plans)
                done = [f.exception() is None and f.result() for f in futures]
        return [s for s in done if s]

    def _run_claim(self, claim: Claim, started: Started | None = None) -> list[int]:
        out = []
        for run_id, scheduled_for in claim.runs:
            out.append(self.run_one(claim.job, run_id, scheduled_for, claim.trigger, claim.attempt, started=started))
            started = None
        return out

    def _start(self, job: Job, run_id: int, scheduled_for: int, trigger: str, attempt: int) -> Started:
        """Start one run's process (its held one, if there is one) and register it as
        active (its pid is recorded by the caller)."""
        env = self.launcher.run_env(job, run_id, scheduled_for, trigger, attempt)
        held = self.held.take(job, trigger, attempt, env)
        running = held[0].open(held[1]) if held is not None else None
        if running is None:
            running = process.start(self.launcher.spec(job, env))
        return self._register(run_id, running)

    def prepare_held(self, due_at: int, deadline: float) -> None:
        """Hold ready the processes of the jobs due at ``due_at``, as many as there are
        free slots, while the monotonic clock is before ``deadline`` (see
        :mod:`schedcli.engine.held`)."""
        self.held.prepare(due_at, deadline, self.max_parallel - self.active_count())

    def _register(self, run_id: int, running: process.Running) -> Started:
        started = self.clock.now().timestamp()
        with self._lock:
            self._active[run_id] = running
        on_output = self.callbacks.on_output
        if on_output is not None:
            running.follow(lambda data: on_output(run_id, data))
        self.live.add(run_id, running)
        return running, started

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
        started: Started | None = None,
    ) -> int:
        """Run one claimed occurrence (and its retries) to the end; return the id of its last run.

        ``started``: the process, already started and recorded by :meth:`dispatch`.
        """
        while True:
            if started is None and self.stop.is_set():
                self.finisher.finish(job, run_id, "interrupted", "runner stopped before the run started", None, None)
                return run_id
            try:
                if started is None:
                    try:
                        running, started_at = self._start(job, run_id, scheduled_for, trigger, attempt)
                    except Exception as exc:  # out of descriptors, processes or memory
                        running, started_at = None, self.clock.now().timestamp()
                        outcome = process.Outcome.without_output(126, start_failure(exc), 0.0)
                    else:
                        try:
                            self._record_started([(run_id, running, started_at)])
                        except DatabaseBusy as exc:
                            self.callbacks.warn(f"{exc.message}; could not record the pid of run #{run_id}")
                        self.finisher.started(job, run_id, scheduled_for, trigger, attempt, started_at)
                else:
                    running, started_at = started
                if running is not None:
                    if self.stop.is_set():
                        with self._lock:
                            self._reasons[run_id] = STOPPED
                        running.terminate(self.kill_grace)
                    outcome = running.wait()
            finally:
                self.live.remove(run_id)
                with self._lock:
                    self._active.pop(run_id, None)
            started = None
            with self._lock:
                # Popped either way: a stop that came after the run ended leaves nothing behind.
                reason = self._reasons.pop(run_id, None)
            status, why = run_status(job, outcome, reason)
            retry = status in ("error", "timeout") and attempt <= job.retries
            delay = retry_delay(job, attempt)
            finished = started_at + outcome.duration
            ours = self.finisher.finish(
                job, run_id, status, why, outcome, finished, retry_at=finished + delay if retry else None
            )
            if not ours or not retry or self.stop.is_set():
                return run_id  # a retry left pending is run by the next tick
            self._announce_retry(RetryNotice(run_id, job.name, status, why, attempt + 1, job.retries + 1, delay))
            if self.clock.sleep(delay, self.stop):
                return run_id
            attempt += 1
            new_id = self._insert_retry(job, trigger, scheduled_for, attempt, run_id)
            if new_id < 0:
                return run_id
            run_id = new_id

    def _announce_retry(self, notice: RetryNotice) -> None:
        on_retry = self.callbacks.on_retry
        if on_retry is not None:
            try:
                on_retry(notice)
            except Exception as exc:
                self.callbacks.warn(f"the report of a retry of run #{notice.run_id} failed: {exc}")

    def _insert_retry(self, job: Job, trigger: str, scheduled_for: int, attempt: int, after: int) -> int:
        """The row of the next attempt; -1 when there is none (claimed already, or the
        database stayed busy: then the retry is given up, and said so)."""
        row = self.runner.run_row(
            job, trigger, scheduled_for, "running", attempt=attempt,
            reason=f"retry {attempt - 1} of {job.retries} after run #{after}",
        )
        try:
            with self.store.write():
                if not self.store.run_exists(after):  # its job was removed meanwhile
                    self.callbacks.warn(f"job {job.name!r} was removed; retry {attempt - 1} of run #{after} given up")
                    return -1
                if not self.store.take_retry(after):  # another runner took it
                    return -1
                return insert_unique(self.store, row)
        except (DatabaseBusy, DatabaseError) as exc:
            self.callbacks.warn(f"{exc.message}; retry {attempt - 1} of run #{after} given up")
            return -1
