"""Never create files under a home directory that does not exist.

Cron jobs of system users often run with ``HOME=/nonexistent``; creating
``/nonexistent/.local/share/schedcli/...`` there (as root, say) makes a home nobody
asked for. Anything schedcli would create under such a HOME is refused instead.

Library code: it never prints and does not import typer or rich.
"""

from __future__ import annotations

import os
from pathlib import Path

from schedcli.errors import RuntimeFailure


class MissingHome(RuntimeFailure):
    """A file would be created under a HOME directory that does not exist."""


def check_home(path: Path | str, what: str, hint: str = "") -> None:
    """Raise :class:`MissingHome` when ``path`` lies under ``$HOME`` and ``$HOME`` does not exist."""
    home = os.environ.get("HOME") or ""
    if not home or not os.path.isabs(home) or os.path.isdir(home):
        return
    target = os.path.abspath(os.path.expanduser(str(path)))
    try:
        inside = os.path.commonpath([target, os.path.abspath(home)]) == os.path.abspath(home)
    except ValueError:
        return
    if inside:
        raise MissingHome(
            f"cannot create {what} {target}: the home directory {home} does not exist"
            + (f"; {hint}" if hint else "")
        )
