"""The engine of one database: claim what is due, run it, record it.

:class:`Engine` composes the phases, each in its own module: claiming
(:mod:`~schedcli.engine.claim`), what a run starts (:mod:`~schedcli.engine.launch`),
running and finishing (:mod:`~schedcli.engine.execute`,
:mod:`~schedcli.engine.finish`) and the ``watch`` loop (:mod:`~schedcli.engine.watch`).

Time always comes from the caller (``now``) or from the clock object given to
:class:`Engine`; nothing here reads the system clock directly.  Nothing here changes
the process's state either: a runner that wants to adopt its jobs' orphans calls
:func:`schedcli.process.become_subreaper` itself.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Callable

from schedcli import process
from schedcli.clock import SystemClock
from schedcli.engine.claim import Claim, Claimer, RunnerIdentity
from schedcli.engine.execute import STOPPED, Executor
from schedcli.engine.finish import Callbacks, RunFinisher
from schedcli.engine.launch import Launcher
from schedcli.engine.retention import PolicyInForce, Retention
from schedcli.engine.watch import CLAIM_AHEAD, RunnerRegistration, WatchLoop
from schedcli.model import Occurrence, Run
from schedcli.store import Store

if TYPE_CHECKING:
    from schedcli.config import Config
    from schedcli.services.notify import Notifier


@dataclass
class TickResult:
    now: datetime
    run_ids: list[int] = field(default_factory=list)  # every row the tick created
    planned: list[Occurrence] = field(default_factory=list)  # dry runs only
    runs: list[Run] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(r.status not in ("error", "timeout", "interrupted") for r in self.runs)


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
        boot_id: str | None = None,
    ) -> None:
        self.store = store
        self.clock = clock or SystemClock()
        self.max_parallel = max(1, max_parallel)
        self.kill_grace = kill_grace
        self.output_cap = output_cap
        self.retention = retention or Retention()
        self.stop = threading.Event()
        self.runner = RunnerIdentity.of_this_process()
        self.callbacks = Callbacks(on_finish, on_warning)
        policy = PolicyInForce(self.retention)
        self.claimer = Claimer(store, self.clock, self.runner, policy, boot_id)  # boot_id: for @reboot jobs
        self.launcher = Launcher(store.path, kill_grace=kill_grace, output_cap=output_cap)
        self.finisher = RunFinisher(store, self.clock, policy, self.callbacks, notifier)
        self.executor = Executor(
            store, self.clock, self.runner, self.launcher, self.finisher, self.callbacks, self.stop,
            max_parallel=self.max_parallel, kill_grace=kill_grace,
        )

    # What the caller is told; may be set after construction (the command line does).
    @property
    def on_finish(self) -> Callable[[Run], None] | None:
        return self.callbacks.on_finish

    @on_finish.setter
    def on_finish(self, value: Callable[[Run], None] | None) -> None:
        self.callbacks.on_finish = value

    @property
    def on_warning(self) -> Callable[[str], None] | None:
        return self.callbacks.on_warning

    @on_warning.setter
    def on_warning(self, value: Callable[[str], None] | None) -> None:
        self.callbacks.on_warning = value

    @property
    def notifier(self) -> "Notifier | None":
        return self.finisher.notifier

    @notifier.setter
    def notifier(self, value: "Notifier | None") -> None:
        self.finisher.notifier = value

    @property
    def pid(self) -> int:
        return self.runner.pid

    @property
    def identity(self) -> str | None:
        return self.runner.identity

    # -- the phases ----------------------------------------------------------------

    def claim(self, now: datetime) -> tuple[list[Claim], list[int]]:
        """Claim everything due at ``now``. Returns the claims and every row id created."""
        batch = self.claimer.claim(now)
        self.executor.end_displaced(batch)
        return batch.claims, batch.created

    def plan(self, now: datetime) -> list[Occurrence]:
        """What a tick at ``now`` would do, without changing anything (``--dry-run``)."""
        return self.claimer.plan(now)

    def execute(self, claims: list[Claim]) -> list[int]:
        """Run claimed occurrences, up to ``max_parallel`` at once; wait for all of them."""
        return self.executor.execute(claims)

    def terminate_all(self, reason: str) -> None:
        self.executor.terminate_all(reason)

    def active_count(self) -> int:
        return self.executor.active_count()

    # -- entry points ----------------------------------------------------------------

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
        job, run_id, displaced = self.claimer.claim_manual(name, now, force)
        self.executor.terminate_runs(displaced)
        result: list[int] = []

        def target() -> None:
            result.append(self.executor.run_one(job, run_id, int(now.timestamp()), "manual"))

        worker = threading.Thread(target=target, name="schedcli-manual")
        worker.start()
        terminated = False
        while worker.is_alive():
            worker.join(0.2)
            if self.stop.is_set() and not terminated:
                self.terminate_all(STOPPED)
                terminated = True
        if self.notifier is not None:
            self.notifier.drain()
        return self.store.get_run(result[0] if result else run_id)

    def watch(self, *, poll: float = 1.0, heartbeat_every: float = 30.0, claim_ahead: float = CLAIM_AHEAD) -> None:
        """Tick until :attr:`stop` is set; sleep until the next due time in between."""
        registration = RunnerRegistration(self.store, self.clock, self.runner, self.callbacks, self.stop)
        loop = WatchLoop(self.store, self.clock, self.claim, self.executor, registration, self.callbacks, self.stop)
        try:
            loop.run(poll=poll, heartbeat_every=heartbeat_every, claim_ahead=claim_ahead)
        finally:
            if self.notifier is not None:
                self.notifier.close()


def configured_engine(store: Store, config: "Config", max_parallel: int | None = None) -> Engine:
    """An engine set up from the configuration file: parallelism, kill grace, output cap,
    global hooks and the default retention."""
    from schedcli.boot import current_boot
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
        notifier=Notifier(config.hooks, config.hook_timeout, record, config.notify, str(store.path)),
        retention=Retention(older_than=config.retention_older_than, keep=config.retention_keep),
        boot_id=current_boot(),
    )
