"""Tables for people, and CSV/TSV for programs.

A table is one line per row and never wider than the terminal: columns that may shrink
(a command, a detail) are shortened with ``…`` first, then columns that may go (how long
ago, a trigger) are left out, lowest priority first. Piped, there is no width to fit
(unless ``COLUMNS`` says one): only a command or detail longer than 200 characters is
shortened, and no line ends in padding. ``--wide`` never shortens.

On a terminal the header is bold and cells may have a style (written as rich writes
them, but without rich); piped the text is plain, and with ``NO_COLOR`` only bold and
dim remain (as rich does).

CSV and TSV are what sqlite-utils writes for ``--csv``/``--tsv`` (the csv module: a
header row, then one row per item), with ``\\n`` line ends; values are the JSON ones:
times ISO 8601 UTC, lists and objects as JSON, null as an empty field.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable, Iterator, Optional, Union

ELLIPSIS = "…"
SEP = "  "
PIPED_CAP = 200  # piped (no width to fit), a command or detail is still shortened past this

Cell = Union[str, tuple[str, str], list[tuple[str, str]]]  # text, (text, rich style), or styled pieces


@dataclass
class Column:
    """One column. ``shrink`` and ``drop`` share one scale: when the table is too wide, the
    steps are taken lowest number first (shrink this column down to ``min`` cells, or leave
    it out) until it fits; 0 means never."""

    header: str
    shrink: int = 0
    min: int = 0
    drop: int = 0
    right: bool = False  # right-aligned (numbers)
    keep_end: bool = False  # shortening keeps the end (the newest of a strip) and adds no …


_ONE_CELL: set[str] = set()  # characters met so far that are one cell wide (the strips' glyphs and bars...)


@lru_cache(maxsize=4096)
def char_width(ch: str) -> int:
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
        return 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 2
    _ONE_CELL.add(ch)
    return 1


def text_width(text: str) -> int:
    if text.isascii() or _ONE_CELL.issuperset(text):
        return len(text)
    return sum(map(char_width, text))


def printable(text: str) -> str:
    """One line: control characters (a newline in a command...) shown as ``⏎`` / ``?``."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ("⏎" if ch == "\n" else "?") for ch in text)


def shorten(text: str, width: int, keep_end: bool = False) -> str:
    """``text`` cut to ``width`` cells, with ``…`` where it was cut (unless ``keep_end``)."""
    if text_width(text) <= width:
        return text
    if width <= 0:
        return ""
    if keep_end:
        out, used = [], 0
        for ch in reversed(text):
            w = char_width(ch)
            if used + w > width:
                break
            out.append(ch)
            used += w
        return "".join(reversed(out))
    out, used = [], 0
    for ch in text:
        w = char_width(ch)
        if used + w > width - 1:
            break
        out.append(ch)
        used += w
    return "".join(out) + ELLIPSIS


def _pieces(cell: Cell) -> list[tuple[str, str]]:
    if isinstance(cell, str):
        return [(printable(cell), "")]
    if isinstance(cell, tuple):
        return [(printable(cell[0]), cell[1])]
    return [(printable(text), style) for text, style in cell]


def _text(cell: Cell) -> str:
    """A cell's text on one line (the texts of its pieces together)."""
    kind = type(cell)
    if kind is str:
        return printable(cell)  # type: ignore[arg-type]
    if kind is tuple:
        return printable(cell[0])  # type: ignore[index]
    return "".join([printable(text) for text, _ in cell])  # type: ignore[misc]


def _restyle(pieces: list[tuple[str, str]], text: str, from_end: bool) -> list[tuple[str, str]]:
    """The styles of ``pieces`` laid over ``text``, a shortened form of their text (its
    start, or with ``from_end`` its end; a final ``…`` takes the style before it)."""
    styles = [style for piece, style in pieces for _ in piece]
    if from_end:
        styles = styles[len(styles) - len(text):]
    else:
        styles = styles[: len(text)]
        styles += [styles[-1] if styles else ""] * (len(text) - len(styles))
    out: list[tuple[str, str]] = []
    for ch, style in zip(text, styles):
        if out and out[-1][1] == style:
            out[-1] = (out[-1][0] + ch, style)
        else:
            out.append((ch, style))
    return out


