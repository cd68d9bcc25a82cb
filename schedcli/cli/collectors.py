"""``schedcli collectors``: the collectors installed packages register."""

from __future__ import annotations

import typer

from schedcli.cli.helptext import Command
from schedcli.cli.context import JSON_OPT

app = typer.Typer()


@app.command(cls=Command)
def collectors(json_out: bool = JSON_OPT) -> None:
    """List collectors registered in the schedcli.collectors entry-point group.

    Examples:

    \b
      schedcli collectors
      schedcli collectors --json
    """
    from schedcli.cli import render
    from schedcli.services.collectors import registered

    found = registered()
    if json_out:
        render.print_json([{"name": k, "target": v} for k, v in sorted(found.items())])
        return
    if not found:
        render.message("No collectors registered (a package registers them in the 'schedcli.collectors' entry-point group).")
        return
    for key, value in sorted(found.items()):
        render.message(f"{key}  {value}")

