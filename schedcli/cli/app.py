"""The command line: parse, call the engine, render. Errors become one ``Error:`` line."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer
from typer.core import TyperGroup

from schedcli import __version__
from schedcli.cli import options as opts
from schedcli.cli.signals import StopOnSignal


def _lazy_module(name: str):
    """Import ``name`` on first attribute access (rich costs ~40 ms; many paths never print a table)."""
    import importlib.util

    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.find_spec(name)
    loader = importlib.util.LazyLoader(spec.loader)
    spec.loader = loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    loader.exec_module(module)
    return module


render = _lazy_module(f"{__package__}.render")
from schedcli.errors import InvalidValue, SchedError, UsageError, error_line
from schedcli.model import STATUSES, JobSpec


class _Group(TyperGroup):
    """Turns every error into one ``Error: ...`` line on stderr and a documented exit code."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            rv = super().main(
                args=args, prog_name=prog_name or "schedcli", complete_var=complete_var,
                standalone_mode=False, **extra,
            )
        except SchedError as exc:
            _error(exc.message, exc.exit_code)
        except typer.Abort:
            _error("aborted", 1)
        except KeyboardInterrupt:
            _error("interrupted", 130)
        except Exception as exc:  # usage errors raised by the option parser
            code = getattr(exc, "exit_code", None)
            if isinstance(code, int) and hasattr(exc, "format_message"):
                text = exc.format_message()
                cmd = getattr(getattr(exc, "ctx", None), "command_path", None)
                if code == 2 and "--help" not in text and cmd:
                    text = f"{text} (see: {cmd} --help)"
                _error(text, code)
            raise
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


def _error(text: str, code: int) -> None:
    sys.stderr.write(error_line(text))
    sys.stderr.flush()
    sys.exit(code)


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    help="A job scheduler for one machine, backed by one SQLite file.\n\n"
    "Every due occurrence runs exactly once; history says what ran, when and how it ended.",
    epilog="Exit codes: 0 ok; 1 a run failed or a runtime failure; 2 invalid input; 130/143 stopped by SIGINT/SIGTERM.",
)


class Overlap(str, Enum):
    skip = "skip"
    allow = "allow"
    replace = "replace"


Status = Enum("Status", {s: s for s in STATUSES}, type=str)  # type: ignore[misc]


class CatchUp(str, Enum):
    latest = "latest"
    all = "all"
    none = "none"


class State:
    def __init__(self, db: Optional[Path]) -> None:
        self.db_option = db
        self._store = None
        self._config = None

    @property
    def db_path(self) -> Path:
        from schedcli.paths import resolve_db_path

        return resolve_db_path(str(self.db_option) if self.db_option else None)

    def store(self):  # -> Store
        if self._store is None:
            from schedcli.store import Store

            self._store = Store(self.db_path)
        return self._store

    def reader(self):  # -> Store
        """The database for a command that only reads: a missing file reads as empty
        and is not created."""
        if self._store is None:
            from schedcli.store import Store

            path = self.db_path
            self._store = Store(path) if path.exists() or path.is_symlink() else Store.empty(path)
        return self._store

    def config(self):  # -> Config
        if self._config is None:
            from schedcli import config

            self._config = config.load()
        return self._config

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _state(ctx: typer.Context) -> State:
    return ctx.find_root().obj


def _now():
    from schedcli.clock import SystemClock

    return SystemClock().now()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"schedcli {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    db: Optional[Path] = typer.Option(
        None, opts.DB.name, envvar=opts.DB.envvar, show_envvar=True, metavar=opts.DB.metavar, help=opts.DB.help,
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    ctx.obj = State(db)
    ctx.call_on_close(ctx.obj.close)


# -- option helpers --------------------------------------------------------------


