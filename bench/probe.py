"""In-process measurements through the schedcli library (run as a child process by bench/run.py).

    claim DB PREFIX              Engine.claim(now) on a database whose PREFIX-* jobs are due:
                                 the first (cold, as in one run-due process) and a second claim
                                 after making them due again (warm).
    addjob DB N                  N calls of schedcli.services.jobs.add_job (cron job) on a persistent database.
    queries DB REPS JOB BEFORE   query times of history / list / stats through Store methods.
    ticks DB N                   the real Engine.watch() loop driven by a virtual clock for N ticks,
                                 each claiming and running one job (``true``); RSS and live Python
                                 objects every N/10 ticks.
    spawn N                      subprocess.run(["true"]) N times: what a job costs by itself.
    spawnat T N                  sleep until epoch T, then start N ``/bin/date +%s.%N`` processes in
                                 a tight loop (no scheduler, no bookkeeping): the lower bound of the
                                 watch latency test on this machine. Prints date's readings - T.
    watch DB N MODE              the real Engine.watch() loop (configured as the command line does)
                                 until N runs have finished; MODE plain (each process started at
                                 its instant), at-instant (plain, not claimed ahead of the
                                 instant) or held (processes held before exec, in engines that had
                                 that path). Writes "probe watch: ready" to stderr first.

Output: one JSON document on stdout.
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3
import statistics
import sys
import time
from datetime import UTC, datetime


def rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def sqlite_heap_kib() -> int | None:
    """SQLite's own heap in this process (page caches included): sqlite3_memory_used() of the
    libsqlite3 that the sqlite3 module is linked to. None when it cannot be reached."""
    global _SQLITE_LIB
    try:
        if _SQLITE_LIB is None:
            import _sqlite3
            import ctypes
            import ctypes.util

            lib = ctypes.CDLL(ctypes.util.find_library("sqlite3") or "libsqlite3.so.0")
            lib.sqlite3_libversion.restype = ctypes.c_char_p
            if lib.sqlite3_libversion().decode() != _sqlite3.sqlite_version:
                return None  # another copy of SQLite: its heap is not ours
            lib.sqlite3_memory_used.restype = ctypes.c_int64
            _SQLITE_LIB = lib
        return int(_SQLITE_LIB.sqlite3_memory_used()) // 1024
    except (OSError, AttributeError):
        return None


_SQLITE_LIB = None


def hwm_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def _make_due(db: str, prefix: str, ago: int) -> int:
    conn = sqlite3.connect(db)
    try:
        # The cold claim's runs were never executed: mark them finished, or the warm claim
        # would record every occurrence as skipped (overlap skip) instead of claiming it.
        conn.execute("UPDATE runs SET status = 'success', finished_at = started_at WHERE status = 'running'")
        cur = conn.execute("UPDATE jobs SET next_run_at = ? WHERE name LIKE ?", (int(time.time()) - ago, prefix + "-%"))
        conn.commit()
        return cur.rowcount
    finally:
        conn.close()


def mode_claim(db: str, prefix: str) -> dict:
    from schedcli.store import Store
    from schedcli.engine import Engine

    store = Store(db)
    engine = Engine(store)
    out: dict = {}
    for label, ago in (("cold", 1), ("warm", 3)):
        if label == "warm":
            _make_due(db, prefix, ago)
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        claims, _created = engine.claim(now)
        out[f"{label}_s"] = time.perf_counter() - t0
        out[f"{label}_claimed"] = sum(len(c.runs) for c in claims)
    store.close()
    return out


def mode_addjob(db: str, n: int) -> dict:
    from schedcli.store import Store
    from schedcli.services.jobs import add_job
    from schedcli.model import JobSpec

    store = Store(db)
    times = []
    for i in range(n):
        spec = JobSpec(kind="cron", expr=f"{i % 60} 3 * * *", timezone="UTC", command=["true"])
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        add_job(store, f"add-{i:06d}", spec, now)
        times.append(time.perf_counter() - t0)
    store.close()
    return {"per_call_s": times}


def _timed(fn, reps: int) -> dict:
    t0 = time.perf_counter()
    result = fn()
    first = time.perf_counter() - t0
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    n = len(result) if hasattr(result, "__len__") else None
    return {"first_s": first, "median_s": statistics.median(times), "rows": n}


def mode_queries(db: str, reps: int, job: str, before: int) -> dict:
    from schedcli import store as dbmod
    from schedcli.store import Store

    t0 = time.perf_counter()
    store = Store(db)
    out: dict = {"open_s": time.perf_counter() - t0}
    job_id = store.get_job(job).id
    queries = {
        "history_first_page": lambda: store.history(limit=20),
        "history_job_first_page": lambda: store.history(job_id=job_id, limit=20),
        "history_status_error_first_page": lambda: store.history(status="error", limit=20),
        "history_deep_page": lambda: store.history(limit=20, before_id=before),
        "list_jobs_all": store.list_jobs,
        "list_first_page": lambda: store.list_jobs(limit=20),
        "get_job": lambda: store.get_job(job),
        "stats_summary_all": lambda: store.stats_summary(None, None),
        "stats_summary_one_job": lambda: store.stats_summary(None, job_id),
    }
    plans = {
        "history_first_page": ("SELECT id FROM runs ORDER BY id DESC LIMIT 20", ()),
        "history_status_error_first_page": (
            "SELECT id FROM runs WHERE status = ? ORDER BY id DESC LIMIT 20", ("error",)),
        "list_jobs_all": (f"{dbmod._WITH_LAST_RUN} ORDER BY jobs.name", ()),
    }
    slow = {"stats_summary_all", "list_jobs_all"}
    for name, fn in queries.items():
        out[name] = _timed(fn, max(2, reps // 3) if name in slow else reps)
    out["plans"] = {
        name: [" | ".join(str(x) for x in row) for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql, params)]
        for name, (sql, params) in plans.items()
    }
    store.close()
    return out


class _FastClock:
    """A clock whose sleep() jumps virtual time forward at once, after the runs it has
    already claimed have finished (so virtual time never outruns the real runs)."""

    def __init__(self, start: float, idle) -> None:
        self.t = start
        self.mono = 0.0
        self.idle = idle

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.t, UTC)

    def monotonic(self) -> float:
        return self.mono

    def sleep(self, seconds: float, until=None) -> bool:
        self.idle()
        if seconds > 0:
            self.t += seconds
            self.mono += seconds
        return bool(until and until.is_set())


def mode_ticks(db: str, n: int) -> dict:
    import threading

    from schedcli.store import Store
    from schedcli.engine import Engine

    store = Store(db)
    row = store.conn.execute("SELECT min(next_run_at) FROM jobs WHERE name LIKE 'tick-%'").fetchone()
    state = {"claimed": 0, "finished": 0, "ticks": 0}
    cond = threading.Condition()

    def on_finish(run) -> None:
        with cond:
            state["finished"] += 1
            cond.notify_all()

    def idle() -> None:
        with cond:
            if not cond.wait_for(lambda: state["finished"] >= state["claimed"], timeout=30):
                raise RuntimeError(f"runs did not finish: {state}")

    clock = _FastClock(float(row[0]), idle)
    engine = Engine(store, clock, max_parallel=4, on_finish=on_finish)
    samples = []
    every = max(1, n // 10)
    real_claim = engine.claim
    t_start = time.perf_counter()

    # The engine's executor (engines before the split had a _dispatch method of their own).
    owner = getattr(engine, "executor", engine)
    attr = "dispatch" if hasattr(owner, "dispatch") else "_dispatch"
    real_dispatch = getattr(owner, attr)

    def dispatch(pool, claims, at=None):
        # Counted once handed over: between its claim and its instant (watch claims just
        # ahead), the engine sleeps, which must not wait for these runs.
        futures = real_dispatch(pool, claims, at)
        with cond:
            state["claimed"] += sum(len(c.runs) for c in claims)
        return futures

    def claim(now):
        claims, created = real_claim(now)
        state["ticks"] += 1
        k = state["ticks"]
        if k % every == 0 or k == 1:
            gc.collect()
            samples.append({"tick": k, "rss_kib": rss_kib(), "sqlite_heap_kib": sqlite_heap_kib(),
                            "objects": len(gc.get_objects()),
                            "threads": threading.active_count(), "elapsed_s": time.perf_counter() - t_start})
        if k >= n:
            engine.stop.set()
        return claims, created

    engine.claim = claim  # type: ignore[method-assign]
    setattr(owner, attr, dispatch)
    engine.watch()
    runs = store.conn.execute("SELECT count(*), sum(status = 'success') FROM runs").fetchone()
    cache = store.conn.execute("PRAGMA cache_size").fetchone()[0]
    store.close()
    return {"samples": samples, "ticks": state["ticks"], "runs": runs[0], "success": runs[1], "cache_size": cache,
            "hwm_kib": hwm_kib(), "elapsed_s": time.perf_counter() - t_start}


def mode_spawn(n: int) -> dict:
    import subprocess

    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(["true"], stdin=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return {"per_call_s": times}


def mode_spawnat(t: int, n: int) -> dict:
    import subprocess

    while True:
        left = t - time.time()
        if left <= 0:
            break
        time.sleep(left)
    procs = []
    for _ in range(n):
        r, w = os.pipe()
        p = subprocess.Popen(["/bin/date", "+%s.%N"], stdin=subprocess.DEVNULL, stdout=w, start_new_session=True)
        os.close(w)
        procs.append((p, r))
    lat = []
    for p, r in procs:
        data = b""
        while True:
            chunk = os.read(r, 256)
            if not chunk:
                break
            data += chunk
        os.close(r)
        p.wait()
        lat.append(float(data.decode().strip()) - t)
    return {"latencies_s": lat}


def _has(module: str, cls: str, attr: str) -> bool:
    import importlib

    try:
        return hasattr(getattr(importlib.import_module(module), cls), attr)
    except (ImportError, AttributeError):
        return False


def watch_variants() -> dict:
    """What the engine in this tree can be asked to do (``bench/start50.py`` skips the rest)."""
    import inspect

    from schedcli.engine import Engine

    return {
        "held": hasattr(Engine, "_prepare_gates") or _has("schedcli.engine.execute", "Executor", "prepare_held"),
        "claim_ahead": "claim_ahead" in inspect.signature(Engine.watch).parameters,
    }


def mode_watch(db: str, n: int, mode: str) -> dict:
    import signal
    import threading

    from schedcli import config, process
    from schedcli.engine import configured_engine
    from schedcli.store import Store

    process.prepare_runner()  # as the command line's runners do
    store = Store(db)
    engine = configured_engine(store, config.load(), 64)
    done = {"n": 0}
    lock = threading.Lock()

    def finished(run) -> None:
        with lock:
            done["n"] += 1
            if done["n"] >= n:
                engine.stop.set()

    engine.on_finish = finished
    signal.signal(signal.SIGTERM, lambda *_: engine.stop.set())
    kwargs = {}
    if mode in ("plain", "at-instant"):  # no process is held ready
        if hasattr(engine, "_prepare_gates"):
            engine._prepare_gates = lambda *a, **k: None  # type: ignore[method-assign]
        elif hasattr(engine, "executor"):
            engine.executor.prepare_held = lambda *a, **k: None  # type: ignore[method-assign]
    if mode == "at-instant":
        kwargs["claim_ahead"] = 0.0
    sys.stderr.write("probe watch: ready\n")
    sys.stderr.flush()
    engine.watch(**kwargs)
    store.close()
    return {"finished": done["n"]}


def main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "claim":
        out = mode_claim(argv[1], argv[2])
    elif mode == "addjob":
        out = mode_addjob(argv[1], int(argv[2]))
    elif mode == "queries":
        out = mode_queries(argv[1], int(argv[2]), argv[3], int(argv[4]))
    elif mode == "ticks":
        out = mode_ticks(argv[1], int(argv[2]))
    elif mode == "spawn":
        out = mode_spawn(int(argv[1]))
    elif mode == "spawnat":
        out = mode_spawnat(int(argv[1]), int(argv[2]))
    elif mode == "watch":
        out = mode_watch(argv[1], int(argv[2]), argv[3])
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    out.setdefault("hwm_kib", hwm_kib())
    sys.stdout.write(json.dumps(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
