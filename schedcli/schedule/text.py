"""Schedule text in and out: durations (``1h30m``), WHEN values, instants as text.

Schedule arithmetic lives in the other modules of :mod:`schedcli.schedule`; this
module only turns text into seconds or aware datetimes and back.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from time import gmtime, strftime

from schedcli.errors import InvalidDuration, InvalidTime
from schedcli.schedule.zones import UTC, zone

# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------

_UNITS: tuple[tuple[str, int], ...] = (
    ("w", 7 * 86400),
    ("d", 86400),
    ("h", 3600),
    ("m", 60),
    ("s", 1),
)
#: Longest accepted duration: 100 years of 365.25 days.
MAX_DURATION = 36525 * 86400
_DURATION_RE = re.compile(r"(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?")
_DURATION_HINT = "use a number and a unit (s, m, h, d, w), e.g. 30s, 5m, 1h30m, 2d12h"


def quoted(text: str) -> str:
    """Quote user text for a one-line message (control characters escaped)."""
    return repr(text)


def parse_duration(text: str) -> int:
    """Parse ``30s``, ``5m``, ``1h30m``, ``2d12h``, ``1w`` ... into seconds.

    Units are s, m, h, d, w, combined in descending order, each at most once.
    Bare numbers, zero, negative values, spaces, non-ASCII digits and
    durations over 100 years are rejected with :class:`InvalidDuration`.
    """
    if not isinstance(text, str):
        raise InvalidDuration(f"invalid duration {text!r}: expected text such as 30m")
    shown = quoted(text)
    if text == "" or text.isspace():
        raise InvalidDuration(f"invalid duration {shown}: it is empty; {_DURATION_HINT}")
    bad = next((ch for ch in text if not ("!" <= ch <= "~") and not ch.isspace()), None)
    if bad is not None:
        raise InvalidDuration(
            f"invalid duration {shown}: only ASCII digits and the units s, m, h, d, w "
            f"are allowed (found {bad!r})"
        )
    if any(ch.isspace() for ch in text):
        raise InvalidDuration(f"invalid duration {shown}: spaces are not allowed; write e.g. 1h30m")
    if text.startswith("-"):
        raise InvalidDuration(f"invalid duration {shown}: it must be positive")
    if text.isdigit() and int(text) == 0:
        raise InvalidDuration(f"invalid duration {shown}: it must be greater than zero")
    if text.isdigit():
        raise InvalidDuration(
            f"invalid duration {shown}: a unit is required (s, m, h, d or w), e.g. {text}s or {text}m"
        )
    match = _DURATION_RE.fullmatch(text)
    if match is None or not any(match.groups()):
        pieces = re.fullmatch(r"(?:[0-9]+[wdhms])+", text)
        if pieces is not None:
            raise InvalidDuration(
                f"invalid duration {shown}: units must appear in the order w, d, h, m, s, "
                "each at most once"
            )
        if re.search(r"[0-9]+[A-Z]", text) and re.fullmatch(r"(?:[0-9]+[wdhmsWDHMS])+", text):
            raise InvalidDuration(f"invalid duration {shown}: units are lowercase (s, m, h, d, w)")
        raise InvalidDuration(f"invalid duration {shown}: {_DURATION_HINT}")
    total = 0
    for (_unit, factor), digits in zip(_UNITS, match.groups()):
        if digits is None:
            continue
        if len(digits) > 12:  # also keeps int() far from its digit limit
            raise InvalidDuration(f"invalid duration {shown}: it is longer than the maximum of 100 years")
        total += int(digits) * factor
    if total == 0:
        raise InvalidDuration(f"invalid duration {shown}: it must be greater than zero")
    if total > MAX_DURATION:
        raise InvalidDuration(f"invalid duration {shown}: it is longer than the maximum of 100 years")
    return total


def format_duration(seconds: int | float) -> str:
    """Format seconds the way :func:`parse_duration` reads them.

    ``5400 -> '1h30m'``, ``86400 -> '1d'``, ``90 -> '1m30s'``, ``604800 -> '1w'``.
    Floats are rounded to whole seconds, except values under one second
    (``0.5 -> '0.5s'``).  ``0 -> '0s'``; negative values get a leading ``-``.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise TypeError(f"format_duration() needs a number, not {type(seconds).__name__}")
    if isinstance(seconds, float):
        if not math.isfinite(seconds):
            raise ValueError(f"cannot format a non-finite duration: {seconds!r}")
        if seconds < 0:
            return "-" + format_duration(-seconds)
        if seconds < 1:
            return "0s" if seconds == 0 else f"{seconds:g}s"
        seconds = int(round(seconds))
    if seconds < 0:
        return "-" + format_duration(-seconds)
    if seconds == 0:
        return "0s"
    parts = []
    rest = seconds
    for unit, factor in _UNITS:
        count, rest = divmod(rest, factor)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


