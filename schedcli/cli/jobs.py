"""Commands that change or show job definitions: ``add``, ``edit``, ``rename``, ``list``,
``show``, ``rm``, ``enable``, ``disable``, ``toggle``.

Parsing and rendering only: validation and the writes are in :mod:`schedcli.services.jobs`.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

from schedcli.cli.command_words import JobCommand
from schedcli.cli.context import (
    CSV_OPT, JSON_OPT, TSV_OPT, UTC_OPT, WIDE_OPT, current_time, output_format, state_of, when_text,
)
from schedcli.cli.helptext import Command
from schedcli.cli.job_options import (
    AT_OPT, CATCH_OPT, COLLECTOR_OPT, CRON_OPT, CWD_OPT, DESC_OPT, ENV_OPT, EVERY_OPT, GRACE_OPT, ON_FAILURE_OPT,
    ON_RECOVERY_OPT, ON_SUCCESS_OPT, OVERLAP_OPT, PARAM_OPT, RETRIES_OPT, RETRY_DELAY_OPT, TIMEOUT_OPT, TZ_OPT,
    WEBHOOK_OPT, JITTER_OPT, CatchUp, Overlap, make_spec, set_hooks,
)
from schedcli.cli.job_options import (
    MAIL_ON_OPT, MAILTO_OPT, NOTIFY_FIELDS, NOTIFY_ON_OPT, PING_OPT, WEBHOOK_FORMAT_OPT, MailOn, WebhookFormat,
    set_channels,
)
from schedcli.boot import current_boot
from schedcli.errors import InvalidValue, JobExists, UsageError

app = typer.Typer()

NAME_ARG = typer.Argument(..., metavar="NAME", help="The job.")


def _at_text(at: Optional[str], tz_name: str, now) -> Optional[str]:
    """``--at`` with +2h / today HH:MM / tomorrow HH:MM made ISO 8601 (read in the job's zone)."""
    return None if at is None else when_text(at, tz_name, now)


def _next_text(job, now: float) -> str:
    from schedcli.cli import timefmt

    if job.finished:
        return "finished"
    if job.at_boot and job.enabled:
        return "at next boot"
    if not job.enabled or job.next_run_at is None:
        return "disabled"
    return f"{timefmt.full_time(job.next_run_at, job.timezone)} ({timefmt.relative(job.next_run_at, now)})"


def _confirm(verb: str, job, now: float) -> str:
    from schedcli.schedule import describe

    if job.at_boot:
        what = "@reboot (once at each boot, from the next one)"
    elif job.kind == "cron":
        what = f"{job.expr} ({describe(job.kind, job.expr)}, {job.timezone})"
    elif job.kind == "every":
        what = f"every {job.expr} ({job.timezone})"
    else:
        what = f"once ({job.timezone})"
    if job.jitter:
        from schedcli.schedule import format_duration

        what += f", jitter up to {format_duration(job.jitter)}"
    return f"{verb} {job.name}: {what}; next run {_next_text(job, now)}"


@app.command(cls=JobCommand)
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Job name: letters, digits, '.', '_' or '-'."),
    command: Optional[list[str]] = typer.Argument(None, metavar="[-- COMMAND [ARG...]]", help="What to run, after --. One argument runs through /bin/sh -c."),
    cron: Optional[str] = CRON_OPT,
    every: Optional[str] = EVERY_OPT,
    at: Optional[str] = AT_OPT,
    collector: Optional[str] = COLLECTOR_OPT,
    param: Optional[list[str]] = PARAM_OPT,
    tz: Optional[str] = TZ_OPT,
    timeout: Optional[str] = TIMEOUT_OPT,
    overlap: Optional[Overlap] = OVERLAP_OPT,
    grace: Optional[str] = GRACE_OPT,
    catch_up: Optional[CatchUp] = CATCH_OPT,
    env: Optional[list[str]] = ENV_OPT,
    cwd: Optional[str] = CWD_OPT,
    disabled: bool = typer.Option(False, "--disabled", help="Add the job disabled."),
    description: Optional[str] = DESC_OPT,
    retries: Optional[int] = RETRIES_OPT,
    retry_delay: Optional[str] = RETRY_DELAY_OPT,
    on_failure: Optional[str] = ON_FAILURE_OPT,
    on_success: Optional[str] = ON_SUCCESS_OPT,
    on_recovery: Optional[str] = ON_RECOVERY_OPT,
    webhook: Optional[str] = WEBHOOK_OPT,
    webhook_format: Optional[WebhookFormat] = WEBHOOK_FORMAT_OPT,
    ping: Optional[str] = PING_OPT,
    notify_on: Optional[str] = NOTIFY_ON_OPT,
    mailto: Optional[str] = MAILTO_OPT,
    mail_on: Optional[MailOn] = MAIL_ON_OPT,
    jitter: Optional[str] = JITTER_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Add a job: a command or a collector, on a cron expression, an interval or once.

    NAME comes first, then the options, then -- and the command: a command of one
    argument runs through /bin/sh -c, several run directly. Options after the command
    are refused unless -- comes before it, so that a command's own options are never
    taken for schedcli's.

    --cron @reboot runs the job once at the first tick of each boot (run-due's first
    minute under cron, or watch starting), from the boot after the one it was added in.
    --jitter D starts each occurrence at a stable pseudo-random offset in [0, D) after its
    time (never past the next occurrence), the same for every runner.

    A warning on stderr says when the command names a program that the PATH cron gives
    the job does not have (it would end exit 127 under cron), and when an interval under
    a minute is run only by cron (once a minute).

    Examples:

    \b
      schedcli add backup --cron '0 3 * * *' --tz Europe/Paris -- tar czf e.tgz /etc
      schedcli add poll --every 5m -- 'curl -fsS https://example.org/health'
      schedcli add remind --at 'tomorrow 09:00' -- 'echo call the bank'
      schedcli add coll --every 15m --collector mycoll:collect --param city=Lyon
      schedcli add agent --cron @reboot -- /usr/local/bin/start-agent
      schedcli add fetch --cron '0 * * * *' --jitter 10m -- /usr/local/bin/fetch
    """
    from schedcli.cli import render
    from schedcli.cli.job_warnings import warn_after_save
    from schedcli.services.jobs import add_job

    spec = make_spec(cron, every, at, tz, timeout, overlap, grace, catch_up, env, cwd, description,
                     retries, retry_delay, collector, param, command, jitter=jitter)
    set_hooks(spec, on_failure, on_success, on_recovery, webhook)
    set_channels(spec, ping, webhook_format, notify_on, mailto, mail_on)
    spec.enabled = not disabled
    state = state_of(ctx)
    if spec.timezone is None:
        spec.timezone = state.config().timezone
    now = current_time()
    if spec.kind == "at":
        from schedcli.schedule import local_zone_name

        spec.expr = _at_text(spec.expr, spec.timezone or local_zone_name(), now)
    store = state.store()
    try:
        job = add_job(store, name, spec, now, current_boot())
    except JobExists as exc:
        raise JobExists(f"{exc.message}: change it with schedcli edit {name}, or replace jobs "
                        "from a file with schedcli import --replace FILE") from None
    if json_out:
        render.print_json(render.job_dict(job))
    else:
        render.message(_confirm("Added", job, now.timestamp()))
        if job.collector and job.cwd and cwd is None:  # its module is in the current directory
            render.message(f"It runs in {job.cwd}, where its module is (another: --cwd DIR)")
    warn_after_save(store, job, now.timestamp())


def _nothing_given(spec, no_timeout: bool, no_hooks: bool) -> bool:
    from dataclasses import fields

    return not no_timeout and not no_hooks and all(
        getattr(spec, f.name) in (None, set()) for f in fields(spec)
    )


def _same(before, after) -> bool:
    from dataclasses import asdict

    ignore = {"updated_at"} | ({"anchor"} if after.kind != "every" else set())
    a, b = asdict(before), asdict(after)
    return all(a[k] == b[k] for k in a if k not in ignore)


@app.command(cls=JobCommand)
def edit(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="The job to change."),
    command: Optional[list[str]] = typer.Argument(None, metavar="[-- COMMAND [ARG...]]", help="A new command, after --."),
    cron: Optional[str] = CRON_OPT,
    every: Optional[str] = EVERY_OPT,
    at: Optional[str] = AT_OPT,
    collector: Optional[str] = COLLECTOR_OPT,
    param: Optional[list[str]] = PARAM_OPT,
    tz: Optional[str] = TZ_OPT,
    timeout: Optional[str] = TIMEOUT_OPT,
    no_timeout: bool = typer.Option(False, "--no-timeout", help="Remove the timeout."),
    overlap: Optional[Overlap] = OVERLAP_OPT,
    grace: Optional[str] = GRACE_OPT,
    catch_up: Optional[CatchUp] = CATCH_OPT,
    env: Optional[list[str]] = ENV_OPT,
    cwd: Optional[str] = CWD_OPT,
    description: Optional[str] = DESC_OPT,
    retries: Optional[int] = RETRIES_OPT,
    retry_delay: Optional[str] = RETRY_DELAY_OPT,
    on_failure: Optional[str] = ON_FAILURE_OPT,
    on_success: Optional[str] = ON_SUCCESS_OPT,
    on_recovery: Optional[str] = ON_RECOVERY_OPT,
    webhook: Optional[str] = WEBHOOK_OPT,
    webhook_format: Optional[WebhookFormat] = WEBHOOK_FORMAT_OPT,
    ping: Optional[str] = PING_OPT,
    notify_on: Optional[str] = NOTIFY_ON_OPT,
    mailto: Optional[str] = MAILTO_OPT,
    mail_on: Optional[MailOn] = MAIL_ON_OPT,
    no_hooks: bool = typer.Option(False, "--no-hooks", help="Remove the job's hooks, webhook, ping, mail and --notify-on (back to the defaults)."),
    jitter: Optional[str] = JITTER_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Change a job; options not given keep their value (--env and --param replace the whole set).

    It keeps its history. To change its name, see schedcli rename.

    Examples:

    \b
      schedcli edit backup --cron '0 3 * * *'
      schedcli edit poll --timeout 30s --retries 2
      schedcli edit poll -- 'curl -fsS https://example.org/ready'
      schedcli edit fetch --jitter 0
    """
    from schedcli.cli import render
    from schedcli.cli.job_warnings import warn_after_save
    from schedcli.services.jobs import check_name, edit_job

    check_name(name)
    spec = make_spec(cron, every, at, tz, timeout, overlap, grace, catch_up, env, cwd, description,
                     retries, retry_delay, collector, param, command, jitter=jitter)
    set_hooks(spec, on_failure, on_success, on_recovery, webhook)
    set_channels(spec, ping, webhook_format, notify_on, mailto, mail_on)
    if no_hooks:
        if any(getattr(spec, key) is not None for key in NOTIFY_FIELDS):
            raise UsageError("give notification options or --no-hooks, not both")
        spec.clear.update(NOTIFY_FIELDS)
    if no_timeout:
        if timeout is not None:
            raise UsageError("give --timeout or --no-timeout, not both")
        spec.clear.add("timeout")
    if _nothing_given(spec, no_timeout, no_hooks):
        raise UsageError(f"nothing to change: give what to change, e.g. schedcli edit {name} --every 10m "
                         f"(see: schedcli edit --help)")
    store = state_of(ctx).store()
    before = store.get_job(name)
    now = current_time()
    if spec.kind == "at":
        spec.expr = _at_text(spec.expr, spec.timezone or before.timezone, now)
    job = edit_job(store, name, spec, now, current_boot())
    if json_out:
        render.print_json(render.job_dict(job))
    elif _same(before, job):
        render.message(f"Nothing changed: {job.name} already has these settings")
    else:
        render.message(_confirm("Changed", job, now.timestamp()))
    warn_after_save(store, job, now.timestamp())


@app.command(cls=Command)
def rename(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="The job."),
    new_name: str = typer.Argument(..., metavar="NEW_NAME", help="Its new name."),
    json_out: bool = JSON_OPT,
) -> None:
    """Give a job a new name; it keeps its schedule, settings and history.

    Examples:

    \b
      schedcli rename backup backup-etc
    """
    from schedcli.cli import render
    from schedcli.services.jobs import rename_job

    job = rename_job(state_of(ctx).store(), name, new_name, current_time())
    if json_out:
        render.print_json(render.job_dict(job))
    else:
        render.message(f"Renamed {name} to {job.name}")


