"""The schedcli job document ``{"version": 1, "jobs": [...]}`` in TOML or JSON: writing it
(every job field round-trips) and reading it back into entries."""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from typing import Any, Iterable, Optional

from schedcli import schedule as sched
from schedcli.errors import SchedError
from schedcli.model import Job, JobSpec
from schedcli.transfer.records import Entry, Parsed, TransferError, extra_fields

DOCUMENT_VERSION = 1


def _duration_text(seconds: float) -> str:
    if float(seconds).is_integer():
        return sched.format_duration(int(seconds))
    return sched.format_duration(float(seconds))


def job_document(job: Job, *, keep_none: bool = False) -> dict[str, Any]:
    """One job as a document entry; ``None`` values are left out unless ``keep_none``."""
    doc: dict[str, Any] = {"name": job.name, job.kind: job.expr, "timezone": job.timezone}
    if job.collector is not None:
        doc["collector"] = job.collector
        doc["params"] = dict(job.params)
    else:
        doc["command"] = list(job.command or [])
    doc["env"] = dict(job.env)
    doc["cwd"] = job.cwd
    doc["timeout"] = _duration_text(job.timeout) if job.timeout is not None else None
    doc["overlap"] = job.overlap
    doc["grace"] = _duration_text(job.grace)
    doc["catch_up"] = job.catch_up
    doc["retries"] = job.retries
    doc["retry_delay"] = _duration_text(job.retry_delay)
    doc["jitter"] = _duration_text(job.jitter) if job.jitter else None
    doc["enabled"] = job.enabled
    doc["description"] = job.description
    for key in extra_fields():
        doc[key] = getattr(job, key)
    if not keep_none:  # TOML: no nulls, and no empty [jobs.env] / [jobs.params] tables
        doc = {k: v for k, v in doc.items() if v is not None and v != {}}
    return doc


def export_document(jobs: Iterable[Job], *, keep_none: bool = False) -> dict[str, Any]:
    return {"version": DOCUMENT_VERSION, "jobs": [job_document(j, keep_none=keep_none) for j in jobs]}


def dump_toml(jobs: Iterable[Job]) -> str:
    import tomli_w

    return tomli_w.dumps(export_document(jobs))


def dump_json(jobs: Iterable[Job]) -> str:
    return json.dumps(export_document(jobs, keep_none=True), indent=2, ensure_ascii=False) + "\n"


_ENTRY_KEYS = (
    "name", "cron", "every", "at", "timezone", "command", "collector", "params", "env", "cwd",
    "timeout", "overlap", "grace", "catch_up", "retries", "retry_delay", "enabled", "description", "jitter",
)  # fmt: skip


@lru_cache(maxsize=1)
def _entry_keys() -> frozenset[str]:
    return frozenset(_ENTRY_KEYS + extra_fields())


def _toml_entry_lines(text: str) -> list[int]:
    """Line numbers of the ``[[jobs]]`` headers, in order."""
    pattern = re.compile(r"^\s*\[\[\s*jobs\s*\]\]\s*(?:#.*)?$")
    return [i for i, line in enumerate(text.splitlines(), 1) if pattern.match(line)]


def parse_document(text: str, fmt: str) -> Parsed:
    """Parse a TOML or JSON job document into entries (types checked, values not yet)."""
    if fmt == "toml":
        import tomllib

        try:
            doc = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise TransferError(f"invalid TOML: {exc}") from None
        lines: list[Optional[int]] = list(_toml_entry_lines(text))
    elif fmt == "json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TransferError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from None
        lines = []
    else:  # pragma: no cover - guarded by callers
        raise TransferError(f"unknown document format {fmt!r}")
    if not isinstance(doc, dict):
        raise TransferError(f"invalid {fmt.upper()} document: expected a table with 'version' and 'jobs'")
    unknown = sorted(set(doc) - {"version", "jobs"})
    if unknown:
        raise TransferError(f"invalid {fmt.upper()} document: unknown key {unknown[0]!r} (expected version and jobs)")
    version = doc.get("version")
    if version is not None and (isinstance(version, bool) or version != DOCUMENT_VERSION):
        raise TransferError(
            f"unsupported document version {version!r}: this schedcli reads version {DOCUMENT_VERSION}"
        )
    raw_jobs = doc.get("jobs", [])
    if not isinstance(raw_jobs, list):
        raise TransferError(f"invalid {fmt.upper()} document: 'jobs' must be a list of tables")
    if len(lines) != len(raw_jobs):
        lines = [None] * len(raw_jobs)  # jobs written as an inline array: no per-entry line
    entries = [_entry_from_mapping(raw, i, line) for i, (raw, line) in enumerate(zip(raw_jobs, lines), 1)]
    return Parsed(entries)


