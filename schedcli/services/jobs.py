"""Adding, changing and removing jobs: validation of what the user asked for."""

from __future__ import annotations

import re
from datetime import datetime
from functools import lru_cache
from typing import Any

from schedcli import schedule as sched
from schedcli.store import Store
from schedcli.errors import InvalidSchedule, InvalidValue, JobExists, JobNotFound, JobRunning, UsageError
from schedcli.model import CATCH_UP_POLICIES, OVERLAP_POLICIES, Job, JobSpec
from schedcli.schedule import local_zone_name, parse_when, zone

REMOVED_REASON = "job removed (rm --force)"  # the reason of a run stopped by rm --force
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ENV_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PARAM_KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def check_name(name: str) -> str:
    if not NAME_RE.match(name or ""):
        raise InvalidValue(
            f"invalid job name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return name


def parse_pairs(values: list[str] | None, what: str, key_re: re.Pattern[str]) -> dict[str, str]:
    """Parse repeated ``KEY=VALUE`` options."""
    result: dict[str, str] = {}
    for item in values or []:
        key, sep, value = item.partition("=")
        if not sep or not key_re.match(key):
            raise InvalidValue(f"invalid {what} {item!r}: expected KEY=VALUE")
        if "\x00" in value:
            raise InvalidValue(f"invalid {what} {item!r}: NUL characters are not allowed")
        result[key] = value
    return result


def parse_env(values: list[str] | None) -> dict[str, str]:
    return parse_pairs(values, "--env", ENV_KEY_RE)


def parse_params(values: list[str] | None) -> dict[str, str]:
    return parse_pairs(values, "--param", PARAM_KEY_RE)


def check_choice(value: str, choices: tuple[str, ...], option: str) -> str:
    if value not in choices:
        raise InvalidValue(f"invalid {option} {value!r}: choose one of {', '.join(choices)}")
    return value


def check_webhook(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidValue(f"invalid webhook URL {url!r}: use http://host/path or https://host/path")
    return url


def schedule_fields(kind: str, expr: str, tz: str, now: datetime) -> dict[str, Any]:
    """Validate a schedule and return its stored form (kind, expr, timezone, anchor)."""
    zone(tz)
    anchor = int(now.timestamp())
    if kind == "cron":
        expr = sched.validate_cron(expr)
    elif kind == "every":
        sched.parse_duration(expr)
        expr = expr.strip()
    elif kind == "at":
        at = parse_when(expr, tz)
        expr = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    else:  # pragma: no cover - guarded by the command line
        raise InvalidSchedule(f"unknown schedule kind {kind!r}")
    return {"kind": kind, "expr": expr, "timezone": tz, "anchor": anchor}


def first_run(fields: dict[str, Any], now: datetime) -> int | None:
    schedule = sched.make_schedule(
        fields["kind"], fields["expr"], fields["timezone"], datetime.fromtimestamp(fields["anchor"], now.tzinfo)
    )
    nxt = schedule.next_after(now)
    return int(nxt.timestamp()) if nxt is not None else None


def _common_fields(spec: JobSpec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if spec.overlap is not None:
        out["overlap"] = check_choice(spec.overlap, OVERLAP_POLICIES, "--overlap")
    if spec.catch_up is not None:
        out["catch_up"] = check_choice(spec.catch_up, CATCH_UP_POLICIES, "--catch-up")
    for key in ("timeout", "grace", "retries", "retry_delay", "cwd", "description", "env", "params",
                "on_failure", "on_success", "on_recovery", "webhook"):
        value = getattr(spec, key)
        if value is not None:
            out[key] = value
    if spec.retries is not None and not 0 <= spec.retries <= 100:
        raise InvalidValue(f"invalid --retries {spec.retries}: use 0 to 100")
    if spec.webhook is not None:
        check_webhook(spec.webhook)
    for key in ("on_failure", "on_success", "on_recovery"):
        value = getattr(spec, key)
        if value is not None and (not value.strip() or "\x00" in value):
            raise InvalidValue(f"invalid --{key.replace('_', '-')}: give a shell command")
    if spec.cwd is not None and not spec.cwd.startswith("/"):
        raise InvalidValue(f"invalid --cwd {spec.cwd!r}: use an absolute path")
    return out


def _target_fields(spec: JobSpec) -> dict[str, Any]:
    if spec.command is not None and spec.collector is not None:
        raise UsageError("give either a command (after --) or --collector, not both")
    if spec.command is not None:
        if not spec.command or not spec.command[0].strip():
            raise UsageError("the command is empty: put it after -- (schedcli add NAME --every 5m -- CMD ARGS)")
        if any("\x00" in part for part in spec.command):
            raise InvalidValue("the command contains a NUL character")
        return {"command": spec.command, "collector": None}
    if spec.collector is not None:
        from schedcli.services.collectors import check_ref

        check_ref(spec.collector)
        return {"collector": spec.collector, "command": None}
    return {}


def build_job(name: str, spec: JobSpec, now: datetime) -> dict[str, Any]:
    """Validate a new job and return the row to store (nothing is written)."""
    check_name(name)
    if spec.kind is None or spec.expr is None:
        raise UsageError("give a schedule: --cron EXPR, --every DURATION or --at WHEN")
    tz = spec.timezone or local_zone_name()
    fields = schedule_fields(spec.kind, spec.expr, tz, now)
    target = _target_fields(spec)
    if not target:
        raise UsageError(
            "give what to run: a command after -- (schedcli add NAME --every 5m -- CMD ARGS) or --collector REF"
        )
    if spec.params and not spec.collector:
        raise UsageError("--param is for collectors; for commands use --env KEY=VALUE")
    fields.update(target)
    fields.update(_common_fields(spec))
    fields["name"] = name
    fields["enabled"] = True if spec.enabled is None else spec.enabled
    fields["created_at"] = fields["updated_at"] = now.timestamp()
    fields["next_run_at"] = first_run(fields, now)
    if fields["kind"] == "at" and fields["next_run_at"] is None:
        raise InvalidSchedule(f"--at {spec.expr!r} is in the past")
    return fields


def add_job(store: Store, name: str, spec: JobSpec, now: datetime) -> Job:
    fields = build_job(name, spec, now)
    with store.write():
        return store.add_job_row(fields)


def edit_job(store: Store, name: str, spec: JobSpec, now: datetime) -> Job:
    with store.write():
        job = store.get_job(name)
        changes: dict[str, Any] = {}
        if spec.kind is not None or spec.timezone is not None:
            kind = spec.kind or job.kind
            expr = spec.expr if spec.kind is not None else job.expr
            tz = spec.timezone or job.timezone
            fields = schedule_fields(kind, expr, tz, now)
            if kind == "every" and job.kind == "every" and expr == job.expr:
                fields["anchor"] = job.anchor  # keep the grid when only the zone changes
            changes.update(fields)
        target = _target_fields(spec)
        changes.update(target)
        if spec.params is not None and not (target.get("collector") or job.collector):
            raise UsageError("--param is for collectors; for commands use --env KEY=VALUE")
        changes.update(_common_fields(spec))
        for key in spec.clear:
            changes[key] = None
        if spec.enabled is not None:
            changes["enabled"] = spec.enabled
        if spec.kind is not None or spec.timezone is not None or (
            spec.enabled and not job.enabled
        ):
            merged = {
                "kind": changes.get("kind", job.kind),
                "expr": changes.get("expr", job.expr),
                "timezone": changes.get("timezone", job.timezone),
                "anchor": changes.get("anchor", job.anchor),
            }
            changes["next_run_at"] = first_run(merged, now)
            if merged["kind"] == "at" and changes["next_run_at"] is None and spec.kind == "at":
                raise InvalidSchedule(f"--at {spec.expr!r} is in the past")
        if changes:
            changes["updated_at"] = now.timestamp()
            store.update_job(job.id, changes)
    return store.get_job(name)


def rename_job(store: Store, name: str, new_name: str, now: datetime) -> Job:
    """Rename job ``name`` to ``new_name`` (both checked); its runs follow."""
    check_name(name)
    check_name(new_name)
    with store.write():
        job = store.get_job(name)
        if new_name == name:
            return job
        try:
            store.get_job(new_name)
        except JobNotFound:
            pass
        else:
            raise JobExists(f"a job named {new_name!r} already exists (remove it first: schedcli rm {new_name})")
        store.rename_job(job.id, new_name, now.timestamp())
    return store.get_job(new_name)


def set_enabled(store: Store, name: str, enabled: bool | None, now: datetime) -> Job:
    """Enable, disable, or (``enabled=None``) toggle a job.

    Enabling recomputes the next run from ``now``: time spent disabled is not missed.
    """
    with store.write():
        job = store.get_job(name)
        target = (not job.enabled) if enabled is None else enabled
        changes: dict[str, Any] = {"enabled": target, "updated_at": now.timestamp()}
        if target and not job.enabled:
            changes["next_run_at"] = first_run(
                {"kind": job.kind, "expr": job.expr, "timezone": job.timezone, "anchor": job.anchor},
                now,
            )
        store.update_job(job.id, changes)
    return store.get_job(name)


def remove_job(
    store: Store, name: str, *, force: bool = False, now: datetime | None = None,
    kill_grace: float | None = None,
) -> int:
    """Remove a job and its history; returns how many runs went with it.

    A job with a run in progress (its runner alive) is refused with
    :class:`~schedcli.errors.JobRunning`, unless ``force``: then the run is recorded
    as interrupted, its processes are terminated, and the job is removed.  The
    runner that ran it says, in one line, that the job is gone when the run ends.
    ``kill_grace``: as long as a run's processes get to end (default: process's).
    """
    from schedcli import process  # here: reading commands that check a name do not load it

    with store.write():
        job = store.get_job(name)
        live = [r for r in store.running_runs(job.id) if process.owner_alive(r.runner_pid, r.runner_identity)]
        if not live:
            return store.delete_job(job.id)
        ids = ", ".join(f"#{r.id}" for r in live)
        if not force:
            raise JobRunning(
                f"job {name!r} is running (run {ids}) and was not removed; "
                "use --force to stop the run and remove the job"
            )
        if now is None:
            raise ValueError("remove_job(force=True) needs now")
        at = now.timestamp()
        for r in live:
            store.update_run(r.id, {"status": "interrupted", "reason": REMOVED_REASON, "finished_at": at})
    # Outside the transaction: the runner may record its end meanwhile (it finds the
    # run interrupted already, and does not retry it).
    found = process.processes_of_runs(store.path, [r.id for r in live])
    targets = [p for r in live for p in found.get(r.id, [])]
    targets += [(r.pid, r.pid_identity) for r in live if r.pid and r.pid_identity]
    process.end_processes(targets, process.DEFAULT_KILL_GRACE if kill_grace is None else kill_grace)
    with store.write():
        return store.delete_job(store.get_job(name).id)


def job_schedule(job: Job) -> sched.Schedule:
    return _schedule(job.kind, job.expr, job.timezone, job.anchor)


@lru_cache(maxsize=8192)
def _schedule(kind: str, expr: str, tz: str, anchor: int) -> sched.Schedule:
    """Schedules are immutable: build each distinct one once per process."""
    from schedcli.schedule import from_epoch

    return sched.make_schedule(kind, expr, tz, from_epoch(anchor))
