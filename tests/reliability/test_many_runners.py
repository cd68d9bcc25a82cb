"""8 concurrent run-due processes plus a watch on one database: every occurrence runs exactly once."""

from __future__ import annotations

import random
import signal
import subprocess
import threading
from collections import Counter
from datetime import datetime, timedelta

from waiting import wait_for

from .helpers import UTC, add, history, iso, schedcli, start


def test_eight_run_due_and_watch_over_thirty_simulated_minutes(tmp_path, db_path):
    """The job's 30 minutes lie in the recent past: the run-due processes replay them one by one
    with --now (in shuffled orders), while a watch on the real clock sees all of them due at
    once and catches them up. They race for the same occurrences."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    created = now - timedelta(minutes=30, seconds=30)
    log = tmp_path / "log"
    add(db_path, "minutely", created, kind="cron", expr="* * * * *", catch_up="all",
        overlap="allow", command=[f"echo $SCHEDCLI_SCHEDULED_FOR >> {log}"])
    minutes = [created.replace(second=0) + timedelta(minutes=m) for m in range(1, 31)]
    assert all(m <= now for m in minutes)

    watch = start(db_path, "watch", "--max-parallel", "8")
    errors: list[str] = []

    def replay(seed: int) -> None:
        order = minutes[:]
        random.Random(seed).shuffle(order)
        for minute in order:
            p = subprocess.run(schedcli(db_path, "run-due", "--now", iso(minute + timedelta(seconds=seed))),
                               capture_output=True, text=True, timeout=120)
            if p.returncode != 0:
                errors.append(p.stderr)

    threads = [threading.Thread(target=replay, args=(seed,)) for seed in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    def all_ran():
        runs = [r for r in history(db_path) if r.status == "success"]
        return len([r for r in runs if r.scheduled_for <= int(minutes[-1].timestamp())]) >= 30

    wait_for(all_ran, timeout=60, what="30 runs")
    watch.send_signal(signal.SIGTERM)
    watch.communicate(timeout=30)
    assert errors == []
    runs = [r for r in history(db_path) if r.scheduled_for <= int(minutes[-1].timestamp())]
    executed = [r for r in runs if r.status not in ("missed", "skipped")]
    counts = Counter(r.scheduled_for for r in executed)
    assert sorted(counts) == [int(m.timestamp()) for m in minutes]
    assert set(counts.values()) == {1}
    assert {r.status for r in executed} == {"success"}
    lines = log.read_text().split()
    window = {iso(m) for m in minutes}
    assert sorted(x for x in lines if x in window) == sorted(window)  # each command ran once


def test_real_time_runners_never_duplicate(tmp_path, db_path):
    """Real clock: an every-2s job, a watch and 8 run-due loops for ~12 s."""
    import time

    log = tmp_path / "log"
    r = subprocess.run(schedcli(db_path, "add", "fast", "--every", "2s", "--overlap", "allow",
                                "--catch-up", "all", "--", f"echo $SCHEDCLI_SCHEDULED_FOR >> {log}"),
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    watch = start(db_path, "watch")
    stop = time.monotonic() + 12
    errors: list[str] = []

    def loop() -> None:
        while time.monotonic() < stop:
            p = subprocess.run(schedcli(db_path, "run-due"), capture_output=True, text=True, timeout=60)
            if p.returncode != 0:
                errors.append(p.stderr)

    threads = [threading.Thread(target=loop) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    subprocess.run(schedcli(db_path, "disable", "fast"), capture_output=True, check=True)
    watch.send_signal(signal.SIGTERM)
    watch.communicate(timeout=30)
    assert errors == []
    runs = [r for r in history(db_path) if r.status not in ("missed", "skipped")]
    counts = Counter(r.scheduled_for for r in runs)
    assert len(counts) >= 4
    assert set(counts.values()) == {1}
    grid = sorted(counts)
    assert all(b - a == 2 for a, b in zip(grid, grid[1:]))  # no occurrence lost in between
    assert Counter(log.read_text().split()).most_common(1)[0][1] == 1
