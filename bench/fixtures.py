"""Benchmark fixtures: schedcli databases and APScheduler job stores, built fast.

Jobs go through the library (``schedcli.services.jobs.build_job`` validates and computes
the first run, ``Store.insert_job`` writes the row) inside one write transaction.
History rows (1M) are written with one ``executemany`` in one transaction,
following the schema of ``schedcli/store/migrations.py``.

Every database is checkpointed (``wal_checkpoint(TRUNCATE)``) so that a copy of
the main file is a complete database (``copy_db``).
"""

from __future__ import annotations

import os
import pickle
import random
import shutil
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

# Schedules used for "nothing due" jobs: a realistic mix of cron and interval jobs.
CRON_TEMPLATES = [
    "{m} {h} * * *",
    "{m} {h} * * 1-5",
    "{m} {h} {dom} * *",
    "{m} */6 * * *",
    "@daily",
    "@weekly",
    "{m} {h} * * 0",
]
EVERY_TEMPLATES = ["6h", "12h", "1d", "2d", "1w", "8h"]

MARGIN = timedelta(hours=3)  # no "nothing due" job comes due within this long


def _spec_for(i: int, rng: random.Random, command: list[str]):
    from schedcli.model import JobSpec

    if i % 3 == 2:
        return JobSpec(kind="every", expr=rng.choice(EVERY_TEMPLATES), timezone="UTC", command=command)
    expr = rng.choice(CRON_TEMPLATES).format(m=rng.randrange(60), h=rng.randrange(24), dom=rng.randrange(1, 29))
    return JobSpec(kind="cron", expr=expr, timezone="UTC", command=command)


def open_store(path: Path):
    from schedcli.store import Store

    return Store(path)


def checkpoint(path: Path) -> None:
    conn = sqlite3.connect(str(path))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def build_jobs_db(path: Path, n: int, *, seed: int = 1, prefix: str = "job") -> float:
    """A database with ``n`` enabled jobs, none due within ``MARGIN``. Returns seconds taken."""
    from schedcli.services.jobs import build_job, first_run

    t0 = time.perf_counter()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    later = now + MARGIN
    store = open_store(path)
    try:
        with store.write():
            for i in range(n):
                fields = build_job(f"{prefix}-{i:06d}", _spec_for(i, rng, ["true"]), now)
                if fields["next_run_at"] is None or fields["next_run_at"] < later.timestamp():
                    fields["next_run_at"] = first_run(fields, later)
                store.insert_job(fields)
    finally:
        store.close()
    checkpoint(path)
    return time.perf_counter() - t0


def add_due_jobs(path: Path, count: int, *, command: list[str] | None = None, prefix: str = "due") -> None:
    """Add ``count`` jobs (``--every 1d``) that ``make_due`` can bring due."""
    from schedcli.services.jobs import build_job
    from schedcli.model import JobSpec

    now = datetime.now(UTC)
    store = open_store(path)
    try:
        with store.write():
            for i in range(count):
                spec = JobSpec(kind="every", expr="1d", timezone="UTC", command=command or ["true"])
                store.insert_job(build_job(f"{prefix}-{i:05d}", spec, now))
    finally:
        store.close()
    checkpoint(path)


def make_due(path: Path, *, prefix: str = "due", ago: int = 1) -> int:
    """Set the ``next_run_at`` of the ``prefix`` jobs to ``ago`` seconds before now.

    Exactly one occurrence is then due for each (the next one is a day later), within
    grace: the claim takes the common path (one run row per job, no missed entry).
    """
    conn = sqlite3.connect(str(path))
    try:
        cur = conn.execute(
            "UPDATE jobs SET next_run_at = ? WHERE name LIKE ?", (int(time.time()) - ago, prefix + "-%")
        )
        conn.commit()
        return cur.rowcount
    finally:
        conn.close()


