"""Import: parse a file, validate every entry, then add, update and remove jobs in one
write transaction (all or nothing)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any, Callable, Optional

from schedcli.errors import SchedError
from schedcli.model import Job
from schedcli.transfer.crontab import parse_crontab
from schedcli.transfer.document import parse_document
from schedcli.transfer.records import IMPORT_FORMATS, Entry, ImportResult, Parsed, SkippedLine, TransferError, extra_fields


#: Column defaults of the jobs table (migrations.m001_initial): what an entry that
#: leaves a field out gets, also when ``--replace`` updates an existing job.
_DEFAULTS: dict[str, Any] = {
    "params": {},
    "env": {},
    "cwd": None,
    "timeout": None,
    "overlap": "skip",
    "grace": 3600,
    "catch_up": "latest",
    "retries": 0,
    "retry_delay": 60,
    "description": None,
    "jitter": 0,
}


Progress = Callable[[str, int, int], None]


def parse(
    text: str, fmt: str, *, system: Optional[bool] = None, path: Optional[str] = None, user: Optional[str] = None
) -> Parsed:
    """Parse ``text`` in format ``fmt``.  For a crontab, ``system`` (True: user fields,
    False: none, None: decided by ``path`` and content), ``path`` (the file read, for
    recognising /etc/crontab and /etc/cron.d and for job names) and ``user`` (whose lines
    a system crontab imports; default: the user running this)."""
    if fmt in ("toml", "json"):
        if system is not None:
            raise TransferError(f"--{'system' if system else 'user'} is for crontab files")
        return parse_document(text, fmt)
    if fmt == "crontab":
        return parse_crontab(text, system=system, path=path, user=user)
    raise TransferError(f"cannot import format {fmt!r}: choose one of {', '.join(IMPORT_FORMATS)}")


_COLLECTOR_PLACEHOLDER = "schedcli.services.collectors:check_ref"


def _build(
    entry: Entry, now: datetime, checked_refs: set[str], notes: list[str], boot: Optional[str] = None
) -> dict[str, Any]:
    from schedcli.services.collectors import check_ref
    from schedcli.services.jobs import build_job
    from schedcli.schedule import local_zone_name, parse_when

    spec = build_spec = entry.spec
    build_now, finished = now, False
    try:
        if spec.collector is not None and spec.command is None:
            # collectors.registered() scans entry points (~3 ms a call): check each distinct
            # ref once, and let build_job validate the rest against a ref that is cheap to check.
            where = (spec.collector, spec.cwd, (spec.env or {}).get("PYTHONPATH"))
            if where not in checked_refs:  # found from the job's own --cwd and PYTHONPATH
                check_ref(spec.collector, spec.cwd, spec.env)
                checked_refs.add(where)
            build_spec = copy.copy(spec)
            build_spec.collector = _COLLECTOR_PLACEHOLDER
        if spec.kind == "at" and spec.expr is not None:
            at = parse_when(spec.expr, spec.timezone or local_zone_name())
            if at <= now:  # a one-off time already past: imported as finished
                build_now, finished = at - timedelta(seconds=1), True
        fields = build_job(entry.name or "", build_spec, build_now, boot)
    except SchedError as exc:
        raise TransferError(f"{entry.where()}: {exc.message}; nothing was imported") from None
    if build_spec is not spec:
        fields["collector"] = spec.collector
    if finished:
        stamp = now.timestamp()
        fields.update(anchor=int(stamp), next_run_at=None, created_at=stamp, updated_at=stamp)
        notes.append(f"{entry.where()}: its one-off time {fields['expr']} has passed: imported as finished")
    return fields


def _skipped_message(skipped: list[SkippedLine]) -> str:
    first = skipped[0]
    text = f"line {first.line} cannot be translated: {first.reason}"
    if len(skipped) > 1:
        others = ", ".join(str(s.line) for s in skipped[1:6]) + (", ..." if len(skipped) > 6 else "")
        text += f" (and {len(skipped) - 1} more: line {others})"
    return text + "; use --skip-untranslatable to import the rest; nothing was imported"


def import_parsed(
    store: Any,
    parsed: Parsed,
    now: datetime,
    *,
    replace_existing: bool = False,
    dry_run: bool = False,
    skip_untranslatable: bool = False,
    progress: Optional[Progress] = None,
    boot: Optional[str] = None,
) -> ImportResult:
    """Validate every entry, then add/update/remove in ONE write transaction (all or nothing).

    ``replace_existing``: jobs with the same names are updated in place (id and history
    kept), jobs not in the file are removed. Otherwise an existing name is an error.
    ``progress(stage, done, total)`` is called while validating and writing.
    ``boot``: the current boot id (``@reboot`` jobs record it, and first run at the next boot).
    """
    if parsed.skipped and not skip_untranslatable:
        raise TransferError(_skipped_message(parsed.skipped))
    result = ImportResult(skipped_lines=list(parsed.skipped), notes=list(parsed.notes), dry_run=dry_run)
    from schedcli.schedule import local_zone_name

    default_zone = local_zone_name()  # what build_job would look up for every entry without one
    total = len(parsed.entries)
    step = max(1, total // 100)
    rows: list[tuple[Entry, dict[str, Any]]] = []
    seen: dict[str, Entry] = {}
    checked_refs: set = set()
    for i, entry in enumerate(parsed.entries, 1):
        if entry.name in seen:
            first = seen[entry.name]
            raise TransferError(
                f"{entry.where()}: the name {entry.name!r} is already used by entry {first.index}"
                + (f" (line {first.line})" if first.line is not None else "")
                + "; nothing was imported"
            )
        if entry.spec.timezone is None:
            spec = copy.copy(entry.spec)
            spec.timezone = default_zone
            entry = Entry(entry.index, entry.name, spec, entry.line)
        rows.append((entry, _build(entry, now, checked_refs, result.notes, boot)))
        seen[entry.name or ""] = entry
        if progress and (i % step == 0 or i == total):
            progress("validate", i, total)

    def plan_and_apply(write: bool) -> None:
        existing = {job.name: job for job in store.list_jobs()}
        updates: list[tuple[int, dict[str, Any]]] = []
        inserts: list[dict[str, Any]] = []
        for entry, fields in rows:
            old = existing.get(fields["name"])
            if old is None:
                inserts.append(fields)
                result.added.append(fields["name"])
                continue
            if not replace_existing:
                raise TransferError(
                    f"{entry.where()}: a job named {fields['name']!r} already exists "
                    "(use --replace to update it); nothing was imported"
                )
            changes = _changes(old, fields, now)
            if changes:
                updates.append((old.id, changes))
                result.updated.append(old.name)
            else:
                result.unchanged.append(old.name)
        removals: list[Job] = []
        if replace_existing:
            removals = [job for name, job in existing.items() if name not in seen]
            result.removed.extend(job.name for job in removals)
        if not write:
            return
        work = len(inserts) + len(updates) + len(removals)
        wstep = max(1, work // 100)
        done = 0

        def tick() -> None:
            nonlocal done
            done += 1
            if progress and (done % wstep == 0 or done == work):
                progress("write", done, work)

        for job in removals:
            store.delete_job(job.id)
            tick()
        for job_id, changes in updates:
            store.update_job(job_id, changes)
            tick()
        for fields in inserts:
            store.insert_job(fields)
            tick()

    if dry_run:
        with store.read():
            plan_and_apply(False)
    else:
        with store.write():
            plan_and_apply(True)
    return result


def _changes(old: Job, fields: dict[str, Any], now: datetime) -> dict[str, Any]:
    """What ``--replace`` changes in an existing job (empty: nothing differs)."""
    new = dict(_DEFAULTS)
    new.update(dict.fromkeys(extra_fields()))
    new.update({k: v for k, v in fields.items() if k not in ("name", "created_at", "updated_at")})
    same_schedule = (old.kind, old.expr) == (new["kind"], new["expr"]) and (
        old.timezone == new["timezone"] or old.kind == "every"  # an interval ignores its zone
    )
    if same_schedule and not (new["enabled"] and not old.enabled):
        # same schedule: keep the grid (every) and the pending next run
        new["anchor"] = old.anchor
        new["next_run_at"] = old.next_run_at
        if "last_boot" in new:  # @reboot: the boot it last ran for stays
            new["last_boot"] = old.last_boot
    changes = {}
    for key, value in new.items():
        current = getattr(old, key)
        if key == "enabled":
            current = bool(current)
        if current != value:
            changes[key] = value
    if changes:
        changes["updated_at"] = now.timestamp()
    return changes


def import_text(
    store: Any,
    text: str,
    fmt: str,
    now: datetime,
    *,
    system: Optional[bool] = None,
    path: Optional[str] = None,
    user: Optional[str] = None,
    replace_existing: bool = False,
    dry_run: bool = False,
    skip_untranslatable: bool = False,
    progress: Optional[Progress] = None,
    boot: Optional[str] = None,
) -> ImportResult:
    parsed = parse(text, fmt, system=system, path=path, user=user)
    return import_parsed(
        store, parsed, now, replace_existing=replace_existing, dry_run=dry_run,
        skip_untranslatable=skip_untranslatable, progress=progress, boot=boot,
    )
