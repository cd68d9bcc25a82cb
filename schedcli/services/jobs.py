"""Adding, changing and removing jobs: validation of what the user asked for."""

from __future__ import annotations

import dataclasses
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
    from schedcli.services.notify.events import check_url

    return check_url(url, "webhook")


def schedule_fields(kind: str, expr: str, tz: str, now: datetime, boot: str | None = None) -> dict[str, Any]:
    """Validate a schedule and return its stored form (kind, expr, timezone, anchor, the
    schedule in words; for ``@reboot``, ``last_boot``: the current boot ``boot``, so that
    the job first runs at the next one)."""
    fields = _schedule_fields(kind, expr, tz, now, boot)
    fields["schedule_description"] = _description(fields["kind"], fields["expr"])
    return fields


@lru_cache(maxsize=4096)
def _description(kind: str, expr: str) -> str:
    """describe(), once per distinct schedule (an import of thousands of jobs repeats them)."""
    return sched.describe(kind, expr)


def _schedule_fields(kind: str, expr: str, tz: str, now: datetime, boot: str | None) -> dict[str, Any]:
    zone(tz)
    anchor = int(now.timestamp())
    if sched.is_reboot(kind, expr):
        if boot is None:
            raise InvalidSchedule(
                "@reboot needs the boot id, and it cannot be read here "
                "(/proc/sys/kernel/random/boot_id, or the file named by SCHEDCLI_BOOT_ID_FILE)"
            )
        return {"kind": "cron", "expr": sched.REBOOT, "timezone": tz, "anchor": anchor, "last_boot": boot}
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
    """When the first occurrence scheduled after ``now`` starts (its jitter included);
    None for a one-off in the past and for ``@reboot`` (it runs at boot)."""
    schedule = sched.make_schedule(
        fields["kind"], fields["expr"], fields["timezone"], datetime.fromtimestamp(fields["anchor"], now.tzinfo)
    )
    schedule = sched.with_jitter(schedule, fields.get("jitter") or 0, fields.get("name") or "")
    nxt = sched.start_after(schedule, now)
    return int(nxt.timestamp()) if nxt is not None else None


def check_jitter(kind: str, expr: str, jitter: int) -> None:
    if jitter and sched.is_reboot(kind, expr):
        raise InvalidValue("--jitter does not apply to @reboot jobs (they run at the first tick of each boot)")


