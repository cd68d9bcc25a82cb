"""The only package that speaks SQL.

A :class:`Store` is one open schedcli database file. It is put together from small
query classes, one per part of the schema, over one :class:`~schedcli.store.connection.Connection`:

* :mod:`~schedcli.store.connection`: opening, safety checks, pragmas, errors, transactions;
* :mod:`~schedcli.store.migrations`: the schema and its versions;
* :mod:`~schedcli.store.jobs`, :mod:`~schedcli.store.runs`, :mod:`~schedcli.store.runners`:
  the queries the engine and the command line need;
* :mod:`~schedcli.store.stats`: the read-only queries of ``status``, ``health`` and ``stats``;
* :mod:`~schedcli.store.metrics`: those of ``metrics``, functions over a Store (imported only by
  ``metrics`` and runners that write its textfile, never on the quick ``run-due`` path);
* :mod:`~schedcli.store.rows`: rows mapped to models (:mod:`schedcli.model`) by column name.

No SQLite row or cursor leaves the package: queries return models and small frozen
dataclasses of :mod:`schedcli.model`. What does is the connection itself (``Store.conn``,
also what ``write()`` and ``read()`` yield) and ``sqlite3.IntegrityError`` from
``insert_run`` on a duplicate occurrence (``insert_run_once`` answers None instead).
"""

from __future__ import annotations

from schedcli.store.connection import (
    DEFAULT_BUSY_TIMEOUT,
    SCHEMA_VERSION,
    Connection,
    busy_timeout_from_env,
    check_safety,
)
from schedcli.store.jobs import WITH_LAST_RUN as _WITH_LAST_RUN  # noqa: F401  (bench/probe.py's query plans)
from schedcli.store.jobs import JobQueries
from schedcli.store.runners import RunnerQueries
from schedcli.store.runs import RunQueries
from schedcli.store.stats import StatsQueries

__all__ = ["DEFAULT_BUSY_TIMEOUT", "SCHEMA_VERSION", "Store", "busy_timeout_from_env", "check_safety"]


class Store(JobQueries, RunQueries, RunnerQueries, StatsQueries, Connection):
    """One open schedcli database: ``Store(path)`` opens (creating it 0600 unless
    ``create=False``) and migrates; ``Store.empty(path)`` stands in for a missing file."""
