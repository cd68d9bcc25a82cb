"""The commands that run jobs: ``run`` (one job now), ``run-due`` (what is due, once: for cron)
and ``watch`` (the service). Each builds its engine with :func:`_engine`, then runs it with
SIGTERM, SIGINT and SIGHUP turned into a stop request.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

from schedcli.cli.helptext import Command
from schedcli.cli import options as opts
from schedcli.cli.context import JSON_OPT, state_of, when_option
from schedcli.cli.signals import StopOnSignal

app = typer.Typer()


def _engine(ctx: typer.Context, max_parallel: Optional[int] = None):
    """The engine of ``run``, ``run-due`` and ``watch``: where each of them starts as a runner."""
    from schedcli.engine import configured_engine
    from schedcli.process import prepare_runner

    prepare_runner()  # run, run-due and watch start jobs: adopt their orphans, catch ignored signals
    state = state_of(ctx)
    from schedcli.cli.cron_fastpath import warn_on_stderr

    engine = configured_engine(state.store(), state.config(), max_parallel)
    engine.on_warning = warn_on_stderr  # watch says more: it replaces it
    return engine


@app.command(cls=Command)
def run(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="The job to run now."),
    force: bool = typer.Option(False, "--force", help="Run even if the job is already running."),
    cron_env: bool = typer.Option(
        False, "--cron-env",
        help="Run it with the environment cron gives it (HOME, LOGNAME, SHELL=/bin/sh and cron's PATH "
        "only, plus the job's --env), to see what cron will do.",
    ),
    json_out: bool = JSON_OPT,
) -> None:
    """Run a job now (trigger manual) and show its output as it comes.

    The output is printed as the job writes it, byte for byte; each retry is announced on
    stderr as it is scheduled (attempt 2 of 3 in 30s), and a summary line follows on
    stderr. Exits 0 when the run ends success or warning, 1 otherwise. The run is
    recorded in history. With --json nothing is printed until the run ends.

    With --cron-env the run gets what cron gives a job, as env -i would: PATH is the one
    the crontab entry sets (see: schedcli cron show), else cron's /usr/bin:/bin. A job
    that works with run but fails with run --cron-env will fail under cron.

    Examples:

    \b
      schedcli run backup
      schedcli run backup --cron-env
      schedcli run backup --json
    """
    from schedcli.cli import render
    from schedcli.services.jobs import check_name

    check_name(name)
    if cron_env:
        raise typer.Exit(_run_with_cron_env(ctx, name, force, json_out))
    from schedcli.cli.live import LiveTerminal, same_terminal

    engine = _engine(ctx)
    live = LiveTerminal(stream=not json_out)  # --json: stdout holds the document only
    engine.callbacks.on_output = live.output
    engine.callbacks.on_retry = live.retry
    try:
        with StopOnSignal(engine.stop.set) as signals:
            result = engine.run_now(name, force=force)
    finally:
        live.close()
    stored = engine.store.get_output(result.id)
    output = stored[0] if stored else b""
    if json_out:
        render.print_json(render.run_dict(result, output.decode("utf-8", "replace")))
    else:
        if output and not live.streamed.get(result.id):
            # nothing came through the pipe (a process that could not start): what was stored
            render.write_output(output)
            live.ends_in_newline = output.endswith(b"\n")
        # the summary starts its own line on a terminal, stdout staying byte for byte
        lead = "\n" if not live.ends_in_newline and same_terminal() else ""
        sys.stderr.write(lead + render.run_summary(result) + "\n")
    code = signals.exit_code()
    if code is not None:
        raise typer.Exit(code)
    raise typer.Exit(0 if result.ok else 1)


def _run_with_cron_env(ctx: typer.Context, name: str, force: bool, json_out: bool) -> int:
    """``run NAME`` again in a schedcli started the way cron starts it: the environment
    cron gives (and nothing else), the absolute program path of the crontab entry."""
    import os
    import subprocess

    from schedcli.system.cron_env import cron_environment, cron_view
    from schedcli.system.entrypoint import absolute_db, schedcli_argv

    state = state_of(ctx)
    db = absolute_db(state.db_path)
    state.store().get_job(name)  # an unknown job is an error here, in the usual words
    view = cron_view(db)
    home = os.environ.get("HOME") or os.path.expanduser("~")
    env = cron_environment(view.path, home, _user_name())
    shown = " ".join(f"{k}={v}" for k, v in env.items())
    sys.stderr.write(f"Running {name} with cron's environment: {shown}\n")
    sys.stderr.flush()
    argv = [*schedcli_argv(), "--db", str(db), "run", name] + (["--force"] if force else []) + (
        ["--json"] if json_out else [])
    child = subprocess.Popen(argv, env=env, cwd=home if os.path.isdir(home) else "/")
    with StopOnSignal(child.terminate):
        while True:
            try:
                return child.wait()
            except KeyboardInterrupt:  # pragma: no cover - SIGINT is handled by StopOnSignal
                child.terminate()


def _user_name() -> str | None:
    import os

    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return os.environ.get("LOGNAME") or os.environ.get("USER")


@app.command("run-due", cls=Command)
def run_due(
    ctx: typer.Context,
    now: Optional[str] = typer.Option(None, opts.NOW.name, metavar=opts.NOW.metavar, help=opts.NOW.help),
    dry_run: bool = typer.Option(False, opts.DRY_RUN.name, help=opts.DRY_RUN.help),
    max_parallel: Optional[int] = typer.Option(None, opts.MAX_PARALLEL.name, metavar=opts.MAX_PARALLEL.metavar, help=opts.MAX_PARALLEL.help),
    json_out: bool = typer.Option(False, opts.JSON.name, help=opts.JSON.help),
) -> None:
    """Run everything due now, once, and wait for it: the command for the system cron.

    Prints one line per run, each starting with the time it ended (ISO 8601), for cron's
    log. Exits 0 when nothing failed, 1 when a run failed, 143 on SIGTERM.

    --now runs what is due at that time, and records it in history for real: the runs
    happen, later occurrences count as missed, and each job's next run moves past it.
    To only look, add --dry-run.

    Examples:

    \b
      schedcli run-due
      schedcli run-due --dry-run
      schedcli run-due --now '2026-12-24 18:00' --dry-run
    """
    when = when_option(now)
    engine = _engine(ctx, max_parallel)
    with StopOnSignal(engine.stop.set) as signals:
        result = engine.tick(when, dry_run=dry_run)
    if dry_run:
        from schedcli.cli import render

        if json_out:
            render.print_json(render.planned_dicts(result.planned))
        else:
            render.planned_table(result.planned, result.now.timestamp())
        return
    from schedcli.cli.cron_fastpath import refresh_metrics, report_tick

    code = report_tick(result, json_out, signals.exit_code())
    refresh_metrics(engine.store, state_of(ctx).config().metrics_textfile, engine.clock.now().timestamp())
    raise typer.Exit(code)


@app.command(cls=Command)
def watch(
    ctx: typer.Context,
    max_parallel: Optional[int] = typer.Option(None, opts.MAX_PARALLEL.name, metavar=opts.MAX_PARALLEL.metavar, help=opts.MAX_PARALLEL.help),
) -> None:
    """Run the scheduler as a service: tick whenever something is due, until SIGTERM, SIGINT or SIGHUP.

    Notices jobs added or changed by other processes within a second. Writes one line
    per run to stderr, each starting with an ISO 8601 time. Runs intervals under a
    minute on time (cron runs run-due once a minute).

    Examples:

    \b
      schedcli watch
      schedcli watch --max-parallel 8
    """
    # Imported here, before any run starts: finished() is called from worker threads.
    import time

    from schedcli.cli.cron_fastpath import log_stamp
    from schedcli.serialize import run_summary

    engine = _engine(ctx, max_parallel)

    def finished(run_obj) -> None:
        sys.stderr.write(f"{log_stamp(run_obj.finished_at or time.time())} {run_summary(run_obj)}\n")
        sys.stderr.flush()

    def warning(text: str) -> None:
        sys.stderr.write(f"{log_stamp(time.time())} schedcli watch: {text}\n")
        sys.stderr.flush()

    engine.on_finish = finished
    engine.on_warning = warning
    metrics = _textfile_updater(ctx, engine, warning)
    if metrics is not None:
        def finished_then_metrics(run_obj) -> None:
            finished(run_obj)
            metrics.request()

        engine.on_finish = finished_then_metrics
    with StopOnSignal(engine.stop.set) as signals:
        sys.stderr.write(f"{log_stamp(time.time())} schedcli watch: pid {engine.pid}, database {engine.store.path}\n")
        sys.stderr.flush()
        try:
            engine.watch()
        finally:
            if metrics is not None:
                metrics.close()
    code = signals.exit_code()
    raise typer.Exit(code if code is not None else 0)


def _textfile_updater(ctx: typer.Context, engine, warning):
    """With ``metrics_textfile`` set, what rewrites it after every tick and finished run of
    ``watch`` (and at least at every heartbeat), in a thread of its own; else None."""
    textfile = state_of(ctx).config().metrics_textfile
    if textfile is None:
        return None
    from schedcli.services.metrics import TextfileUpdater

    updater = TextfileUpdater(engine.store.path, textfile, engine.clock,
                              lambda text: warning(f"metrics textfile not written: {text}"))
    engine.callbacks.on_tick = updater.request
    return updater.start()
