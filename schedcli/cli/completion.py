"""``schedcli completion bash|zsh|fish``: the completion script shipped in the package."""

from __future__ import annotations

import sys
from enum import Enum

import typer

from schedcli.cli.helptext import Command

app = typer.Typer()

#: Where each script is, inside the package (schedcli/share/completions).
SCRIPTS = {"bash": "schedcli.bash", "zsh": "_schedcli", "fish": "schedcli.fish"}


class Shell(str, Enum):
    bash = "bash"
    zsh = "zsh"
    fish = "fish"


def script_text(shell: str) -> str:
    from importlib.resources import files

    return (files("schedcli") / "share" / "completions" / SCRIPTS[shell]).read_text(encoding="utf-8")


@app.command(cls=Command)
def completion(shell: Shell = typer.Argument(..., metavar="SHELL", help="bash, zsh or fish.")) -> None:
    """Print the completion script for SHELL (from the installed package) on stdout.

    It completes commands, options, their values, and job names (asked from schedcli
    itself while completing). Install it once as in the examples, then start a new shell.

    Examples:

    \b
      schedcli completion bash > ~/.local/share/bash-completion/completions/schedcli
      schedcli completion zsh > ~/.zfunc/_schedcli  # fpath+=(~/.zfunc) in .zshrc
      schedcli completion fish > ~/.config/fish/completions/schedcli.fish
    """
    sys.stdout.write(script_text(shell.value))
    sys.stdout.flush()
