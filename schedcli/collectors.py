"""Collectors: Python functions that schedcli runs as jobs.

A collector is a function ``collect(ctx: CollectorContext)``. It is named either
by ``module:function`` or by a name registered in the entry-point group
``schedcli.collectors``::

    [project.entry-points."schedcli.collectors"]
    weather = "mypkg.weather:collect"

It runs in a child Python process (so a timeout or a crash cannot take the
runner down). Returning normally means success (a returned value is printed,
as JSON when it is not a string); raising :class:`CollectorWarning` means
``warning``; any other exception means ``error`` (its traceback is the output).

This module is the API for collector authors (``from schedcli.collectors import
CollectorWarning``); finding, checking and loading collectors is
:mod:`schedcli.services.collectors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schedcli.model import CONTEXT_ENV as CONTEXT_ENV  # re-exported: the collector protocol
from schedcli.model import WARNING_EXIT_CODE as WARNING_EXIT_CODE

ENTRY_POINT_GROUP = "schedcli.collectors"


class CollectorWarning(Exception):
    """Raise from a collector to end its run with status ``warning``."""


@dataclass(frozen=True)
class CollectorContext:
    job: str
    run_id: int
    scheduled_for: str  # ISO 8601 UTC
    trigger: str
    attempt: int = 1
    params: dict[str, str] = field(default_factory=dict)
