"""Commands that watch over the scheduler: ``status`` (is a runner alive, what is failing or
overdue), ``health`` (the same as a monitoring probe's exit code) and ``stats`` (per-job numbers).

Parsing and rendering only: the logic is in :mod:`schedcli.services.status`.
"""

from __future__ import annotations

from enum import Enum
import sys
from pathlib import Path
from typing import Optional

import typer

from schedcli.cli.helptext import Command
from schedcli.cli.context import (
    CSV_OPT, JSON_OPT, TSV_OPT, UTC_OPT, WIDE_OPT, current_time, duration_option, output_format, state_of,
)
from schedcli.errors import SchedError

app = typer.Typer()

_OVERDUE = typer.Option(
    "2m", "--overdue-after", metavar="DURATION",
    help="An enabled job whose next run is older than this is overdue.",
)

HEALTH_EPILOG = (
    "Exit codes: 0 healthy; 1 unhealthy, or no database yet (one line per problem on stdout, "
    "or with --json {healthy, problems}); 2 invalid option. With --format nagios: 0 OK, "
    "1 WARNING, 2 CRITICAL, 3 UNKNOWN, and nothing else."
)


class HealthFormat(str, Enum):
    text = "text"
    json = "json"
    nagios = "nagios"


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


def _missing_db(ctx: typer.Context) -> Optional[Path]:
    """The database path when it does not exist yet (a fresh install), else None."""
    path = state_of(ctx).db_path
    return None if path.exists() or path.is_symlink() else path


@app.command("status", cls=Command)
def status(
    ctx: typer.Context,
    overdue_after: str = _OVERDUE,
    json_out: bool = JSON_OPT,
) -> None:
    """Is a runner alive? Last tick, cron entry, and how many jobs are enabled, running, failing, overdue.

    On a fresh install (no database yet) it says so and exits 0; it never creates the
    database. For a probe's exit code, see schedcli health.

    Examples:

    \b
      schedcli status
      schedcli status --json
    """
    from schedcli.cli import render, timefmt
    from schedcli.services.status import collect_status, status_dict
    from schedcli.store import Store

    after = duration_option(overdue_after, "--overdue-after")
    missing = _missing_db(ctx)
    store = Store.empty(missing) if missing is not None else _open_existing(ctx)
    with store:
        st = collect_status(store, current_time(), overdue_after=after, cron_installed=_cron_installed(store.path))
    if json_out:
        doc = status_dict(st)
        doc["db_exists"] = missing is None
        render.print_json(doc)
        return
    if st.watches:
        watch = "; ".join(f"pid {w.pid}, heartbeat {_ago(w.heartbeat_age_s)}" for w in st.watches)
    else:
        watch = "not running"
    if st.stale_runners:
        watch += f" ({st.stale_runners} stopped without saying so)"
    cron = {True: "installed", False: "not installed", None: "unknown (no crontab program)"}[st.cron_installed]
    zone_name = timefmt.display_zone()
    tick = "never" if st.last_tick_at is None else (
        f"{timefmt.full_time(st.last_tick_at, zone_name)} ({_ago(st.last_tick_age_s)})")
    jobs = f"{st.jobs} ({st.enabled} enabled, {len(st.running)} running, {len(st.failing)} failing, {len(st.overdue)} overdue)"
    db = st.db if missing is None else f"{st.db} (no database yet: the first 'schedcli add' creates it)"
    rows = [("database", db), ("watch", watch), ("last tick", tick), ("cron entry", cron), ("jobs", jobs)]
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


