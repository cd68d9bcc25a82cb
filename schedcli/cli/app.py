"""The root command: the global options, the one error boundary, and the command groups.

Each command group is a module with its own ``typer.Typer()``, joined here with
``add_typer`` (:func:`build_app`). Without a name, a group's commands stay top-level
(``schedcli add``); ``config``, ``cron`` and ``systemd`` are named groups inside
:mod:`schedcli.cli.system`. A start builds only the command it runs (:func:`app_for`);
``app`` is the whole tree, for the docs, the tests and ``schedcli --help``.

Every error ends here: a :class:`schedcli.errors.SchedError` or a usage error becomes one
``Error: ...`` line on stderr and its exit code, never a traceback.

Cheap to import: this module imports no command module until one is asked for, and
command modules import what they use (the store, the engine, rich) inside the command
functions.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any, Optional

import typer

from schedcli import __version__
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


def _after_global_options(args: list[str]) -> list[str]:
    """The arguments after the root's options that take a value (``[--db PATH] COMMAND ...``)."""
    rest = list(args)
    while rest and rest[0].startswith(opts.DB.name):
        del rest[:1 if "=" in rest[0] else 2]
    return rest


def _nagios_requested(args: list[str]) -> bool:
    """Do these arguments ask for ``health --format nagios``? (``[--db PATH] health ...``)"""
    rest = _after_global_options(args)
    if not rest or rest[0] != "health":
        return False
    words = rest[1:]
    return "--format=nagios" in words or any(
        a == "--format" and b == "nagios" for a, b in zip(words, words[1:]))


def _error(text: str, code: int) -> None:
    sys.stderr.write(error_line(text))
    sys.stderr.flush()
    sys.exit(code)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"schedcli {__version__}")
        raise typer.Exit()


def main_callback(
    ctx: typer.Context,
    db: Optional[Path] = typer.Option(
        None, opts.DB.name, envvar=opts.DB.envvar, show_envvar=True, metavar=opts.DB.metavar, help=opts.DB.help,
    ),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version and exit."),
) -> None:
    ctx.obj = State(db)
    ctx.call_on_close(ctx.obj.close)


# Each command word and the module of schedcli.cli that registers it. A start builds the
# click command of the one command it runs, not all of them (building every command's
# parameters was a fifth of the start of a command such as ``show``); an unknown word,
# no word, or --help of the root builds the whole tree. tests/test_cli_start.py checks
# this table against the tree.
COMMAND_MODULES = {
    **dict.fromkeys(("add", "edit", "rename", "list", "show", "rm", "enable", "disable", "toggle"), "jobs"),
    **dict.fromkeys(("run", "run-due", "watch"), "runner"),
    **dict.fromkeys(("history", "logs", "next", "prune"), "runs"),
    "collectors": "collectors",
    **dict.fromkeys(("status", "health", "stats"), "monitor"),
    "metrics": "metrics",
    **dict.fromkeys(("export", "import"), "transfer"),
    **dict.fromkeys(("config", "cron", "systemd"), "system"),
    "completion": "completion",
}
# the modules in the order of ``schedcli --help``
_MODULE_ORDER = tuple(dict.fromkeys(COMMAND_MODULES.values()))


def _root() -> typer.Typer:
    """The root command, its options and callback, without commands."""
    root = typer.Typer(
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
    root.callback()(main_callback)
    return root


def _module_app(module: str) -> typer.Typer:
    return importlib.import_module(f"schedcli.cli.{module}").app


def build_app() -> typer.Typer:
    """The whole command tree."""
    root = _root()
    for module in _MODULE_ORDER:
        root.add_typer(_module_app(module))
    return root


def app_for(args: list[str]) -> typer.Typer:
    """The tree that can run ``args``: the root with only the command they name, or the
    whole tree when they name none that :data:`COMMAND_MODULES` knows."""
    rest = _after_global_options(args)
    word = rest[0] if rest else None
    module = COMMAND_MODULES.get(word) if word else None
    if module is None:
        return build_app()
    found = _module_app(module)
    root = _root()
    root.registered_commands = [c for c in found.registered_commands if command_name(c) == word]
    root.registered_groups = [g for g in found.registered_groups if g.name == word]
    return root


def command_name(info: "typer.models.CommandInfo") -> str:
    """The word that runs a registered command (as Typer names it)."""
    return info.name or typer.main.get_command_name(info.callback.__name__)


def __getattr__(name: str) -> Any:
    # ``app``: the whole tree, built when first asked for (docs, tests, completion)
    if name == "app":
        tree = globals()["app"] = build_app()
        return tree
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    app_for(sys.argv[1:])()
