"""What ``status`` and ``health`` compute: library code, no printing, no typer/rich.

Time is always passed in (``now``); the queries live in :mod:`schedcli.store`.
``stats`` is :mod:`schedcli.services.stats`.

A runner *ticks* when it claims due work (``run-due`` or a ``watch`` iteration,
recorded as the ``last_tick`` state) — but an idle ``watch`` with nothing due
does not claim anything, so a live ``watch`` whose heartbeat (every 30 s) is
recent counts as ticking too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from schedcli.store import Store
from schedcli.model import FailingJob
from schedcli.schedule import format_duration
from schedcli.schedule import iso

DEFAULT_MAX_TICK_AGE = 180  # s: cron ticks every 60 s, watch beats every 30 s
DEFAULT_OVERDUE_AFTER = 120  # s
CLOCK_WARNING_FOR = 86400  # s: how long status and health report that the clock went back


@dataclass
class Runner:
    id: int
    kind: str
    pid: int
    started_at: float
    heartbeat_at: float
    heartbeat_age_s: float


@dataclass
class Overdue:
    job: str
    next_run_at: int
    late_s: float


@dataclass
class Status:
    db: str
    now: float
    watches: list[Runner]  # live watch processes, newest first
    stale_runners: int  # runner rows never stopped whose process is gone (crashed)
    last_tick_at: float | None
    jobs: int
    enabled: int
    running: list[str]  # jobs with a run in progress (its runner alive)
    failing: list[FailingJob]
    overdue: list[Overdue]
    cron_installed: bool | None = None  # None: unknown (no crontab program)
    clock_warning: str | None = None  # the clock went back and next runs were recomputed (recently)

    @property
    def last_tick_age_s(self) -> float | None:
        return None if self.last_tick_at is None else self.now - self.last_tick_at

    @property
    def last_activity_at(self) -> float | None:
        """The latest sign of a runner: a tick, or a live watch's heartbeat."""
        times = [t for t in [self.last_tick_at, *(w.heartbeat_at for w in self.watches)] if t is not None]
        return max(times) if times else None


