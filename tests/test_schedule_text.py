"""Tests for schedcli.schedule durations (schedule/text.py): parse_duration, format_duration."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedcli.errors import InvalidDuration, UsageError
from schedcli.schedule import MAX_DURATION, format_duration, parse_duration


# ---------------------------------------------------------------------------
# Durations
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("1s", 1),
        ("5m", 300),
        ("90m", 5400),
        ("1h", 3600),
        ("2d", 172800),
        ("1w", 604800),
        ("1h30m", 5400),
        ("2d12h", 216000),
        ("1w2d3h4m5s", 604800 + 2 * 86400 + 3 * 3600 + 4 * 60 + 5),
        ("1h0m", 3600),
        ("05m", 300),
        ("36525d", MAX_DURATION),
        ("5217w", 5217 * 604800),
    ],
)
def test_parse_duration_valid(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("0s", "greater than zero"),
        ("0h0m", "greater than zero"),
        ("0", "greater than zero"),  # not "a unit is required, e.g. 0s"
        ("000", "greater than zero"),
        ("-5m", "positive"),
        ("5", "unit is required"),
        ("300", "unit is required"),
        ("m", "number and a unit"),
        ("5x", "number and a unit"),
        ("5y", "number and a unit"),
        ("1.5h", "number and a unit"),
        ("+5m", "number and a unit"),
        ("1h 30m", "spaces"),
        (" 5m", "spaces"),
        ("5m\n", "spaces"),
        ("\uff15m", "ASCII"),  # fullwidth digit five
        ("\u0663m", "ASCII"),  # Arabic-Indic digit three
        ("5\u00b5s", "ASCII"),
        ("", "empty"),
        ("   ", "empty"),
        ("1m1h", "order"),
        ("30m1h", "order"),
        ("1h1h", "order"),
        ("5M", "lowercase"),
        ("1H30M", "lowercase"),
        ("36526d", "100 years"),
        ("5218w", "100 years"),
        ("99999999999999999999w", "100 years"),
        ("9" * 5000 + "s", "100 years"),
    ],
)
def test_parse_duration_invalid(text: str, fragment: str) -> None:
    with pytest.raises(InvalidDuration) as info:
        parse_duration(text)
    message = str(info.value)
    assert fragment in message
    assert message.startswith("invalid duration ")
    assert "\n" not in message
    assert isinstance(info.value, UsageError)


def test_parse_duration_rejects_non_text() -> None:
    with pytest.raises(InvalidDuration):
        parse_duration(5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0s"),
        (1, "1s"),
        (59, "59s"),
        (60, "1m"),
        (90, "1m30s"),
        (3600, "1h"),
        (5400, "1h30m"),
        (86400, "1d"),
        (90061, "1d1h1m1s"),
        (604800, "1w"),
        (694800, "1w1d1h"),
        (-90, "-1m30s"),
        (0.5, "0.5s"),
        (0.25, "0.25s"),
        (0.0, "0s"),
        (89.6, "1m30s"),
        (5400.0, "1h30m"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.integers(min_value=1, max_value=MAX_DURATION))
def test_format_parse_round_trip(seconds: int) -> None:
    assert parse_duration(format_duration(seconds)) == seconds