def _common_fields(spec: JobSpec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if spec.overlap is not None:
        out["overlap"] = check_choice(spec.overlap, OVERLAP_POLICIES, "--overlap")
    if spec.catch_up is not None:
        out["catch_up"] = check_choice(spec.catch_up, CATCH_UP_POLICIES, "--catch-up")
    for key in ("timeout", "grace", "retries", "retry_delay", "cwd", "description", "env", "params",
                "on_failure", "on_success", "on_recovery", "webhook", "jitter"):
        value = getattr(spec, key)
        if value is not None:
            out[key] = value
    out.update(_channel_fields(spec))
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


def _channel_fields(spec: JobSpec) -> dict[str, Any]:
    """--ping, --webhook-format, --notify-on, --mailto and --mail-on, checked."""
    from schedcli.services.notify import events as ev

    out: dict[str, Any] = {}
    for key in ("ping", "webhook_format", "notify_on", "mailto", "mail_on"):
        value = getattr(spec, key)
        if value is not None and not isinstance(value, str):
            raise InvalidValue(f"invalid --{key.replace('_', '-')} {value!r}: give text")
    if spec.ping is not None:
        out["ping"] = ev.check_url(spec.ping, "--ping", allow_none=True)
    if spec.webhook_format is not None:
        out["webhook_format"] = ev.check_choice(spec.webhook_format, ev.WEBHOOK_FORMATS, "--webhook-format")
    if spec.notify_on is not None:
        out["notify_on"] = ev.parse_notify_on(spec.notify_on)
    if spec.mailto is not None:
        out["mailto"] = ev.check_addresses(spec.mailto)
    if spec.mail_on is not None:
        out["mail_on"] = ev.check_choice(spec.mail_on, ev.MAIL_ON, "--mail-on")
    return out


def _target_fields(spec: JobSpec, job: Job | None = None, here: str | None = None) -> dict[str, Any]:
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

        cwd = spec.cwd if spec.cwd is not None else (job.cwd if job is not None else None)
        env = spec.env if spec.env is not None else (job.env if job is not None else None)
        run_in = check_ref(spec.collector, cwd, env, here=here)
        # a module found only in the current directory: the job runs there
        return {"collector": spec.collector, "command": None, **({"cwd": run_in} if run_in else {})}
    if job is not None and job.collector and spec.command is None and (spec.cwd or spec.env) is not None:
        from schedcli.services.collectors import check_ref

        # a collector job moved to another directory or PYTHONPATH: still found there?
        check_ref(job.collector, spec.cwd or job.cwd, spec.env if spec.env is not None else job.env)
    return {}


def _current_dir() -> str | None:
    import os

    try:
        return os.getcwd()
    except OSError:  # removed under our feet
        return None


def build_job(name: str, spec: JobSpec, now: datetime, boot: str | None = None) -> dict[str, Any]:
    """Validate a new job and return the row to store (nothing is written). ``boot``:
    the current boot id (an ``@reboot`` job records it, and first runs at the next boot)."""
    check_name(name)
    if spec.kind is None or spec.expr is None:
        raise UsageError("give a schedule: --cron EXPR, --every DURATION or --at WHEN")
    tz = spec.timezone or local_zone_name()
    fields = schedule_fields(spec.kind, spec.expr, tz, now, boot)
    target = _target_fields(spec, here=_current_dir())
    if not target:
        raise UsageError(
            "give what to run: a command after -- (schedcli add NAME --every 5m -- CMD ARGS) or --collector REF"
        )
    if spec.params and not spec.collector:
        raise UsageError("--param is for collectors; for commands use --env KEY=VALUE")
    fields.update(target)
    fields.update(_common_fields(spec))
    fields["name"] = name
    check_jitter(fields["kind"], fields["expr"], fields.get("jitter") or 0)
    fields["enabled"] = True if spec.enabled is None else spec.enabled
    fields["created_at"] = fields["updated_at"] = now.timestamp()
    fields["next_run_at"] = first_run(fields, now)
    if fields["kind"] == "at" and fields["next_run_at"] is None:
        raise InvalidSchedule(f"--at {spec.expr!r} is in the past")
    return fields


def add_job(store: Store, name: str, spec: JobSpec, now: datetime, boot: str | None = None) -> Job:
    fields = build_job(name, spec, now, boot)
    with store.write():
        return store.add_job_row(fields)


def edit_job(store: Store, name: str, spec: JobSpec, now: datetime, boot: str | None = None) -> Job:
    """Change job ``name`` as ``spec`` says. ``boot``: the current boot id (a job made
    ``@reboot`` records it, and first runs at the next boot)."""
    with store.write():
        job = store.get_job(name)
        changes: dict[str, Any] = {}
        rescheduled = False
        if spec.kind is not None or spec.timezone is not None:
            kind = spec.kind or job.kind
            expr = spec.expr if spec.kind is not None else job.expr
            tz = spec.timezone or job.timezone
            fields = schedule_fields(kind, expr, tz, now, boot if spec.kind is not None else (job.last_boot or boot))
            same_grid = kind == "every" and job.kind == "every" and (
                sched.parse_duration(fields["expr"]) == sched.parse_duration(job.expr))
            if same_grid:
                fields["anchor"] = job.anchor  # keep the grid when only the zone changes
            # the same schedule given again: the next run stays where it is
            rescheduled = not (fields["kind"] == job.kind and fields["timezone"] == job.timezone and (
                same_grid or fields["expr"] == job.expr))
            if rescheduled:
                changes.update(fields)
        target = _target_fields(spec, job, here=_current_dir())
        changes.update(target)
        if spec.params is not None and not (target.get("collector") or job.collector):
            raise UsageError("--param is for collectors; for commands use --env KEY=VALUE")
        changes.update(_common_fields(spec))
        for key in spec.clear:
            changes[key] = None
        if spec.enabled is not None:
            changes["enabled"] = spec.enabled
        merged = {
            "kind": changes.get("kind", job.kind),
            "expr": changes.get("expr", job.expr),
            "timezone": changes.get("timezone", job.timezone),
            "anchor": changes.get("anchor", job.anchor),
            "jitter": changes.get("jitter", job.jitter),
            "name": job.name,
        }
        check_jitter(merged["kind"], merged["expr"], merged["jitter"] or 0)
        if not rescheduled and spec.jitter is not None and job.next_run_at is not None \
                and spec.jitter != job.jitter:
            # Only the jitter changed: the pending occurrence keeps its place, with its new offset.
            changes["next_run_at"] = rejittered(job, spec.jitter)
        if rescheduled or (spec.enabled and not job.enabled):
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
        if job.jitter and job.next_run_at is not None:
            # The offsets derive from the name: the pending occurrence gets its new one.
            job.name = new_name
            store.set_next_runs([(rejittered_from(job, job_schedule_named(job, name)), job.id)])
    return store.get_job(new_name)


def set_enabled(store: Store, name: str, enabled: bool | None, now: datetime, boot: str | None = None) -> Job:
    """Enable, disable, or (``enabled=None``) toggle a job.

    Enabling recomputes the next run from ``now``: time spent disabled is not missed
    (an ``@reboot`` job records the current boot ``boot``, and runs at the next one).
    """
    with store.write():
        job = store.get_job(name)
        target = (not job.enabled) if enabled is None else enabled
        changes: dict[str, Any] = {"enabled": target, "updated_at": now.timestamp()}
        if target and not job.enabled:
            changes["next_run_at"] = first_run(
                {"kind": job.kind, "expr": job.expr, "timezone": job.timezone, "anchor": job.anchor,
                 "jitter": job.jitter, "name": job.name},
                now,
            )
            if job.at_boot and boot is not None:
                changes["last_boot"] = boot
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
    """The instants at which the job's occurrences start (its jitter included)."""
    return sched.with_jitter(_schedule(job.kind, job.expr, job.timezone, job.anchor), job.jitter, job.name)


def job_schedule_named(job: Job, name: str) -> sched.Schedule:
    """The job's start times had it the name ``name`` (before a rename)."""
    return sched.with_jitter(_schedule(job.kind, job.expr, job.timezone, job.anchor), job.jitter, name)


def rejittered(job: Job, jitter: int) -> int | None:
    """The job's next run when only its jitter changes to ``jitter``: the same occurrence,
    with its offset under the new jitter."""
    before = job_schedule(job)
    job = dataclasses.replace(job, jitter=jitter)
    return rejittered_from(job, before)


def rejittered_from(job: Job, before: sched.Schedule) -> int | None:
    """The job's next run, stored as a start time of the schedule ``before``, as the same
    occurrence's start under the job's own jitter and name."""
    if job.next_run_at is None:
        return None
    occurrence = sched.occurrence_at(before, job.next_run_at)
    start = job_schedule(job)
    if not isinstance(start, sched.JitteredSchedule):
        return occurrence
    return int(start.start_of(sched.from_epoch(occurrence)).timestamp())


@lru_cache(maxsize=8192)
def _schedule(kind: str, expr: str, tz: str, anchor: int) -> sched.Schedule:
    """Schedules are immutable: build each distinct one once per process."""
    from schedcli.schedule import from_epoch

    return sched.make_schedule(kind, expr, tz, from_epoch(anchor))
