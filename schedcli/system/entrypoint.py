"""How cron and systemd start this schedcli: absolute program and database paths, each safe
to put on one line of a crontab or a unit file.

Library code: it never prints and does not import typer or rich.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from schedcli.errors import InvalidValue, RuntimeFailure


class IntegrationError(RuntimeFailure):
    """The crontab program failed, is missing, or a file could not be written."""


def schedcli_argv() -> list[str]:
    """How to start this schedcli with absolute paths only (cron and systemd have no venv).

    The console script next to the running interpreter when it exists (a venv's
    ``bin/schedcli``), else ``<python> -m schedcli``.
    """
    python = os.path.abspath(sys.executable)
    script = os.path.join(os.path.dirname(python), "schedcli")
    if os.path.isfile(script) and os.access(script, os.X_OK):
        return [script]
    return [python, "-m", "schedcli"]


def absolute_db(db: Path | str) -> Path:
    """The database path as cron and systemd must see it: absolute, ``~`` expanded."""
    return Path(os.path.abspath(os.path.expanduser(str(db))))


def check_line_safe(what: str, value: str) -> None:
    if any(ch in value for ch in "\n\r\0"):
        raise InvalidValue(f"{what} {value!r} contains a line break or NUL; it cannot go into a crontab or unit file")
