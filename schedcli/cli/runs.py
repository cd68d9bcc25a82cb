"""Commands about runs, past and future: ``history``, ``logs``, ``next`` and ``prune``."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import Enum
from itertools import islice
from typing import Optional

import typer

from schedcli.cli.helptext import Command
from schedcli.cli.context import (
    CSV_OPT, JSON_OPT, TSV_OPT, UTC_OPT, WIDE_OPT, current_time, duration_option, output_format, state_of,
    when_option, zone_option,
)
from schedcli.errors import InvalidValue, UsageError
from schedcli.model import STATUSES

app = typer.Typer()

Status = Enum("Status", {s: s for s in STATUSES}, type=str)  # type: ignore[misc]


@app.command(cls=Command)
def history(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, metavar="[NAME]", help="Only this job."),
    status: Optional[Status] = typer.Option(
        None, "--status", metavar="STATUS",
        help="Only runs with this status: success, warning, error, timeout, interrupted, skipped, missed "
        "or running.",
    ),
    limit: int = typer.Option(20, "--limit", metavar="N", help="Show at most N runs."),
    before: Optional[int] = typer.Option(None, "--before", metavar="RUN_ID", help="Only runs older than this run (next page)."),
    wide: bool = WIDE_OPT,
    utc: bool = UTC_OPT,
    json_out: bool = JSON_OPT,
    csv_out: bool = CSV_OPT,
    tsv_out: bool = TSV_OPT,
) -> None:
    """Show recorded runs, newest first: when each started, how long it took, how it ended.

    One line per run, never wider than the terminal (--wide: never shortened). Times are
    in the machine's zone (--utc: UTC); PASSED is the time since the run started.

    Examples:

    \b
      schedcli history
      schedcli history backup --limit 5
      schedcli history --status error --csv
    """
    from schedcli.cli import render
    from schedcli.services.jobs import check_name

    fmt = output_format(json_out, csv_out, tsv_out)
    if limit < 1:
        raise InvalidValue(f"invalid --limit {limit}: use 1 or more")
    store = state_of(ctx).reader()
    job_id = None
    if name is not None:
        check_name(name)
        job_id = store.get_job(name).id
    runs = store.history(job_id=job_id, status=status.value if status else None, limit=limit, before_id=before)
    if fmt == "json":
        render.print_json_list(render.run_dict(r) for r in runs)
    elif fmt:
        render.print_delimited([render.run_dict(r) for r in runs], fmt, render.RUN_FIELDS)
    else:
        render.runs_table(runs, current_time().timestamp(), utc=utc, wide=wide)


@app.command(cls=Command)
def logs(
    ctx: typer.Context,
    target: Optional[str] = typer.Argument(
        None, metavar="[JOB|RUN_ID]",
        help="A job (its latest run) or a run id (see: schedcli history). With --follow it may be left "
        "out: the newest run still running.",
    ),
    follow: bool = typer.Option(False, "--follow", "-f", help="Follow the run's output until the run ends."),
    json_out: bool = JSON_OPT,
) -> None:
    """Print the captured output (stdout and stderr together) of a job's latest run, or of one run.

    The output is printed as it was stored, byte for byte; while a run runs, that is its
    output so far (stored about every half second). A number is a run id; a job whose name
    is only digits is reached through its run ids (schedcli history NAME). A job's latest
    run is the newest that ran, not a missed or skipped entry.

    With --follow the output is followed as it comes until the run ends, and the exit code
    tells how it ended: 0 success or warning, 1 any other status, or when the run's runner
    is gone before recording its end; 130 on Ctrl-C. A retry is a run of its own: follow
    it with schedcli logs -f JOB again.

    Examples:

    \b
      schedcli logs backup
      schedcli logs 42
      schedcli logs -f backup
      schedcli logs backup --json
    """
    from schedcli.cli import render

    if json_out and follow:
        raise UsageError("--follow prints the output as it comes; leave out --json")
    store = state_of(ctx).reader()
    run_obj = _run_to_show(store, target, follow)
    if follow:
        raise typer.Exit(_follow(store, run_obj))
    stored = store.get_output(run_obj.id)
    hooks = store.hook_results(run_obj.id)
    output, truncated, total = stored if stored is not None else (b"", False, 0)
    if json_out:
        doc = render.run_dict(run_obj, output.decode("utf-8", "replace"))
        doc["output_truncated"] = truncated
        doc["output_bytes"] = total
        doc["hooks"] = [
            {"event": h.event, "target": h.target, "ok": h.ok, "detail": h.detail}
            for h in hooks
        ]
        render.print_json(doc)
        return
    running = run_obj.status == "running"
    if stored is not None:
        render.write_output(output)
    elif not running:
        sys.stderr.write(f"(run #{run_obj.id} of {run_obj.job} has no output: it ended {run_obj.status})\n")
    if running:
        so_far = "no output yet" if stored is None else "output so far"
        sys.stderr.write(f"(run #{run_obj.id} of {run_obj.job} is still running, {so_far}; "
                         f"follow it: schedcli logs -f {run_obj.id})\n")
    if truncated:
        sys.stderr.write(f"(output truncated: {total} bytes written, head and tail kept)\n")
    for hook in hooks:
        state = "ok" if hook.ok else "FAILED"
        sys.stderr.write(f"({hook.target} for {hook.event}: {state}: {hook.detail})\n")


def _run_to_show(store, target: Optional[str], follow: bool):
    """The run ``logs`` shows: a run id, a job's latest run, or (``-f`` alone) the newest running run."""
    from schedcli.errors import JobNotFound
    from schedcli.services.jobs import check_name

    if target is None:
        if not follow:
            raise UsageError("give a job or a run id (schedcli logs JOB), or follow what runs: schedcli logs -f")
        run_obj = store.latest_run_that_ran(running=True)
        if run_obj is None:
            raise JobNotFound("nothing is running now (follow a job's latest run: schedcli logs -f JOB)")
        return run_obj
    if target.isascii() and target.isdigit():
        return store.get_run(int(target))
    check_name(target)
    job = store.get_job(target)
    run_obj = store.latest_run_that_ran(job.id)
    if run_obj is None:
        latest = store.history(job_id=job.id, limit=1)
        if not latest:
            raise JobNotFound(f"job {target!r} has not run yet (run it now: schedcli run {target})")
        run_obj = latest[0]
    return run_obj


