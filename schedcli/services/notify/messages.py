"""What a notification says, in words: one summary line per run, shared by Slack, ntfy and mail."""

from __future__ import annotations

from schedcli.model import Run

_DONE = {
    "success": "succeeded",
    "warning": "succeeded with a warning",
    "error": "failed",
    "timeout": "timed out",
    "interrupted": "was interrupted",
    "running": "started",
}


def outcome_words(run: Run, *, started: bool = False) -> str:
    """``failed``, ``timed out``, ``started`` ..."""
    return "started" if started else _DONE.get(run.status, run.status)


def details(run: Run, *, started: bool = False) -> str:
    """``exit code 2, 3.2s, attempt 2`` (empty when there is nothing to add)."""
    parts = []
    if not started:
        if run.status != "success" and run.exit_code is not None:
            parts.append(f"exit code {run.exit_code}")
        elif run.status not in ("success", "warning") and run.reason:
            parts.append(run.reason)
        if run.duration_s is not None:
            parts.append(_seconds(run.duration_s))
    if run.attempt > 1:
        parts.append(f"attempt {run.attempt}")
    return ", ".join(parts)


def summary(job: str, run: Run, *, started: bool = False) -> str:
    """``backup failed (exit code 2, 3.2s)``"""
    extra = " ".join(details(run, started=started).split())  # one line: a header may carry it
    return f"{job} {outcome_words(run, started=started)}" + (f" ({extra})" if extra else "")


def _seconds(value: float) -> str:
    if value < 60:
        return f"{value:.1f}s"
    from schedcli.schedule import format_duration

    return format_duration(int(round(value)))


def text_tail(output: bytes, limit: int) -> str:
    """The last ``limit`` bytes of ``output`` as text (invalid UTF-8 replaced)."""
    tail = output[-limit:]
    return tail.decode("utf-8", "replace")
