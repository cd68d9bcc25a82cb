"""Commands that look after the scheduler itself: ``status``, ``health``, ``stats``,
``cron install|uninstall|show`` and ``systemd unit``.

Parsing and rendering only: the logic is in :mod:`schedcli.services.status` and
:mod:`schedcli.system`. Registered by :mod:`schedcli.cli.app` through ``register(app)``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer

from schedcli.errors import InvalidDuration, SchedError

if TYPE_CHECKING:
    from rich.text import Text


class _Lazy:
    """``render`` imported on first use: rich costs tens of milliseconds at every start."""

    def __getattr__(self, name: str):
        from schedcli.cli import render as module

        return getattr(module, name)


render = _Lazy()

_JSON = typer.Option(False, "--json", help="Print one JSON document.")
_OVERDUE = typer.Option(
    "2m", "--overdue-after", metavar="DURATION",
    help="An enabled job whose next run is older than this is overdue.",
)

HEALTH_EPILOG = (
    "Exit codes: 0 healthy; 1 unhealthy (one line per problem on stdout, or with --json "
    "{healthy, problems}); 2 invalid option."
)


def _state(ctx: typer.Context):  # -> schedcli.cli.State
    return ctx.find_root().obj


def _now():
    from schedcli.clock import SystemClock

    return SystemClock().now()


def _duration(value: str, option: str) -> int:
    from schedcli.schedule import parse_duration

    try:
        return parse_duration(value)
    except InvalidDuration as exc:
        raise InvalidDuration(f"{option}: {exc.message}") from None


def _open_existing(ctx: typer.Context):
    """The database, without creating it (a probe must not leave files behind)."""
    from schedcli.store import Store

    return Store(_state(ctx).db_path, create=False)


def _cron_installed(db: Path) -> Optional[bool]:
    from schedcli.system import IntegrationError, cron_installed

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


def _seconds(value: Optional[float]) -> str:
    from schedcli.schedule import format_duration

    if value is None:
        return "-"
    if value < 60:
        return f"{value:.2f}s" if value < 10 else f"{value:.1f}s"
    return format_duration(value)


# -- status and health --------------------------------------------------------------------


def status(
    ctx: typer.Context,
    overdue_after: str = _OVERDUE,
    json_out: bool = _JSON,
) -> None:
    """Is a runner alive? Last tick, cron entry, and how many jobs are enabled, running, failing, overdue."""
    from schedcli.services.status import collect_status, status_dict

    after = _duration(overdue_after, "--overdue-after")
    with _open_existing(ctx) as store:
        st = collect_status(store, _now(), overdue_after=after, cron_installed=_cron_installed(store.path))
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
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        render.message(f"{key.ljust(width)}  {value}")


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
    json_out: bool = _JSON,
) -> None:
    """A monitoring probe: exit 0 when healthy, 1 with one line per problem otherwise."""
    from schedcli.services.status import collect_status, problems

    tick_age = _duration(max_tick_age, "--max-tick-age")
    after = _duration(overdue_after, "--overdue-after")
    try:
        with _open_existing(ctx) as store:
            st = collect_status(store, _now(), overdue_after=after)
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


# -- stats ------------------------------------------------------------------------------------

_OUTCOME = {  # status -> (unicode, ascii, style)
    "success": ("✓", "+", "green"),
    "warning": ("!", "!", "yellow"),
    "error": ("✗", "x", "red"),
    "timeout": ("⧖", "T", "red"),
    "interrupted": ("⊘", "I", "magenta"),
}
_BARS = "▁▂▃▄▅▆▇█"
_BARS_ASCII = "_.:-=+*#"


def _unicode_ok() -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        ("".join(v[0] for v in _OUTCOME.values()) + _BARS).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def outcome_strip(recent: list[tuple[str, Optional[float]]], unicode: bool = True) -> "Text":
    from rich.text import Text

    text = Text()
    for status_, _ in recent:
        glyph, ascii_, style = _OUTCOME.get(status_, ("?", "?", ""))
        text.append(glyph if unicode else ascii_, style=style)
    return text


def sparkline(values: list[Optional[float]], unicode: bool = True) -> str:
    """One bar per value between the smallest and the largest (a gap for an unknown duration)."""
    bars = _BARS if unicode else _BARS_ASCII
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    lo, hi = min(known), max(known)
    out = []
    for v in values:
        if v is None:
            out.append(" ")
        elif hi == lo:
            out.append(bars[len(bars) // 2 - 1])
        else:
            out.append(bars[min(len(bars) - 1, int((v - lo) / (hi - lo) * (len(bars) - 1) + 0.5))])
    return "".join(out)


def stats(
    ctx: typer.Context,
    name: Optional[str] = typer.Argument(None, help="Only this job."),
    since: Optional[str] = typer.Option(None, "--since", metavar="DURATION", help="Only runs started within this long (e.g. 7d) [default: all]."),
    json_out: bool = _JSON,
) -> None:
    """Runs, success rate, p50/p95 duration, last failure and recent outcomes per job."""
    from schedcli.services.stats import compute_stats, stats_dict
    from schedcli.services.jobs import check_name
    from schedcli.schedule import local_text

    window = _duration(since, "--since") if since is not None else None
    store = _state(ctx).store()
    job = None
    if name is not None:
        check_name(name)
        job = store.get_job(name)
    result = compute_stats(store, _now(), since=window, job=job)
    if json_out:
        render.print_json([stats_dict(s) for s in result])
        return
    from rich import box
    from rich.table import Table
    from rich.text import Text

    out = render.console()
    if not result:
        out.print(Text("No jobs yet. Add one: schedcli add NAME --every 5m -- COMMAND"))
        return
    unicode = _unicode_ok()
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, safe_box=True)
    for column in ("JOB", "RUNS", "OK", "P50", "P95", "LAST FAILURE", "RECENT", "DURATIONS"):
        table.add_column(column, overflow="fold", no_wrap=column in ("RECENT", "DURATIONS"))
    for s in result:
        rate = "-" if s.success_rate is None else f"{s.success_rate * 100:.0f}%"
        rate_style = "" if s.success_rate is None else "green" if s.failures == 0 else "red" if s.success_rate < 0.5 else "yellow"
        last = "-" if s.last_failure_at is None else f"{local_text(s.last_failure_at)} {s.last_failure_status}"
        table.add_row(
            s.job,
            str(s.runs),
            Text(rate, style=rate_style),
            _seconds(s.p50_s),
            _seconds(s.p95_s),
            Text(last, style="red" if s.last_failure_at else ""),
            outcome_strip(s.recent, unicode),
            Text(sparkline([d for _, d in s.recent], unicode), style="cyan"),
        )
    out.print(table)
    shown = max(len(s.recent) for s in result)
    if shown:
        legend = "  ".join(f"{v[0] if unicode else v[1]} {k}" for k, v in _OUTCOME.items())
        out.print(Text(f"RECENT and DURATIONS: the last {shown} runs, oldest first; {legend}", style="dim"))


def _raw(line: str) -> None:
    """A line to copy as is (never wrapped to the terminal's width)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# -- cron -----------------------------------------------------------------------------------

cron_app = typer.Typer(
    no_args_is_help=True,
    help="Run 'schedcli run-due' every minute from your crontab (one entry per database).",
)

_LOG = typer.Option(
    None, "--log", metavar="FILE",
    help="Append run-due's output here [default: $XDG_STATE_HOME/schedcli/cron.log].",
)


@cron_app.command("install")
def cron_install(ctx: typer.Context, log: Optional[Path] = _LOG, json_out: bool = _JSON) -> None:
    """Add (or update) the crontab line for this database; every other line is kept as it is."""
    from schedcli.system import install_cron

    store = _state(ctx).store()  # creates the database now and checks it is safe for cron to use
    action, state = install_cron(store.path, log)
    if json_out:
        render.print_json({"action": action, "db": str(state.db), "marker": state.marker,
                           "entry": state.entry, "log": str(state.log)})
        return
    verb = {"installed": "Installed", "updated": "Updated", "unchanged": "Already installed:"}[action]
    render.message(f"{verb} the crontab entry for {state.db}")
    _raw(f"  {state.entry}")
    render.message(f"Output is appended to {state.log}")


@cron_app.command("uninstall")
def cron_uninstall(ctx: typer.Context, json_out: bool = _JSON) -> None:
    """Remove this database's crontab line; every other line is kept as it is."""
    from schedcli.system import absolute_db, uninstall_cron

    db = absolute_db(_state(ctx).db_path)
    action, _ = uninstall_cron(db)
    if json_out:
        render.print_json({"action": action, "db": str(db)})
    elif action == "removed":
        render.message(f"Removed the crontab entry for {db}")
    else:
        render.message(f"No crontab entry for {db} was installed; nothing changed")


@cron_app.command("show")
def cron_show(ctx: typer.Context, log: Optional[Path] = _LOG, json_out: bool = _JSON) -> None:
    """Print the crontab line for this database and whether it is installed."""
    from schedcli.system import (
        IntegrationError,
        absolute_db,
        cron_entry,
        cron_state,
        crontab_program,
        default_log_path,
        marker_line,
    )

    db = absolute_db(_state(ctx).db_path)
    error = None
    try:
        st = cron_state(db, log)
        entry, installed, current, up_to_date, log_path = st.entry, st.installed, st.current, st.up_to_date, st.log
    except IntegrationError as exc:
        error = exc.message
        log_path = absolute_db(log) if log is not None else default_log_path()
        entry, installed, current, up_to_date = cron_entry(db, log_path), None, None, None
    if json_out:
        render.print_json({"db": str(db), "marker": marker_line(db), "entry": entry, "log": str(log_path),
                           "installed": installed, "up_to_date": up_to_date, "current_entry": current,
                           "crontab": crontab_program(), "error": error})
        return
    _raw(marker_line(db))
    _raw(entry)
    if installed is None:
        render.message(f"installed: unknown ({error})")
    elif not installed:
        render.message("installed: no (run: schedcli cron install)")
    elif up_to_date:
        render.message("installed: yes")
    else:
        render.message(f"installed: yes, but differs: {current or '(marker without entry)'} (run: schedcli cron install)")


# -- systemd ----------------------------------------------------------------------------------

systemd_app = typer.Typer(
    no_args_is_help=True,
    help="Run 'schedcli watch' as a systemd user service (an alternative to the crontab entry).",
)


@systemd_app.command("unit")
def systemd_unit(
    ctx: typer.Context,
    install: bool = typer.Option(False, "--install", help="Write it to $XDG_CONFIG_HOME/systemd/user/schedcli.service instead of printing it."),
    force: bool = typer.Option(False, "--force", help="With --install: replace a schedcli.service that schedcli did not generate."),
) -> None:
    """Print a systemd user unit running 'schedcli watch' for this database (Restart=on-failure)."""
    from schedcli.system import LINGER_HINT, SYSTEMD_HINT, install_unit, unit_text

    state = _state(ctx)
    if not install:
        if force:
            from schedcli.errors import UsageError

            raise UsageError("--force goes with --install")
        sys.stdout.write(unit_text(state.db_path))
        sys.stdout.flush()
        return
    store = state.store()  # the service must find a usable database
    action, path = install_unit(store.path, force=force)
    verb = {"installed": "Wrote", "updated": "Updated", "unchanged": "Unchanged:"}[action]
    render.message(f"{verb} {path}")
    render.message("Start it (and at every login) with:")
    render.message(f"  {SYSTEMD_HINT}")
    render.message(f"  {LINGER_HINT}")


def register(app: typer.Typer) -> None:
    app.command("status")(status)
    app.command("health", epilog=HEALTH_EPILOG)(health)
    app.command("stats")(stats)
    app.add_typer(cron_app, name="cron")
    app.add_typer(systemd_app, name="systemd")
