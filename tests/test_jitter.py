"""--jitter: each occurrence starts at a stable offset in [0, D) from its scheduled time,
keeps its scheduled time as its identity, is never started early, never counted missed
because of its offset, and runs exactly once, through run-due and watch."""

from __future__ import annotations

import signal
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedcli import schedule as sched
from schedcli.schedule import jitter_offset
from waiting import wait_for

T0 = datetime(2026, 3, 29, 0, 0, tzinfo=timezone.utc)


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


def _iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- the arithmetic --------------------------------------------------------------------------


def test_offsets_are_stable_spread_and_below_the_jitter():
    offsets = [jitter_offset("backup", 1_700_000_000 + 3600 * k, 1800) for k in range(500)]
    assert offsets == [jitter_offset("backup", 1_700_000_000 + 3600 * k, 1800) for k in range(500)]
    assert all(0 <= o < 1800 for o in offsets)
    assert len(set(offsets)) > 400  # spread, not a constant
    assert offsets != [jitter_offset("other", 1_700_000_000 + 3600 * k, 1800) for k in range(500)]
    assert jitter_offset("backup", 1_700_000_000, 0) == 0


@settings(max_examples=60, deadline=None)
@given(
    period=st.integers(min_value=1, max_value=7200),
    jitter=st.integers(min_value=1, max_value=10_000),
    a=st.integers(min_value=0, max_value=40_000),
    width=st.integers(min_value=0, max_value=40_000),
)
def test_starts_are_ordered_belong_to_their_occurrence_and_count_right(period, jitter, a, width):
    base = sched.make_schedule("every", f"{period}s", "UTC", T0)
    starts = sched.with_jitter(base, jitter, "job")
    occurrences = sched.upcoming(base, T0, 60)
    firsts = [starts.start_of(t) for t in occurrences]
    assert firsts == sched.upcoming(starts, T0, 60)
    for t, s, nxt in zip(occurrences, firsts, occurrences[1:]):
        assert t <= s < nxt  # before the next one is scheduled
        assert starts.occurrence_of(s) == t
    lo, hi = T0 + timedelta(seconds=a), T0 + timedelta(seconds=a + width)
    brute = sum(1 for s in sched.upcoming(starts, T0, 2 + (a + width) // period) if lo < s <= hi)
    assert sched.count_occurrences(starts, lo, hi)[0] == brute


def test_cron_and_dst_days_keep_starts_in_order():
    base = sched.make_schedule("cron", "30 1-3 * * *", "Europe/Paris", None)
    starts = sched.with_jitter(base, 7200, "j")
    occurrences = sched.upcoming(base, T0 - timedelta(days=1), 12)
    for t, nxt in zip(occurrences, occurrences[1:]):
        assert t <= starts.start_of(t) < nxt


# -- the command line, with real processes -----------------------------------------------------


def _job(cli, name: str) -> dict:
    return cli("show", name, "--json").json()


def _add_with_big_offset(cli, jitter: str = "30m", minimum: int = 300, **options: str) -> tuple[str, int, int]:
    """Add hourly jobs until one's next offset is at least ``minimum`` s: (name, scheduled, start)."""
    extra = [x for k, v in options.items() for x in (f"--{k.replace('_', '-')}", v)]
    for k in range(20):
        name = f"j{k}"
        r = cli("add", name, "--cron", "0 * * * *", "--jitter", jitter, *extra, "--",
                'echo "$SCHEDCLI_SCHEDULED_FOR"')
        assert r.exit_code == 0, r.stderr
        start = _epoch(_job(cli, name)["next_run_at"])
        scheduled = start - start % 3600
        assert start - scheduled == jitter_offset(name, scheduled, sched.parse_duration(jitter))
        if start - scheduled >= minimum:
            for other in range(k):
                cli("rm", f"j{other}", "--yes")
            return name, scheduled, start
    raise AssertionError("no offset was large enough")  # (1/6)**20: never


def test_next_show_and_add_speak_of_the_offset_times(cli):
    name, scheduled, start = _add_with_big_offset(cli)
    assert "jitter    up to 30m after each scheduled time" in cli("show", name).stdout
    assert _job(cli, name)["jitter_s"] == 1800
    shown = [_epoch(x["at"]) for x in cli("next", name, "--count", "3", "--json").json()]
    expected = [start] + [s + jitter_offset(name, s, 1800) for s in (scheduled + 3600, scheduled + 7200)]
    assert shown == expected
    assert cli("rename", name, "renamed").exit_code == 0  # the offset follows the name
    assert _epoch(_job(cli, "renamed")["next_run_at"]) == scheduled + jitter_offset("renamed", scheduled, 1800)
    name = "renamed"
    r = cli("edit", name, "--jitter", "0")
    assert r.exit_code == 0 and "jitter" not in r.stdout
    assert _epoch(_job(cli, name)["next_run_at"]) == scheduled  # the same occurrence, now unjittered


def test_run_due_starts_at_the_offset_and_keeps_the_scheduled_time(cli, sh):
    name, scheduled, start = _add_with_big_offset(cli)
    assert sh("run-due", "--now", _iso(start - 1)).stdout == ""  # scheduled already, not started early
    r = sh("run-due", "--now", _iso(start))
    assert r.exit_code == 0 and f" {name}: success" in r.stdout, r.stderr
    [run] = cli("history", name, "--json").json()
    assert run["scheduled_for"] == _iso(scheduled)  # its identity is its scheduled time
    assert cli("logs", str(run["id"])).stdout.strip() == _iso(scheduled)
    nxt = scheduled + 3600
    assert _epoch(_job(cli, name)["next_run_at"]) == nxt + jitter_offset(name, nxt, 1800)
    assert sh("run-due", "--now", _iso(start + 5)).stdout == ""  # exactly once


def test_an_offset_longer_than_the_grace_is_not_missed(cli, sh):
    name, scheduled, start = _add_with_big_offset(cli, grace="1m", minimum=300)
    r = sh("run-due", "--now", _iso(start + 30))  # 30 s after its start, 5 min+ after its schedule
    assert f" {name}: success" in r.stdout, r.stderr
    [run] = cli("history", name, "--json").json()
    assert (run["status"], run["scheduled_for"]) == ("success", _iso(scheduled))


def test_lateness_counts_from_the_start_and_a_missed_one_keeps_its_identity(cli, sh):
    name, scheduled, start = _add_with_big_offset(cli, grace="1m", catch_up="none")
    sh("run-due", "--now", _iso(start + 120))
    [run] = cli("history", name, "--json").json()
    assert run["status"] == "missed" and run["scheduled_for"] == _iso(scheduled)


def test_overlapping_runners_agree_and_run_it_once(cli, db_path):
    name, scheduled, start = _add_with_big_offset(cli)
    argv = [sys.executable, "-m", "schedcli", "--db", str(db_path), "run-due", "--now", _iso(start)]
    runners = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=60) for p in runners]
    assert sum(f" {name}: success" in out for out, _ in outputs) == 1, outputs
    assert [r["scheduled_for"] for r in cli("history", name, "--json").json()] == [_iso(scheduled)]


