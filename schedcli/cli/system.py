"""Commands that fit schedcli into the system: ``config path|show`` (the configuration file),
``cron install|uninstall|show`` (the crontab entry running ``run-due``) and ``systemd unit``
(the user service running ``watch``).

Parsing and rendering only: the logic is in :mod:`schedcli.config` and :mod:`schedcli.system`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer

from schedcli.cli.helptext import Command, Group
from schedcli.cli.context import JSON_OPT, state_of
from schedcli.errors import UsageError

app = typer.Typer()


def _raw(line: str) -> None:
    """A line to copy as is (never wrapped to the terminal's width)."""
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


# -- config ---------------------------------------------------------------------------------

config_app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    help="Show the configuration file and its values.\n\n"
    "Examples:\n\n\b\n  schedcli config path\n  schedcli config show --example",
)
app.add_typer(config_app, name="config")


@config_app.command("path", cls=Command)
def config_path_cmd(json_out: bool = JSON_OPT) -> None:
    """Print where the configuration file is read from.

    Examples:

    \b
      schedcli config path
    """
    from schedcli.cli import render
    from schedcli.config import config_path

    path = config_path()
    if json_out:
        render.print_json({"path": str(path), "exists": path.exists()})
    else:
        typer.echo(str(path))


@config_app.command("show", cls=Command)
def config_show(
    json_out: bool = JSON_OPT,
    example: bool = typer.Option(False, "--example", help="Print a commented example file instead."),
) -> None:
    """Show the configuration in effect (defaults for keys the file does not set).

    Examples:

    \b
      schedcli config show
      schedcli config show --example > ~/.config/schedcli/config.toml
    """
    from schedcli.cli import render
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


# -- cron -----------------------------------------------------------------------------------

cron_app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    help="Run 'schedcli run-due' every minute from your crontab (one entry per database).\n\n"
    "Examples:\n\n\b\n  schedcli cron install\n  schedcli cron show\n  schedcli cron uninstall",
)
app.add_typer(cron_app, name="cron")

_LOG = typer.Option(
    None, "--log", metavar="FILE",
    help="Append run-due's output here [default: $XDG_STATE_HOME/schedcli/cron.log].",
)


_PATH_OPT = typer.Option(
    None, "--path", metavar="DIRS",
    help="PATH for the jobs, colon-separated [default: your PATH now, absolute directories only, "
    "plus /usr/bin:/bin].",
)


def _jobs_path(path: Optional[str]) -> str:
    import os

    from schedcli.system.cron_env import cron_path_for_jobs

    return cron_path_for_jobs(path if path is not None else os.environ.get("PATH"))


@cron_app.command("install", cls=Command)
def cron_install(ctx: typer.Context, log: Optional[Path] = _LOG, path: Optional[str] = _PATH_OPT,
                 json_out: bool = JSON_OPT) -> None:
    """Add (or update) the crontab line for this database; every other line is kept as it is.

    The line sets PATH for the jobs: your PATH at install time (or --path), so that a
    job finds the programs it finds in your shell. Cron itself would give only
    /usr/bin:/bin. Install again after changing your PATH; schedcli cron show prints it.

    Examples:

    \b
      schedcli cron install
      schedcli cron install --path /home/me/bin:/usr/local/bin:/usr/bin:/bin
      schedcli cron install --log /var/tmp/schedcli.log
    """
    from schedcli.cli import render
    from schedcli.system.crontab_entry import install_cron

    store = state_of(ctx).store()  # creates the database now and checks it is safe for cron to use
    action, state = install_cron(store.path, log, _jobs_path(path))
    if json_out:
        render.print_json({"action": action, "db": str(state.db), "marker": state.marker,
                           "entry": state.entry, "log": str(state.log), "path": state.path})
        return
    verb = {"installed": "Installed", "updated": "Updated", "unchanged": "Already installed:"}[action]
    render.message(f"{verb} the crontab entry for {state.db}")
    _raw(f"  {state.entry}")
    render.message(f"Jobs run with PATH={state.path}")
    render.message(f"Output is appended to {state.log}")