def build_at_jobs_db(path: Path, count: int, at_epoch: int, argv: list[str]) -> None:
    """``count`` one-off (``--at``) jobs all due at ``at_epoch`` (the watch latency test)."""
    from schedcli.services.jobs import build_job
    from schedcli.model import JobSpec

    now = datetime.now(UTC)
    when = datetime.fromtimestamp(at_epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    store = open_store(path)
    try:
        with store.write():
            for i in range(count):
                spec = JobSpec(kind="at", expr=when, timezone="UTC", command=list(argv))
                store.insert_job(build_job(f"lat-{i:03d}", spec, now))
    finally:
        store.close()
    checkpoint(path)


STATUS_WEIGHTS = [("success", 90), ("error", 4), ("missed", 2), ("skipped", 2), ("timeout", 1), ("interrupted", 1)]


def add_history(path: Path, rows: int, *, seed: int = 2) -> float:
    """Append ``rows`` finished runs spread over the existing jobs (direct SQL, one transaction)."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    statuses = [s for s, w in STATUS_WEIGHTS for _ in range(w)]
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        jobs = conn.execute("SELECT id, name FROM jobs ORDER BY id").fetchall()
        per_job = max(1, rows // len(jobs))
        end = int(time.time()) - 3600
        start = end - per_job * 3600

        def gen():
            made = 0
            # Runs are appended in time order (interleaved across jobs), as a runner would.
            for k in range(per_job):
                sched = start + k * 3600
                for job_id, name in jobs:
                    if made >= rows:
                        return
                    made += 1
                    status = statuses[rng.randrange(len(statuses))]
                    if status in ("missed", "skipped"):
                        yield (job_id, name, "schedule", sched, 1, status, "benchmark fixture",
                               None, sched + 1.0, None, None, 1 if status == "missed" else None,
                               sched if status == "missed" else None, sched if status == "missed" else None)
                        continue
                    dur = round(rng.lognormvariate(0, 1), 6)
                    code = 0 if status == "success" else (1 if status == "error" else None)
                    yield (job_id, name, "schedule", sched, 1, status, None,
                           sched + 0.01, sched + 0.01 + dur, dur, code, None, None, None)

        conn.execute("PRAGMA cache_size = -262144")  # 256 MiB for this build only
        # The indexes are dropped and re-created (same SQL, read back from the schema):
        # building an index once is much faster than 1M random index insertions.
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'runs' AND sql IS NOT NULL"
        ).fetchall()
        conn.execute("BEGIN IMMEDIATE")
        for name, _sql in indexes:
            conn.execute(f'DROP INDEX "{name}"')
        conn.executemany(
            "INSERT INTO runs (job_id, job, trigger, scheduled_for, attempt, status, reason, "
            "started_at, finished_at, duration_s, exit_code, missed_count, missed_first, missed_last) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            gen(),
        )
        for _name, sql in indexes:
            conn.execute(sql)
        conn.execute("COMMIT")  # no ANALYZE: schedcli never runs it, so neither do we
    finally:
        conn.close()
    checkpoint(path)
    return time.perf_counter() - t0


def copy_db(src: Path, dst: Path) -> Path:
    for suffix in ("-wal", "-shm"):
        try:
            os.unlink(f"{dst}{suffix}")
        except FileNotFoundError:
            pass
    shutil.copyfile(src, dst)
    os.chmod(dst, 0o600)
    return dst


def write_import_toml(path: Path, n: int, *, seed: int = 3) -> None:
    """A ``schedcli export``-format TOML file with ``n`` jobs."""
    rng = random.Random(seed)
    lines = ["version = 1", ""]
    for i in range(n):
        spec = _spec_for(i, rng, ["true"])
        lines.append("[[jobs]]")
        lines.append(f'name = "imp-{i:06d}"')
        lines.append(f'{spec.kind} = "{spec.expr}"')
        lines.append('timezone = "UTC"')
        lines.append('command = ["true"]')
        lines.append("")
    path.write_text("\n".join(lines))


# -- APScheduler job stores -----------------------------------------------------------------


def build_apscheduler_store(path: Path, n: int, *, seed: int = 1) -> float:
    """An APScheduler ``SQLAlchemyJobStore`` SQLite file holding ``n`` cron jobs, none due soon.

    One job is added through APScheduler itself; the other rows are its pickled state
    with another id, trigger and next run time (``add_job`` would take minutes for 100k).
    """
    import apscheduler_ref as ref

    t0 = time.perf_counter()
    if path.exists():
        path.unlink()
    rng = random.Random(seed)
    now = datetime.now(UTC)
    later = now + MARGIN
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    sched = BackgroundScheduler(jobstores={"default": ref.jobstore(path)}, timezone=UTC)
    sched.start(paused=True)
    template = sched.add_job(ref.noop, CronTrigger(hour=3, minute=0, timezone=UTC), id="template",
                             misfire_grace_time=3600, coalesce=True)
    state = template.__getstate__()
    sched.remove_job("template")
    sched.shutdown(wait=False)

    def rows():
        for i in range(n):
            st = dict(state)
            st["id"] = st["name"] = f"job-{i:06d}"
            if i % 3 == 2:
                trig = IntervalTrigger(hours=rng.choice([6, 12, 24, 48, 168, 8]), start_date=now, timezone=UTC)
            else:
                trig = CronTrigger(minute=rng.randrange(60), hour=rng.randrange(24), timezone=UTC)
            nrt = trig.get_next_fire_time(None, later)
            st["trigger"] = trig
            st["next_run_time"] = nrt
            yield (st["id"], nrt.timestamp(), pickle.dumps(st, pickle.HIGHEST_PROTOCOL))

    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.executemany("INSERT INTO apscheduler_jobs (id, next_run_time, job_state) VALUES (?, ?, ?)", rows())
        conn.execute("COMMIT")
    finally:
        conn.close()
    return time.perf_counter() - t0
