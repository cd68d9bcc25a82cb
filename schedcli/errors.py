"""Typed exceptions raised by the library; the command line maps them to exit codes.

Exit codes (documented in the README):
  0  success
  1  a run failed, or a failure at run time (database busy, unsafe file, ...)
  2  the user typed something invalid (bad cron, zone, duration, WHEN, name, ...)
  143 stopped by SIGTERM (130 for SIGINT)
"""

from __future__ import annotations


def error_line(message: str) -> str:
    """The one line the command line prints for an error: ``Error: ...`` (newline included)."""
    return "Error: " + " ".join(str(message).split()) + "\n"


class SchedError(Exception):
    """Base class for every error schedcli reports to the user."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class UsageError(SchedError):
    """Something the user typed is invalid. Nothing was changed."""

    exit_code = 2


class InvalidSchedule(UsageError):
    """A cron expression, interval or one-off time that cannot be used."""


class InvalidDuration(UsageError):
    """A duration such as ``30m`` that cannot be parsed or is not positive."""


class InvalidTime(UsageError):
    """A WHEN value (ISO 8601 date and time) that cannot be parsed."""


class InvalidZone(UsageError):
    """An unknown IANA time zone name."""


class InvalidValue(UsageError):
    """Any other invalid option value (KEY=VALUE pairs, names, choices...)."""


class JobExists(UsageError):
    """``add`` with a name that is already taken."""


class JobNotFound(UsageError):
    """A job name or run id that does not exist."""


class RuntimeFailure(SchedError):
    """A failure while running (not the user's input)."""

    exit_code = 1


class DatabaseBusy(RuntimeFailure):
    """Another process held the database write lock for too long."""


class DatabaseError(RuntimeFailure):
    """The database file is corrupt, unreadable, read-only or not a schedcli database."""


class UnsafeDatabase(RuntimeFailure):
    """The database file or its directory has permissions that let others change the jobs."""


class Overlap(RuntimeFailure):
    """A manual run refused because the job is already running (use --force)."""


class JobRunning(RuntimeFailure):
    """A job not removed because a run of it is in progress (use --force)."""
