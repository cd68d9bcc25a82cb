"""``schedcli metrics``: Prometheus metrics on stdout, or into a textfile for node_exporter.

Parsing only: the metrics are :mod:`schedcli.services.metrics`. Runners configured with
``metrics_textfile`` rewrite the same file after every tick
(:func:`schedcli.cli.cron_fastpath.refresh_metrics`, and a
:class:`~schedcli.services.metrics.TextfileUpdater` beside ``watch``).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from schedcli.cli.context import state_of
from schedcli.cli.helptext import Command

app = typer.Typer()

METRICS_EPILOG = "Exit codes: 0 written; 1 the database or the textfile cannot be used; 2 invalid option."


@app.command("metrics", cls=Command, epilog=METRICS_EPILOG)
def metrics(
    ctx: typer.Context,
    textfile: Optional[Path] = typer.Option(
        None, "--textfile", metavar="PATH",
        help="Write them to this .prom file instead (atomically, mode 0644), for node_exporter's "
        "textfile collector.",
    ),
) -> None:
    """Print the jobs' and runners' state as Prometheus metrics (text exposition format).

    Per job, labelled job: schedcli_job_last_run_timestamp_seconds,
    _last_success_timestamp_seconds, _last_duration_seconds, _last_exit_code,
    _failing, _running, _next_run_timestamp_seconds, _enabled, and the counter
    schedcli_job_runs_total by status. Per live watch: schedcli_runner_heartbeat_age_seconds.
    For any runner: schedcli_last_tick_timestamp_seconds. It never creates the database.

    With metrics_textfile = PATH in config.toml, run-due and watch rewrite that file after
    every tick.

    Examples:

    \b
      schedcli metrics
      schedcli metrics --textfile /var/lib/node_exporter/textfile/schedcli.prom
    """
    from schedcli.cli.context import current_time
    from schedcli.services import metrics as service

    path = service.check_textfile(textfile) if textfile is not None else None
    store = state_of(ctx).reader()
    now = current_time().timestamp()
    if path is not None:
        service.refresh_textfile(store, path, now)
        return
    data = service.exposition(store, now)
    sys.stdout.flush()
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()