def _duration(value: Optional[str], option: str) -> Optional[int]:
    if value is None:
        return None
    from schedcli.errors import InvalidDuration
    from schedcli.schedule import parse_duration

    try:
        return parse_duration(value)
    except InvalidDuration as exc:
        raise InvalidDuration(f"{option}: {exc.message}") from None


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
        timeout=_duration(timeout, "--timeout"),
        overlap=overlap.value if overlap else None,
        grace=_duration(grace, "--grace"),
        catch_up=catch_up.value if catch_up else None,
        retries=retries,
        retry_delay=_duration(retry_delay, "--retry-delay"),
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
JSON_OPT = typer.Option(False, opts.JSON.name, help=opts.JSON.help)
ON_FAILURE_OPT = typer.Option(None, "--on-failure", metavar="COMMAND", help="Shell command run when a run fails (details in SCHEDCLI_* variables).")
ON_SUCCESS_OPT = typer.Option(None, "--on-success", metavar="COMMAND", help="Shell command run when a run succeeds.")
ON_RECOVERY_OPT = typer.Option(None, "--on-recovery", metavar="COMMAND", help="Shell command run when a run succeeds after a failure.")
WEBHOOK_OPT = typer.Option(None, "--webhook", metavar="URL", help="POST each finished run as JSON to this http(s) URL.")


def _hooks(spec: JobSpec, on_failure, on_success, on_recovery, webhook) -> JobSpec:
    spec.on_failure, spec.on_success, spec.on_recovery, spec.webhook = on_failure, on_success, on_recovery, webhook
    return spec


# -- jobs ---------------------------------------------------------------------------


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
    from schedcli.services.jobs import add_job

    spec = _spec(cron, every, at, tz, timeout, overlap, grace, catch_up, env, cwd, description,
                 retries, retry_delay, collector, param, command)
    _hooks(spec, on_failure, on_success, on_recovery, webhook)
    spec.enabled = not disabled
    if spec.timezone is None:
        spec.timezone = _state(ctx).config().timezone
    job = add_job(_state(ctx).store(), name, spec, _now())
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
    job = edit_job(_state(ctx).store(), name, spec, _now())
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
    if limit is not None and limit < 1:
        raise InvalidValue(f"invalid --limit {limit}: use 1 or more")
    jobs = _state(ctx).reader().list_jobs(limit=limit, after=after)
    if json_out:
        render.print_json([render.job_dict(j) for j in jobs])
    else:
        render.jobs_table(jobs)


@app.command()
def show(ctx: typer.Context, name: str = typer.Argument(..., help="The job."), json_out: bool = JSON_OPT) -> None:
    """Show one job in full, with its recent runs."""
    from schedcli.services.jobs import check_name

    check_name(name)
    store = _state(ctx).reader()
    job = store.get_job(name)
    recent = store.history(job_id=job.id, limit=5)
    if json_out:
        doc = render.job_dict(job)
        doc["recent_runs"] = [render.run_dict(r) for r in recent]
        render.print_json(doc)
    else:
        render.job_detail(job, recent)


@app.command()
def rm(ctx: typer.Context, name: str = typer.Argument(..., help="The job to remove."), json_out: bool = JSON_OPT) -> None:
    """Remove a job and its history."""
    from schedcli.services.jobs import check_name, remove_job

    check_name(name)
    removed = remove_job(_state(ctx).store(), name)
    if json_out:
        render.print_json({"removed": name, "runs_removed": removed})
    else:
        render.message(f"Removed {name} and {removed} run(s) of history")


def _set_enabled(ctx: typer.Context, name: str, enabled: Optional[bool], json_out: bool) -> None:
    from schedcli.services.jobs import check_name, set_enabled

    check_name(name)
    job = set_enabled(_state(ctx).store(), name, enabled, _now())
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


# -- running -----------------------------------------------------------------------


def _engine(ctx: typer.Context, max_parallel: Optional[int] = None):
    from schedcli.engine import configured_engine
    from schedcli.process import prepare_runner

    prepare_runner()  # run, run-due and watch start jobs: adopt their orphans, catch ignored signals

    state = _state(ctx)
    return configured_engine(state.store(), state.config(), max_parallel)