def fit(columns: list[Column], rows: list[list[Cell]], width: Optional[int],
        cap: Optional[int] = None) -> list[tuple[int, int]]:
    """Which columns to show and how wide: [(column index, width)], at most ``width`` in all;
    a column that may shrink is at most ``cap`` wide."""
    widths = [max([text_width(c.header)] + [text_width(_text(r[i])) for r in rows]) for i, c in enumerate(columns)]
    if cap is not None:
        widths = [min(w, max(cap, c.min)) if c.shrink else w for w, c in zip(widths, columns)]
    shown = list(range(len(columns)))

    def total() -> int:
        return sum(widths[i] for i in shown) + len(SEP) * (len(shown) - 1)

    if width is not None:
        steps = sorted([(c.shrink, 0, i) for i, c in enumerate(columns) if c.shrink]
                       + [(c.drop, 1, i) for i, c in enumerate(columns) if c.drop])
        natural = list(widths)
        shrunk: list[int] = []
        for _, drop, i in steps:
            over = total() - width
            if over <= 0:
                break
            if drop:
                shown.remove(i)
            else:
                widths[i] -= min(over, max(0, widths[i] - columns[i].min))
                shrunk.append(i)
        for i in reversed(shrunk):  # what a later step freed goes back, latest shrink first
            if i in shown and total() < width:
                widths[i] += min(width - total(), natural[i] - widths[i])
    return [(i, widths[i]) for i in shown]


Line = list[list[tuple[str, str]]]  # cells, each a list of (text, style) pieces


def _cells(columns: list[Column], row: list[Cell], plan: list[tuple[int, int]]) -> Line:
    out = []
    for n, (i, w) in enumerate(plan):
        cell = row[i]
        if isinstance(cell, str):  # (the common cells, without the steps of a list of pieces)
            full = printable(cell)
            pieces = [(full, "")]
        elif isinstance(cell, tuple):
            full = printable(cell[0])
            pieces = [(full, cell[1])]
        else:
            pieces = _pieces(cell)
            full = "".join(text for text, _ in pieces)
        used = text_width(full)
        if used > w:
            text = shorten(full, w, columns[i].keep_end)
            pieces = _restyle(pieces, text, columns[i].keep_end)
            used = text_width(text)
        pad = " " * (w - used)
        if columns[i].right:
            pieces = [(pad, "")] + pieces
        elif n < len(plan) - 1:
            pieces = pieces + [(pad, "")]
        out.append(pieces)
    return out


def table_width() -> Optional[int]:
    """The width to fit: the terminal's on a terminal, else ``COLUMNS`` if set, else none."""
    try:
        tty = sys.stdout.isatty()
    except (AttributeError, ValueError):
        tty = False
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if tty:
        import shutil

        return shutil.get_terminal_size((80, 24)).columns
    return None


def render_lines(columns: list[Column], rows: list[list[Cell]], width: Optional[int],
                 cap: Optional[int] = None) -> Iterator[Line]:
    """The header and the rows, fitted to ``width`` (see :func:`fit`), one line at a time."""
    plan = fit(columns, rows, width, cap)
    header: list[Cell] = [(c.header, "bold") for c in columns]
    for row in itertools.chain((header,), rows):
        yield _line(columns, row, plan, width)


def _line(columns: list[Column], row: list[Cell], plan: list[tuple[int, int]], width: Optional[int]) -> Line:
    line = _cells(columns, row, plan)
    return line if width is None else _cut(line, width)  # a terminal narrower than what cannot go


def plain_lines(columns: list[Column], rows: list[list[Cell]], width: Optional[int],
                cap: Optional[int] = None) -> Iterator[str]:
    """The lines of :func:`render_lines` as plain text (``line_text``), made without the
    styled pieces: each cell's text shortened and padded to its width. A line wider than
    ``width`` (a terminal narrower than what cannot go) is made the general way."""
    plan = fit(columns, rows, width, cap)
    header: list[Cell] = [c.header for c in columns]
    layout = [(i, w, columns[i].right, columns[i].keep_end) for i, w in plan]
    for row in itertools.chain((header,), rows):
        texts = []
        for i, w, right, keep_end in layout:
            text = _text(row[i])
            used = text_width(text)
            if used > w:
                text = shorten(text, w, keep_end)
                used = text_width(text)
            texts.append(" " * (w - used) + text if right else text + " " * (w - used))
        line = SEP.join(texts).rstrip()
        if width is not None and text_width(line) > width:
            line = line_text(_line(columns, row, plan, width))
        yield line


