"""Numbers and offsets no SQLite INTEGER or UTC offset can hold: one line, exit 2, nothing changed."""

from __future__ import annotations

import pytest

HUGE = "99999999999999999999999"


@pytest.mark.parametrize("args", [
    ["history", "--limit", HUGE],
    ["history", "--before", HUGE],
    ["logs", HUGE],
    ["list", "--limit", HUGE],
    ["prune", "--keep", HUGE],
])
def test_a_number_too_large_is_one_line_in_our_words(sh, db_path, args):
    assert sh("add", "job", "--every", "1h", "--", "true").exit_code == 0
    before = db_path.read_bytes()
    r = sh(*args)
    assert r.exit_code == 2, r.stderr
    assert r.stderr == f"Error: {HUGE} is too large a number (at most 9223372036854775807)\n"
    assert db_path.read_bytes() == before


def test_an_offset_past_a_day_is_refused_in_our_words(sh):
    r = sh("run-due", "--now", "2026-12-01T10:00+25:00")
    assert r.exit_code == 2
    assert r.stderr == "Error: invalid time '2026-12-01T10:00+25:00': a UTC offset is at most 23:59 either way\n"