@cron_app.command("uninstall", cls=Command)
def cron_uninstall(ctx: typer.Context, json_out: bool = JSON_OPT) -> None:
    """Remove this database's crontab line; every other line is kept as it is.

    Examples:

    \b
      schedcli cron uninstall
    """
    from schedcli.cli import render
    from schedcli.system.crontab_entry import uninstall_cron
    from schedcli.system.entrypoint import absolute_db

    db = absolute_db(state_of(ctx).db_path)
    action, _ = uninstall_cron(db)
    if json_out:
        render.print_json({"action": action, "db": str(db)})
    elif action == "removed":
        render.message(f"Removed the crontab entry for {db}")
    else:
        render.message(f"No crontab entry for {db} was installed; nothing changed")


@cron_app.command("show", cls=Command)
def cron_show(ctx: typer.Context, log: Optional[Path] = _LOG, path: Optional[str] = _PATH_OPT,
              json_out: bool = JSON_OPT) -> None:
    """Print the crontab line install would write for this database, and whether it is installed.

    Examples:

    \b
      schedcli cron show
      schedcli cron show --json
    """
    from schedcli.cli import render
    from schedcli.system.cron_env import entry_path
    from schedcli.system.crontab_entry import cron_entry, cron_state, crontab_program, default_log_path, marker_line
    from schedcli.system.entrypoint import IntegrationError, absolute_db

    db = absolute_db(state_of(ctx).db_path)
    jobs_path = _jobs_path(path)
    error = None
    try:
        st = cron_state(db, log, jobs_path)
        entry, installed, current, up_to_date, log_path = st.entry, st.installed, st.current, st.up_to_date, st.log
    except IntegrationError as exc:
        error = exc.message
        log_path = absolute_db(log) if log is not None else default_log_path()
        entry, installed, current, up_to_date = cron_entry(db, log_path, path=jobs_path), None, None, None
    if json_out:
        render.print_json({"db": str(db), "marker": marker_line(db), "entry": entry, "log": str(log_path),
                           "path": jobs_path, "installed": installed, "up_to_date": up_to_date,
                           "current_entry": current, "current_path": entry_path(current),
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
    if installed:
        from schedcli.system.cron_env import DEFAULT_CRON_PATH

        given = entry_path(current)
        render.message(f"jobs get PATH={given}" if given else f"jobs get PATH={DEFAULT_CRON_PATH} (cron's own)")


# -- systemd ----------------------------------------------------------------------------------

systemd_app = typer.Typer(
    cls=Group,
    no_args_is_help=True,
    help="Run 'schedcli watch' as a systemd user service (an alternative to the crontab entry).\n\n"
    "Examples:\n\n\b\n  schedcli systemd unit --install\n  systemctl --user enable --now schedcli",
)
app.add_typer(systemd_app, name="systemd")


@systemd_app.command("unit", cls=Command)
def systemd_unit(
    ctx: typer.Context,
    install: bool = typer.Option(False, "--install", help="Write it to $XDG_CONFIG_HOME/systemd/user/ instead of printing it: schedcli.service for the default database, schedcli-NAME-HASH.service for another."),
    force: bool = typer.Option(False, "--force", help="With --install: replace a unit of that name that schedcli did not generate."),
) -> None:
    """Print a systemd user unit running 'schedcli watch' for this database (Restart=on-failure).

    Examples:

    \b
      schedcli systemd unit
      schedcli systemd unit --install
    """
    from schedcli.system.systemd_unit import LINGER_HINT, install_unit, systemd_hint, unit_text

    state = state_of(ctx)
    if not install:
        if force:
            raise UsageError("--force goes with --install")
        sys.stdout.write(unit_text(state.db_path))
        sys.stdout.flush()
        return
    from schedcli.cli import render

    store = state.store()  # the service must find a usable database
    action, path = install_unit(store.path, force=force)
    verb = {"installed": "Wrote", "updated": "Updated", "unchanged": "Unchanged:"}[action]
    render.message(f"{verb} {path}")
    render.message("Start it (and at every login) with:")
    render.message(f"  {systemd_hint(store.path)}")
    render.message(f"  {LINGER_HINT}")
