"""How jobs and runs are stored: their columns, and rows mapped to models by column name.

A query's columns are matched to the model's fields by name (from the cursor's
description, once per distinct query), never by position, so a query may select
the columns in any order and a model never sees an SQL row. Models are imported when a row is first mapped:
the quick ``run-due`` path that finds nothing due never loads them.
"""

from __future__ import annotations

from functools import lru_cache
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    import sqlite3

    from schedcli.model import Job, Run

JOB_COLUMNS = (
    "id", "name", "kind", "expr", "timezone", "anchor", "command", "collector", "params", "env", "cwd",
    "timeout", "overlap", "grace", "catch_up", "retries", "retry_delay", "enabled", "description",
    "next_run_at", "created_at", "updated_at", "on_failure", "on_success", "on_recovery", "webhook",
    "jitter", "last_boot",
    "ping", "webhook_format", "notify_on", "mailto", "mail_on", "schedule_description",
)
RUN_COLUMNS = (
    "id", "job_id", "job", "trigger", "scheduled_for", "attempt", "status", "reason", "started_at",
    "finished_at", "duration_s", "exit_code", "pid", "missed_count", "missed_first", "missed_last", "retry_at",
)
_JSON_COLUMNS = ("params", "env")  # stored as JSON objects, '{}' when empty; the command as a JSON list


def columns(names: tuple[str, ...], table: str | None = None) -> str:
    """A select list: ``a, b`` or, qualified by ``table``, ``t.a, t.b``."""
    return ", ".join(names) if table is None else ", ".join(f"{table}.{name}" for name in names)


def _names(cursor: "sqlite3.Cursor") -> tuple[str, ...]:
    return tuple(d[0] for d in cursor.description)


@lru_cache(maxsize=64)
def _arguments(model: type, names: tuple[str, ...]) -> Callable[[tuple], tuple]:
    """How a row with columns ``names`` becomes the positional arguments of ``model``:
    columns matched to the dataclass's fields by name (once per distinct query), then
    picked in the fields' order. Fields without a column keep their defaults (a field
    without a default needs its column); a column that is not a field is an error."""
    from dataclasses import MISSING, fields

    every = fields(model)
    order = [f.name for f in every]
    unknown = [n for n in names if n not in order]
    if unknown:
        raise TypeError(f"{model.__name__} has no field for column(s) {', '.join(unknown)}")
    last = max(order.index(n) for n in names)
    gaps = [f for f in every[: last + 1] if f.name not in names]  # passed their defaults
    needed = [f.name for f in gaps if f.default is MISSING]
    if needed:
        raise TypeError(f"{model.__name__} needs column(s) {', '.join(needed)}")
    position = {n: i for i, n in enumerate(names)}
    position.update((f.name, len(names) + k) for k, f in enumerate(gaps))
    pick = itemgetter(*(position[f] for f in order[: last + 1]))
    if gaps:  # e.g. the listing's last_run_at and last_status, not selected by other queries
        defaults = tuple(f.default for f in gaps)
        return lambda row: pick(row + defaults)
    return pick if last > 0 else (lambda row: (pick(row),))


def _job_decoder(cursor: "sqlite3.Cursor") -> Callable[[tuple], "Job"]:
    """Maps one row of ``cursor`` (a query on ``jobs``) to a Job, by the cursor's column names."""
    from json import loads

    from schedcli.model import Job

    arguments = _arguments(Job, _names(cursor))

    def decode(row: tuple) -> "Job":
        job = Job(*arguments(row))
        if job.command is not None:
            job.command = loads(job.command)
        job.params = loads(job.params) if job.params != "{}" else {}
        job.env = loads(job.env) if job.env != "{}" else {}
        job.enabled = bool(job.enabled)
        return job

    return decode


def jobs(cursor: "sqlite3.Cursor") -> list["Job"]:
    """Every row of a query on ``jobs`` (all of JOB_COLUMNS, optionally last_run_at and
    last_status) as a :class:`~schedcli.model.Job`."""
    decode = _job_decoder(cursor)
    return [decode(row) for row in cursor.fetchall()]


def iter_jobs(cursor: "sqlite3.Cursor", batch: int = 500) -> Iterator["Job"]:
    """The rows of a query on ``jobs`` as they come (``batch`` at a time), for listings
    written out while they are read."""
    decode = None
    while True:
        found = cursor.fetchmany(batch)
        if not found:
            return
        if decode is None:
            decode = _job_decoder(cursor)
        for row in found:
            yield decode(row)


def job_or_none(cursor: "sqlite3.Cursor") -> "Job | None":
    row = cursor.fetchone()
    return None if row is None else _job_decoder(cursor)(row)


def runs(cursor: "sqlite3.Cursor") -> list["Run"]:
    """Every row of a query on ``runs`` (all of RUN_COLUMNS), in the query's order."""
    from schedcli.model import Run

    arguments = _arguments(Run, _names(cursor))
    return [Run(*arguments(row)) for row in cursor.fetchall()]


def runs_by_id(cursor: "sqlite3.Cursor") -> dict[int, "Run"]:
    """Every row of a query on ``runs`` (all of RUN_COLUMNS) as a :class:`~schedcli.model.Run`, by id."""
    return {run.id: run for run in runs(cursor)}


def encode_job(fields: dict[str, Any]) -> dict[str, Any]:
    """A job's fields (as :func:`schedcli.services.jobs.build_job` gives them) in their stored form."""
    import json

    row = dict(fields)
    for key in _JSON_COLUMNS:
        if key in row and row[key] is not None:
            row[key] = json.dumps(row[key], sort_keys=True)
    if "command" in row and row["command"] is not None:
        row["command"] = json.dumps(row["command"])
    if "enabled" in row and row["enabled"] is not None:
        row["enabled"] = int(row["enabled"])
    return row