@app.command()
def run(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="The job to run now."),
    force: bool = typer.Option(False, "--force", help="Run even if the job is already running."),
    json_out: bool = JSON_OPT,
) -> None:
    """Run a job now (trigger manual), wait for it and print its output.

    Exits 0 when the run ends success or warning, 1 otherwise.
    """
    from schedcli.services.jobs import check_name

    check_name(name)
    engine = _engine(ctx)
    with StopOnSignal(engine.stop.set) as signals:
        result = engine.run_now(name, force=force)
    stored = engine.store.get_output(result.id)
    output = stored[0] if stored else b""
    if json_out:
        render.print_json(render.run_dict(result, output.decode("utf-8", "replace")))
    else:
        render.write_output(output)
        sys.stderr.write(render.run_summary(result) + "\n")
    code = signals.exit_code()
    if code is not None:
        raise typer.Exit(code)
    raise typer.Exit(0 if result.ok else 1)


def _parse_now(value: Optional[str]) -> Optional[datetime]:
    if value is None:
        return None
    from schedcli.schedule import local_zone_name, parse_when

    return parse_when(value, local_zone_name())


@app.command("run-due")
def run_due(
    ctx: typer.Context,
    now: Optional[str] = typer.Option(None, opts.NOW.name, metavar=opts.NOW.metavar, help=opts.NOW.help),
    dry_run: bool = typer.Option(False, opts.DRY_RUN.name, help=opts.DRY_RUN.help),
    max_parallel: Optional[int] = typer.Option(None, opts.MAX_PARALLEL.name, metavar=opts.MAX_PARALLEL.metavar, help=opts.MAX_PARALLEL.help),
    json_out: bool = typer.Option(False, opts.JSON.name, help=opts.JSON.help),
) -> None:
    """Run everything due now, once, and wait for it: the command for the system cron.

    Exits 0 when nothing failed, 1 when a run failed, 143 on SIGTERM.
    """
    when = _parse_now(now)
    engine = _engine(ctx, max_parallel)
    with StopOnSignal(engine.stop.set) as signals:
        result = engine.tick(when, dry_run=dry_run)
    if dry_run:
        if json_out:
            render.print_json(render.planned_dicts(result.planned))
        else:
            render.planned_table(result.planned)
        return
    from schedcli.cli.cron_fastpath import report_tick

    raise typer.Exit(report_tick(result, json_out, signals.exit_code()))


@app.command()
def watch(
    ctx: typer.Context,
    max_parallel: Optional[int] = typer.Option(None, opts.MAX_PARALLEL.name, metavar=opts.MAX_PARALLEL.metavar, help=opts.MAX_PARALLEL.help),
) -> None:
    """Run the scheduler as a service: tick whenever something is due, until SIGTERM/SIGINT.

    Notices jobs added or changed by other processes within a second.
    """
    engine = _engine(ctx, max_parallel)

    def finished(run_obj) -> None:
        sys.stderr.write(render.run_summary(run_obj) + "\n")
        sys.stderr.flush()

    def warning(text: str) -> None:
        sys.stderr.write(f"schedcli watch: {text}\n")
        sys.stderr.flush()

    engine.on_finish = finished
    engine.on_warning = warning
    with StopOnSignal(engine.stop.set) as signals:
        sys.stderr.write(f"schedcli watch: pid {engine.pid}, database {engine.store.path}\n")
        sys.stderr.flush()
        engine.watch()
    code = signals.exit_code()
    raise typer.Exit(code if code is not None else 0)


# -- history and time ----------------------------------------------------------------


@app.command()
def history(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help="Only this job."),
    status: Optional[Status] = typer.Option(None, "--status", help="Only runs with this status."),
    limit: int = typer.Option(20, "--limit", metavar="N", help="Show at most N runs."),
    before: Optional[int] = typer.Option(None, "--before", metavar="RUN_ID", help="Only runs older than this run id (next page)."),
    json_out: bool = JSON_OPT,
) -> None:
    """Show recorded runs, newest first."""
    from schedcli.services.jobs import check_name

    if limit < 1:
        raise InvalidValue(f"invalid --limit {limit}: use 1 or more")
    store = _state(ctx).reader()
    job_id = None
    if name is not None:
        check_name(name)
        job_id = store.get_job(name).id
    runs = store.history(job_id=job_id, status=status.value if status else None, limit=limit, before_id=before)
    if json_out:
        render.print_json([render.run_dict(r) for r in runs])
    else:
        render.runs_table(runs)


