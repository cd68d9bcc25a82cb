"""Large listings: JSON lists written as they come are what json.dumps writes, tables drawn
without rich look exactly as rich drew them, and ``next`` merges all jobs' runs."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from schedcli.cli.jsonout import write_list
from schedcli.cli.tables import SEP, Column, line_text, plain_lines, render_lines, styled_text

_scalars = st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text()
_values = st.recursive(_scalars, lambda inner: st.lists(inner, max_size=4)
                       | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.lists(_values, max_size=6))
def test_json_lists_are_written_as_json_dumps_writes_them(items):
    out = io.StringIO()
    write_list(out, iter(items))
    assert out.getvalue() == json.dumps(items, indent=2, ensure_ascii=False) + "\n"


def test_json_list_of_many_items_is_written_in_pieces():
    class Counting(io.StringIO):
        writes = 0

        def write(self, text):
            Counting.writes += 1
            return super().write(text)

    items = [{"n": i, "name": f"job-{i}", "env": {}, "command": ["true"]} for i in range(2000)]
    out = Counting()
    write_list(out, iter(items))
    assert json.loads(out.getvalue()) == items and Counting.writes > 3


_styles = st.sampled_from(["", "bold", "dim", "green", "red", "yellow", "magenta", "cyan"])
_cells = st.lists(st.lists(st.tuples(st.text(alphabet="ab ✓日-", max_size=6), _styles), min_size=1, max_size=4),
                  min_size=1, max_size=5)


@settings(max_examples=200, deadline=None)
@given(_cells, st.booleans())
def test_styled_lines_are_what_rich_wrote(line, colour):
    from rich.console import Console
    from rich.text import Text

    out = io.StringIO()
    console = Console(file=out, force_terminal=True, color_system="standard", no_color=not colour,
                      highlight=False, emoji=False, width=500)
    text = Text()
    for n, cell in enumerate(line):
        if n:
            text.append(SEP)
        for piece, style in cell:
            text.append(piece, style=style or None)
    text.rstrip()
    console.print(text, no_wrap=True, overflow="ignore", crop=False, soft_wrap=True)
    assert styled_text(line, colour) + "\n" == out.getvalue()


_plain_texts = st.text(alphabet="ab c✓日-\n\x07…", max_size=14)
_table_cells = _plain_texts | st.tuples(_plain_texts, _styles) | st.lists(st.tuples(_plain_texts, _styles), max_size=3)
_columns = st.builds(Column, header=st.text(alphabet="AB 日", min_size=1, max_size=6), shrink=st.integers(0, 3),
                     min=st.integers(0, 6), drop=st.integers(0, 3), right=st.booleans(), keep_end=st.booleans())


@settings(max_examples=300, deadline=None)
@given(st.lists(_columns, min_size=1, max_size=5).flatmap(
    lambda cols: st.tuples(st.just(cols), st.lists(st.lists(_table_cells, min_size=len(cols), max_size=len(cols)),
                                                   max_size=5))),
       st.none() | st.integers(1, 60), st.none() | st.integers(1, 12))
def test_plain_lines_are_the_styled_lines_without_their_styles(table, width, cap):
    columns, rows = table
    assert list(plain_lines(columns, rows, width, cap)) == \
        [line_text(line) for line in render_lines(columns, rows, width, cap)]


def test_next_without_a_name_is_one_timeline_of_all_jobs(cli):
    for name, args in (("hourly", ["--every", "1h"]), ("paris", ["--cron", "30 * * * *", "--tz", "Europe/Paris"]),
                       ("ny", ["--cron", "*/20 * * * *", "--tz", "America/New_York"]),
                       ("off", ["--every", "1m", "--disabled"])):
        assert cli("add", name, *args, "--", "true").exit_code == 0
    timeline = cli("next", "--json").json()
    assert len(timeline) == 10  # the next 10 runs of all jobs together, by default
    times = [datetime.fromisoformat(d["at"].replace("Z", "+00:00")) for d in timeline]
    assert times == sorted(times) and {d["job"] for d in timeline} <= {"hourly", "paris", "ny"}
    # the same as every job's own upcoming runs, merged
    merged = sorted(
        (d["at"], d["job"]) for name in ("hourly", "paris", "ny")
        for d in cli("next", name, "--count", "10", "--json").json()
    )[:10]
    assert [(d["at"], d["job"]) for d in timeline] == merged
    assert [d["job"] for d in cli("next", "--json").json()].count("ny") >= 3  # every 20 minutes
    assert len(cli("next", "-n", "25", "--json").json()) == 25
    assert len(cli("next", "hourly", "--json").json()) == 1  # one job: 1 by default, in its own output
    table = cli("next").stdout.splitlines()
    assert table[0].startswith("NEXT") and table[0].split()[-2:] == ["LEFT", "JOB"] and len(table) == 11


def test_next_after_a_later_time_and_with_no_jobs(cli):
    assert cli("next").stdout.strip() == "Nothing scheduled."
    assert cli("add", "a", "--every", "1d", "--", "true").exit_code == 0
    later = (datetime.now(timezone.utc) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    docs = cli("next", "--after", later, "-n", "3", "--json").json()
    assert len(docs) == 3 and all(d["at"] > later for d in docs)


_durations = st.none() | st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e12) \
    | st.floats(allow_nan=True, allow_infinity=True)
_stats = st.builds(
    lambda job, counts, p, last, recent: __import__("schedcli.services.stats", fromlist=["JobStats"]).JobStats(
        job=job, enabled=True, runs=counts[0], success=counts[1], warnings=counts[2], failures=counts[3],
        skipped=counts[4], missed=counts[5], p50_s=p[0], p95_s=p[1], last_failure_at=last[0],
        last_failure_status=last[1], last_failure_run=last[2], recent=recent),
    st.text(max_size=12),
    st.lists(st.integers(0, 2**40), min_size=6, max_size=6),
    st.tuples(_durations, _durations),
    st.tuples(st.none() | st.floats(0, 4e9), st.none() | st.sampled_from(["error", "timeout", "interrupted"]),
              st.none() | st.integers(1, 2**40)),
    st.lists(st.tuples(st.sampled_from(["success", "warning", "error", "timeout", "interrupted"]) | st.text(max_size=4),
                       _durations), max_size=22),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_stats, max_size=4))
def test_stats_json_documents_are_written_as_json_dumps_writes_them(items):
    from schedcli.cli.jsonout import write_texts
    from schedcli.cli.statsjson import stats_text
    from schedcli.services.stats import stats_dict

    out = io.StringIO()
    write_texts(out, (stats_text(s) for s in items))
    assert out.getvalue() == json.dumps([stats_dict(s) for s in items], indent=2, ensure_ascii=False) + "\n"


def test_text_width_of_remembered_one_cell_characters():
    from schedcli.cli.tables import text_width

    assert text_width("✓✓▁█") == 4 and text_width("✓✓▁█") == 4  # the second time from the characters met
    assert text_width("日本✓") == 5 and text_width("e\u0301") == 1
