"""Everything the command line shows: JSON documents and rich tables.

Plain, stable text when stdout is not a terminal or ``NO_COLOR`` is set.

rich costs ~35 ms to import: the functions that draw import it themselves, so a command
that prints only JSON or a run's output never loads it.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
from datetime import datetime
from typing import TYPE_CHECKING, Any, Iterable, Optional

from schedcli.model import Job, Occurrence, Run
from schedcli.schedule import describe, format_duration
from schedcli.serialize import job_dict, run_dict, run_summary  # noqa: F401  (re-exported for the commands)
from schedcli.schedule import iso, local_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text
    from schedcli.services.stats import JobStats

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
    from rich.console import Console

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
    from rich.text import Text

    if status is None:
        return Text("-")
    return Text(status, style=STATUS_STYLE.get(status, ""))


def _table(*columns: str) -> Table:
    from rich import box
    from rich.table import Table

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
    from rich.text import Text

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
            "; ".join(x for x in (run.reason, run.retry_at and f"retry pending, due {local_text(run.retry_at)}") if x),
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
    from rich.text import Text

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
    from rich.text import Text

    console().print(Text(text))


def write_output(data: bytes) -> None:
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    if data and not data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.buffer.flush()


# -- stats ------------------------------------------------------------------------------

_OUTCOME = {  # status -> (unicode, ascii, style)
    "success": ("✓", "+", "green"),
    "warning": ("!", "!", "yellow"),
    "error": ("✗", "x", "red"),
    "timeout": ("⧖", "T", "red"),
    "interrupted": ("⊘", "I", "magenta"),
}
_BARS = "▁▂▃▄▅▆▇█"
_BARS_ASCII = "_.:-=+*#"


def _unicode_ok() -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        ("".join(v[0] for v in _OUTCOME.values()) + _BARS).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def outcome_strip(recent: list[tuple[str, Optional[float]]], unicode: bool = True) -> Text:
    from rich.text import Text

    text = Text()
    for status_, _ in recent:
        glyph, ascii_, style = _OUTCOME.get(status_, ("?", "?", ""))
        text.append(glyph if unicode else ascii_, style=style)
    return text


def sparkline(values: list[Optional[float]], unicode: bool = True) -> str:
    """One bar per value between the smallest and the largest (a gap for an unknown duration)."""
    bars = _BARS if unicode else _BARS_ASCII
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    lo, hi = min(known), max(known)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif hi == lo:
            out.append(bars[len(bars) // 2 - 1])
        else:
            out.append(bars[min(len(bars) - 1, int((v - lo) / (hi - lo) * (len(bars) - 1) + 0.5))])
    return "".join(out)


def _seconds(value: Optional[float]) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.2f}s" if value < 10 else f"{value:.1f}s"
    return format_duration(value)


def stats_table(result: list[JobStats]) -> None:
    """One row per job: runs, success rate, p50/p95, last failure, recent outcomes and durations."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out = console()
    if not result:
        out.print(Text("No jobs yet. Add one: schedcli add NAME --every 5m -- COMMAND"))
        return
    unicode = _unicode_ok()
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, safe_box=True)
    for column in ("JOB", "RUNS", "OK", "P50", "P95", "LAST FAILURE", "RECENT", "DURATIONS"):
        table.add_column(column, overflow="fold", no_wrap=column in ("RECENT", "DURATIONS"))
    for s in result:
        rate = "-" if s.success_rate is None else f"{s.success_rate * 100:.0f}%"
        rate_style = "" if s.success_rate is None else "green" if s.failures == 0 else "red" if s.success_rate < 0.5 else "yellow"
        last = "-" if s.last_failure_at is None else f"{local_text(s.last_failure_at)} {s.last_failure_status}"
        table.add_row(
            s.job,
            str(s.runs),
            Text(rate, style=rate_style),
            _seconds(s.p50_s),
            _seconds(s.p95_s),
            Text(last, style="red" if s.last_failure_at else ""),
            outcome_strip(s.recent, unicode),
            Text(sparkline([d for _, d in s.recent], unicode), style="cyan"),
        )
    out.print(table)
    shown = max(len(s.recent) for s in result)
    if shown:
        legend = "  ".join(f"{v[0] if unicode else v[1]} {k}" for k, v in _OUTCOME.items())
        out.print(Text(f"RECENT and DURATIONS: the last {shown} runs, oldest first; {legend}", style="dim"))
