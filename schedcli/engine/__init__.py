"""The engine: find what is due, claim each occurrence exactly once, run it, record it.

A *tick* has two phases:

1. **claim** (:mod:`~schedcli.engine.claim`): one ``BEGIN IMMEDIATE`` transaction
   recovers the runs of dead runners, decides what runs, is skipped or was missed,
   inserts those rows and moves ``next_run_at`` past ``now``.
2. **execute** (:mod:`~schedcli.engine.execute`, :mod:`~schedcli.engine.launch`,
   :mod:`~schedcli.engine.finish`): outside any transaction, the claimed occurrences
   run as child processes, up to ``max_parallel`` at once, each finished in its own
   short write transaction, then retried, reported and hooked as configured.

``watch`` (:mod:`~schedcli.engine.watch`) ticks whenever something is due, with the
processes of the jobs about to be due held ready (:mod:`~schedcli.engine.held`).
:class:`Engine` (:mod:`~schedcli.engine.core`) composes them for one database.
"""

from __future__ import annotations

from schedcli.engine.claim import CATCH_UP_LIMIT, COUNT_CAP, Claim, Decision, decide
from schedcli.engine.core import Engine, TickResult, configured_engine
from schedcli.engine.watch import CLAIM_AHEAD

__all__ = [
    "CATCH_UP_LIMIT",
    "CLAIM_AHEAD",
    "COUNT_CAP",
    "Claim",
    "Decision",
    "Engine",
    "TickResult",
    "configured_engine",
    "decide",
]