def _follow(store, run_obj) -> int:
    """``logs -f``: print the run's output as it comes; the exit code of its end."""
    import threading

    from schedcli.cli import render
    from schedcli.cli.live import follow, same_terminal
    from schedcli.cli.signals import StopOnSignal

    stop = threading.Event()
    last = [b"\n"]

    def write(data: bytes) -> None:
        render.write_output(data)
        last[0] = data[-1:]

    with StopOnSignal(stop.set) as signals:
        status = follow(store, run_obj.id, write, stop)
    code = signals.exit_code()
    if code is not None:
        return code
    if status == "running":
        sys.stderr.write(f"(run #{run_obj.id} of {run_obj.job}: its runner is gone before it ended; "
                         "the next schedcli run-due records it interrupted)\n")
        return 1
    ended = store.get_run(run_obj.id)
    lead = "\n" if last[0] != b"\n" and same_terminal() else ""
    sys.stderr.write(lead + render.run_summary(ended) + "\n")
    return 0 if ended.status in ("success", "warning") else 1


@app.command("next", cls=Command)
def next_runs(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, metavar="[NAME]", help="Only this job (times in its own zone)."),
    count: Optional[int] = typer.Option(
        None, "--count", "-n", metavar="N",
        help="How many upcoming runs: of all jobs together (default 10), or of one job or expression (default 1).",
    ),
    after: Optional[str] = typer.Option(None, "--after", metavar="WHEN", help="Start from this time instead of now."),
    cron: Optional[str] = typer.Option(None, "--cron", metavar="EXPR", help="Check a cron expression without a job."),
    every: Optional[str] = typer.Option(None, "--every", metavar="DURATION", help="Check an interval without a job (from now)."),
    tz: Optional[str] = typer.Option(None, "--tz", metavar="ZONE", help="Zone for --cron (default: the machine's zone)."),
    wide: bool = WIDE_OPT,
    utc: bool = UTC_OPT,
    json_out: bool = JSON_OPT,
    csv_out: bool = CSV_OPT,
    tsv_out: bool = TSV_OPT,
) -> None:
    """Show upcoming runs: the next ones of all jobs in one timeline, of one job, or of an expression.

    Without NAME, the next --count runs of all jobs together, soonest first (a job
    may appear several times). For all jobs, times are in the machine's zone; for one
    job (NAME), in the job's own zone; for --cron, in --tz. --utc shows UTC instead.
    LEFT is the time until each run.

    Examples:

    \b
      schedcli next
      schedcli next backup --count 5
      schedcli next --cron '0 9 * * 1-5' --tz Europe/Paris -n 3
    """
    from schedcli.cli import render, timefmt
    from schedcli import schedule as sched
    from schedcli.services.jobs import check_name

    fmt = output_format(json_out, csv_out, tsv_out)
    one = name is not None or cron is not None or every is not None
    if count is None:
        count = 1 if one else 10
    if count < 1 or count > 10000:
        raise InvalidValue(f"invalid --count {count}: use 1 to 10000")
    now = current_time()
    start = when_option(after, now=now) or now
    items: list[tuple[Optional[str], datetime]] = []
    zone_name = None
    title = None
    if cron is not None or every is not None:
        if name is not None:
            raise UsageError("give a job NAME or --cron/--every, not both")
        if cron is not None and every is not None:
            raise UsageError("give only one of --cron and --every")
        zone_name = zone_option(tz) or sched.local_zone_name()
        if cron is not None:
            schedule = sched.make_schedule("cron", sched.validate_cron(cron), zone_name, None)
        else:
            duration_option(every, "--every")
            schedule = sched.make_schedule("every", every, zone_name, start)
        items = [(None, t) for t in _take(schedule, start, count)]
        kind, expr = ("cron", schedule.expr) if cron is not None else ("every", every.strip())
        title = f"{expr}: {sched.describe(kind, expr)} ({zone_name})"
    else:
        if tz is not None:
            raise UsageError("--tz goes with --cron; a job has its own zone")
        store = state_of(ctx).reader()
        if name is not None:
            from schedcli.services.timeline import job_upcoming

            check_name(name)
            job = store.get_job(name)
            zone_name = job.timezone
            if job.at_boot and not fmt:
                render.message(f"{name}: @reboot: at next boot (the first tick of each boot)"
                               if job.enabled else f"{name}: @reboot, disabled")
                return
            title = f"{name}: {render.schedule_text(job)} ({sched.describe(job.kind, job.expr)}, {zone_name})"
            if job.enabled and job.next_run_at is not None:
                items = [(job.name, t) for t in islice(job_upcoming(job, start), count)]
        else:
            from schedcli.services.timeline import merged_upcoming

            with store.read():
                items = list(merged_upcoming(store.iter_jobs_by_next_run(), start, count))
    if fmt:
        from schedcli.schedule import iso

        docs = [{"job": j, "at": iso(t)} for j, t in items]
        if fmt == "json":
            render.print_json_list(docs)
        else:
            render.print_delimited(docs, fmt, ("job", "at"))
        return
    shown_zone = timefmt.display_zone(zone_name, utc)
    render.next_table(items, now.timestamp(), shown_zone, full=zone_name is not None, title=title, wide=wide)


