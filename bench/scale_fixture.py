"""The "scale" fixture: 10k jobs (cron and interval schedules, three zones) and 1M history
rows, built with direct SQL and cached between runs.

Job rows are validated and computed by the library (``build_job``: the schedule checked,
the first run computed) and written with one ``executemany``; the history goes through
``fixtures.add_history`` (one ``executemany``, indexes rebuilt once). One job gets a run
with stored output (for ``logs``).

The database is cached in ``$TMPDIR/schedcli-bench-cache/`` under a name that holds
everything it depends on (sizes, seed, schema version, this file's version) and is
reused while it is younger than ``MAX_AGE`` (its jobs' next runs are at least 3 hours
ahead when it is built, so a cached one stays a "nothing due soon" database for a run).
Each run works on a copy.
"""

from __future__ import annotations

import os
import random
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import fixtures

VERSION = 1  # bump when what is built changes
ZONES = ("UTC", "Europe/Paris", "America/New_York")
MAX_AGE = 2 * 3600.0
LOGS_JOB = "job-000042"
OUTPUT_LINES = 2_000  # the stored output of LOGS_JOB's latest run: 2,000 short lines


def cache_dir() -> Path:
    path = Path(tempfile.gettempdir()) / "schedcli-bench-cache"
    path.mkdir(mode=0o700, exist_ok=True)
    return path


def _job_rows(n: int, seed: int) -> list[dict]:
    from schedcli.services.jobs import build_job, first_run

    rng = random.Random(seed)
    now = datetime.now(UTC)
    later = now + fixtures.MARGIN
    out = []
    for i in range(n):
        spec = fixtures._spec_for(i, rng, ["true"])
        spec.timezone = ZONES[i % len(ZONES)]
        if i % 7 == 3:  # longer commands, shortened in a table
            spec.command = [f"/usr/local/bin/report --daily --out /var/tmp/report-{i}.csv --verbose"]
        fields = build_job(f"job-{i:06d}", spec, now)
        if fields["next_run_at"] is None or fields["next_run_at"] < later.timestamp():
            fields["next_run_at"] = first_run(fields, later)
        out.append(fields)
    return out


def build(path: Path, n_jobs: int, n_runs: int, seed: int = 1) -> float:
    """Build the fixture at ``path``; returns the seconds taken."""
    from schedcli.store import rows as store_rows

    t0 = time.perf_counter()
    fixtures.open_store(path).close()  # the schema, through the migrations
    encoded = [store_rows.encode_job(f) for f in _job_rows(n_jobs, seed)]
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        by_columns: dict[tuple[str, ...], list[list]] = {}
        for row in encoded:
            by_columns.setdefault(tuple(row), []).append(list(row.values()))
        for cols, values in by_columns.items():
            conn.executemany(f"INSERT INTO jobs ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})", values)
        conn.execute("COMMIT")
    finally:
        conn.close()
    fixtures.add_history(path, n_runs)
    conn = sqlite3.connect(str(path), isolation_level=None)
    try:
        job_id, name = conn.execute("SELECT id, name FROM jobs WHERE name = ?", (LOGS_JOB,)).fetchone()
        at = time.time() - 60
        output = "".join(f"line {k}: processed 128 records in 0.0{k % 10}s\n" for k in range(OUTPUT_LINES)).encode()
        conn.execute("BEGIN IMMEDIATE")
        run_id = conn.execute(
            "INSERT INTO runs (job_id, job, trigger, scheduled_for, status, started_at, finished_at, duration_s, "
            "exit_code) VALUES (?, ?, 'manual', ?, 'success', ?, ?, 0.5, 0)",
            (job_id, name, int(at), at, at + 0.5),
        ).lastrowid
        conn.execute("INSERT INTO run_output (run_id, output, truncated, total_bytes) VALUES (?, ?, 0, ?)",
                     (run_id, output, len(output)))
        conn.execute("COMMIT")
    finally:
        conn.close()
    fixtures.checkpoint(path)
    return time.perf_counter() - t0


def cached(n_jobs: int, n_runs: int, seed: int = 1) -> tuple[Path, float | None]:
    """The cached fixture (built if missing or stale): (path, seconds to build or None if reused)."""
    from schedcli.store.connection import SCHEMA_VERSION

    path = cache_dir() / f"scale-v{VERSION}-s{SCHEMA_VERSION}-{n_jobs}j-{n_runs}r-seed{seed}.db"
    try:
        fresh = time.time() - path.stat().st_mtime < MAX_AGE
    except FileNotFoundError:
        fresh = False
    if fresh:
        return path, None
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{tmp}{suffix}").unlink(missing_ok=True)
    took = build(tmp, n_jobs, n_runs, seed)
    os.replace(tmp, path)
    return path, took