@app.command("list", cls=Command)
def list_jobs(
    ctx: typer.Context,
    limit: Optional[int] = typer.Option(None, "--limit", metavar="N", help="Show at most N jobs (default: all)."),
    after: Optional[str] = typer.Option(None, "--after", metavar="NAME", help="Only jobs whose name sorts after NAME (next page)."),
    wide: bool = WIDE_OPT,
    utc: bool = UTC_OPT,
    json_out: bool = JSON_OPT,
    csv_out: bool = CSV_OPT,
    tsv_out: bool = TSV_OPT,
) -> None:
    """List jobs: schedule, next run and time left, last run and its status, command.

    One line per job, never wider than the terminal: long commands end in '…' (--wide
    shows them whole). Times are in the machine's zone (--utc: UTC); LEFT is the time
    until the next run, PASSED the time since the last one.

    Examples:

    \b
      schedcli list
      schedcli list --wide
      schedcli list --csv > jobs.csv
    """
    from schedcli.cli import render

    fmt = output_format(json_out, csv_out, tsv_out)
    if limit is not None and limit < 1:
        raise InvalidValue(f"invalid --limit {limit}: use 1 or more")
    jobs = state_of(ctx).reader().iter_jobs(limit=limit, after=after)  # written as they are read
    if fmt == "json":
        from schedcli.cli.jobsjson import job_text

        render.print_json_texts(job_text(j) for j in jobs)
    elif fmt:
        render.print_delimited_rows((render.job_dict(j) for j in jobs), fmt)
    else:
        render.jobs_table(jobs, current_time().timestamp(), utc=utc, wide=wide)