def _take(schedule, start: datetime, count: int) -> list[datetime]:
    from schedcli.schedule import upcoming

    return upcoming(schedule, start, count)


@app.command(cls=Command)
def prune(
    ctx: typer.Context,
    older_than: Optional[str] = typer.Option(None, "--older-than", metavar="DURATION", help="Delete runs that finished longer ago than this."),
    keep: Optional[int] = typer.Option(None, "--keep", metavar="N", help="Keep only the newest N runs of each job."),
    job: Optional[str] = typer.Option(None, "--job", metavar="NAME", help="Only this job's runs."),
    auto: Optional[bool] = typer.Option(None, "--auto/--no-auto", help="Also remember these limits and apply them after every run (--no-auto: stop)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would be deleted."),
    json_out: bool = JSON_OPT,
) -> None:
    """Delete old history so the database does not grow without bound.

    A run is deleted when it is older than --older-than or not among its job's newest --keep.
    Runs still running are never deleted.

    Examples:

    \b
      schedcli prune --older-than 30d
      schedcli prune --keep 100 --auto
      schedcli prune --older-than 7d --job poll --dry-run
    """
    from schedcli.cli import render
    from schedcli.services.jobs import check_name
    from schedcli.engine.retention import Retention

    if keep is not None and keep < 0:
        raise InvalidValue(f"invalid --keep {keep}: use 0 or more")
    no_auto = auto is False
    policy = Retention(older_than=duration_option(older_than, "--older-than"), keep=keep)
    if auto and policy.empty:
        raise UsageError("--auto needs --older-than and/or --keep")
    if policy.empty and not no_auto:
        raise UsageError("give --older-than DURATION and/or --keep N")
    store = state_of(ctx).store()
    job_id = None
    if job is not None:
        check_name(job)
        job_id = store.get_job(job).id
    now = current_time().timestamp()
    with store.write():
        deleted = policy.apply(store, now, job_id=job_id, dry_run=dry_run) if not policy.empty else 0
        if not dry_run and (auto or no_auto):
            Retention.save(store, policy if auto else None)
    if json_out:
        render.print_json({"deleted": deleted, "dry_run": dry_run,
                           "auto": policy.to_dict() if auto else None if no_auto else Retention.load(store).to_dict()})
        return
    verb = "Would delete" if dry_run else "Deleted"
    render.message(f"{verb} {deleted} run{'' if deleted == 1 else 's'}")
    if auto:
        render.message(f"Automatic pruning after every run: {policy.describe()}")
    elif no_auto:
        render.message("Automatic pruning is off")