@app.command("health", cls=Command, epilog=HEALTH_EPILOG)
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
    fmt: HealthFormat = typer.Option(
        HealthFormat.text, "--format",
        help="text; json (as --json); nagios: one line 'SCHEDCLI STATE - ... | perfdata' and the "
        "exit code of a Nagios plugin: CRITICAL when an enabled job's last run failed or no runner "
        "ticked, WARNING when a job is overdue, UNKNOWN when the database cannot be read.",
    ),
    json_out: bool = JSON_OPT,
) -> None:
    """A monitoring probe: exit 0 when healthy, 1 with one line per problem otherwise.

    Unhealthy: no runner ticked recently, a job is overdue, the database is missing (a
    fresh install: nothing is scheduled yet) or unusable. It never creates the database.

    Examples:

    \b
      schedcli health
      schedcli health --max-tick-age 5m --fail-on-failed-runs
      schedcli health --format nagios
    """
    if fmt is HealthFormat.nagios:
        raise typer.Exit(_nagios(ctx, max_tick_age, overdue_after, json_out))
    from schedcli.cli import render
    from schedcli.services.status import collect_status, problems

    json_out = json_out or fmt is HealthFormat.json
    tick_age = duration_option(max_tick_age, "--max-tick-age")
    after = duration_option(overdue_after, "--overdue-after")
    missing = _missing_db(ctx)
    st = None
    if missing is not None:
        found = [f"no database yet at {missing} (it does not exist): nothing is scheduled; "
                 "add a job with schedcli add, then install a runner (schedcli cron install)"]
    else:
        try:
            with _open_existing(ctx) as store:
                st = collect_status(store, current_time(), overdue_after=after)
            found = problems(st, max_tick_age=tick_age, fail_on_failed_runs=fail_on_failed_runs)
        except SchedError as exc:  # unsafe or corrupt database: a problem, not a crash
            found = [" ".join(exc.message.split())]
    if json_out:
        render.print_json({"healthy": not found, "problems": found})
    elif found:
        for line in found:
            render.message(line)
    else:
        assert st is not None
        jobs = f"{st.enabled} enabled job{'' if st.enabled == 1 else 's'}"
        render.message(
            f"healthy: last runner activity {_ago(st.now - st.last_activity_at if st.last_activity_at else None)}, "
            f"{jobs}, none overdue"
        )
    raise typer.Exit(1 if found else 0)


def _nagios(ctx: typer.Context, max_tick_age: str, overdue_after: str, json_out: bool) -> int:
    """``health --format nagios``: print the line, return 0-3. Whatever goes wrong, even an
    invalid option, is UNKNOWN (3) in one line, never an Error line or a traceback."""
    from schedcli.services.status import NAGIOS_UNKNOWN, collect_status, nagios_check, nagios_line

    try:
        if json_out:
            raise SchedError("give --json or --format nagios, not both")
        tick_age = duration_option(max_tick_age, "--max-tick-age")
        after = duration_option(overdue_after, "--overdue-after")
        missing = _missing_db(ctx)
        if missing is not None:
            code, line = NAGIOS_UNKNOWN, nagios_line(
                NAGIOS_UNKNOWN, f"no database at {missing.absolute()}: nothing is scheduled there")
        else:
            with _open_existing(ctx) as store:
                st = collect_status(store, current_time(), overdue_after=after)
            code, line = nagios_check(st, max_tick_age=tick_age)
    except SchedError as exc:
        code, line = NAGIOS_UNKNOWN, nagios_line(NAGIOS_UNKNOWN, exc.message)
    except Exception as exc:  # noqa: BLE001 - a plugin answers UNKNOWN, whatever happened
        code, line = NAGIOS_UNKNOWN, nagios_line(NAGIOS_UNKNOWN, f"{type(exc).__name__}: {exc}")
    sys.stdout.write(line + "\n")
    sys.stdout.flush()
    return code


@app.command("stats", cls=Command)
def stats(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, metavar="[NAME]", help="Only this job."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DURATION", help="Only runs started within this long (e.g. 7d) [default: all]."),
    wide: bool = WIDE_OPT,
    utc: bool = UTC_OPT,
    json_out: bool = JSON_OPT,
    csv_out: bool = CSV_OPT,
    tsv_out: bool = TSV_OPT,
) -> None:
    """Runs, success rate, p50/p95 duration, last failure and recent outcomes per job.

    RECENT shows the outcome of each of the last runs and DURATIONS their lengths as bars,
    oldest first; on a narrow terminal they keep the newest runs.

    Examples:

    \b
      schedcli stats
      schedcli stats backup --since 7d
      schedcli stats --csv
    """
    from schedcli.cli import render
    from schedcli.services.stats import iter_stats, stats_dict
    from schedcli.services.jobs import check_name

    fmt = output_format(json_out, csv_out, tsv_out)
    window = duration_option(since, "--since") if since is not None else None
    store = state_of(ctx).reader()
    job = None
    if name is not None:
        check_name(name)
        job = store.get_job(name)
    now = current_time()
    result = iter_stats(store, now, since=window, job=job)  # job by job, written as it comes
    if fmt == "json":
        from schedcli.cli.statsjson import stats_text

        render.print_json_texts(stats_text(s) for s in result)
    elif fmt:
        render.print_delimited_rows((stats_dict(s) for s in result), fmt)
    else:
        from schedcli.cli.stats_table import stats_table

        stats_table(result, now.timestamp(), utc=utc, wide=wide)