# ---------------------------------------------------------------------------
# WHEN: a point in time given on the command line
# ---------------------------------------------------------------------------

# A pattern, not a compiled regex: re compiles it on first use (and caches it), so
# importing the layer does not pay for it.
_WHEN = (
    r"^\d{4}-\d{2}-\d{2}"  # date
    r"(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?"  # optional time
    r"(?:Z|[+-]\d{2}:?\d{2})?$"  # optional zone
)


def parse_when(text: str, tz_name: str) -> datetime:
    """Parse an ISO 8601 date/time; without an offset it is read in ``tz_name``.

    Returns an aware datetime in UTC. A local time that does not exist (inside a
    daylight-saving gap) is rejected; one that occurs twice means the first.
    """
    raw = text.strip()
    if not raw.isascii() or not re.match(_WHEN, raw):
        raise InvalidTime(
            f"invalid time {text!r}: use ISO 8601 such as 2026-12-01T09:00, "
            "'2026-12-01 09:00' or 2026-12-01T09:00Z"
        )
    try:
        dt = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        if "offset must be" in str(exc):
            raise InvalidTime(f"invalid time {text!r}: a UTC offset is at most 23:59 either way") from None
        raise InvalidTime(f"invalid time {text!r}: {exc}") from None
    if dt.tzinfo is None:
        tz = zone(tz_name)
        local = dt.replace(tzinfo=tz, fold=0)
        back = local.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if back != dt:
            raise InvalidTime(
                f"time {text!r} does not exist in {tz_name} (the clocks skip it); pick another time"
            )
        dt = local
    return dt.astimezone(UTC)


# ---------------------------------------------------------------------------
# Instants as text
# ---------------------------------------------------------------------------


def from_epoch(ts: float | None) -> datetime | None:
    """Seconds since the epoch as an aware UTC datetime (None stays None)."""
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC)


_YEAR_10000 = 253402300800  # the first instant datetime cannot hold
# The pieces of an instant's ISO text: its day ("2026-12-01T", as met), the minute of the
# day ("09:30:") and the second ("05Z"), the last two made on first use.
_DAY_TEXT: dict[int, str] = {}
_MAX_DAYS = 4096
_MINUTE_TEXT: list[str] = []
_SECOND_TEXT: list[str] = []


def iso(ts: float | datetime | None, *, millis: bool = False) -> str | None:
    """ISO 8601 in UTC with a ``Z`` suffix (seconds, or milliseconds when asked)."""
    if ts is None:
        return None
    kind = type(ts)
    if not millis and (kind is int or kind is float) and 0 <= ts < _YEAR_10000 and ts % 1 < 0.999999:
        # What the datetime below writes, without making one (listings write 4 a job). A
        # fraction this close to 1 is left to datetime: rounded to microseconds, it is
        # the next second.
        return _epoch_text(int(ts))
    dt = ts.astimezone(UTC) if isinstance(ts, datetime) else datetime.fromtimestamp(ts, UTC)
    if millis:
        return dt.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


def _epoch_text(seconds: int) -> str:
    """``seconds`` (since the epoch, before the year 10000) as ``2026-12-01T09:30:05Z``."""
    day = seconds // 86400
    head = _DAY_TEXT.get(day)
    if head is None:
        if not _SECOND_TEXT:  # each filled at once (threads may race here: to the same lists)
            _MINUTE_TEXT[:] = [f"{h:02d}:{m:02d}:" for h in range(24) for m in range(60)]
            _SECOND_TEXT[:] = [f"{s:02d}Z" for s in range(60)]
        if len(_DAY_TEXT) >= _MAX_DAYS:
            _DAY_TEXT.clear()
        head = _DAY_TEXT[day] = strftime("%Y-%m-%dT", gmtime(day * 86400))
    return head + _MINUTE_TEXT[seconds % 86400 // 60] + _SECOND_TEXT[seconds % 60]


def local_text(ts: float | None, tz_name: str | None = None) -> str:
    """A short human form in the given zone (default: the machine's): ``2026-12-01 09:00:00 CET``."""
    if ts is None:
        return "-"
    tz = zone(tz_name) if tz_name else None
    dt = datetime.fromtimestamp(ts, UTC).astimezone(tz)
    return dt.strftime("%Y-%m-%d %H:%M:%S %Z").strip()
