"""schedcli stats: counts, success rate, percentiles, last failure and recent outcomes.

History is made either by really running jobs or, for exact numbers and large
volumes, by recording runs through the Store (real SQLite files throughout).
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from schedcli.cli.stats_table import outcome_strip, sparkline
from schedcli.store import Store
from schedcli.services.stats import compute_stats, nearest_rank

NOW = time.time()


def _job_id(cli, store: Store, name: str, *args: str) -> int:
    assert cli("add", name, "--cron", "0 3 * * *", *args, "--", "true").exit_code == 0
    return store.get_job(name).id


def _record(store: Store, job_id: int, name: str, rows: list[tuple[str, float | None, float]]) -> None:
    """Record finished runs: (status, duration_s, started_at epoch), in order."""
    with store.write():
        for i, (status, duration, started) in enumerate(rows):
            fields = {
                "job_id": job_id, "job": name, "trigger": "schedule",
                "scheduled_for": int(started) - i * 100_000 - 10**9,  # unique occurrences
                "status": status, "started_at": started if status not in ("missed", "skipped") else None,
                "finished_at": started + (duration or 0), "duration_s": duration,
            }
            if status == "missed":
                fields["missed_count"] = 5
                fields["scheduled_for"] = int(started)
            store.insert_run(fields)


def test_nearest_rank():
    assert nearest_rank(1, 50) == 0 and nearest_rank(1, 95) == 0
    assert nearest_rank(100, 50) == 49 and nearest_rank(100, 95) == 94
    assert nearest_rank(20, 95) == 18  # ceil(19.0) - 1
    assert nearest_rank(21, 95) == 19  # ceil(19.95) - 1
    assert nearest_rank(3, 50) == 1


def test_counts_rates_percentiles_and_last_failure(cli, db_path):
    with Store(db_path) as store:
        job_id = _job_id(cli, store, "etl")
        # durations 1..100 s in shuffled order; every 10th fails, run 97 times out
        order = [(i * 37) % 100 + 1 for i in range(100)]
        rows = []
        for n, d in enumerate(order):
            status = "error" if d % 10 == 0 else "timeout" if d == 97 else "warning" if d == 3 else "success"
            rows.append((status, float(d), NOW - 10_000 + n * 60))
        rows.append(("skipped", None, NOW - 100))
        rows.append(("missed", None, NOW - 90))
        _record(store, job_id, "etl", rows)
        with store.write():  # one still running: not counted anywhere
            store.insert_run({"job_id": job_id, "job": "etl", "trigger": "manual", "scheduled_for": int(NOW),
                              "status": "running", "started_at": NOW - 5})

    r = cli("stats", "etl", "--json")
    assert r.exit_code == 0, r.stderr
    [doc] = r.json()
    assert doc["job"] == "etl"
    assert doc["runs"] == 100
    assert doc["failures"] == 11  # ten errors and one timeout
    assert doc["success"] == 89 and doc["warnings"] == 1
    assert doc["success_rate"] == 0.89
    assert doc["p50_s"] == 50.0 and doc["p95_s"] == 95.0
    assert doc["skipped"] == 1 and doc["missed"] == 5
    last_failed = max((n for n, d in enumerate(order) if d % 10 == 0 or d == 97))
    assert doc["last_failure_at"] == datetime.fromtimestamp(
        int(NOW - 10_000 + last_failed * 60 + order[last_failed]), timezone.utc
    ).isoformat().replace("+00:00", "Z")
    assert doc["last_failure_status"] == ("timeout" if order[last_failed] == 97 else "error")
    assert [x["duration_s"] for x in doc["recent"]] == [float(d) for d in order[-20:]]  # oldest first
    assert len(doc["recent"]) == 20 and {x["status"] for x in doc["recent"]} <= {"success", "warning", "error", "timeout"}


def test_stats_of_real_runs_table_and_json(cli, sh):
    cli("add", "good", "--cron", "0 3 * * *", "--", "true")
    cli("add", "flaky", "--cron", "0 3 * * *", "--", 'test -e "$HOME/ok"')
    cli("add", "idle", "--cron", "0 3 * * *", "--", "true")
    for _ in range(3):
        assert cli("run", "good").exit_code == 0
    assert cli("run", "flaky").exit_code == 1
    home = Path(os.environ["HOME"])  # the job's cwd and $HOME (set per test by conftest)
    (home / "ok").touch()
    assert cli("run", "flaky").exit_code == 0

    docs = {d["job"]: d for d in cli("stats", "--json").json()}
    assert list(docs) == ["flaky", "good", "idle"]  # every job, by name
    assert docs["good"]["runs"] == 3 and docs["good"]["success_rate"] == 1.0
    assert docs["flaky"]["runs"] == 2 and docs["flaky"]["success_rate"] == 0.5
    assert [x["status"] for x in docs["flaky"]["recent"]] == ["error", "success"]
    assert docs["flaky"]["last_failure_status"] == "error" and docs["flaky"]["last_failure_at"].endswith("Z")
    assert docs["idle"] == {
        "job": "idle", "runs": 0, "success": 0, "failures": 0, "warnings": 0, "skipped": 0, "missed": 0,
        "success_rate": None, "p50_s": None, "p95_s": None, "last_failure_at": None,
        "last_failure_status": None, "last_failure_run": None, "recent": [],
    }

    table = sh("stats")  # the real entry point, stdout not a terminal
    assert table.exit_code == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split() == ["JOB", "RUNS", "OK", "P50", "P95", "LAST", "FAILURE", "RECENT", "DURATIONS"]
    flaky = next(line for line in lines if line.startswith("flaky"))
    assert " 50% " in flaky and "✗✓" in flaky and " error " in flaky
    good = next(line for line in lines if line.startswith("good"))
    assert " 100% " in good and "✓✓✓" in good
    assert any(ch in good for ch in "▁▂▃▄▅▆▇█")
    idle = next(line for line in lines if line.startswith("idle"))
    assert idle.split()[:3] == ["idle", "0", "-"]


def test_ascii_fallback_when_the_terminal_cannot_show_unicode(cli, sh):
    cli("add", "j", "--cron", "0 3 * * *", "--", "exit 2")
    cli("run", "j")
    r = sh("stats", env={"PYTHONIOENCODING": "ascii"})
    assert r.exit_code == 0, r.stderr
    row = next(line for line in r.stdout.splitlines() if line.startswith("j "))
    assert " x " in row and r.stdout.isascii()


def test_since_limits_the_window(cli, db_path):
    with Store(db_path) as store:
        job_id = _job_id(cli, store, "w")
        _record(store, job_id, "w", [("error", 100.0, NOW - 3 * 86400), ("success", 1.0, NOW - 600),
                                     ("success", 2.0, NOW - 300)])
    everything = cli("stats", "w", "--json").json()[0]
    assert everything["runs"] == 3 and everything["p95_s"] == 100.0 and everything["failures"] == 1
    recent = cli("stats", "w", "--since", "1h", "--json").json()[0]
    assert recent["runs"] == 2 and recent["failures"] == 0 and recent["success_rate"] == 1.0
    assert recent["p50_s"] == 1.0 and recent["p95_s"] == 2.0
    assert recent["last_failure_at"] is None
    assert [x["duration_s"] for x in recent["recent"]] == [1.0, 2.0]


def test_bad_input(cli):
    r = cli("stats", "nope")
    assert r.exit_code == 2 and r.stderr == "Error: no job named 'nope' (see: schedcli list)\n"
    r = cli("stats", "--since", "yesterday")
    assert r.exit_code == 2 and "--since" in r.stderr
    empty = cli("stats")
    assert empty.exit_code == 0 and "No jobs yet" in empty.stdout
    assert cli("stats", "--json").json() == []


def test_large_history_is_aggregated_in_sqlite(cli, db_path):
    """100k runs: the numbers are exact and nothing loads the whole history into Python
    (percentiles and the latest runs are index walks per job that stop where they must)."""
    per_job = 50_000
    with Store(db_path) as store:
        ids = [_job_id(cli, store, name) for name in ("a", "b")]
        for job_id, name in zip(ids, ("a", "b")):
            with store.write():
                for i in range(per_job):
                    store.insert_run({
                        "job_id": job_id, "job": name, "trigger": "schedule", "scheduled_for": i,
                        "status": "error" if i % 4 == 0 else "success",
                        "started_at": NOW - per_job + i, "finished_at": NOW - per_job + i + 1,
                        "duration_s": float(i % 1000),
                    })
        result = compute_stats(store, datetime.now(timezone.utc))
        # only the recent rows of each job come into Python: the store's walk stops at them
        recent = store.stats_recent(0, ids, 20)
    assert [s.runs for s in result] == [per_job, per_job]
    assert [s.failures for s in result] == [per_job // 4] * 2
    assert result[0].success_rate == 0.75
    # 50 copies of 0..999: nearest-rank p50 is the 25_000th value (499), p95 the 47_500th (949)
    assert result[0].p50_s == 499.0 and result[0].p95_s == 949.0
    assert sorted(len(v) for v in recent.values()) == [20, 20]
    r = cli("stats", "b", "--json")
    assert r.json()[0]["recent"][-1] == {"status": "success", "duration_s": float((per_job - 1) % 1000)}


def test_sparkline_and_outcome_strip():
    assert sparkline([1.0, 2.0, 8.0]) == "▁▂█"
    assert sparkline([1.0, None, 8.0]) == "▁ █"
    assert sparkline([3.0, 3.0]) == "▄▄"  # all equal: mid height
    assert sparkline([]) == ""
    assert sparkline([1.0, 8.0], unicode=False) == "_#"
    strip = outcome_strip([("success", 1.0), ("error", 1.0), ("timeout", 2.0), ("interrupted", None),
                           ("warning", 1.0)])
    assert strip.plain == "✓✗⧖⊘!"
    assert outcome_strip([("success", 1.0), ("error", 1.0)], unicode=False).plain == "+x"
    assert [span.style for span in strip.spans][:2] == ["green", "red"]


@pytest.mark.parametrize("args", [["--json"], []])
def test_stats_with_missing_durations(cli, db_path, args):
    """Runs replaced or recovered after a crash have no duration: counted, not in percentiles."""
    with Store(db_path) as store:
        job_id = _job_id(cli, store, "m")
        _record(store, job_id, "m", [("interrupted", None, NOW - 50), ("success", 4.0, NOW - 40)])
    r = cli("stats", *args)
    assert r.exit_code == 0
    if args:
        [doc] = r.json()
        assert doc["runs"] == 2 and doc["p50_s"] == 4.0 and doc["p95_s"] == 4.0
        assert [x["duration_s"] for x in doc["recent"]] == [None, 4.0]
        assert doc["last_failure_status"] == "interrupted"
    else:
        row = next(line for line in r.stdout.splitlines() if line.startswith("m "))
        assert "⊘✓" in row and "interrupted" in row


def test_percentiles_are_read_at_their_ranks_from_the_nearer_end(cli, db_path):
    """Each percentile is the value at its rank, counted from the shortest duration or
    (p95) from the longest: any set of ranks gives the same values, also in a window
    (counted by stats_summary over the same window)."""
    with Store(db_path) as store:
        job_id = _job_id(cli, store, "p")
        durations = [float((i * 37) % 101) for i in range(97)] + [None, None]
        _record(store, job_id, "p", [("success" if i % 3 else "error", d, NOW - 500 + i) for i, d in enumerate(durations)])
        timed = {job_id: 97}
        with store.read():
            two = store.stats_percentiles(None, timed, (50, 95))
            three = store.stats_percentiles(None, timed, (50, 75, 95))
            one = store.stats_percentiles(None, timed, (95,))
            [counted] = store.stats_summary(NOW - 480, job_id)
            windowed = store.stats_percentiles(NOW - 480, {job_id: counted.timed}, (50, 95))
    known = sorted(d for d in durations if d is not None)
    assert two[job_id] == {50: known[nearest_rank(97, 50)], 95: known[nearest_rank(97, 95)]}
    assert {p: three[job_id][p] for p in (50, 95)} == two[job_id] and one[job_id] == {95: two[job_id][95]}
    assert three[job_id][75] == known[nearest_rank(97, 75)]
    in_window = sorted(d for i, d in enumerate(durations) if d is not None and i >= 20)  # NOW - 480 on
    assert counted.timed == len(in_window) == 77
    assert windowed[job_id] == {50: in_window[nearest_rank(77, 50)], 95: in_window[nearest_rank(77, 95)]}
