"""Definitions of the options that both the full command line and the quick cron path read.

Each option is defined once here: the command modules (``runner.py``, ``context.py``,
``app.py``) build their Typer options from these records, and ``cron_fastpath.py`` parses
the same names without importing Typer.
"""

from __future__ import annotations


class OptionDef:
    """One option: its name, help text, metavar (None for a flag) and environment variable."""

    __slots__ = ("name", "help", "metavar", "envvar")

    def __init__(self, name: str, help: str, metavar: str | None = None, envvar: str | None = None) -> None:
        self.name = name
        self.help = help
        self.metavar = metavar
        self.envvar = envvar


DB = OptionDef("--db", "Database file (default: $XDG_DATA_HOME/schedcli/schedcli.db).", "PATH", "SCHEDCLI_DB")

# run-due
NOW = OptionDef("--now", "Run what is due at this time instead of now (ISO 8601, machine zone unless it has an "
                "offset, or +2h). It records real history: runs, missed occurrences, next runs moved.", "WHEN")
DRY_RUN = OptionDef("--dry-run", "Show what would run; change nothing.")
MAX_PARALLEL = OptionDef("--max-parallel", "Run at most N jobs at once (default: 4, or max_parallel in config.toml).", "N")
JSON = OptionDef("--json", "Print one JSON document.")