def parse_tick(value: str | None) -> float | None:
    """The ``last_tick`` state (ISO 8601 UTC) as epoch seconds; None when missing or unreadable."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def collect_status(
    store: Store,
    now: datetime,
    *,
    overdue_after: float = DEFAULT_OVERDUE_AFTER,
    cron_installed: bool | None = None,
) -> Status:
    """One consistent read of everything ``status`` and ``health`` look at."""
    now_s = now.timestamp()
    with store.read():
        runners = store.open_runners("watch")
        counts = store.count_jobs()
        running_runs = store.running_runs()
        failing = store.failing_jobs()
        overdue_jobs = store.overdue_jobs(now_s - overdue_after)
        last_tick = parse_tick(store.get_state("last_tick"))
        clock_warning = _recent_warning(store.get_state("clock_warning"), now_s)
        names = {}
        if running_runs:
            names = {j.id: j.name for j in store.list_jobs()}
    watches, stale = [], 0
    if runners or running_runs:  # (the process package only when there is a process to ask about)
        from schedcli import process
    for r in runners:
        if process.owner_alive(r.pid, r.identity):
            watches.append(Runner(r.id, r.kind, r.pid, r.started_at, r.heartbeat_at, now_s - r.heartbeat_at))
        else:
            stale += 1
    running = sorted({names.get(r.job_id, r.job) for r in running_runs
                      if process.owner_alive(r.runner_pid, r.runner_identity)})
    return Status(
        db=str(store.path),
        now=now_s,
        watches=watches,
        stale_runners=stale,
        last_tick_at=last_tick,
        jobs=int(counts["jobs"]),
        enabled=int(counts["enabled"]),
        running=running,
        failing=failing,
        overdue=[Overdue(o.job, o.next_run_at, now_s - o.next_run_at) for o in overdue_jobs],
        cron_installed=cron_installed,
        clock_warning=clock_warning,
    )


def _recent_warning(value: str | None, now_s: float) -> str | None:
    """The clock warning recorded by a claim, if it is less than CLOCK_WARNING_FOR old."""
    if not value:
        return None
    try:
        doc = json.loads(value)
        at, message = float(doc["at"]), str(doc["message"])
    except (ValueError, KeyError, TypeError):
        return None
    return f"{message} (at {iso(at)})" if now_s - at < CLOCK_WARNING_FOR else None


def _ago(seconds: float) -> str:
    return format_duration(max(0, int(seconds)))


def problems(
    status: Status,
    *,
    max_tick_age: float = DEFAULT_MAX_TICK_AGE,
    fail_on_failed_runs: bool = False,
) -> list[str]:
    """What ``health`` reports, one line each; empty when healthy.

    * no runner ticked (nor a live ``watch`` beat) within ``max_tick_age``;
    * an enabled job is overdue (``status.overdue``, computed with ``overdue_after``);
    * with ``fail_on_failed_runs``: an enabled job's latest real run failed.
    """
    out: list[str] = []
    last = status.last_activity_at
    if last is None:
        out.append("no runner has ever ticked: install the cron entry (schedcli cron install) "
                   "or run schedcli watch")
    elif status.now - last > max_tick_age:
        out.append(
            f"no runner has ticked for {_ago(status.now - last)} (last at {iso(last)}; "
            f"limit {format_duration(int(max_tick_age))}): is cron or watch running?"
        )
    if status.clock_warning:
        out.append(status.clock_warning)
    for o in status.overdue:
        out.append(f"job {o.job} is overdue: due at {iso(o.next_run_at)} ({_ago(o.late_s)} ago)")
    if fail_on_failed_runs:
        for f in status.failing:
            if f.enabled:
                out.append(f"job {f.job}: last run #{f.run_id} ended {f.status} at {iso(f.at)}")
    return out


def status_dict(status: Status) -> dict:
    return {
        "db": status.db,
        "now": iso(status.now),
        "watch": {
            "alive": bool(status.watches),
            "runners": [
                {"pid": w.pid, "started_at": iso(w.started_at), "heartbeat_at": iso(w.heartbeat_at),
                 "heartbeat_age_s": round(w.heartbeat_age_s, 1)}
                for w in status.watches
            ],
            "stale_runners": status.stale_runners,
        },
        "last_tick_at": iso(status.last_tick_at, millis=True),
        "last_tick_age_s": None if status.last_tick_age_s is None else round(status.last_tick_age_s, 1),
        "cron_installed": status.cron_installed,
        "clock_warning": status.clock_warning,
        "jobs": {
            "total": status.jobs,
            "enabled": status.enabled,
            "running": len(status.running),
            "failing": len(status.failing),
            "overdue": len(status.overdue),
        },
        "running_jobs": status.running,
        "failing_jobs": [
            {"job": f.job, "enabled": f.enabled, "run_id": f.run_id, "status": f.status, "at": iso(f.at)}
            for f in status.failing
        ],
        "overdue_jobs": [
            {"job": o.job, "next_run_at": iso(o.next_run_at), "late_s": round(o.late_s, 1)}
            for o in status.overdue
        ],
    }


# -- Nagios ------------------------------------------------------------------------------------

NAGIOS_OK, NAGIOS_WARNING, NAGIOS_CRITICAL, NAGIOS_UNKNOWN = 0, 1, 2, 3
NAGIOS_STATES = ("OK", "WARNING", "CRITICAL", "UNKNOWN")
NAGIOS_NAMES_SHOWN = 5  # job names listed in the line; more are counted


def nagios_line(code: int, text: str, perfdata: str = "") -> str:
    """``SCHEDCLI STATE - text | perfdata``: one line, whatever ``text`` holds (a ``|`` would
    start the performance data, a newline a second line)."""
    text = " ".join(text.replace("|", "/").split())
    line = f"SCHEDCLI {NAGIOS_STATES[code]} - {text}"
    return f"{line} | {perfdata}" if perfdata else line


def _names(items: list[str]) -> str:
    shown = ", ".join(items[:NAGIOS_NAMES_SHOWN])
    more = len(items) - NAGIOS_NAMES_SHOWN
    return f"{shown} and {more} more" if more > 0 else shown


def _jobs(n: int) -> str:
    return f"{n} job{'' if n == 1 else 's'}"


def nagios_check(status: Status, *, max_tick_age: float = DEFAULT_MAX_TICK_AGE) -> tuple[int, str]:
    """The exit code and the one line of ``health --format nagios``.

    CRITICAL: an enabled job's latest real run failed, or no runner ticked (nor a live
    ``watch`` beat) within ``max_tick_age``. WARNING: a job is overdue, or the clock went
    back. Perfdata (Nagios plugin guidelines, ``label=value[UOM];warn;crit``): the jobs,
    the failing ones (critical above 0), the overdue ones (warning above 0) and the age of
    the last tick in seconds (critical above ``max_tick_age``; ``U`` when there never was one).
    """
    critical: list[str] = []
    warning: list[str] = []
    failing = [f for f in status.failing if f.enabled]
    if failing:
        critical.append(f"{_jobs(len(failing))} failing: {_names([f'{f.job} ({f.status})' for f in failing])}")
    last = status.last_activity_at
    age = None if last is None else max(0, int(status.now - last))
    if age is None:
        critical.append("no runner has ever ticked (schedcli cron install, or run schedcli watch)")
    elif age > max_tick_age:
        critical.append(f"no runner has ticked for {_ago(age)} (limit {format_duration(int(max_tick_age))})")
    if status.overdue:
        warning.append(f"{_jobs(len(status.overdue))} overdue: {_names([o.job for o in status.overdue])}")
    if status.clock_warning:
        warning.append(status.clock_warning)
    code = NAGIOS_CRITICAL if critical else NAGIOS_WARNING if warning else NAGIOS_OK
    disabled = status.jobs - status.enabled
    summary = _jobs(status.jobs) + (f" ({disabled} disabled)" if disabled else "")
    if age is not None and age <= max_tick_age:
        summary += f", last tick {_ago(age)} ago"
    perf = (f"jobs={status.jobs} failing={len(failing)};;0 overdue={len(status.overdue)};0 "
            f"tick_age={'U' if age is None else f'{age}s'};;{int(max_tick_age)}")
    return code, nagios_line(code, "; ".join([*critical, *warning, summary]), perf)
