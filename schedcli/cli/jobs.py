"""Commands that change or show job definitions: ``add``, ``edit``, ``list``, ``show``, ``rm``,
``enable``, ``disable``, ``toggle``.

Parsing and rendering only: validation and the writes are in :mod:`schedcli.services.jobs`.
"""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from schedcli.cli.context import JSON_OPT, current_time, duration_option, state_of
from schedcli.errors import InvalidValue, UsageError
from schedcli.model import JobSpec

app = typer.Typer()


class Overlap(str, Enum):
    skip = "skip"
    allow = "allow"
    replace = "replace"


class CatchUp(str, Enum):
    latest = "latest"
    all = "all"
    none = "none"


def _schedule_choice(cron: Optional[str], every: Optional[str], at: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    given = [(k, v) for k, v in (("cron", cron), ("every", every), ("at", at)) if v is not None]
    if len(given) > 1:
        raise UsageError("give only one of --cron, --every and --at")
    return given[0] if given else (None, None)


def _spec(
    cron, every, at, tz, timeout, overlap, grace, catch_up, env, cwd, description, retries,
    retry_delay, collector, params, command,
) -> JobSpec:
    from schedcli.services.jobs import parse_env, parse_params
    from schedcli.schedule import zone

    kind, expr = _schedule_choice(cron, every, at)
    if tz is not None:
        zone(tz)
    if retries is not None and retries < 0:
        raise InvalidValue(f"invalid --retries {retries}: use 0 or more")
    return JobSpec(
        kind=kind,
        expr=expr,
        timezone=tz,
        command=list(command) if command else None,
        collector=collector,
        params=parse_params(params) if params else None,
        env=parse_env(env) if env else None,
        cwd=cwd,
        timeout=duration_option(timeout, "--timeout"),
        overlap=overlap.value if overlap else None,
        grace=duration_option(grace, "--grace"),
        catch_up=catch_up.value if catch_up else None,
        retries=retries,
        retry_delay=duration_option(retry_delay, "--retry-delay"),
        description=description,
    )


CRON_OPT = typer.Option(None, "--cron", metavar="EXPR", help="Cron expression: 5 fields or @hourly/@daily/@weekly/@monthly/@yearly.")
EVERY_OPT = typer.Option(None, "--every", metavar="DURATION", help="Fixed interval such as 30m or 2d (first run one period from now).")
AT_OPT = typer.Option(None, "--at", metavar="WHEN", help="Run once at this ISO 8601 time (in --tz unless it has an offset).")
TZ_OPT = typer.Option(None, "--tz", metavar="ZONE", help="IANA time zone for the schedule (default: the machine's zone).")
TIMEOUT_OPT = typer.Option(None, "--timeout", metavar="DURATION", help="Kill the run's process group after this long.")
OVERLAP_OPT = typer.Option(None, "--overlap", help="When the previous run is still running: skip (default), allow, or replace it.")
GRACE_OPT = typer.Option(None, "--grace", metavar="DURATION", help="How late an occurrence may still start (default: 1h).")
CATCH_OPT = typer.Option(None, "--catch-up", help="After missed occurrences: run the latest (default), all within grace, or none.")
ENV_OPT = typer.Option(None, "--env", metavar="KEY=VALUE", help="Environment variable for the job (repeatable).")
CWD_OPT = typer.Option(None, "--cwd", metavar="DIR", help="Working directory (default: your home directory).")
DESC_OPT = typer.Option(None, "--description", metavar="TEXT", help="A note shown by show and list --json.")
RETRIES_OPT = typer.Option(None, "--retries", metavar="N", help="Retry a failed or timed-out run up to N times.")
RETRY_DELAY_OPT = typer.Option(None, "--retry-delay", metavar="DURATION", help="Delay before the first retry, doubling each time (default: 1m).")
COLLECTOR_OPT = typer.Option(None, "--collector", metavar="REF", help="Run a Python collector (registered name or module:function) instead of a command.")
PARAM_OPT = typer.Option(None, "--param", metavar="KEY=VALUE", help="Parameter passed to the collector (repeatable).")
ON_FAILURE_OPT = typer.Option(None, "--on-failure", metavar="COMMAND", help="Shell command run when a run fails (details in SCHEDCLI_* variables).")
ON_SUCCESS_OPT = typer.Option(None, "--on-success", metavar="COMMAND", help="Shell command run when a run succeeds.")
ON_RECOVERY_OPT = typer.Option(None, "--on-recovery", metavar="COMMAND", help="Shell command run when a run succeeds after a failure.")
WEBHOOK_OPT = typer.Option(None, "--webhook", metavar="URL", help="POST each finished run as JSON to this http(s) URL.")


def _hooks(spec: JobSpec, on_failure, on_success, on_recovery, webhook) -> JobSpec:
    spec.on_failure, spec.on_success, spec.on_recovery, spec.webhook = on_failure, on_success, on_recovery, webhook
    return spec



@app.command()
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Job name: letters, digits, '.', '_' or '-'."),
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
    json_out: bool = JSON_OPT,
) -> None:
    """Add a job: a command or a collector, on a cron expression, an interval or once."""
    from schedcli.cli import render
    from schedcli.services.jobs import add_job

    spec = _spec(cron, every, at, tz, timeout, overlap, grace, catch_up, env, cwd, description,
                 retries, retry_delay, collector, param, command)
    _hooks(spec, on_failure, on_success, on_recovery, webhook)
    spec.enabled = not disabled
    if spec.timezone is None:
        spec.timezone = state_of(ctx).config().timezone
    job = add_job(state_of(ctx).store(), name, spec, current_time())
    if json_out:
        render.print_json(render.job_dict(job))
    else:
        nxt = "disabled" if not job.enabled else render.local_text(job.next_run_at)
        render.message(f"Added {job.name}: {render.schedule_text(job)} ({job.timezone}); next run {nxt}")


