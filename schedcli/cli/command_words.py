"""``add`` and ``edit`` read ``NAME [OPTIONS] [-- COMMAND [ARG...]]`` strictly.

The option parser alone would take ``schedcli add --every 5m -- echo hi`` for a job
named ``echo`` running ``hi``, and ``add x --every 5m ls --tz UTC`` for ``ls`` with
schedcli's own ``--tz``. Before parsing, :class:`JobCommand` checks the words:

- a ``--`` with no NAME before it is an error: NAME is missing;
- an option after the command's first word (given without ``--``) is an error: it would
  silently become schedcli's; the message shows where ``--`` goes.
"""

from __future__ import annotations

import shlex
from typing import Any

from schedcli.cli.helptext import Command
from schedcli.errors import UsageError

HELP_NAMES = ("-h", "--help")


def _value_options(command: Any) -> set[str]:
    names: set[str] = set()
    for param in command.params:
        if param.param_type_name == "option" and not getattr(param, "is_flag", False) and not getattr(param, "count", False):
            names.update(param.opts)
    return names


def check_words(command: Any, path: str, args: list[str]) -> None:
    """Raise :class:`UsageError` for a missing NAME or an option after the command word."""
    dash = args.index("--") if "--" in args else None
    head = args if dash is None else args[:dash]
    if any(a in HELP_NAMES for a in head):
        return  # --help wins
    takes_value = _value_options(command)
    positions = []
    i = 0
    while i < len(head):
        word = head[i]
        if word.startswith("-") and word != "-":
            i += 2 if (word in takes_value and "=" not in word) else 1
            continue
        positions.append(i)
        i += 1
    if not positions:
        if dash is not None:
            cmd = " ".join(shlex.quote(w) for w in args[dash + 1:]) or "COMMAND"
            raise UsageError(f"missing NAME: give the job's name first: {path} NAME [OPTIONS] -- {cmd}")
        return  # the parser reports the missing NAME
    if len(positions) < 2:
        return
    first = positions[1]
    later = [w for w in head[first + 1:] if w.startswith("-") and w != "-"]
    if not later:
        return
    fixed = head[:first] + ["--"] + head[first:] + ([] if dash is None else args[dash + 1:])
    shown = " ".join(shlex.quote(w) for w in fixed)
    raise UsageError(
        f"{later[0]} comes after the command {head[first]!r}: schedcli would take it for its own "
        f"option. Put schedcli's options first and -- before a command that has options: {path} {shown}"
    )


class JobCommand(Command):
    """A command whose arguments are ``NAME [OPTIONS] [-- COMMAND [ARG...]]``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing:
            check_words(self, ctx.command_path, list(args))
        return super().parse_args(ctx, args)
