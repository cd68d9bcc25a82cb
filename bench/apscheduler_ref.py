"""APScheduler 3.x reference measurements (run as a separate process by bench/run.py).

Every mode uses a ``BackgroundScheduler`` with a persistent ``SQLAlchemyJobStore`` on an
SQLite file (``sqlite:///PATH``), the closest APScheduler set-up to schedcli's one
SQLite file.

    startup DB T0              start-up with the jobs already in DB: prints the time from
                               T0 (the parent's time.time() just before it started this
                               process) to the end of the scheduler's first wake-up
                               (``_process_jobs`` returned: due jobs looked up and the
                               next wake-up time computed), then shuts down and exits.
    addjob DB N [PREFIX]       N ``add_job`` calls (cron trigger) on a started, paused
                               scheduler: prints each call's duration.
    latency DB T N MODE W      N jobs with a DateTrigger at epoch T (an integer second),
                               executor ThreadPoolExecutor(W); MODE ``call`` records
                               time.time() - T inside the job function; MODE ``spawn``
                               starts ``/bin/date +%s.%N`` (like a schedcli job) and
                               records date's reading - T. Prints the N latencies.

Output: one JSON document on stdout.
"""

from __future__ import annotations

import json
import sys
import threading
import time

T_IMPORT0 = time.time()

from datetime import UTC, datetime


def jobstore(path):
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore

    return SQLAlchemyJobStore(url=f"sqlite:///{path}")


def noop() -> None:
    """The job function of the start-up and add_job fixtures (never runs)."""


_results: list[float] = []
_results_lock = threading.Lock()
_done = threading.Event()
_expected = 0
_T = 0.0


def _record(value: float) -> None:
    with _results_lock:
        _results.append(value)
        if len(_results) >= _expected:
            _done.set()


def record_call() -> None:
    _record(time.time() - _T)


def record_spawn() -> None:
    import subprocess

    out = subprocess.run(["/bin/date", "+%s.%N"], stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, check=True).stdout
    _record(float(out.decode().strip()) - _T)


def mode_startup(db: str, t0: float) -> dict:
    from apscheduler.schedulers.background import BackgroundScheduler

    first = threading.Event()
    info: dict = {}

    class Probe(BackgroundScheduler):
        def _process_jobs(self):  # the scheduler's wake-up: due jobs, next wake-up time
            wait = super()._process_jobs()
            if not first.is_set():
                info["woke_after_s"] = time.time() - t0
                info["wait_s"] = wait
                first.set()
            return wait

    sched = Probe(jobstores={"default": jobstore(db)}, timezone=UTC)
    sched.start()
    if not first.wait(60):
        raise SystemExit("no first wake-up within 60 s")
    info["hwm_kib"] = hwm_kib()  # at the first wake-up, before shutting down
    sched.shutdown(wait=False)
    info["imports_done_after_s"] = T_IMPORT0 - t0
    return info


def mode_addjob(db: str, n: int, prefix: str = "add-") -> dict:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.cron import CronTrigger

    sched = BackgroundScheduler(jobstores={"default": jobstore(db)}, timezone=UTC)
    sched.start(paused=True)  # started: add_job writes to the job store at once
    times = []
    for i in range(n):
        t = time.perf_counter()
        sched.add_job(noop, CronTrigger.from_crontab(f"{i % 60} 3 * * *", timezone=UTC), id=f"{prefix}{i:06d}",
                      misfire_grace_time=3600, coalesce=True)
        times.append(time.perf_counter() - t)
    sched.shutdown(wait=False)
    return {"per_call_s": times}


def mode_latency(db: str, t: int, n: int, mode: str, workers: int) -> dict:
    global _expected, _T
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.triggers.date import DateTrigger

    _expected, _T = n, float(t)
    func = record_call if mode == "call" else record_spawn
    sched = BackgroundScheduler(
        jobstores={"default": jobstore(db)},
        executors={"default": ThreadPoolExecutor(workers)},
        job_defaults={"misfire_grace_time": 60, "coalesce": False, "max_instances": 1},
        timezone=UTC,
    )
    sched.start(paused=True)
    when = datetime.fromtimestamp(t, UTC)
    for i in range(n):
        sched.add_job(func, DateTrigger(when, timezone=UTC), id=f"lat-{i:03d}")
    ready = time.time()
    sched.resume()
    ok = _done.wait(max(t - time.time(), 0) + 30)
    sched.shutdown(wait=True)
    return {"latencies_s": list(_results), "complete": ok, "ready_before_s": t - ready}


def hwm_kib() -> int:
    """This process's peak RSS (VmHWM), in KiB."""
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM"))


def main(argv: list[str]) -> int:
    mode = argv[0]
    if mode == "startup":
        out = mode_startup(argv[1], float(argv[2]))
    elif mode == "addjob":
        out = mode_addjob(argv[1], int(argv[2]), *argv[3:4])
    elif mode == "latency":
        out = mode_latency(argv[1], int(argv[2]), int(argv[3]), argv[4], int(argv[5]))
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    out["hwm_kib"] = hwm_kib()
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
