"""schedcli: a job scheduler for one machine, backed by one SQLite file."""

__version__ = "0.1.0"
