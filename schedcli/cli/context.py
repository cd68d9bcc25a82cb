"""What every command module shares: the invocation's state (database and configuration,
opened on first use), the clock, the ``--json`` option and the parsing of durations and times.

Cheap to import: nothing here loads rich, the store or the engine until a command asks.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Optional

import typer

from schedcli.cli import options as opts

JSON_OPT = typer.Option(False, opts.JSON.name, help=opts.JSON.help)
CSV_OPT = typer.Option(False, "--csv", help="Print CSV: a header row, then one row per item (times in UTC).")
TSV_OPT = typer.Option(False, "--tsv", help="Print tab-separated values, like --csv.")
WIDE_OPT = typer.Option(False, "--wide", help="Never shorten a column to fit the terminal.")
UTC_OPT = typer.Option(False, "--utc", help="Show times in UTC.")


def output_format(json_out: bool, csv_out: bool = False, tsv_out: bool = False) -> str | None:
    """``json``, ``csv``, ``tsv`` or None (a table for people); only one may be given."""
    from schedcli.errors import UsageError

    given = [name for name, on in (("json", json_out), ("csv", csv_out), ("tsv", tsv_out)) if on]
    if len(given) > 1:
        raise UsageError("give only one of --json, --csv and --tsv")
    return given[0] if given else None


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
        """The database, created (with its directory) if it does not exist yet."""
        if self._store is None:
            from schedcli.store import Store

            path = self.db_path
            if not path.exists() and not path.is_symlink():
                from schedcli.system.home import check_home

                check_home(path, "the database", "give --db PATH (or set SCHEDCLI_DB, XDG_DATA_HOME or HOME)")
            self._store = Store(path)
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

    if value.strip().isdigit() and value.strip().isascii() and int(value) == 0:
        raise InvalidDuration(f"invalid {option} {value!r}: it must be more than zero, with a unit, "
                              "e.g. 30s, 5m, 1h")
    try:
        return parse_duration(value)
    except InvalidDuration as exc:
        raise InvalidDuration(f"{option}: {exc.message}") from None


def zone_option(value: Optional[str]) -> Optional[str]:
    """A ZONE option, checked (None when not given); an unknown one gets a suggestion."""
    if value is None:
        return None
    from schedcli.errors import InvalidZone
    from schedcli.schedule import zone

    try:
        zone(value)
    except InvalidZone:
        from schedcli.cli.zone_names import zone_hint

        raise InvalidZone(f"unknown time zone {value!r}: {zone_hint(value)}") from None
    return value


WHEN_FORMS = "+2h (from now), 'today 18:00', 'tomorrow 09:00'"


def when_text(value: str, tz_name: str, now: datetime) -> str:
    """A WHEN as ISO 8601 text that :func:`schedcli.schedule.parse_when` reads: ``+2h``
    becomes now plus two hours (UTC), ``today HH:MM`` / ``tomorrow HH:MM`` that wall time in
    ``tz_name``; anything else is returned as it is."""
    from datetime import timedelta

    raw = value.strip()
    if raw.startswith("+"):
        seconds = duration_option(raw[1:], "WHEN")
        assert seconds is not None
        return (now + timedelta(seconds=seconds)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if raw.lower() == "now":
        return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    words = raw.split()
    if len(words) == 2 and words[0].lower() in ("today", "tomorrow"):
        import re

        from schedcli.errors import InvalidTime
        from schedcli.schedule import zone

        match = re.fullmatch(r"([0-9]{1,2}):([0-9]{2})", words[1])
        if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
            raise InvalidTime(f"invalid time {value!r}: use {words[0].lower()} HH:MM, e.g. '{words[0].lower()} 09:00'")
        day = now.astimezone(zone(tz_name)).date() + timedelta(days=1 if words[0].lower() == "tomorrow" else 0)
        return f"{day.isoformat()} {int(match.group(1)):02d}:{match.group(2)}"
    return raw


def when_option(value: Optional[str], tz_name: Optional[str] = None, now: Optional[datetime] = None) -> Optional[datetime]:
    """A WHEN option (``--now``, ``--after``, ``--at``): ISO 8601 in ``tz_name`` (default:
    the machine's zone) unless it has an offset, or one of :data:`WHEN_FORMS`."""
    if value is None:
        return None
    from schedcli.errors import InvalidTime
    from schedcli.schedule import local_zone_name, parse_when

    tz_name = tz_name or local_zone_name()
    try:
        return parse_when(when_text(value, tz_name, now or current_time()), tz_name)
    except InvalidTime as exc:
        if "use ISO 8601" in exc.message:
            raise InvalidTime(f"{exc.message}, or {WHEN_FORMS}") from None
        raise
