"""The root command: the global options, the one error boundary, and the command groups.

Each command group is a module with its own ``typer.Typer()``, joined here with
``app.add_typer``. Without a name, a group's commands stay top-level (``schedcli add``);
``config``, ``cron`` and ``systemd`` are named groups inside :mod:`schedcli.cli.system`.
The order below is the order of ``schedcli --help``.

Every error ends here: a :class:`schedcli.errors.SchedError` or a usage error becomes one
``Error: ...`` line on stderr and its exit code, never a traceback.

Cheap to import: command modules import what they use (the store, the engine, rich)
inside the command functions.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Optional

import typer

from schedcli import __version__
from schedcli.cli import collectors, completion, jobs, metrics, monitor, runner, runs, system, transfer
from schedcli.cli import options as opts
from schedcli.cli.context import State
from schedcli.cli.helptext import Group
from schedcli.errors import SchedError, error_line


class _Group(Group):
    """Turns every error into one ``Error: ...`` line on stderr and a documented exit code."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if _nagios_requested(sys.argv[1:] if args is None else list(args)):
            return self._main_as_plugin(args, complete_var, **extra)
        try:
            rv = super().main(
                args=args, prog_name="schedcli", complete_var=complete_var,
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
                ctx = getattr(exc, "ctx", None)
                if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
                    # a group given no command: its help, as --help shows it
                    sys.stdout.write(ctx.get_help() + "\n")
                    sys.stdout.flush()
                    sys.exit(0)
                from schedcli.cli.usage_errors import usage_message

                text = usage_message(exc)
                cmd = getattr(ctx, "command_path", None)
                if code == 2 and "--help" not in text and cmd:
                    text = f"{text} (see: {cmd} --help)"
                _error(text, code)
            raise
        if not standalone_mode:
            return rv
        sys.exit(rv if isinstance(rv, int) else 0)


    def _main_as_plugin(self, args: Any, complete_var: Any, **extra: Any) -> Any:
        """``health --format nagios``: an error of any kind, even in the options, is one
        ``SCHEDCLI UNKNOWN - ...`` line on stdout and exit code 3, as Nagios expects."""
        from schedcli.services.status import NAGIOS_UNKNOWN, nagios_line

        try:
            rv = super().main(args=args, prog_name="schedcli", complete_var=complete_var,
                              standalone_mode=False, **extra)
        except SystemExit:
            raise
        except SchedError as exc:
            text = exc.message
        except BaseException as exc:  # noqa: BLE001 - usage errors, interrupts, anything
            if isinstance(getattr(exc, "exit_code", None), int) and hasattr(exc, "format_message"):
                from schedcli.cli.usage_errors import usage_message

                text = usage_message(exc)
            else:
                text = f"{type(exc).__name__} {exc}".strip()
        else:
            sys.exit(rv if isinstance(rv, int) else 0)
        sys.stdout.write(nagios_line(NAGIOS_UNKNOWN, text) + "\n")
        sys.stdout.flush()
        sys.exit(NAGIOS_UNKNOWN)


def _nagios_requested(args: list[str]) -> bool:
    """Do these arguments ask for ``health --format nagios``? (``[--db PATH] health ...``)"""
    rest = list(args)
    while rest and rest[0].startswith(opts.DB.name):
        del rest[:1 if "=" in rest[0] else 2]
    if not rest or rest[0] != "health":
        return False
    words = rest[1:]
    return "--format=nagios" in words or any(
        a == "--format" and b == "nagios" for a, b in zip(words, words[1:]))


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
    "Every due occurrence runs exactly once; history says what ran, when and how it ended. "
    "Run 'schedcli COMMAND --help' for a command's options and examples.\n\n"
    "Examples:\n\n"
    "\b\n"
    "  schedcli add hello --every 1m -- 'echo hello from schedcli'\n"
    "  schedcli run hello\n"
    "  schedcli cron install\n"
    "  schedcli list",
    epilog="Exit codes: 0 ok; 1 a run failed or a runtime failure; 2 invalid input; 130/143 stopped by SIGINT/SIGTERM.",
)


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


app.add_typer(jobs.app)  # add edit rename list show rm enable disable toggle
app.add_typer(runner.app)  # run run-due watch
app.add_typer(runs.app)  # history logs next prune
app.add_typer(collectors.app)  # collectors
app.add_typer(monitor.app)  # status health stats
app.add_typer(metrics.app)  # metrics
app.add_typer(transfer.app)  # export import
app.add_typer(system.app)  # config, cron, systemd (named groups)
app.add_typer(completion.app)  # completion


def main() -> None:
    app()
