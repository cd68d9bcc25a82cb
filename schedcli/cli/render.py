"""Everything the command line shows: JSON documents and rich tables.

Plain, stable text when stdout is not a terminal or ``NO_COLOR`` is set.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from datetime import datetime
from typing import Any, Iterable

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from schedcli.model import Job, Occurrence, Run
from schedcli.schedule import describe, format_duration
from schedcli.serialize import job_dict, run_dict, run_summary  # noqa: F401  (re-exported for the commands)
from schedcli.schedule import iso, local_text

STATUS_STYLE = {
    "success": "green",
    "warning": "yellow",
    "error": "red",
    "timeout": "red",
    "interrupted": "magenta",
    "missed": "yellow",
    "skipped": "dim",
    "running": "cyan",
}

_console: Console | None = None
_console_for: object = None


def console() -> Console:
    """A console for the current stdout (in-process test runners swap stdout between commands)."""
    global _console, _console_for
    if _console is None or _console_for is not sys.stdout:
        _console_for = sys.stdout
        tty = sys.stdout.isatty()
        _console = Console(
            highlight=False,
            soft_wrap=not tty,
            no_color=not tty or bool(os.environ.get("NO_COLOR")),
            width=None if tty else 200,
            emoji=False,
        )
    return _console


def print_json(document: Any) -> None:
    """One JSON document on stdout. Encoded in one piece: streaming with json.dump writes
    each token separately, which made a 10k-job document twice as slow."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def schedule_text(job: Job) -> str:
    if job.kind == "cron":
        return job.expr
    if job.kind == "every":
        return f"every {job.expr}"
    return f"at {job.expr}"


def command_text(job: Job) -> str:
    if job.collector:
        return f"collector {job.collector}"
    command = job.command or []
    return command[0] if len(command) == 1 else shlex.join(command)


def _status(status: str | None) -> Text:
    if status is None:
        return Text("-")
    return Text(status, style=STATUS_STYLE.get(status, ""))


def _table(*columns: str) -> Table:
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, safe_box=True)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def jobs_table(jobs: list[Job]) -> None:
    out = console()
    if not jobs:
        out.print("No jobs yet. Add one: schedcli add NAME --every 5m -- COMMAND")
        return
    table = _table("NAME", "SCHEDULE", "TZ", "ENABLED", "NEXT RUN", "LAST RUN", "LAST STATUS", "COMMAND")
    for job in jobs:
        if job.finished:
            nxt = "finished"
        elif not job.enabled:
            nxt = "disabled"
        else:
            nxt = local_text(job.next_run_at)
        table.add_row(
            job.name,
            schedule_text(job),
            job.timezone,
            "yes" if job.enabled else "no",
            nxt,
            local_text(job.last_run_at),
            _status(job.last_status),
            command_text(job),
        )
    out.print(table)


def job_detail(job: Job, recent: list[Run]) -> None:
    out = console()
    rows = [
        ("name", job.name),
        ("schedule", f"{schedule_text(job)}  ({describe(job.kind, job.expr)})"),
        ("timezone", job.timezone),
        ("enabled", "yes" if job.enabled else "no"),
        ("runs", command_text(job)),
    ]
    if job.params:
        rows.append(("params", ", ".join(f"{k}={v}" for k, v in sorted(job.params.items()))))
    if job.env:
        rows.append(("env", ", ".join(f"{k}={v}" for k, v in sorted(job.env.items()))))
    rows += [
        ("cwd", job.cwd or "~ (home)"),
        ("timeout", format_duration(job.timeout) if job.timeout else "none"),
        ("overlap", job.overlap),
        ("catch-up", f"{job.catch_up} (grace {format_duration(job.grace)})"),
        ("retries", f"{job.retries} (delay {format_duration(job.retry_delay)}, doubling)" if job.retries else "0"),
        ("next run", "finished" if job.finished else local_text(job.next_run_at) if job.enabled else "disabled"),
        ("last run", f"{local_text(job.last_run_at)} {job.last_status or ''}".strip()),
    ]
    if job.description:
        rows.insert(1, ("description", job.description))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        out.print(Text(f"{key.ljust(width)}  ") + Text(str(value)))
    if recent:
        out.print()
        runs_table(recent)


def runs_table(runs: list[Run]) -> None:
    out = console()
    if not runs:
        out.print("No runs recorded.")
        return
    table = _table("ID", "JOB", "TRIGGER", "SCHEDULED", "STARTED", "DURATION", "STATUS", "EXIT", "DETAIL")
    for run in runs:
        duration = f"{run.duration_s:.2f}s" if run.duration_s is not None else "-"
        table.add_row(
            str(run.id),
            run.job,
            run.trigger if run.attempt == 1 else f"{run.trigger} (try {run.attempt})",
            local_text(run.scheduled_for),
            local_text(run.started_at),
            duration,
            _status(run.status),
            "-" if run.exit_code is None else str(run.exit_code),
            run.reason or "",
        )
    out.print(table)


def planned_table(planned: list[Occurrence]) -> None:
    out = console()
    if not planned:
        out.print("Nothing is due.")
        return
    table = _table("JOB", "OCCURRENCE", "ACTION", "DETAIL")
    for item in planned:
        table.add_row(item.job, local_text(item.scheduled_for.timestamp()), item.action, item.detail)
    out.print(table)


def planned_dicts(planned: list[Occurrence]) -> list[dict[str, Any]]:
    return [
        {"job": p.job, "scheduled_for": iso(p.scheduled_for), "action": p.action, "detail": p.detail}
        for p in planned
    ]


def next_table(items: Iterable[tuple[str | None, datetime]], tz_name: str | None = None,
               title: str | None = None) -> None:
    out = console()
    if title:
        out.print(Text(title))
    table = _table("JOB", "AT", "UTC")
    count = 0
    for job, at in items:
        count += 1
        table.add_row(job or "-", local_text(at.timestamp(), tz_name), iso(at) or "")
    if count == 0:
        out.print("Nothing scheduled.")
        return
    out.print(table)


def message(text: str) -> None:
    console().print(Text(text))


def write_output(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    if data and not data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.buffer.flush()
