"""The end of a run: its status, its record, retention, the callback and the hooks
(and, when its process starts, its start notifications).

Each step of :meth:`RunFinisher.finish` runs even when an earlier one failed: a
failure is reported in one line through ``on_warning`` and the next step goes on.
Whatever happens in the finish, the caller learns the run's status, so retries
still follow a run whose record or callback failed.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from schedcli import process
from schedcli import schedule as sched
from schedcli.clock import SystemClock
from schedcli.engine.retention import PolicyInForce
from schedcli.model import WARNING_EXIT_CODE, Job, Run
from schedcli.services.jobs import REMOVED_REASON
from schedcli.store import Store

if TYPE_CHECKING:
    from schedcli.services.notify import Notifier


GONE = "gone"  # what recording a run whose row was removed (with its job) returns


@dataclass(frozen=True)
class RetryNotice:
    """A failed attempt whose retry follows: attempt ``attempt`` of ``attempts`` in ``delay`` s."""

    run_id: int  # the attempt that failed
    job: str
    status: str
    reason: str | None
    attempt: int  # the attempt that comes next
    attempts: int  # 1 + the job's retries
    delay: float


class Callbacks:
    """What the engine tells its caller: each finished run, and warnings (one line each);
    optionally each chunk of output as it comes (``on_output(run_id, data)``, called in
    the supervisor's thread: it must not block), each retry before its delay
    (``on_retry(RetryNotice)``), and that ``watch`` looked for due work or beat
    (``on_tick``, no argument).

    Any may be set or replaced at any time; a warning or tick callback that raises is
    ignored (there is nobody left to tell).
    """

    def __init__(
        self, on_finish: Callable[[Run], None] | None = None, on_warning: Callable[[str], None] | None = None
    ) -> None:
        self.on_finish = on_finish
        self.on_warning = on_warning
        self.on_output: Callable[[int, bytes], None] | None = None
        self.on_retry: Callable[[RetryNotice], None] | None = None
        self.on_tick: Callable[[], None] | None = None

    def ticked(self) -> None:
        if self.on_tick is not None:
            try:
                self.on_tick()
            except Exception as exc:
                self.warn(f"after the tick: {exc}")

    def warn(self, message: str) -> None:
        if self.on_warning is not None:
            try:
                self.on_warning(message)
            except Exception:
                pass


def run_status(job: Job, outcome: process.Outcome, stop_reason: str | None) -> tuple[str, str | None]:
    """``(status, reason)`` of a run that ended with ``outcome``; ``stop_reason`` is why
    the engine terminated it, if it did."""
    if outcome.error:
        return "error", outcome.error
    if outcome.terminated:
        return "interrupted", stop_reason or "terminated"
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


class RunFinisher:
    """Records a run's end and tells whoever wants to know, one step after another."""

    def __init__(
        self,
        store: Store,
        clock: SystemClock,
        policy: PolicyInForce,
        callbacks: Callbacks,
        notifier: "Notifier | None" = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.policy = policy
        self.callbacks = callbacks
        self.notifier = notifier

    def finish(
        self,
        job: Job,
        run_id: int,
        status: str,
        reason: str | None,
        outcome: process.Outcome | None,
        finished: float | None,
        retry_at: float | None = None,
    ) -> bool:
        """Record the run, apply retention, call ``on_finish``, submit the hooks.  Never
        raises: a step that fails is reported and the others still run.

        False when the run was no longer this runner's to finish (another runner
        replaced or recovered it, or its job was removed): it is then not retried."""
        fields: dict[str, object] = {"status": status, "finished_at": finished or self.clock.now().timestamp()}
        if reason is not None:
            fields["reason"] = reason
        if retry_at is not None:  # stored: the next tick runs it if this runner cannot
            fields["retry_at"] = retry_at
        if outcome is not None:
            fields["exit_code"] = outcome.exit_code
            fields["duration_s"] = round(outcome.duration, 6)
        try:
            ours = self._record(job, run_id, fields, outcome)
        except Exception as exc:
            ours = self._record_without_output(job, run_id, fields, outcome, exc)
        if ours is GONE:
            self.callbacks.warn(
                f"run #{run_id} of job {job.name!r} ended: the job was removed meanwhile"
            )
            return False
        if outcome is None:
            return ours is not False  # never started: nothing to report
        notify = self.notifier is not None and self.notifier.wanted(job)
        if self.callbacks.on_finish is None and not notify:
            return ours is not False
        run = self._step(f"run #{run_id} could not be read back", self.store.get_run, run_id)
        if run is None:
            return ours is not False
        if self.callbacks.on_finish is not None:
            self._step(f"the report of run #{run_id} failed", self.callbacks.on_finish, run)
        if notify:
            self._step(
                f"the hooks of run #{run_id} could not be started", self._notify, job, run, outcome, retry_at is None
            )
        return ours is not False

    def started(self, job: Job, run_id: int, scheduled_for: int, trigger: str, attempt: int, at: float) -> None:
        """A run's process started: its start notifications (a ping's ``/start``), off this
        thread. Never raises."""
        if self.notifier is not None:
            self._step(f"the start notifications of run #{run_id} could not be sent",
                       self.notifier.started, job, run_id, scheduled_for, trigger, attempt, at)

    def _record_without_output(
        self, job: Job, run_id: int, fields: dict, outcome: process.Outcome | None, exc: Exception
    ) -> object:
        """The record failed (a full disk, most often): record the end again without the
        output, which is most of what it writes, and say why the output is missing."""
        why = getattr(exc, "message", None) or str(exc)
        if outcome is None or not (outcome.output or outcome.error):
            self.callbacks.warn(f"run #{run_id} could not be recorded: {why}")
            return None
        lean = dict(fields)
        lean["reason"] = "; ".join(x for x in (fields.get("reason"), f"output not stored: {why}") if x)
        try:
            ours = self._record(job, run_id, lean, None)
        except Exception as again:
            self.callbacks.warn(f"run #{run_id} could not be recorded: {getattr(again, 'message', None) or again}")
            return None
        self.callbacks.warn(f"the output of run #{run_id} could not be stored: {why}")
        return ours

    def _step(self, what: str, fn: Callable, *args: object) -> object:
        try:
            return fn(*args)
        except Exception as exc:
            self.callbacks.warn(f"{what}: {getattr(exc, 'message', None) or exc}")
            return None

    def _record(self, job: Job, run_id: int, fields: dict, outcome: process.Outcome | None) -> object:
        """True when the run was recorded, False when it was not ours any more, GONE
        when its row (its job) was removed."""
        with self.store.write():
            # Only a run still marked running is ours to finish: a run that another
            # runner replaced or recovered keeps the status it was given.
            ours = self.store.finish_run(run_id, fields)
            if not ours and self.store.run_reason(run_id) in (None, REMOVED_REASON):
                return GONE  # its job was removed, or is being removed (rm --force)
            if outcome is not None:
                output = outcome.output
                if outcome.error and not output:
                    output = (outcome.error + "\n").encode()
                if output or outcome.total_bytes:  # a silent run stores no output row
                    self.store.save_output(run_id, output, outcome.truncated, outcome.total_bytes)
            # In the same transaction, but its failure does not undo the record (each
            # statement of the prune is atomic by itself).
            self._step(f"retention after run #{run_id} failed", self._retain, job, fields["finished_at"])
        return ours

    def _retain(self, job: Job, now: float) -> None:
        policy = self.policy.current(self.store)
        if not policy.empty:
            policy.apply(self.store, now, job_id=job.id)

    def _notify(self, job: Job, run: Run, outcome: process.Outcome, final: bool) -> None:
        assert self.notifier is not None
        previous = self.store.previous_outcome(job.id, run.id)
        self.notifier.submit(job, run, previous, outcome.output or (outcome.error or "").encode(), final)
