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
from typing import TYPE_CHECKING, Any, Iterable

from schedcli.cli import timefmt
from schedcli.cli.tables import Cell, Column, print_table, write_delimited
from schedcli.model import Job, Occurrence, Run
from schedcli.schedule import format_duration, iso
from schedcli.serialize import job_dict, run_dict, run_summary, schedule_description  # noqa: F401  (re-exported for the commands)

if TYPE_CHECKING:
    from rich.console import Console

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
    """One JSON document on stdout, indented by 2 (a small one: see :func:`print_json_list`)."""
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def print_json_list(items: Iterable[dict[str, Any]]) -> None:
    """A JSON list of documents on stdout, written as they come, exactly as
    :func:`print_json` would write the whole list (see :mod:`schedcli.cli.jsonout`)."""
    from schedcli.cli.jsonout import write_list

    write_list(sys.stdout, items)
    sys.stdout.flush()


def print_json_texts(texts: Iterable[str]) -> None:
    """:func:`print_json_list` of documents already written as JSON text (list items)."""
    from schedcli.cli.jsonout import write_texts

    write_texts(sys.stdout, texts)
    sys.stdout.flush()


def styled() -> bool:
    """Is stdout a terminal (colours, bold headers; rich draws)?"""
    try:
        return sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def schedule_text(job: Job, zone_name: str | None = None) -> str:
    """The schedule as typed (``30 2 * * *``, ``every 5m``); a one-off as ``once at`` its time
    in ``zone_name`` (default: the job's zone)."""
    if job.kind == "cron":
        return job.expr
    if job.kind == "every":
        return f"every {job.expr}"
    return f"once at {timefmt.full_time(_at_ts(job), zone_name or job.timezone)}"