@app.command(cls=Command)
def show(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME", help="The job."),
         utc: bool = UTC_OPT, json_out: bool = JSON_OPT) -> None:
    """Show one job in full, with its recent runs; times in the job's own zone.

    Examples:

    \b
      schedcli show backup
      schedcli show backup --utc
    """
    from schedcli.cli import render
    from schedcli.services.jobs import check_name

    check_name(name)
    store = state_of(ctx).reader()
    job = store.get_job(name)
    recent = store.history(job_id=job.id, limit=5)
    if json_out:
        doc = render.job_dict(job)
        doc["recent_runs"] = [render.run_dict(r) for r in recent]
        render.print_json(doc)
    else:
        render.job_detail(job, recent, current_time().timestamp(), utc=utc)


def _runs(n: int) -> str:
    return f"{n} run" if n == 1 else f"{n} runs"


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


@app.command(cls=Command)
def rm(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="The job to remove."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask (on a terminal, rm asks first)."),
    force: bool = typer.Option(False, "--force", help="Stop a run in progress, then remove the job."),
    json_out: bool = JSON_OPT,
) -> None:
    """Remove a job and its history (refused while it runs, unless --force).

    On a terminal it asks first (--yes: do not ask); a script (no terminal) is not asked.

    Examples:

    \b
      schedcli rm poll
      schedcli rm poll --yes
      schedcli rm poll --yes --force
    """
    from schedcli.cli import render
    from schedcli.services.jobs import check_name, remove_job

    check_name(name)
    store = state_of(ctx).store()
    if not yes and _stdin_is_terminal():
        store.get_job(name)  # an unknown job is an error before any question
        answer = typer.confirm(f"Remove job {name} and all its history?", default=False, err=True)
        if not answer:
            from schedcli.errors import RuntimeFailure

            raise RuntimeFailure(f"{name} was not removed")
    removed = remove_job(store, name, force=force, now=current_time())
    if json_out:
        render.print_json({"removed": name, "runs_removed": removed})
    else:
        render.message(f"Removed {name} and {_runs(removed)} of history")