@app.command()
def logs(
    ctx: typer.Context,
    run_id: int = typer.Argument(..., metavar="RUN_ID", help="The run (see history)."),
    json_out: bool = JSON_OPT,
) -> None:
    """Print the captured output (stdout and stderr together) of one run."""
    store = _state(ctx).reader()
    run_obj = store.get_run(run_id)
    stored = store.get_output(run_obj.id)
    hooks = store.hook_results(run_obj.id)
    output, truncated, total = stored if stored is not None else (b"", False, 0)
    if json_out:
        doc = render.run_dict(run_obj, output.decode("utf-8", "replace"))
        doc["output_truncated"] = truncated
        doc["output_bytes"] = total
        doc["hooks"] = [
            {"event": h["event"], "target": h["target"], "ok": bool(h["ok"]), "detail": h["detail"]}
            for h in hooks
        ]
        render.print_json(doc)
        return
    if stored is None:
        render.message(f"run #{run_obj.id} has no output ({run_obj.status})")
    else:
        render.write_output(output)
    if truncated:
        sys.stderr.write(f"(output truncated: {total} bytes written, head and tail kept)\n")
    for hook in hooks:
        state = "ok" if hook["ok"] else "FAILED"
        sys.stderr.write(f"({hook['target']} for {hook['event']}: {state}: {hook['detail']})\n")


@app.command("next")
def next_runs(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help="Only this job."),
    count: int = typer.Option(1, "--count", "-n", metavar="N", help="How many upcoming runs per job."),
    after: Optional[str] = typer.Option(None, "--after", metavar="WHEN", help="Start from this time instead of now."),
    cron: Optional[str] = typer.Option(None, "--cron", metavar="EXPR", help="Check a cron expression without a job."),
    every: Optional[str] = typer.Option(None, "--every", metavar="DURATION", help="Check an interval without a job (from now)."),
    tz: Optional[str] = typer.Option(None, "--tz", metavar="ZONE", help="Zone for --cron (default: the machine's zone)."),
    json_out: bool = JSON_OPT,
) -> None:
    """Show upcoming runs of jobs, or of an expression given with --cron / --every."""
    from schedcli import schedule as sched
    from schedcli.services.jobs import check_name, job_schedule
    from schedcli.schedule import local_zone_name, zone

    if count < 1 or count > 10000:
        raise InvalidValue(f"invalid --count {count}: use 1 to 10000")
    start = _parse_now(after) or _now()
    items: list[tuple[Optional[str], datetime]] = []
    zone_name = None
    title = None
    if cron is not None or every is not None:
        if name is not None:
            raise UsageError("give a job NAME or --cron/--every, not both")
        if cron is not None and every is not None:
            raise UsageError("give only one of --cron and --every")
        zone_name = tz or local_zone_name()
        zone(zone_name)
        if cron is not None:
            schedule = sched.make_schedule("cron", sched.validate_cron(cron), zone_name, None)
        else:
            sched.parse_duration(every)
            schedule = sched.make_schedule("every", every, zone_name, start)
        items = [(None, t) for t in _take(schedule, start, count)]
        kind, expr = ("cron", schedule.expr) if cron is not None else ("every", every.strip())
        title = f"{expr}: {sched.describe(kind, expr)} ({zone_name})"
    else:
        if tz is not None:
            raise UsageError("--tz goes with --cron; a job has its own zone")
        store = _state(ctx).reader()
        if name is not None:
            check_name(name)
            jobs = [store.get_job(name)]
        else:
            jobs = [j for j in store.list_jobs() if j.enabled and j.next_run_at is not None]
        for job in jobs:
            if not job.enabled or job.next_run_at is None:
                continue
            schedule = job_schedule(job)
            # the stored next run may be due already (runner not yet ticked)
            first = max(start, datetime.fromtimestamp(job.next_run_at - 1, start.tzinfo))
            items.extend((job.name, t) for t in _take(schedule, first, count))
        items.sort(key=lambda item: (item[1], item[0] or ""))
    if json_out:
        from schedcli.schedule import iso

        render.print_json([{"job": j, "at": iso(t)} for j, t in items])
    else:
        render.next_table(items, zone_name, title)


