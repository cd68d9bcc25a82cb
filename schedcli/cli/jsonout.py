"""Long JSON lists written as they come, byte for byte as ``json.dumps(items, indent=2,
ensure_ascii=False)`` would write them.

``json.dumps`` with ``indent`` takes the standard library's pure-Python encoder (its C
encoder is only for compact output): on 10k jobs that was most of ``list --json``. Here
strings go through the C string encoder, other values are written directly, and each
chunk of items is written out before the next is made, so the whole document is never
held in memory.
"""

from __future__ import annotations

from functools import lru_cache
from json.encoder import encode_basestring  # the C one where available, as json.dumps uses
from typing import IO, Any, Iterable

_INDENT = "  "
_CHUNK = 256  # items written at once


_SPECIAL = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
_CONSTANTS = {None: "null", True: "true", False: "false"}


def _float(value: float) -> str:
    text = float.__repr__(value)
    return _SPECIAL.get(text, text) if text[-1] in "nf" else text


def _scalar(value: Any) -> str | None:
    """A value that is not a container as JSON text; None for a list or a dict."""
    kind = type(value)
    if kind is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if kind is float:
        return _float(value)
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    return None


def value_text(value: Any, level: int) -> str:
    """``value`` as json.dumps(indent=2) writes it at nesting ``level``."""
    text = _scalar(value)
    if text is not None:
        return text
    inner = _INNER[level] if level < len(_INNER) else "\n" + _INDENT * (level + 1)
    deeper = level + 1
    if isinstance(value, dict):
        if not value:
            return "{}"
        parts = []
        heads = _HEADS
        for k, v in value.items():  # the scalar cases of _scalar inline: most values are scalars
            kind = type(v)
            if kind is str:
                text = encode_basestring(v)
            elif v is None:
                text = "null"
            elif kind is float:
                text = float.__repr__(v)
                if text[-1] in "nf":
                    text = _SPECIAL.get(text, text)
            elif kind is int:
                text = int.__repr__(v)
            elif kind is bool:
                text = "true" if v else "false"
            else:
                text = value_text(v, deeper)
            head = heads.get(k) if type(k) is str else None
            if head is None:
                head = _key(k) + ": "
                if len(heads) < _MAX_HEADS and type(k) is str:
                    heads[k] = head
            parts.append(head + text)
        return "{" + inner + ("," + inner).join(parts) + inner[: -len(_INDENT)] + "}"
    if isinstance(value, (list, tuple)):
        if not value:
            return "[]"
        parts = []
        for v in value:
            text = _scalar(v)
            parts.append(text if text is not None else value_text(v, deeper))
        return "[" + inner + ("," + inner).join(parts) + inner[: -len(_INDENT)] + "]"
    if isinstance(value, str):
        return encode_basestring(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_INNER = tuple("\n" + _INDENT * (level + 1) for level in range(8))  # a new line at each depth


_HEADS: dict[str, str] = {}  # a string key -> its text and ": " (the keys of a listing repeat)
_MAX_HEADS = 1024


@lru_cache(maxsize=1024)
def _key(key: Any) -> str:
    """A key as json.dumps writes it: a string; a number, true, false or null quoted."""
    if type(key) is str:
        return encode_basestring(key)
    return encode_basestring(value_text(key, 0))


def write_list(out: IO[str], items: Iterable[Any]) -> None:
    """``items`` as one indented JSON list, and a newline."""
    write_texts(out, (value_text(item, 1) for item in items))


def write_texts(out: IO[str], texts: Iterable[str]) -> None:
    """One indented JSON list of items already written as JSON text at nesting level 1
    (as :func:`value_text` writes them), and a newline."""
    first = True
    chunk: list[str] = []
    for text in texts:
        chunk.append(("[\n  " if first else ",\n  ") + text)
        first = False
        if len(chunk) >= _CHUNK:
            out.write("".join(chunk))
            chunk.clear()
    chunk.append("[]\n" if first else "\n]\n")
    out.write("".join(chunk))
