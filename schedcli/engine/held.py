"""Processes held ready for the jobs about to be due (``watch`` only).

Up to :data:`GATE_LEAD` seconds before a due time, ``watch`` starts the processes of
the jobs due then (as many as there are free slots) and holds them before ``exec``
(:func:`schedcli.process.prepare`).  At the instant each is sent what only its run
knows and let through: one write to a pipe each, instead of creating fifty processes
at the instant.  A held process serves only its job's first attempt of that
occurrence, and only while the job is defined as it was when the process was made;
otherwise, or when its time passes unclaimed, it is cancelled and never runs
anything.
"""

from __future__ import annotations

import threading

from schedcli import process
from schedcli.clock import SystemClock
from schedcli.engine.launch import Launcher
from schedcli.model import CONTEXT_ENV, Job
from schedcli.store import Store

GATE_LEAD = 1.0  # s before a due time when watch starts the due jobs' processes, held
GATE_MIN_LEAD = 0.05  # s: closer to the due time than this, nothing more is prepared


def spec_key(job: Job) -> tuple:
    """What :meth:`Launcher.spec` builds from: a held process serves a job only if this
    is unchanged."""
    return (job.name, job.command, job.collector, job.env, job.cwd, job.timeout)


class HeldProcesses:
    """The held processes of one runner, by job: ``job id -> (due at, spec key, gate)``."""

    def __init__(self, store: Store, clock: SystemClock, launcher: Launcher, stop: threading.Event) -> None:
        self.store = store
        self.clock = clock
        self.launcher = launcher
        self.stop = stop
        self.gates: dict[int, tuple[int, tuple, process.Gate]] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self.gates)

    def prepare(self, due_at: int, deadline: float, free: int) -> None:
        """Start, held before exec, the processes of the jobs due at ``due_at``, at most
        ``free`` more, while the monotonic clock is before ``deadline``."""
        with self._lock:
            free -= len(self.gates)
            held = len(self.gates)
        if free <= 0:
            return
        for job in self.store.due_jobs(due_at, limit=free + held):
            if free <= 0 or self.stop.is_set() or self.clock.monotonic() >= deadline:
                break
            with self._lock:
                if job.id in self.gates:
                    continue
            # What the run will most likely be: only its id is left to send at the due time.
            likely = self.launcher.run_env(job, 0, due_at, "schedule", 1)
            likely.pop("SCHEDCLI_RUN_ID", None)
            if job.collector:
                likely.pop(CONTEXT_ENV, None)
            gate = process.prepare(self.launcher.spec(job, likely))
            if gate is not None:
                with self._lock:
                    self.gates[job.id] = (due_at, spec_key(job), gate)
                free -= 1

    def take(
        self, job: Job, trigger: str, attempt: int, env: dict[str, str]
    ) -> tuple[process.Gate, dict[str, str]] | None:
        """The process held for this run if the job is still defined the same way, with
        what is left to tell it; a stale one is cancelled."""
        if trigger != "schedule" or attempt != 1:
            return None
        with self._lock:
            held = self.gates.pop(job.id, None)
        if held is None:
            return None
        _, key, gate = held
        if key != spec_key(job):
            gate.cancel()
            return None
        # What the held process was given already need not be sent again.
        return gate, {k: v for k, v in env.items() if gate.spec.env.get(k) != v}

    def cancel(self, through: int | None = None) -> None:
        """Cancel the held processes due at or before ``through`` (all: None)."""
        with self._lock:
            stale = [jid for jid, held in self.gates.items() if through is None or held[0] <= through]
            gates = [self.gates.pop(jid)[2] for jid in stale]
        for gate in gates:
            gate.cancel()
