"""Commands that watch over the scheduler: ``status`` (is a runner alive, what is failing or
overdue), ``health`` (the same as a monitoring probe's exit code) and ``stats`` (per-job numbers).

Parsing and rendering only: the logic is in :mod:`schedcli.services.status`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from schedcli.cli.context import JSON_OPT, current_time, duration_option, state_of
from schedcli.errors import SchedError

app = typer.Typer()

_OVERDUE = typer.Option(
    "2m", "--overdue-after", metavar="DURATION",
    help="An enabled job whose next run is older than this is overdue.",
)

HEALTH_EPILOG = (
    "Exit codes: 0 healthy; 1 unhealthy (one line per problem on stdout, or with --json "
    "{healthy, problems}); 2 invalid option."
)


def _open_existing(ctx: typer.Context):
    """The database, without creating it (a probe must not leave files behind)."""
    from schedcli.store import Store

    return Store(state_of(ctx).db_path, create=False)


def _cron_installed(db: Path) -> Optional[bool]:
    from schedcli.system.crontab_entry import cron_installed
    from schedcli.system.entrypoint import IntegrationError

    try:
        return cron_installed(db)
    except IntegrationError:
        return None


def _ago(seconds: Optional[float]) -> str:
    from schedcli.schedule import format_duration

    if seconds is None:
        return "never"
    if seconds < 0:
        return f"in {format_duration(int(-seconds))}"
    return f"{format_duration(int(seconds))} ago"


@app.command("status")
def status(
    ctx: typer.Context,
    overdue_after: str = _OVERDUE,
    json_out: bool = JSON_OPT,
) -> None:
    """Is a runner alive? Last tick, cron entry, and how many jobs are enabled, running, failing, overdue."""
    from schedcli.cli import render
    from schedcli.services.status import collect_status, status_dict

    after = duration_option(overdue_after, "--overdue-after")
    with _open_existing(ctx) as store:
        st = collect_status(store, current_time(), overdue_after=after, cron_installed=_cron_installed(store.path))
    if json_out:
        render.print_json(status_dict(st))
        return
    if st.watches:
        watch = "; ".join(f"pid {w.pid}, heartbeat {_ago(w.heartbeat_age_s)}" for w in st.watches)
    else:
        watch = "not running"
    if st.stale_runners:
        watch += f" ({st.stale_runners} stopped without saying so)"
    cron = {True: "installed", False: "not installed", None: "unknown (no crontab program)"}[st.cron_installed]
    from schedcli.schedule import local_text

    tick = "never" if st.last_tick_at is None else f"{local_text(st.last_tick_at)} ({_ago(st.last_tick_age_s)})"
    jobs = f"{st.jobs} ({st.enabled} enabled, {len(st.running)} running, {len(st.failing)} failing, {len(st.overdue)} overdue)"
    rows = [("database", st.db), ("watch", watch), ("last tick", tick), ("cron entry", cron), ("jobs", jobs)]
    if st.running:
        rows.append(("running", ", ".join(st.running)))
    if st.failing:
        rows.append(("failing", ", ".join(f"{f.job} ({f.status})" for f in st.failing)))
    if st.overdue:
        rows.append(("overdue", ", ".join(f"{o.job} (due {_ago(o.late_s)})" for o in st.overdue)))
    if st.clock_warning:
        rows.append(("clock", st.clock_warning))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        render.message(f"{key.ljust(width)}  {value}")


@app.command("health", epilog=HEALTH_EPILOG)
def health(
    ctx: typer.Context,
    max_tick_age: str = typer.Option(
        "3m", "--max-tick-age", metavar="DURATION",
        help="Unhealthy when no runner ticked (or live watch beat) within this long.",
    ),
    overdue_after: str = _OVERDUE,
    fail_on_failed_runs: bool = typer.Option(
        False, "--fail-on-failed-runs", help="Also unhealthy when an enabled job's last run failed.",
    ),
    json_out: bool = JSON_OPT,
) -> None:
    """A monitoring probe: exit 0 when healthy, 1 with one line per problem otherwise."""
    from schedcli.cli import render
    from schedcli.services.status import collect_status, problems

    tick_age = duration_option(max_tick_age, "--max-tick-age")
    after = duration_option(overdue_after, "--overdue-after")
    try:
        with _open_existing(ctx) as store:
            st = collect_status(store, current_time(), overdue_after=after)
        found = problems(st, max_tick_age=tick_age, fail_on_failed_runs=fail_on_failed_runs)
    except SchedError as exc:  # missing, unsafe or corrupt database: a problem, not a crash
        st = None
        found = [" ".join(exc.message.split())]
    if json_out:
        render.print_json({"healthy": not found, "problems": found})
    elif found:
        for line in found:
            render.message(line)
    else:
        assert st is not None
        render.message(
            f"healthy: last runner activity {_ago(st.now - st.last_activity_at if st.last_activity_at else None)}, "
            f"{st.enabled} enabled job(s), none overdue"
        )
    raise typer.Exit(1 if found else 0)


@app.command("stats")
def stats(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help="Only this job."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DURATION", help="Only runs started within this long (e.g. 7d) [default: all]."),
    json_out: bool = JSON_OPT,
) -> None:
    """Runs, success rate, p50/p95 duration, last failure and recent outcomes per job."""
    from schedcli.cli import render
    from schedcli.services.stats import compute_stats, stats_dict
    from schedcli.services.jobs import check_name

    window = duration_option(since, "--since") if since is not None else None
    store = state_of(ctx).store()
    job = None
    if name is not None:
        check_name(name)
        job = store.get_job(name)
    result = compute_stats(store, current_time(), since=window, job=job)
    if json_out:
        render.print_json([stats_dict(s) for s in result])
        return
    render.stats_table(result)