def test_watch_never_starts_an_occurrence_before_its_offset(cli, db_path):
    cli("add", "w", "--every", "4s", "--jitter", "3s", "--", "true")
    watch = subprocess.Popen([sys.executable, "-m", "schedcli", "--db", str(db_path), "watch"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)

    def offsets() -> list[int]:
        runs = [r for r in cli("history", "w", "--json").json() if r["status"] == "success"]
        return [jitter_offset("w", _epoch(r["scheduled_for"]), 3) for r in runs]

    try:
        # until one occurrence had a non-zero offset (each has two chances in three)
        wait_for(lambda: any(offsets()), timeout=90, what="a run with an offset")
    finally:
        watch.send_signal(signal.SIGTERM)
        watch.wait(timeout=30)
    runs = [r for r in cli("history", "w", "--json").json() if r["status"] == "success"]
    for run in runs:
        scheduled = _epoch(run["scheduled_for"])
        begun = datetime.fromisoformat(run["started_at"].replace("Z", "+00:00")).timestamp()
        assert begun >= scheduled + jitter_offset("w", scheduled, 3) - 0.05, run  # (claimed 20 ms ahead)
    assert len({r["scheduled_for"] for r in runs}) == len(runs)


@pytest.mark.parametrize("value, message", [
    ("5", "Error: --jitter: invalid duration '5'"),
    ("-1m", "Error: --jitter: invalid duration '-1m': it must be positive"),
])
def test_bad_jitter_is_one_error_line(cli, value, message):
    r = cli("add", "j", "--every", "1h", "--jitter", value, "--", "true")
    assert r.exit_code == 2 and r.stderr.startswith(message), r.stderr
    assert cli("list", "--json").json() == []


# -- the claim's arithmetic: every occurrence handled once, none started early ------------------


def _model_job(jitter: int, grace: int, catch_up: str, first: int):
    from schedcli.model import Job

    return Job(
        id=1, name="prop", kind="every", expr="90s", timezone="UTC", anchor=int(T0.timestamp()), command=["true"],
        collector=None, params={}, env={}, cwd=None, timeout=None, overlap="allow", grace=grace,
        catch_up=catch_up, retries=0, retry_delay=60, enabled=True, description=None, next_run_at=first,
        created_at=0.0, updated_at=0.0, jitter=jitter,
    )


@settings(max_examples=80, deadline=None)
@given(
    jitter=st.integers(min_value=2, max_value=400),
    gaps=st.lists(st.integers(min_value=1, max_value=600), min_size=1, max_size=40),
    catch_up=st.sampled_from(["latest", "all", "none"]),
    grace=st.sampled_from([1, 60, 10**6]),
)
def test_decide_handles_each_occurrence_once_and_never_early(jitter, gaps, catch_up, grace):
    from schedcli.engine.claim import decide

    base = sched.make_schedule("every", "90s", "UTC", T0)
    starts = sched.with_jitter(base, jitter, "prop")
    first = int(sched.start_after(starts, T0).timestamp())
    job = _model_job(jitter, grace, catch_up, first)
    now = T0
    handled: list[int] = []
    for gap in gaps:
        now += timedelta(seconds=gap)
        if job.next_run_at is None or job.next_run_at > now.timestamp():
            continue  # not due: the claim does not select it
        d = decide(job, starts, now)
        for occurrence in d.run:
            start = starts.start_of(datetime.fromtimestamp(occurrence, timezone.utc))
            assert start <= now  # never before scheduled_for + offset
            assert now.timestamp() - start.timestamp() <= grace  # lateness counts from the start
        handled += d.run
        if d.missed_count:
            handled.append(d.missed_last)
        job.next_run_at = d.next_run_at
    assert len(handled) == len(set(handled))  # each occurrence once
    assert all(int(x) % 90 == 0 for x in handled)  # named by their scheduled times
    if catch_up == "all" and grace == 10**6:
        due = [t for t in sched.upcoming(base, T0, 1000)
               if starts.start_of(t) <= now and t.timestamp() >= first - jitter]
        ran = sorted(handled)
        assert ran == [int(t.timestamp()) for t in due][: len(ran)] and len(ran) == len(due)