def _entry_from_mapping(raw: Any, index: int, line: Optional[int]) -> Entry:
    stub = Entry(index, None, JobSpec(), line)
    if not isinstance(raw, dict):
        raise TransferError(f"{stub.where()}: expected a table of job fields, not {type(raw).__name__}")
    name = raw.get("name")
    if isinstance(name, str):
        stub.name = name

    def fail(text: str) -> TransferError:
        return TransferError(f"{stub.where()}: {text}; nothing was imported")

    known = _entry_keys()
    unknown = [k for k in raw if k not in known]
    if unknown:
        raise fail(f"unknown field {unknown[0]!r} (known: {', '.join(_ENTRY_KEYS + extra_fields())})")
    values = {k: v for k, v in raw.items() if v is not None}
    if not isinstance(values.get("name"), str):
        raise fail("'name' is missing or not a string")

    def text_field(key: str) -> Optional[str]:
        value = values.get(key)
        if value is not None and not isinstance(value, str):
            raise fail(f"{key!r} must be a string, not {value!r}")
        return value

    kinds = [k for k in ("cron", "every", "at") if k in values]
    if len(kinds) != 1:
        raise fail("give exactly one of 'cron', 'every' and 'at'" if kinds else "no schedule: give 'cron', 'every' or 'at'")
    kind = kinds[0]
    expr = values[kind]
    if kind == "at" and isinstance(expr, datetime):  # an unquoted TOML date-time
        expr = expr.isoformat()
    if not isinstance(expr, str):
        raise fail(f"{kind!r} must be a string, not {expr!r}")

    command = values.get("command")
    if isinstance(command, str):
        command = [command]
    if command is not None and (not isinstance(command, list) or not all(isinstance(p, str) for p in command)):
        raise fail("'command' must be a string or a list of strings")

    def pairs(key: str) -> Optional[dict[str, str]]:
        value = values.get(key)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise fail(f"{key!r} must be a table of KEY = \"value\" strings")
        from schedcli.services.jobs import ENV_KEY_RE, PARAM_KEY_RE, parse_pairs

        for k, v in value.items():
            if not isinstance(v, str):
                raise fail(f"{key}.{k} must be a string, not {v!r}")
            if "=" in k:
                raise fail(f"invalid {key} name {k!r}")
        items = [f"{k}={v}" for k, v in value.items()]
        try:
            return parse_pairs(items, key, ENV_KEY_RE if key == "env" else PARAM_KEY_RE)
        except SchedError as exc:
            raise fail(exc.message) from None

    def duration(key: str) -> Optional[int]:
        value = values.get(key)
        if value is None:
            return None
        if key == "jitter" and value in (0, "0") and not isinstance(value, bool):
            return 0  # no jitter
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise fail(f"{key!r} must be a duration such as \"1h30m\", not {value!r}")
        if isinstance(value, int):
            if value <= 0:
                raise fail(f"{key!r} must be a positive number of seconds, not {value}")
            return value
        try:
            return sched.parse_duration(value)
        except SchedError as exc:
            raise fail(f"{key}: {exc.message}") from None

    retries = values.get("retries")
    if retries is not None and (isinstance(retries, bool) or not isinstance(retries, int)):
        raise fail(f"'retries' must be an integer, not {retries!r}")
    enabled = values.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise fail(f"'enabled' must be true or false, not {enabled!r}")

    spec = JobSpec(
        kind=kind,
        expr=expr,
        timezone=text_field("timezone"),
        command=command,
        collector=text_field("collector"),
        params=pairs("params"),
        env=pairs("env"),
        cwd=text_field("cwd"),
        timeout=duration("timeout"),
        overlap=text_field("overlap"),
        grace=duration("grace"),
        catch_up=text_field("catch_up"),
        retries=retries,
        retry_delay=duration("retry_delay"),
        enabled=enabled,
        description=text_field("description"),
        jitter=duration("jitter"),
    )
    for key in extra_fields():
        value = values.get(key)
        if value is not None:
            if not isinstance(value, (str, int, float, bool)):
                raise fail(f"{key!r} must be a single value, not {value!r}")
            setattr(spec, key, value)
    return Entry(index, values["name"], spec, line)
