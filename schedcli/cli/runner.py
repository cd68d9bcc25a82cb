"""The commands that run jobs: ``run`` (one job now), ``run-due`` (what is due, once: for cron)
and ``watch`` (the service). Each builds its engine with :func:`_engine`, then runs it with
SIGTERM/SIGINT turned into a stop request.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer

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
    from schedcli.cli import render
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
    when = when_option(now)
    engine = _engine(ctx, max_parallel)
    with StopOnSignal(engine.stop.set) as signals:
        result = engine.tick(when, dry_run=dry_run)
    if dry_run:
        from schedcli.cli import render

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
    # Imported here, before any run starts: finished() is called from worker threads.
    from schedcli.serialize import run_summary

    engine = _engine(ctx, max_parallel)

    def finished(run_obj) -> None:
        sys.stderr.write(run_summary(run_obj) + "\n")
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
