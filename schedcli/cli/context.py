"""What every command module shares: the invocation's state (database and configuration,
opened on first use), the clock, the ``--json`` option and the parsing of durations and times.

Cheap to import: nothing here loads rich, the store or the engine until a command asks.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional

import typer

from schedcli.cli import options as opts

JSON_OPT = typer.Option(False, opts.JSON.name, help=opts.JSON.help)


class State:
    """Set on the root context by the root callback (``--db``); closed when the command ends."""

    def __init__(self, db: Optional[Path]) -> None:
        self.db_option = db
        self._store = None
        self._config = None

    @property
    def db_path(self) -> Path:
        from schedcli.paths import resolve_db_path

        return resolve_db_path(str(self.db_option) if self.db_option else None)

    def store(self):  # -> Store
        if self._store is None:
            from schedcli.store import Store

            self._store = Store(self.db_path)
        return self._store

    def reader(self):  # -> Store
        """The database for a command that only reads: a missing file reads as empty
        and is not created."""
        if self._store is None:
            from schedcli.store import Store

            path = self.db_path
            self._store = Store(path) if path.exists() or path.is_symlink() else Store.empty(path)
        return self._store

    def config(self):  # -> Config
        if self._config is None:
            from schedcli import config

            self._config = config.load()
        return self._config

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def state_of(ctx: typer.Context) -> State:
    return ctx.find_root().obj


def current_time() -> datetime:
    from schedcli.clock import SystemClock

    return SystemClock().now()


def duration_option(value: Optional[str], option: str) -> Optional[int]:
    """Seconds in a DURATION option (None when not given); a bad value names the option."""
    if value is None:
        return None
    from schedcli.errors import InvalidDuration
    from schedcli.schedule import parse_duration

    try:
        return parse_duration(value)
    except InvalidDuration as exc:
        raise InvalidDuration(f"{option}: {exc.message}") from None


def when_option(value: Optional[str]) -> Optional[datetime]:
    """A WHEN option (``--now``, ``--after``) in the machine's zone unless it has an offset."""
    if value is None:
        return None
    from schedcli.schedule import local_zone_name, parse_when

    return parse_when(value, local_zone_name())
