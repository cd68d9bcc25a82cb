"""``watch``: claim and run whatever is due, sleep until the next due time, until stopped.

Up to :data:`~schedcli.engine.held.GATE_LEAD` seconds before an instant the loop
starts, held before ``exec``, the processes of the jobs due then
(:mod:`schedcli.engine.held`).  It claims the occurrences :data:`CLAIM_AHEAD` seconds
before the instant, deciding as if at the instant, and lets their processes run at
the instant.  Between
instants it sleeps, waking up at least every ``poll`` seconds to notice changes made
by other processes (``PRAGMA data_version``) and to record a heartbeat for
``status``.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Callable

from schedcli.clock import SystemClock
from schedcli.engine.claim import Claim, RunnerIdentity
from schedcli.engine.execute import STOPPED, Executor
from schedcli.engine.finish import Callbacks
from schedcli.engine.held import GATE_LEAD, GATE_MIN_LEAD
from schedcli.errors import DatabaseBusy
from schedcli.store import Store

CLAIM_AHEAD = 0.02  # s before a due time when watch claims it (its processes start at the time)


class RunnerRegistration:
    """This ``watch`` as ``status`` sees it: registered, beating, stopped.  A busy
    database delays a registration and skips a heartbeat; it is never fatal."""

    def __init__(
        self, store: Store, clock: SystemClock, runner: RunnerIdentity, callbacks: Callbacks, stop: threading.Event
    ) -> None:
        self.store = store
        self.clock = clock
        self.runner = runner
        self.callbacks = callbacks
        self.stop = stop
        self.runner_id: int | None = None

    def register(self, kind: str) -> None:
        while not self.stop.is_set():
            try:
                with self.store.write():
                    self.runner_id = self.store.register_runner(
                        kind, self.runner.pid, self.runner.identity, self.clock.now().timestamp()
                    )
                return
            except DatabaseBusy as exc:
                self.callbacks.warn(f"{exc.message}; retrying")
                self.clock.sleep(1.0, self.stop)

    def heartbeat(self) -> None:
        if self.runner_id is None:
            return
        try:
            with self.store.write():
                self.store.runner_heartbeat(self.runner_id, self.clock.now().timestamp())
        except DatabaseBusy as exc:
            self.callbacks.warn(f"{exc.message}; heartbeat skipped")

    def unregister(self) -> None:
        if self.runner_id is None:
            return
        try:
            with self.store.write():
                self.store.runner_stopped(self.runner_id, self.clock.now().timestamp())
        except DatabaseBusy as exc:
            self.callbacks.warn(f"{exc.message}; could not record the stop")


class WatchLoop:
    """The ``watch`` loop of one engine: its claims, its pool of run threads, its sleeps."""

    def __init__(
        self,
        store: Store,
        clock: SystemClock,
        claim: Callable[[datetime], tuple[list[Claim], list[int]]],
        executor: Executor,
        registration: RunnerRegistration,
        callbacks: Callbacks,
        stop: threading.Event,
    ) -> None:
        self.store = store
        self.clock = clock
        self.claim = claim
        self.executor = executor
        self.registration = registration
        self.callbacks = callbacks
        self.stop = stop
        self._futures: set[Future] = set()

    def run(self, *, poll: float = 1.0, heartbeat_every: float = 30.0, claim_ahead: float = CLAIM_AHEAD) -> None:
        """Tick until :attr:`stop` is set."""
        self.registration.register("watch")
        self.executor.open_starters()
        pool = ThreadPoolExecutor(max_workers=self.executor.max_parallel, thread_name_prefix="schedcli-run")
        last_beat = self.clock.monotonic()
        due_at: int | None = None  # the due time the inner loop woke up for
        try:
            while not self.stop.is_set():
                self._tick(pool, due_at)
                self.callbacks.ticked()
                version = self.store.data_version()
                due_at = None
                while not self.stop.is_set():
                    nxt = self.store.next_due_at()
                    now = self.clock.now().timestamp()
                    if nxt is not None and nxt - now <= claim_ahead:
                        due_at = nxt
                        break
                    wait_for = poll
                    if nxt is not None:
                        until = nxt - now
                        if GATE_MIN_LEAD <= until <= GATE_LEAD:
                            self.executor.prepare_held(nxt, self.clock.monotonic() + until - GATE_MIN_LEAD)
                            until = nxt - self.clock.now().timestamp()
                        # Wake up for the lead time (to prepare), then for the claim.
                        wait_for = min(poll, until - (GATE_LEAD if until > GATE_LEAD else claim_ahead))
                    if self.clock.sleep(max(wait_for, 0.0), self.stop):
                        break
                    if self.clock.monotonic() - last_beat >= heartbeat_every:
                        self.registration.heartbeat()
                        self.callbacks.ticked()
                        last_beat = self.clock.monotonic()
                    if self.store.data_version() != version:
                        break  # another process changed something: look again
        finally:
            self.executor.held.cancel()
            if self.executor.active_count():
                self.executor.terminate_all(STOPPED)
            pool.shutdown(wait=True)
            self.executor.close_starters()
            self._collect()
            self.registration.unregister()

    def _tick(self, pool: ThreadPoolExecutor, due_at: int | None) -> None:
        now = self.clock.now()
        if due_at is not None and due_at > now.timestamp():
            # Claimed just ahead of the instant, as if at the instant; the processes
            # start at the instant.
            now = datetime.fromtimestamp(due_at, timezone.utc)
        try:
            claims, _ = self.claim(now)
        except DatabaseBusy as exc:
            # Nothing was claimed; the next pass catches up.
            self.callbacks.warn(f"{exc.message}; retrying")
            claims = []
        self._futures |= self.executor.dispatch(pool, claims, at=now.timestamp())
        self.executor.held.cancel(through=int(now.timestamp()))
        self._collect()

    def _collect(self) -> None:
        """Forget the runs that are over; report any that failed in a way the finish
        itself could not report."""
        for f in [f for f in self._futures if f.done()]:
            self._futures.discard(f)
            if f.exception() is not None:
                self.callbacks.warn(f"a run could not be recorded: {f.exception()}")