def _at_ts(job: Job) -> float | None:
    from datetime import datetime

    try:
        return datetime.fromisoformat(job.expr.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _short_schedule(job: Job) -> str:
    return "once" if job.kind == "at" else schedule_text(job)


def command_text(job: Job) -> str:
    if job.collector:
        return f"collector {job.collector}"
    command = job.command or []
    return command[0] if len(command) == 1 else shlex.join(command)


def _status(status: str | None) -> Cell:
    if status is None:
        return "-"
    return (status, STATUS_STYLE.get(status, ""))


def _zone_header(header: str, utc: bool) -> str:
    return f"{header} (UTC)" if utc else header


def jobs_table(jobs: Iterable[Job], now: float, *, utc: bool = False, wide: bool = False) -> None:
    """NAME SCHEDULE NEXT LEFT LAST PASSED STATUS COMMAND, in the machine's zone (or UTC).
    Only the cells of each job are kept, not the jobs (``jobs`` may be read as it goes)."""
    zone_name = timefmt.display_zone(utc=utc)
    columns = [
        Column("NAME", shrink=2, min=12), Column("SCHEDULE", shrink=5, min=9),
        Column(_zone_header("NEXT", utc)), Column("LEFT", drop=6), Column(_zone_header("LAST", utc), drop=4),
        Column("PASSED", drop=3), Column("STATUS"), Column("COMMAND", shrink=1, min=10),
    ]
    rows: list[list[Cell]] = []
    for job in jobs:
        if job.finished:
            nxt, left = "finished", "-"
        elif not job.enabled:
            nxt, left = ("disabled", "dim"), "-"
        elif job.at_boot:
            nxt, left = "at boot", "-"
        else:
            nxt = timefmt.short_time(job.next_run_at, now, zone_name)
            left = timefmt.left(job.next_run_at, now)
        rows.append([
            job.name, _short_schedule(job), nxt, left,
            timefmt.short_time(job.last_run_at, now, zone_name), timefmt.passed(job.last_run_at, now),
            _status(job.last_status), command_text(job),
        ])
    if not rows:
        message("No jobs yet. Add one: schedcli add NAME --every 5m -- COMMAND")
        return
    print_table(columns, rows, wide=wide)


def notify_rows(job: Job) -> list[tuple[str, str]]:
    """The job's own notification settings, one row each (none: no row)."""
    hooks = [f"on-{e} {getattr(job, 'on_' + e)}" for e in ("failure", "success", "recovery") if getattr(job, "on_" + e)]
    rows = [("hooks", "; ".join(hooks))] if hooks else []
    if job.webhook:
        rows.append(("webhook", f"{job.webhook} ({job.webhook_format or 'json'})"))
    if job.ping:
        rows.append(("ping", job.ping))
    if job.mailto:
        rows.append(("mail", f"{job.mailto} (on {job.mail_on or 'failure'})"))
    elif job.mail_on:
        rows.append(("mail", f"on {job.mail_on}"))
    if job.notify_on:
        rows.append(("notify on", job.notify_on))
    return rows


def job_detail(job: Job, recent: list[Run], now: float, *, utc: bool = False) -> None:
    """One job in full, times in its own zone (or UTC), then its recent runs."""
    zone_name = timefmt.display_zone(job.timezone, utc)

    def when(ts: float | None) -> str:
        return "-" if ts is None else f"{timefmt.full_time(ts, zone_name)} ({timefmt.relative(ts, now)})"

    if job.finished:
        nxt = "finished"
    elif not job.enabled:
        nxt = "disabled"
    elif job.at_boot:
        nxt = "at next boot (the first tick of each boot)"
    else:
        nxt = when(job.next_run_at)
    rows = [
        ("name", job.name),
        ("schedule", f"{schedule_text(job, zone_name)}  ({schedule_description(job)})"
         if job.kind == "cron" else schedule_text(job, zone_name)),
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
        *notify_rows(job),
        *([("jitter", f"up to {format_duration(job.jitter)} after each scheduled time")] if job.jitter else []),
        ("next run", nxt),
        ("last run", f"{when(job.last_run_at)} {job.last_status or ''}".strip()),
    ]
    if job.description:
        rows.insert(1, ("description", job.description))
    width = max(len(k) for k, _ in rows)
    from schedcli.cli.tables import table_width

    fit = table_width()
    for key, value in rows:
        line = f"{key.ljust(width)}  {value}"
        if fit is not None and len(line) > fit > width + 20 and "\n" not in line and "\t" not in line:
            # a long value continues under itself, not under the keys
            import textwrap

            line = "\n".join(textwrap.wrap(line, fit, subsequent_indent=" " * (width + 2),
                                            replace_whitespace=False, break_on_hyphens=False))
        message(line)
    if recent:
        message("")
        runs_table(recent, now, zone_name=zone_name)


def _detail(run: Run, now: float, zone_name: str) -> str:
    """A run's reason, and its pending retry with when it is due."""
    retry = run.retry_at and f"retry pending, due {timefmt.short_time(run.retry_at, now, zone_name)}"
    return "; ".join(x for x in (run.reason, retry) if x)


def _trigger(run: Run) -> str:
    return run.trigger if run.attempt == 1 else f"try {run.attempt}"


def runs_table(runs: list[Run], now: float, *, utc: bool = False, zone_name: str | None = None,
               wide: bool = False) -> None:
    """ID JOB TRIGGER STARTED PASSED DURATION STATUS EXIT DETAIL, newest first."""
    if not runs:
        message("No runs recorded.")
        return
    zone_name = zone_name or timefmt.display_zone(utc=utc)
    columns = [
        Column("ID", right=True), Column("JOB", shrink=2, min=12), Column("TRIGGER", drop=4),
        Column(_zone_header("STARTED", utc)), Column("PASSED", drop=3), Column("DURATION", right=True, drop=5),
        Column("STATUS"), Column("EXIT", right=True), Column("DETAIL", shrink=1, min=10),
    ]
    rows: list[list[Cell]] = []
    for run in runs:
        at = run.started_at if run.started_at is not None else run.scheduled_for
        duration = f"{run.duration_s:.2f}s" if run.duration_s is not None else "-"
        rows.append([
            str(run.id), run.job, _trigger(run), timefmt.short_time(at, now, zone_name), timefmt.passed(at, now),
            duration, _status(run.status), "-" if run.exit_code is None else str(run.exit_code), _detail(run, now, zone_name),
        ])
    print_table(columns, rows, wide=wide)


def planned_table(planned: list[Occurrence], now: float) -> None:
    if not planned:
        message("Nothing is due.")
        return
    zone_name = timefmt.display_zone()
    columns = [Column("JOB", shrink=2, min=8), Column("OCCURRENCE"), Column("ACTION"), Column("DETAIL", shrink=1, min=10)]
    rows: list[list[Cell]] = [
        [p.job, timefmt.short_time(p.scheduled_for.timestamp(), now, zone_name), p.action, p.detail] for p in planned
    ]
    print_table(columns, rows)


def planned_dicts(planned: list[Occurrence]) -> list[dict[str, Any]]:
    return [
        {"job": p.job, "scheduled_for": iso(p.scheduled_for), "action": p.action, "detail": p.detail}
        for p in planned
    ]


def next_table(items: Iterable[tuple[str | None, datetime]], now: float, zone_name: str, *,
               full: bool, title: str | None = None, wide: bool = False) -> None:
    """NEXT LEFT JOB: ``full`` times (one job or an expression, in its zone) or short ones."""
    rows: list[list[Cell]] = []
    for job, at in items:
        ts = at.timestamp()
        when = timefmt.full_time(ts, zone_name) if full else timefmt.short_time(ts, now, zone_name)
        rows.append([when, timefmt.left(ts, now), job or "-"])
    if title:
        message(title)
    if not rows:
        message("Nothing scheduled.")
        return
    utc = zone_name == "UTC" and not full
    columns = [Column(_zone_header("NEXT", utc)), Column("LEFT"), Column("JOB", shrink=1, min=8)]
    if len({row[2] for row in rows}) == 1 and title:  # one job, or an expression: the title says which
        columns, rows = columns[:2], [row[:2] for row in rows]
    print_table(columns, rows, wide=wide)


def message(text: str) -> None:
    """A line for a person: plain when piped, through rich on a terminal (never wrapped
    mid-word by us; the terminal wraps a line longer than it)."""
    if not styled():
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        return
    from rich.text import Text

    console().print(Text(text))


def write_output(data: bytes) -> None:
    """A run's stored output, byte for byte (nothing added)."""
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()


# -- CSV / TSV ---------------------------------------------------------------------------

RUN_FIELDS = ("id", "job", "trigger", "scheduled_for", "started_at", "finished_at", "duration_s", "status",
              "exit_code", "attempt", "reason", "missed_count", "missed_first", "missed_last")


def _header(docs: list[dict[str, Any]], fixed: Iterable[str] = ()) -> list[str]:
    keys = list(fixed)
    for doc in docs:
        keys += [k for k in doc if k not in keys]
    return keys


def print_delimited(docs: list[dict[str, Any]], fmt: str, fixed: Iterable[str] = ()) -> None:
    """``docs`` as ``csv`` or ``tsv`` (columns: ``fixed``, then any other key in the documents)."""
    write_delimited(_header(docs, fixed), docs, tsv=fmt == "tsv")


def print_delimited_rows(docs: Iterable[dict[str, Any]], fmt: str) -> None:
    """Documents that all have the same keys (jobs, stats) as ``csv`` or ``tsv``, written
    as they come: the columns are the first document's keys."""
    import itertools

    docs = iter(docs)
    first = next(docs, None)
    if first is None:
        write_delimited([], [], tsv=fmt == "tsv")
        return
    write_delimited(list(first), itertools.chain((first,), docs), tsv=fmt == "tsv")

