"""Long JSON lists written as they come, byte for byte as ``json.dumps(items, indent=2,
ensure_ascii=False)`` would write them.

``json.dumps`` with ``indent`` takes the standard library's pure-Python encoder (its C
encoder is only for compact output): on 10k jobs that was most of ``list --json``. Here
strings go through the C string encoder, other values are written directly, and each
chunk of items is written out before the next is made, so the whole document is never
held in memory.
"""

from __future__ import annotations

from json.encoder import encode_basestring  # the C one where available, as json.dumps uses
from typing import IO, Any, Iterable

_INDENT = "  "
_CHUNK = 256  # items written at once


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def value_text(value: Any, level: int) -> str:
    """``value`` as json.dumps(indent=2) writes it at nesting ``level``."""
    if isinstance(value, str):
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    inner = "\n" + _INDENT * (level + 1)
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{" + inner + ("," + inner).join(
            f"{_key(k)}: {value_text(v, level + 1)}" for k, v in value.items()
        ) + "\n" + _INDENT * level + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        return "[" + inner + ("," + inner).join(value_text(v, level + 1) for v in value) + "\n" + _INDENT * level + "]"
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _key(key: Any) -> str:
    if isinstance(key, str):
        return encode_basestring(key)
    return encode_basestring(value_text(key, 0) if not isinstance(key, str) else key)


def write_list(out: IO[str], items: Iterable[Any]) -> None:
    """``items`` as one indented JSON list, and a newline."""
    first = True
    chunk: list[str] = []
    for item in items:
        chunk.append(("[\n  " if first else ",\n  ") + value_text(item, 1))
        first = False
        if len(chunk) >= _CHUNK:
            out.write("".join(chunk))
            chunk.clear()
    chunk.append("[]\n" if first else "\n]\n")
    out.write("".join(chunk))