def _take(schedule, start: datetime, count: int) -> list[datetime]:
    from schedcli.engine import upcoming

    return upcoming(schedule, start, count)


@app.command()
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
    """
    from schedcli.services.jobs import check_name
    from schedcli.engine.retention import Retention

    if keep is not None and keep < 0:
        raise InvalidValue(f"invalid --keep {keep}: use 0 or more")
    no_auto = auto is False
    policy = Retention(older_than=_duration(older_than, "--older-than"), keep=keep)
    if auto and policy.empty:
        raise UsageError("--auto needs --older-than and/or --keep")
    if policy.empty and not no_auto:
        raise UsageError("give --older-than DURATION and/or --keep N")
    store = _state(ctx).store()
    job_id = None
    if job is not None:
        check_name(job)
        job_id = store.get_job(job).id
    now = _now().timestamp()
    with store.write():
        deleted = policy.apply(store, now, job_id=job_id, dry_run=dry_run) if not policy.empty else 0
        if not dry_run and (auto or no_auto):
            Retention.save(store, policy if auto else None)
    if json_out:
        render.print_json({"deleted": deleted, "dry_run": dry_run,
                           "auto": policy.to_dict() if auto else None if no_auto else Retention.load(store).to_dict()})
        return
    verb = "Would delete" if dry_run else "Deleted"
    render.message(f"{verb} {deleted} run(s)")
    if auto:
        render.message(f"Automatic pruning after every run: {policy.describe()}")
    elif no_auto:
        render.message("Automatic pruning is off")


@app.command()
def collectors(json_out: bool = JSON_OPT) -> None:
    """List collectors registered in the schedcli.collectors entry-point group."""
    from schedcli.collectors import registered

    found = registered()
    if json_out:
        render.print_json([{"name": k, "target": v} for k, v in sorted(found.items())])
        return
    if not found:
        render.message("No collectors registered (a package registers them in the 'schedcli.collectors' entry-point group).")
        return
    for key, value in sorted(found.items()):
        render.message(f"{key}  {value}")


config_app = typer.Typer(help="Show the configuration file and its values.", no_args_is_help=True)
app.add_typer(config_app, name="config")


@config_app.command("path")
def config_path_cmd(json_out: bool = JSON_OPT) -> None:
    """Print where the configuration file is read from."""
    from schedcli.config import config_path

    path = config_path()
    if json_out:
        render.print_json({"path": str(path), "exists": path.exists()})
    else:
        typer.echo(str(path))


@config_app.command("show")
def config_show(
    json_out: bool = JSON_OPT,
    example: bool = typer.Option(False, "--example", help="Print a commented example file instead."),
) -> None:
    """Show the configuration in effect (defaults for keys the file does not set)."""
    from schedcli import config

    if example:
        typer.echo(config.example(), nl=False)
        return
    loaded = config.load()
    if json_out:
        render.print_json(loaded.to_dict())
        return
    doc = loaded.to_dict()
    render.message(f"# {doc.pop('path')} ({'found' if doc.pop('exists') else 'not found: defaults'})")
    for key, value in doc.items():
        if isinstance(value, dict):
            for sub, subvalue in value.items():
                render.message(f"{key}.{sub} = {subvalue if subvalue is not None else '-'}")
        else:
            render.message(f"{key} = {value if value is not None else '-'}")


def main() -> None:
    app()


# Command groups kept in their own modules; each has register(app).
_EXTENSIONS: tuple[str, ...] = ("system", "transfer")


def _register_extensions() -> None:
    import importlib

    for module in _EXTENSIONS:
        importlib.import_module(f"{__package__}.{module}").register(app)


_register_extensions()
