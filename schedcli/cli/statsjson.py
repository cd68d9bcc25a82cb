"""``stats --json``: each job's document written straight from its :class:`JobStats`,
byte for byte as :func:`schedcli.services.stats.stats_dict` written by ``json.dumps(indent=2,
ensure_ascii=False)`` would be, without building the 10k documents and their 200k ``recent``
entries as dictionaries first (the generic writer, :mod:`schedcli.cli.jsonout`, took
0.5 s of the 10k jobs' 2.5 s; this takes a fifth of it)."""

from __future__ import annotations

from json.encoder import encode_basestring  # the C one where available, as json.dumps uses
from collections.abc import Iterable
from itertools import repeat
from math import isfinite
from operator import add
from typing import TYPE_CHECKING, Optional

from schedcli.schedule import iso

if TYPE_CHECKING:
    from schedcli.services.stats import JobStats

_SPECIAL = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_ENTRY_SEP = "\n      }," + "\n      "
_NO_RECENT = "[]"


def _number(value: Optional[float], digits: int) -> str:
    """A rounded number, or null, as json.dumps writes it."""
    if value is None:
        return "null"
    text = repr(round(value, digits))
    return _SPECIAL.get(text, text) if text[-1] in "nf" else text


def _text(value: Optional[str]) -> str:
    return "null" if value is None else encode_basestring(value)


class _EntryHeads(dict):
    """status -> a "recent" entry's text (nesting level 3) up to its duration."""

    def __missing__(self, status: str) -> str:
        head = self[status] = "{\n        \"status\": " + encode_basestring(status) + ",\n        \"duration_s\": "
        return head


_HEADS = _EntryHeads()
_THREE = repeat(3)


def _recent(recent: list[tuple[str, Optional[float]]]) -> str:
    if not recent:
        return _NO_RECENT
    statuses, durations = zip(*recent)
    if None in durations or not all(map(isfinite, durations)):
        numbers: Iterable[str] = [_number(d, 3) for d in durations]
    else:  # the common case, without a Python step per entry
        numbers = map(repr, map(round, durations, _THREE))
    return "[\n      " + _ENTRY_SEP.join(map(add, map(_HEADS.__getitem__, statuses), numbers)) + "\n      }\n    ]"


def stats_text(s: "JobStats") -> str:
    """One job's ``stats --json`` document at nesting level 1 of the list."""
    rate = s.success_rate
    return (
        "{\n    \"job\": " + encode_basestring(s.job)
        + ",\n    \"runs\": " + int.__repr__(s.runs)
        + ",\n    \"success\": " + int.__repr__(s.success)
        + ",\n    \"failures\": " + int.__repr__(s.failures)
        + ",\n    \"warnings\": " + int.__repr__(s.warnings)
        + ",\n    \"skipped\": " + int.__repr__(s.skipped)
        + ",\n    \"missed\": " + int.__repr__(s.missed)
        + ",\n    \"success_rate\": " + _number(rate, 4)
        + ",\n    \"p50_s\": " + _number(s.p50_s, 3)
        + ",\n    \"p95_s\": " + _number(s.p95_s, 3)
        + ",\n    \"last_failure_at\": " + _text(iso(s.last_failure_at))
        + ",\n    \"last_failure_status\": " + _text(s.last_failure_status)
        + ",\n    \"last_failure_run\": " + ("null" if s.last_failure_run is None else int.__repr__(s.last_failure_run))
        + ",\n    \"recent\": " + _recent(s.recent)
        + "\n  }"
    )
