"""What ``stats`` shows: one row per job, with strips of its recent outcomes and
durations (glyphs and bars, in ASCII where the terminal's encoding has no others)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Iterable, Optional, Sequence

from schedcli.cli import timefmt
from schedcli.cli.render import _zone_header, message
from schedcli.cli.tables import Cell, Column, print_table, styles_in_use
from schedcli.schedule import format_duration

if TYPE_CHECKING:
    from rich.text import Text
    from schedcli.services.stats import JobStats


_OUTCOME = {  # status -> (unicode, ascii, style)
    "success": ("✓", "+", "green"),
    "warning": ("!", "!", "yellow"),
    "error": ("✗", "x", "red"),
    "timeout": ("⧖", "T", "red"),
    "interrupted": ("⊘", "I", "magenta"),
}
_BARS = "▁▂▃▄▅▆▇█"
_BARS_ASCII = "_.:-=+*#"


def _unicode_ok() -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        ("".join(v[0] for v in _OUTCOME.values()) + _BARS).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def outcome_strip(recent: list[tuple[str, Optional[float]]], unicode: bool = True) -> Text:
    from rich.text import Text

    text = Text()
    for status_, _ in recent:
        glyph, ascii_, style = _OUTCOME.get(status_, ("?", "?", ""))
        text.append(glyph if unicode else ascii_, style=style)
    return text


def sparkline(values: Sequence[Optional[float]], unicode: bool = True) -> str:
    """One bar per value between the smallest and the largest (a gap for an unknown duration)."""
    bars = _BARS if unicode else _BARS_ASCII
    known = [v for v in values if v is not None]
    if not known:
        return " " * len(values)
    lo, hi = min(known), max(known)
    if hi == lo:
        middle = bars[len(bars) // 2 - 1]
        return "".join([" " if v is None else middle for v in values])
    span, top = hi - lo, len(bars) - 1  # (v - lo) / span <= 1 for every v <= hi: the top bar at most
    if len(known) == len(values):
        return "".join([bars[int((v - lo) / span * top + 0.5)] for v in values])
    return "".join([" " if v is None else bars[int((v - lo) / span * top + 0.5)] for v in values])


def _seconds(value: Optional[float]) -> str:
    if value is None:
        return "-"
    if value < 60:
        return f"{value:.2f}s" if value < 10 else f"{value:.1f}s"
    return format_duration(value)


class _Glyphs(dict):
    """status -> its (glyph, style) piece: one shared piece per outcome, so 10k rows of
    strips hold references only; an unknown status is ``?``."""

    def __missing__(self, status: str) -> tuple[str, str]:
        return _UNKNOWN


class _PlainGlyphs(dict):
    """status -> its glyph alone, ``?`` for an unknown one."""

    def __missing__(self, status: str) -> str:
        return "?"


_UNKNOWN = ("?", "")
_GLYPHS = {unicode: _Glyphs({k: (v[0] if unicode else v[1], v[2]) for k, v in _OUTCOME.items()})
           for unicode in (True, False)}
_PLAIN_GLYPHS = {unicode: _PlainGlyphs({k: v[0] for k, v in _GLYPHS[unicode].items()}) for unicode in (True, False)}


def _strip_cell(statuses: Iterable[str], unicode: bool, plain: bool = False) -> Cell:
    """The RECENT cell: a glyph per run, each in its colour (one plain text when the table
    is drawn without styles: the same characters, one piece instead of 20)."""
    if plain:
        return "".join(map(_PLAIN_GLYPHS[unicode].__getitem__, statuses))
    return list(map(_GLYPHS[unicode].__getitem__, statuses))


def stats_table(result: Iterable[JobStats], now: float, *, utc: bool = False, wide: bool = False) -> None:
    """One row per job: runs, success rate, p50/p95, last failure, recent outcomes and durations
    (the strips keep the newest runs when the terminal is narrow). Only the cells of each
    job are kept (``result`` may be computed as it goes)."""
    zone_name = timefmt.display_zone(utc=utc)
    unicode = _unicode_ok()
    plain = styles_in_use() is None
    columns = [
        Column("JOB", shrink=3, min=12), Column("RUNS", right=True), Column("OK", right=True),
        Column("P50", right=True), Column("P95", right=True, drop=5),
        Column(_zone_header("LAST FAILURE", utc), shrink=4, min=12),
        Column("RECENT", shrink=1, min=6, keep_end=True), Column("DURATIONS", shrink=2, min=9, keep_end=True),
    ]
    rows: list[list[Cell]] = []
    shown = 0
    for s in result:
        shown = max(shown, len(s.recent))
        statuses, durations = zip(*s.recent) if s.recent else ((), ())
        rate = "-" if s.success_rate is None else f"{s.success_rate * 100:.0f}%"
        rate_style = "" if s.success_rate is None else "green" if s.failures == 0 else "red" if s.success_rate < 0.5 else "yellow"
        last: Cell = "-"
        if s.last_failure_at is not None:
            last = (f"{timefmt.short_time(s.last_failure_at, now, zone_name)} {s.last_failure_status}", "red")
        rows.append([
            s.job, str(s.runs), (rate, rate_style), _seconds(s.p50_s), _seconds(s.p95_s), last,
            _strip_cell(statuses, unicode, plain) or "", (sparkline(durations, unicode), "cyan"),
        ])
    if not rows:
        message("No jobs yet. Add one: schedcli add NAME --every 5m -- COMMAND")
        return
    print_table(columns, rows, wide=wide)
    if shown:
        legend = "  ".join(f"{v[0] if unicode else v[1]} {k}" for k, v in _OUTCOME.items())
        runs = "run" if shown == 1 else f"{shown} runs"
        message(f"RECENT and DURATIONS: the last {runs}, oldest first.")
        message(legend)