def _set_enabled(ctx: typer.Context, name: str, enabled: Optional[bool], json_out: bool) -> None:
    from schedcli.cli import render
    from schedcli.services.jobs import check_name, set_enabled

    check_name(name)
    now = current_time()
    job = set_enabled(state_of(ctx).store(), name, enabled, now, current_boot())
    if json_out:
        render.print_json(render.job_dict(job))
    else:
        state = "enabled" if job.enabled else "disabled"
        nxt = f"; next run {_next_text(job, now.timestamp())}" if job.enabled and job.next_run_at else ""
        render.message(f"{job.name} is {state}{nxt}")


@app.command(cls=Command)
def enable(ctx: typer.Context, name: str = NAME_ARG, json_out: bool = JSON_OPT) -> None:
    """Enable a job (its next run is computed from now: time spent disabled is not missed).

    Examples:

    \b
      schedcli enable backup
    """
    _set_enabled(ctx, name, True, json_out)


@app.command(cls=Command)
def disable(ctx: typer.Context, name: str = NAME_ARG, json_out: bool = JSON_OPT) -> None:
    """Disable a job: it keeps its history but does not run.

    Examples:

    \b
      schedcli disable backup
    """
    _set_enabled(ctx, name, False, json_out)


@app.command(cls=Command)
def toggle(ctx: typer.Context, name: str = NAME_ARG, json_out: bool = JSON_OPT) -> None:
    """Enable a disabled job, or disable an enabled one.

    Examples:

    \b
      schedcli toggle backup
    """
    _set_enabled(ctx, name, None, json_out)