def line_text(line: Line) -> str:
    return SEP.join("".join(text for text, _ in cell) for cell in line).rstrip()


def _cut(line: Line, width: int) -> Line:
    """A line cut to ``width`` cells (the last cell kept ends in ``…``)."""
    out: Line = []
    used = 0
    for n, cell in enumerate(line):
        if n:
            if used + len(SEP) >= width:
                break
            used += len(SEP)
        text = "".join(t for t, _ in cell)
        room = width - used
        if text_width(text) <= room:
            out.append(cell)
            used += text_width(text)
            continue
        out.append(_restyle(cell, shorten(text.rstrip(), room), False))
        break
    return out


# SGR codes of the styles the tables use, as rich writes them: one escape sequence
# around each run of text of one style, "\x1b[0m" after it, nothing around plain text.
_SGR = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "magenta": "35", "cyan": "36"}
_COLOURS = {"red", "green", "yellow", "magenta", "cyan"}


def styles_in_use() -> Optional[bool]:
    """How a table is styled on this stdout: None plain (piped, or a terminal that shows no
    styles: TERM dumb or unknown); False bold and dim only (NO_COLOR); True in colour."""
    from schedcli.cli.render import styled

    if not styled() or os.environ.get("TERM", "") in ("dumb", "unknown"):
        return None
    return not os.environ.get("NO_COLOR")


def styled_text(line: Line, colour: bool) -> str:
    """A line with its styles as terminal escape sequences, trailing blanks removed."""
    pieces: list[tuple[str, str]] = []
    for n, cell in enumerate(line):
        if n:
            pieces.append((SEP, ""))
        for text, style in cell:
            if style and not colour:
                style = " ".join(w for w in style.split() if w not in _COLOURS)
            if text:
                pieces.append((text, style))
    while pieces and not pieces[-1][0].rstrip():
        pieces.pop()
    if pieces:
        pieces[-1] = (pieces[-1][0].rstrip(), pieces[-1][1])
    out = []
    for text, style in pieces:
        if style:
            codes = ";".join(_SGR[w] for w in style.split() if w in _SGR)
            out.append(f"\x1b[{codes}m{text}\x1b[0m" if codes else text)
        else:
            out.append(text)
    return "".join(out)


_LINES_PER_WRITE = 512


def print_table(columns: list[Column], rows: Iterable[list[Cell]], *, wide: bool = False) -> None:
    """``rows`` as a table on stdout. The column widths need every row's text, so the rows
    are kept (their cells, no more); the lines are made and written a chunk at a time.
    Drawn here, on a terminal too (bold header, coloured cells), without rich: laying out
    tens of thousands of cells through rich took seconds."""
    rows = rows if isinstance(rows, list) else list(rows)
    width = None if wide else table_width()
    mode = styles_in_use()
    cap = None if wide or width is not None else PIPED_CAP
    if mode is None:  # plain text: no pieces to keep the styles of
        lines: Iterator[str] = plain_lines(columns, rows, width, cap)
    else:
        lines = (styled_text(line, mode) for line in render_lines(columns, rows, width, cap))
    chunk: list[str] = []
    for line in lines:
        chunk.append(line)
        if len(chunk) >= _LINES_PER_WRITE:
            sys.stdout.write("\n".join(chunk) + "\n")
            chunk.clear()
    if chunk:
        sys.stdout.write("\n".join(chunk) + "\n")
    sys.stdout.flush()


# -- CSV and TSV ---------------------------------------------------------------------------


def _value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def write_delimited(header: list[str], docs: Iterable[dict[str, Any]], tsv: bool = False) -> None:
    """``docs`` (JSON documents) as CSV or TSV: a header row, then one row per document."""
    import csv

    writer = csv.writer(sys.stdout, dialect="excel-tab" if tsv else "excel", lineterminator="\n")
    writer.writerow(header)
    for doc in docs:
        writer.writerow([_value(doc.get(key)) for key in header])
    sys.stdout.flush()