@app.command()
def edit(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The job to change."),
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
    no_hooks: bool = typer.Option(False, "--no-hooks", help="Remove the job's hooks and webhook."),
    json_out: bool = JSON_OPT,
) -> None:
    """Change a job; options not given keep their value (--env and --param replace the whole set)."""
    from schedcli.cli import render
    from schedcli.services.jobs import check_name, edit_job

    check_name(name)
    spec = _spec(cron, every, at, tz, timeout, overlap, grace, catch_up, env, cwd, description,
                 retries, retry_delay, collector, param, command)
    _hooks(spec, on_failure, on_success, on_recovery, webhook)
    if no_hooks:
        if any((on_failure, on_success, on_recovery, webhook)):
            raise UsageError("give hooks or --no-hooks, not both")
        spec.clear.update({"on_failure", "on_success", "on_recovery", "webhook"})
    if no_timeout:
        if timeout is not None:
            raise UsageError("give --timeout or --no-timeout, not both")
        spec.clear.add("timeout")
    job = edit_job(state_of(ctx).store(), name, spec, current_time())
    if json_out:
        render.print_json(render.job_dict(job))
    else:
        render.message(f"Changed {job.name}: {render.schedule_text(job)} ({job.timezone})")


@app.command("list")
def list_jobs(
    ctx: typer.Context,
    limit: Optional[int] = typer.Option(None, "--limit", metavar="N", help="Show at most N jobs (default: all)."),
    after: Optional[str] = typer.Option(None, "--after", metavar="NAME", help="Only jobs whose name sorts after NAME (next page)."),
    json_out: bool = JSON_OPT,
) -> None:
    """List jobs with their schedule, next run and last outcome."""
    from schedcli.cli import render

    if limit is not None and limit < 1:
        raise InvalidValue(f"invalid --limit {limit}: use 1 or more")
    jobs = state_of(ctx).reader().list_jobs(limit=limit, after=after)
    if json_out:
        render.print_json([render.job_dict(j) for j in jobs])
    else:
        render.jobs_table(jobs)


@app.command()
def show(ctx: typer.Context, name: str = typer.Argument(..., help="The job."), json_out: bool = JSON_OPT) -> None:
    """Show one job in full, with its recent runs."""
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
        render.job_detail(job, recent)


@app.command()
def rm(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The job to remove."),
    force: bool = typer.Option(False, "--force", help="Stop a run in progress, then remove the job."),
    json_out: bool = JSON_OPT,
) -> None:
    """Remove a job and its history (refused while it runs, unless --force)."""
    from schedcli.cli import render
    from schedcli.services.jobs import check_name, remove_job

    check_name(name)
    removed = remove_job(state_of(ctx).store(), name, force=force, now=current_time())
    if json_out:
        render.print_json({"removed": name, "runs_removed": removed})
    else:
        render.message(f"Removed {name} and {removed} run(s) of history")


def _set_enabled(ctx: typer.Context, name: str, enabled: Optional[bool], json_out: bool) -> None:
    from schedcli.cli import render
    from schedcli.services.jobs import check_name, set_enabled

    check_name(name)
    job = set_enabled(state_of(ctx).store(), name, enabled, current_time())
    if json_out:
        render.print_json(render.job_dict(job))
    else:
        state = "enabled" if job.enabled else "disabled"
        nxt = f"; next run {render.local_text(job.next_run_at)}" if job.enabled and job.next_run_at else ""
        render.message(f"{job.name} is {state}{nxt}")


@app.command()
def enable(ctx: typer.Context, name: str = typer.Argument(..., help="The job."), json_out: bool = JSON_OPT) -> None:
    """Enable a job (its next run is computed from now)."""
    _set_enabled(ctx, name, True, json_out)


@app.command()
def disable(ctx: typer.Context, name: str = typer.Argument(..., help="The job."), json_out: bool = JSON_OPT) -> None:
    """Disable a job: it keeps its history but does not run."""
    _set_enabled(ctx, name, False, json_out)


@app.command()
def toggle(ctx: typer.Context, name: str = typer.Argument(..., help="The job."), json_out: bool = JSON_OPT) -> None:
    """Enable a disabled job, or disable an enabled one."""
    _set_enabled(ctx, name, None, json_out)

