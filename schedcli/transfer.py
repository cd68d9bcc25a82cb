"""Import and export of jobs.

Formats:

- ``toml`` / ``json``: the schedcli job document ``{"version": 1, "jobs": [...]}``,
  round-tripping every job field (see :func:`job_document`).
- ``crontab``: import a real crontab (comments, ``VAR=value`` lines, ``SHELL``,
  ``MAILTO``, ``CRON_TZ``/``TZ``, @macros, ``/etc/crontab`` user fields with
  ``system=True``); export what a crontab can express.
- ``k8s``: Kubernetes ``batch/v1`` CronJob manifests (export only).
- ``systemd``: ``.service`` + ``.timer`` pairs (export only).

Imports are all or nothing: every entry is validated with :func:`schedcli.jobs.build_job`
(one ``now`` for all) before one write transaction inserts, updates and removes jobs.
This module never prints; the command line (``cmd_transfer``) renders results.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shlex
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from hashlib import sha1
from pathlib import Path
from typing import Any, Callable, Iterable, Optional

from . import schedule as sched
from .errors import InvalidValue, SchedError
from .files import write_atomic
from .models import Job, JobSpec

DOCUMENT_VERSION = 1
EXPORT_FORMATS = ("toml", "json", "crontab", "k8s", "systemd")
IMPORT_FORMATS = ("toml", "json", "crontab")
DEFAULT_IMAGE = "busybox:stable"

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
}

#: A crontab has no overlap protection and never catches up: imported entries keep
#: those semantics (change them with ``schedcli edit``).
CRONTAB_OVERLAP = "allow"
CRONTAB_CATCH_UP = "none"

Progress = Callable[[str, int, int], None]

#: JobSpec fields this module translates one by one; any other field that both Job and
#: JobSpec have (e.g. notification hooks added later) is carried as a plain value.
_CORE_SPEC_FIELDS = frozenset({
    "kind", "expr", "timezone", "command", "collector", "params", "env", "cwd", "timeout",
    "overlap", "grace", "catch_up", "retries", "retry_delay", "enabled", "description", "clear",
})  # fmt: skip


@lru_cache(maxsize=1)
def extra_fields() -> tuple[str, ...]:
    """Job fields beyond the core set that ``add`` can set: exported and imported as they are."""
    import dataclasses

    job_fields = {f.name for f in dataclasses.fields(Job)}
    return tuple(
        f.name for f in dataclasses.fields(JobSpec) if f.name not in _CORE_SPEC_FIELDS and f.name in job_fields
    )


class TransferError(InvalidValue):
    """A file that cannot be imported (or a job set that cannot be exported). Exit code 2."""


# ---------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------


@dataclass
class Entry:
    """One job read from a file, not yet validated."""

    index: int  # 1-based position among the file's entries
    name: Optional[str]
    spec: JobSpec
    line: Optional[int] = None

    def where(self) -> str:
        text = f"entry {self.index}"
        if self.name:
            text += f" ({self.name!r})"
        if self.line is not None:
            text += f" at line {self.line}"
        return text


@dataclass
class SkippedLine:
    """A crontab line that has no schedcli translation."""

    line: int
    text: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "reason": self.reason}


@dataclass
class Parsed:
    entries: list[Entry]
    skipped: list[SkippedLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped_lines: list[SkippedLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def imported(self) -> int:
        return len(self.added) + len(self.updated) + len(self.unchanged)

    def summary(self) -> str:
        n = self.imported
        verb = "Would import" if self.dry_run else "Imported"
        parts = [f"{len(self.updated)} updated", f"{len(self.removed)} removed"]
        if self.unchanged:
            parts.insert(1, f"{len(self.unchanged)} unchanged")
        text = f"{verb} {n} job{'' if n == 1 else 's'} ({', '.join(parts)})"
        if self.skipped_lines:
            k = len(self.skipped_lines)
            text += f"; skipped {k} untranslatable line{'' if k == 1 else 's'}"
        if self.dry_run:
            text += "; dry run: nothing was written"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped_lines": [s.to_dict() for s in self.skipped_lines],
            "notes": self.notes,
            "dry_run": self.dry_run,
        }


@dataclass
class ExportResult:
    """What an export produced: one or more (file name, text) pairs and warnings."""

    files: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # job names left out

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.files)


# ---------------------------------------------------------------------------
# Reading files and choosing a format
# ---------------------------------------------------------------------------


def guess_import_format(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".toml":
        return "toml"
    if suffix == ".json":
        return "json"
    return "crontab"


def guess_export_format(path: Optional[str]) -> str:
    if not path or path == "-":
        return "toml"
    suffix = Path(path).suffix.lower()
    return {".json": "json", ".yaml": "k8s", ".yml": "k8s", ".crontab": "crontab", ".cron": "crontab"}.get(
        suffix, "toml"
    )


def read_text(path: str, stdin: Any = None) -> str:
    """The text of ``path`` (``-``: ``stdin``), as UTF-8; unreadable -> TransferError."""
    if path == "-":
        import sys

        stream = stdin if stdin is not None else sys.stdin
        try:
            data = stream.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise TransferError(f"cannot read standard input: {exc}") from None
        if isinstance(data, bytes):
            return _decode(data, "standard input")
        return data
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError:
        raise TransferError(f"cannot read {path}: it is a directory") from None
    except OSError as exc:
        raise TransferError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _decode(data, path)


def _decode(data: bytes, what: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TransferError(f"cannot read {what}: not UTF-8 text (byte {exc.start})") from None
    return text[1:] if text.startswith("\ufeff") else text


# ---------------------------------------------------------------------------
# The job document (TOML / JSON)
# ---------------------------------------------------------------------------


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
    "timeout", "overlap", "grace", "catch_up", "retries", "retry_delay", "enabled", "description",
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
        from .jobs import ENV_KEY_RE, PARAM_KEY_RE, parse_pairs

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
    )
    for key in extra_fields():
        value = values.get(key)
        if value is not None:
            if not isinstance(value, (str, int, float, bool)):
                raise fail(f"{key!r} must be a single value, not {value!r}")
            setattr(spec, key, value)
    return Entry(index, values["name"], spec, line)


# ---------------------------------------------------------------------------
# Crontab import
# ---------------------------------------------------------------------------

_ENV_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_NAME_COMMENT = re.compile(r"^#\s*name\s*:\s*(\S+)\s*$", re.IGNORECASE)
_FIELDS5 = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:\s+(.*))?$")
_WRAPPERS = {"exec", "nice", "ionice", "nohup", "env", "time", "chronic", "sudo", "flock", "timeout"}
_WRAPPER_ARGS = {"flock": 1, "timeout": 1}
_SCRIPT_EXT = (".sh", ".bash", ".py", ".pl", ".rb", ".php")


def _current_user() -> str:
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def _is_user(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except (KeyError, UnicodeEncodeError):
        return False
    return True


def _unquote_env(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _cron_command(text: str) -> Optional[str]:
    """Undo cron's ``\\%`` escape; None when an unescaped ``%`` (stdin/newline) is present."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text) and text[i + 1] == "%":
            out.append("%")
            i += 2
            continue
        if ch == "%":
            return None
        out.append(ch)
        i += 1
    return "".join(out)


def derive_name(command: str) -> str:
    """A job name from a command line: the basename of the program it runs."""
    try:
        words = shlex.split(command, comments=False)
    except ValueError:
        words = command.split()
    i = 0
    while i < len(words):
        word = words[i]
        if _ENV_LINE.match(word) and "=" in word and not word.startswith("="):
            i += 1
        elif word == "cd":
            i += 2
            while i < len(words) and words[i] in ("&&", ";", "||"):
                i += 1
        elif word.rsplit("/", 1)[-1] in _WRAPPERS:
            word = word.rsplit("/", 1)[-1]
            i += 1
            while i < len(words) and words[i].startswith("-"):
                short = len(words[i]) == 2
                i += 1
                if short and i < len(words) and "/" not in words[i] and not words[i].startswith("-"):
                    i += 1  # the option's argument: nice -n 10, sudo -u www
            i += _WRAPPER_ARGS.get(word, 0)  # flock LOCKFILE, timeout DURATION
        else:
            break
    if i >= len(words):
        base = "job"
    else:
        word = words[i].rstrip(";&|")
        if word == "run-parts":
            args = [w for w in words[i + 1 :] if not w.startswith("-")]
            if args:
                word = args[0].rstrip("/")
        base = word.rsplit("/", 1)[-1]
        for ext in _SCRIPT_EXT:
            if base.endswith(ext) and len(base) > len(ext):
                base = base[: -len(ext)]
                break
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", base).lstrip("._-")[:56].rstrip("-")
    return base or "job"


def parse_crontab(text: str, *, system: bool = False, user: Optional[str] = None) -> Parsed:
    """Parse a crontab into entries; lines cron could run but schedcli cannot are ``skipped``.

    ``system``: lines carry a user field after the schedule (/etc/crontab, /etc/cron.d).
    """
    from .jobs import NAME_RE
    from .times import zone

    me = user or _current_user()
    shell = "/bin/sh"
    env: dict[str, str] = {}
    tz: Optional[str] = None
    cwd: Optional[str] = None
    pending_name: Optional[str] = None
    raw: list[tuple[int, Optional[str], str, str]] = []  # (line, explicit name, expr, command)
    specs: list[dict[str, Any]] = []
    skipped: list[SkippedLine] = []
    notes: list[str] = []

    for number, original in enumerate(text.splitlines(), 1):
        line = original.strip()
        if not line:
            continue
        if line.startswith("#"):
            m = _NAME_COMMENT.match(line)
            if m:
                if not NAME_RE.match(m.group(1)):
                    raise TransferError(
                        f"line {number}: invalid job name {m.group(1)!r} in '# name:' "
                        "(use 1-64 letters, digits, '.', '_' or '-'); nothing was imported"
                    )
                pending_name = m.group(1)
            continue
        env_match = _ENV_LINE.match(line)
        if env_match:
            key, value = env_match.group(1), _unquote_env(env_match.group(2))
            if key == "SHELL":
                shell = value or "/bin/sh"
            elif key in ("CRON_TZ", "TZ"):
                try:
                    zone(value)
                except SchedError as exc:
                    raise TransferError(f"line {number}: {key}: {exc.message}; nothing was imported") from None
                tz = value
            else:
                if "\x00" in value:
                    raise TransferError(f"line {number}: NUL character in {key}; nothing was imported")
                env[key] = value
                if key == "MAILTO" and value:
                    notes.append(
                        f"line {number}: MAILTO={value} is kept as an environment variable, but schedcli "
                        "does not send mail: read results with schedcli history and schedcli logs"
                    )
                if key == "HOME" and value.startswith("/"):
                    cwd = value  # cron starts jobs in $HOME
            continue

        name, pending_name = pending_name, None
        body = line[1:].lstrip() if line.startswith("-") else line  # cronie: '-' = no syslog
        if body.startswith("@"):
            parts = body.split(None, 1)
            macro = parts[0].lower()
            rest = parts[1] if len(parts) > 1 else ""
            if macro == "@reboot":
                skipped.append(SkippedLine(number, original, "@reboot runs at boot; schedcli has no boot trigger"))
                continue
            if macro not in sched.MACROS:
                raise TransferError(
                    f"line {number}: unknown macro {parts[0]!r} (known: {', '.join(sched.MACROS)}, @reboot); "
                    "nothing was imported"
                )
            expr = macro
        else:
            m5 = _FIELDS5.match(body)
            if not m5:
                raise TransferError(
                    f"line {number}: not a crontab entry (expected 5 time fields and a command, "
                    "an @macro, a VAR=value line or a # comment); nothing was imported"
                )
            expr = " ".join(m5.group(i) for i in range(1, 6))
            rest = m5.group(6) or ""
        if system:
            first, _, after = rest.partition(" ")
            after = after.lstrip()
            if not first or not after:
                raise TransferError(
                    f"line {number}: expected a user field and a command after the schedule "
                    "(system crontab format); nothing was imported"
                )
            if first != me:
                skipped.append(SkippedLine(number, original, f"runs as user {first!r}; schedcli runs jobs as {me!r}"))
                continue
            rest = after
        else:
            first, _, after = rest.partition(" ")
            after = after.strip()
            if after and _is_user(first) and not _which(first):
                skipped.append(SkippedLine(
                    number, original,
                    f"looks like a system crontab line with user field {first!r}: import it with --system",
                ))
                continue
        if not rest.strip():
            raise TransferError(f"line {number}: the command is empty; nothing was imported")
        command = _cron_command(rest)
        if command is None:
            skipped.append(SkippedLine(
                number, original,
                "unescaped % in the command (cron turns it into a newline and feeds the rest to stdin); "
                "write \\% for a literal %",
            ))
            continue
        raw.append((number, name, expr, command))
        specs.append({"shell": shell, "env": dict(env), "tz": tz, "cwd": cwd})

    explicit = {name for _, name, _, _ in raw if name}
    used: set[str] = set(explicit)
    entries: list[Entry] = []
    for index, ((number, name, expr, command), ctx) in enumerate(zip(raw, specs), 1):
        if name is None:
            base = derive_name(command)
            name, n = base, 2
            while name in used:
                name = f"{base}-{n}"
                n += 1
            used.add(name)
        sh = ctx["shell"]
        argv = [command] if sh in ("/bin/sh", "sh") else [sh, "-c", command]
        spec = JobSpec(
            kind="cron",
            expr=expr,
            timezone=ctx["tz"],
            command=argv,
            env=ctx["env"] or None,
            cwd=ctx["cwd"],
            overlap=CRONTAB_OVERLAP,
            catch_up=CRONTAB_CATCH_UP,
        )
        entries.append(Entry(index, name, spec, number))
    return Parsed(entries, skipped, notes)


def _which(word: str) -> bool:
    import shutil

    return "/" in word or shutil.which(word) is not None


def parse(text: str, fmt: str, *, system: bool = False) -> Parsed:
    if fmt in ("toml", "json"):
        if system:
            raise TransferError("--system is for crontab files")
        return parse_document(text, fmt)
    if fmt == "crontab":
        return parse_crontab(text, system=system)
    raise TransferError(f"cannot import format {fmt!r}: choose one of {', '.join(IMPORT_FORMATS)}")


# ---------------------------------------------------------------------------
# Import: validate everything, then one transaction
# ---------------------------------------------------------------------------

_COLLECTOR_PLACEHOLDER = "schedcli.collectors:check_ref"


def _build(entry: Entry, now: datetime, checked_refs: set[str], notes: list[str]) -> dict[str, Any]:
    from .collectors import check_ref
    from .jobs import build_job
    from .times import local_zone_name, parse_when

    spec = build_spec = entry.spec
    build_now, finished = now, False
    try:
        if spec.collector is not None and spec.command is None:
            # collectors.registered() scans entry points (~3 ms a call): check each distinct
            # ref once, and let build_job validate the rest against a ref that is cheap to check.
            if spec.collector not in checked_refs:
                check_ref(spec.collector)
                checked_refs.add(spec.collector)
            build_spec = copy.copy(spec)
            build_spec.collector = _COLLECTOR_PLACEHOLDER
        if spec.kind == "at" and spec.expr is not None:
            at = parse_when(spec.expr, spec.timezone or local_zone_name())
            if at <= now:  # a one-off time already past: imported as finished
                build_now, finished = at - timedelta(seconds=1), True
        fields = build_job(entry.name or "", build_spec, build_now)
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
) -> ImportResult:
    """Validate every entry, then add/update/remove in ONE write transaction (all or nothing).

    ``replace_existing``: jobs with the same names are updated in place (id and history
    kept), jobs not in the file are removed. Otherwise an existing name is an error.
    ``progress(stage, done, total)`` is called while validating and writing.
    """
    if parsed.skipped and not skip_untranslatable:
        raise TransferError(_skipped_message(parsed.skipped))
    result = ImportResult(skipped_lines=list(parsed.skipped), notes=list(parsed.notes), dry_run=dry_run)
    from .times import local_zone_name

    default_zone = local_zone_name()  # what build_job would look up for every entry without one
    total = len(parsed.entries)
    step = max(1, total // 100)
    rows: list[tuple[Entry, dict[str, Any]]] = []
    seen: dict[str, Entry] = {}
    checked_refs: set[str] = set()
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
        rows.append((entry, _build(entry, now, checked_refs, result.notes)))
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
    system: bool = False,
    replace_existing: bool = False,
    dry_run: bool = False,
    skip_untranslatable: bool = False,
    progress: Optional[Progress] = None,
) -> ImportResult:
    parsed = parse(text, fmt, system=system)
    return import_parsed(
        store, parsed, now, replace_existing=replace_existing, dry_run=dry_run,
        skip_untranslatable=skip_untranslatable, progress=progress,
    )


# ---------------------------------------------------------------------------
# Cron helpers shared by the exporters
# ---------------------------------------------------------------------------

_DOW_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def _cron_fields(expr: str) -> list[str]:
    normalized = sched.validate_cron(expr)
    return sched.MACROS.get(normalized, normalized).split()


def _value(token: str, index: int) -> int:
    lowered = token.lower()
    if index == 3 and lowered in sched._MONTHS:
        return sched._MONTHS.index(lowered) + 1
    if index == 4 and lowered in sched._DAYS:
        return sched._DAYS.index(lowered)
    return int(token)


_LOW_HIGH = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


def _items(field_text: str, index: int) -> list[tuple[str, int, int, int]]:
    """Split a (valid) cron field into items: (form, start, end, step)."""
    low, high = _LOW_HIGH[index]
    out = []
    for item in field_text.split(","):
        base, slash, step_text = item.partition("/")
        step = int(step_text) if slash else 0
        if base == "*":
            out.append(("star", low, high, step))
        elif "-" in base:
            a, _, b = base.partition("-")
            out.append(("range", _value(a, index), _value(b, index), step))
        else:
            v = _value(base, index)
            out.append(("value", v, high if step else v, step))
    return out


def _dow_set(field_text: str) -> set[int]:
    days: set[int] = set()
    for _form, start, end, step in _items(field_text, 4):
        days.update(range(start, end + 1, step or 1))
    if 7 in days:
        days.discard(7)
        days.add(0)
    return days


def _runs(values: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for v in values:
        if runs and runs[-1][-1] + 1 == v:
            runs[-1].append(v)
        else:
            runs.append([v])
    return runs


def _systemd_weekdays(days: set[int]) -> str:
    if len(days) == 7:
        return ""
    order = [d for d in (1, 2, 3, 4, 5, 6, 7) if (d % 7) in days]  # Mon..Sun, Sunday as 7
    parts = []
    for run in _runs(order):
        names = [_DOW_NAMES[d % 7] for d in run]
        parts.append(names[0] if len(run) == 1 else f"{names[0]}..{names[-1]}")
    return ",".join(parts)


def _systemd_component(field_text: str, index: int) -> str:
    low, _high = _LOW_HIGH[index]
    parts = []
    for form, start, end, step in _items(field_text, index):
        if form == "star":
            parts.append(f"{low:02d}/{step}" if step else "*")
        elif form == "range":
            parts.append(f"{start:02d}..{end:02d}" + (f"/{step}" if step else ""))
        else:
            parts.append(f"{start:02d}" + (f"/{step}" if step else ""))
    return ",".join(parts)


def cron_to_oncalendar(expr: str, tz: Optional[str] = None) -> list[str]:
    """systemd ``OnCalendar=`` values equivalent to a 5-field cron expression or macro.

    Cron fires when day-of-month OR day-of-week matches if both are restricted
    (neither starts with ``*``); one calendar event is an AND, so that case gives two.
    """
    minute, hour, dom, month, dow = _cron_fields(expr)
    m = _systemd_component(minute, 0)
    h = _systemd_component(hour, 1)
    d = _systemd_component(dom, 2)
    mo = _systemd_component(month, 3)
    weekdays = _systemd_weekdays(_dow_set(dow))
    suffix = f" {tz}" if tz else ""
    clock = f"{h}:{m}:00"
    if not dom.startswith("*") and not dow.startswith("*"):
        day_line = f"*-{mo}-{d} {clock}{suffix}"
        if not weekdays:  # every weekday matches: the OR is every day of the month(s)
            return [f"*-{mo}-* {clock}{suffix}"]
        return [day_line, f"{weekdays} *-{mo}-* {clock}{suffix}"]
    prefix = f"{weekdays} " if weekdays else ""
    return [f"{prefix}*-{mo}-{d} {clock}{suffix}"]


def every_to_cron(seconds: int) -> Optional[str]:
    """A cron expression for an interval that divides its unit evenly (5m, 2h, 1d, 1w), else None."""
    if seconds <= 0 or seconds % 60:
        return None
    minutes = seconds // 60
    if minutes < 60:
        if minutes == 1:
            return "* * * * *"
        return f"*/{minutes} * * * *" if 60 % minutes == 0 else None
    if minutes % 60:
        return None
    hours = minutes // 60
    if hours < 24:
        if hours == 1:
            return "0 * * * *"
        return f"0 */{hours} * * *" if 24 % hours == 0 else None
    if hours == 24:
        return "0 0 * * *"
    if hours == 168:
        return "0 0 * * 0"
    return None


def _k8s_schedule(expr: str) -> str:
    """The job's cron text for Kubernetes (day-of-week 7 is not accepted there: use 0)."""
    normalized = sched.validate_cron(expr)
    if normalized.startswith("@"):
        return normalized
    fields = normalized.split()
    dow = fields[4]
    if any(start == 7 or end == 7 for form, start, end, _ in _items(dow, 4) if form != "star"):
        days = sorted(_dow_set(dow))
        fields[4] = ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in _runs(days))
    return " ".join(fields)


def _day_rule_differs(expr: str) -> bool:
    """Vixie cron ANDs the day fields when one starts with '*' ('*/2'); Kubernetes ORs them."""
    fields = _cron_fields(expr)
    dom, dow = fields[2], fields[4]
    if dom == "*" or dow == "*":
        return False
    return dom.startswith("*") or dow.startswith("*")


# ---------------------------------------------------------------------------
# Export: crontab
# ---------------------------------------------------------------------------


def _shell_command(job: Job) -> str:
    command = job.command or []
    return command[0] if len(command) == 1 else shlex.join(command)


def export_crontab(jobs: Iterable[Job]) -> ExportResult:
    lines = [
        "# schedcli export (crontab format)",
        "# Not expressed here: timeouts, retries, overlap, grace and catch-up policies.",
        "# '# name:' comments keep job names for: schedcli import FILE --format crontab",
        "SHELL=/bin/sh",
    ]
    result = ExportResult([])
    current_tz: Optional[str] = None
    for job in jobs:
        reason = None
        if job.collector is not None:
            reason = "collector jobs have no crontab form"
        elif job.kind == "at":
            reason = "one-off (--at) jobs have no crontab form"
        if job.kind == "every":
            expr = every_to_cron(sched.parse_duration(job.expr))
            if expr is None:
                reason = f"every {job.expr} is not a whole divisor of a minute, hour or day"
        else:
            expr = job.expr
        script = _shell_command(job) if job.command else ""
        if not reason and ("\n" in script or "\r" in script):
            reason = "its command spans several lines"
        if reason:
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: {reason}")
            continue
        prefix = []
        if job.cwd:
            prefix.append(f"cd {shlex.quote(job.cwd)} || exit 1;")
        if job.env:
            prefix.append("export " + " ".join(f"{k}={shlex.quote(v)}" for k, v in job.env.items()) + ";")
        script = " ".join(prefix + [script]).replace("%", "\\%")
        tz = "UTC" if job.kind == "every" else job.timezone
        lines.append("")
        lines.append(f"# name: {job.name}")
        if job.description:
            lines.append("# " + " ".join(job.description.split()))
        if tz != current_tz:
            lines.append(f"CRON_TZ={tz}")
            current_tz = tz
        entry = f"{expr} {script}"
        if not job.enabled:
            lines.append("# disabled in schedcli:")
            entry = "#" + entry
        lines.append(entry)
    result.files.append(("crontab", "\n".join(lines) + "\n"))
    return result


# ---------------------------------------------------------------------------
# Export: Kubernetes CronJob (YAML written by hand)
# ---------------------------------------------------------------------------


def yaml_quote(text: str) -> str:
    """A YAML double-quoted scalar (every non-printable character escaped)."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif 0x20 <= code <= 0x7E or (0xA0 <= code <= 0xD7FF and code not in (0x2028, 0x2029)) or (
            0xE000 <= code <= 0xFFFD and code != 0xFEFF
        ) or code >= 0x10000:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    out.append('"')
    return "".join(out)


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return yaml_quote(str(value))


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_yaml_lines(item, indent + 2))
            elif isinstance(item, (dict, list)):
                lines.append(f"{pad}{key}: {'{}' if isinstance(item, dict) else '[]'}")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                sub = _yaml_lines(item, indent + 2)
                sub[0] = f"{pad}- {sub[0][indent + 2:]}"
                lines.extend(sub)
            elif isinstance(item, list) and item:
                lines.append(f"{pad}-")
                lines.extend(_yaml_lines(item, indent + 2))
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    return lines


def k8s_name(name: str, taken: set[str]) -> str:
    """A DNS-1123 label for a CronJob (at most 52 characters), unique among ``taken``."""
    base = re.sub(r"[^a-z0-9-]+", "-", name.lower())
    base = re.sub(r"-{2,}", "-", base).strip("-") or "job"
    candidate = base[:52].rstrip("-")
    if candidate in taken:
        digest = sha1(name.encode()).hexdigest()[:6]
        candidate = f"{base[:45].rstrip('-')}-{digest}"
        n = 2
        while candidate in taken:
            candidate = f"{base[:42].rstrip('-')}-{digest}-{n}"
            n += 1
    taken.add(candidate)
    return candidate


def export_k8s(jobs: Iterable[Job], image: str = DEFAULT_IMAGE) -> ExportResult:
    result = ExportResult([])
    taken: set[str] = set()
    docs: list[str] = []
    policy = {"skip": "Forbid", "allow": "Allow", "replace": "Replace"}
    for job in jobs:
        timezone_name = job.timezone
        if job.collector is not None:
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: collector jobs need an image with the collector installed")
            continue
        if job.kind == "at":
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: one-off (--at) jobs have no CronJob form")
            continue
        if job.kind == "every":
            schedule = every_to_cron(sched.parse_duration(job.expr))
            if schedule is None:
                result.skipped.append(job.name)
                result.warnings.append(f"{job.name}: every {job.expr} does not divide a minute, hour or day evenly")
                continue
            timezone_name = "Etc/UTC"  # an interval is elapsed time: no daylight-saving shifts
        else:
            schedule = _k8s_schedule(job.expr)
            if _day_rule_differs(job.expr):
                result.warnings.append(
                    f"{job.name}: Kubernetes combines day-of-month and day-of-week with OR in {job.expr!r} "
                    "(schedcli uses AND when one field starts with '*'): check the schedule"
                )
        name = k8s_name(job.name, taken)
        command = job.command or []
        argv = ["/bin/sh", "-c", command[0]] if len(command) == 1 else list(command)
        container: dict[str, Any] = {"name": "job", "image": image, "command": argv}
        if job.cwd:
            container["workingDir"] = job.cwd
        if job.env:
            container["env"] = [{"name": k, "value": v} for k, v in job.env.items()]
        job_spec: dict[str, Any] = {}
        if job.timeout is not None:
            job_spec["activeDeadlineSeconds"] = max(1, int(round(job.timeout)))
        job_spec["backoffLimit"] = job.retries
        job_spec["template"] = {"spec": {"restartPolicy": "Never", "containers": [container]}}
        annotations = {"schedcli/job": job.name}
        if job.description:
            annotations["schedcli/description"] = job.description
        manifest = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {
                "name": name,
                "labels": {"app.kubernetes.io/managed-by": "schedcli-export"},
                "annotations": annotations,
            },
            "spec": {
                "schedule": schedule,
                "timeZone": timezone_name,
                "suspend": not job.enabled,
                "concurrencyPolicy": policy.get(job.overlap, "Forbid"),
                "startingDeadlineSeconds": job.grace,
                "jobTemplate": {"spec": job_spec},
            },
        }
        docs.append("---\n" + "\n".join(_yaml_lines(manifest, 0)) + "\n")
    if not docs:
        docs.append("# no jobs to export\n")
    result.files.append(("cronjobs.yaml", "".join(docs)))
    return result


# ---------------------------------------------------------------------------
# Export: systemd .service / .timer
# ---------------------------------------------------------------------------


def _systemd_escape(text: str, *, dollars: bool) -> str:
    """Inside a double-quoted systemd word: C escapes, %% for specifiers, $$ in ExecStart."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "%":
            out.append("%%")
        elif ch == "$" and dollars:
            out.append("$$")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def systemd_exec(argv: list[str]) -> str:
    """An ``ExecStart=`` value running ``argv`` exactly (each word double-quoted)."""
    words = []
    for i, arg in enumerate(argv):
        if arg == ";":
            words.append("\\;")
        elif i == 0 and arg and "/" not in arg and re.fullmatch(r"[A-Za-z0-9._+-]+", arg) and arg[0] not in "-+@!:":
            words.append(arg)  # a plain program name, looked up in systemd's fixed PATH
        else:
            words.append('"' + _systemd_escape(arg, dollars=True) + '"')
    return " ".join(words)


def _unit_text(text: str) -> str:
    return " ".join(text.replace("%", "%%").split())


def export_systemd(jobs: Iterable[Job]) -> ExportResult:
    result = ExportResult([])
    for job in jobs:
        if job.collector is not None:
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: collector jobs have no systemd form")
            continue
        if job.kind == "at" and job.next_run_at is None:
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: finished one-off job (its time has passed)")
            continue
        command = job.command or []
        if command and command[0][:1] in ("-", "+", "@", "!", ":") and len(command) > 1:
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: its program name starts with a systemd ExecStart= prefix")
            continue
        if job.cwd and any(ord(c) < 0x20 or c == "\x7f" for c in job.cwd):
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: its working directory contains control characters")
            continue
        argv = ["/bin/sh", "-c", command[0]] if len(command) == 1 else list(command)
        unit = f"schedcli-{job.name}"
        title = f"schedcli job {job.name}" + (f": {job.description}" if job.description else "")
        service = [
            "[Unit]",
            f"Description={_unit_text(title)}",
            "",
            "[Service]",
            "Type=oneshot",
            f"ExecStart={systemd_exec(argv)}",
        ]
        for key, value in job.env.items():
            service.append(f'Environment="{_systemd_escape(f"{key}={value}", dollars=False)}"')
        service.append(f"WorkingDirectory={job.cwd.replace('%', '%%')}" if job.cwd else "WorkingDirectory=~")
        if job.timeout is not None:
            service.append(f"TimeoutStartSec={max(1, int(round(job.timeout)))}s")
            service.append("TimeoutStopSec=5s")
        else:
            service.append("TimeoutStartSec=infinity")
        notes = []
        if job.retries:
            notes.append(f"retries={job.retries} (delay {sched.format_duration(job.retry_delay)}, doubling)")
        if job.overlap != "skip":
            notes.append(f"overlap={job.overlap} (a timer never starts a service that is still running)")
        if notes:
            service.append("# not translated from schedcli: " + "; ".join(notes))

        timer = ["[Unit]", f"Description={_unit_text(f'Timer for schedcli job {job.name}')}", ""]
        if not job.enabled:
            timer.append("# disabled in schedcli: do not enable this timer")
        timer.append("[Timer]")
        if job.kind == "cron":
            for value in cron_to_oncalendar(job.expr, job.timezone):
                timer.append(f"OnCalendar={value}")
            if job.catch_up != "none":
                timer.append("Persistent=true")
        elif job.kind == "every":
            seconds = sched.parse_duration(job.expr)
            timer.append(f"OnBootSec={seconds}s")
            timer.append(f"OnUnitActiveSec={seconds}s")
        else:
            at = datetime.fromisoformat(job.expr.replace("Z", "+00:00")).astimezone(timezone.utc)
            timer.append(f"OnCalendar={at.strftime('%Y-%m-%d %H:%M:%S')} UTC")
            if job.catch_up != "none":
                timer.append("Persistent=true")
        timer += ["AccuracySec=1s", f"Unit={unit}.service", "", "[Install]", "WantedBy=timers.target"]
        result.files.append((f"{unit}.service", "\n".join(service) + "\n"))
        result.files.append((f"{unit}.timer", "\n".join(timer) + "\n"))
    return result


# ---------------------------------------------------------------------------
# Export entry point
# ---------------------------------------------------------------------------


def export_jobs(jobs: list[Job], fmt: str, *, image: str = DEFAULT_IMAGE) -> ExportResult:
    if fmt == "toml":
        return ExportResult([("jobs.toml", dump_toml(jobs))])
    if fmt == "json":
        return ExportResult([("jobs.json", dump_json(jobs))])
    if fmt == "crontab":
        return export_crontab(jobs)
    if fmt == "k8s":
        return export_k8s(jobs, image)
    if fmt == "systemd":
        return export_systemd(jobs)
    raise TransferError(f"cannot export format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}")


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, the file created 0600."""
    if path.is_dir():
        raise TransferError(f"cannot write {path}: it is a directory")
    try:
        write_atomic(path, text, 0o600)
    except OSError as exc:
        raise TransferError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_unit_dir(directory: Path, files: list[tuple[str, str]]) -> list[Path]:
    """Write unit files into ``directory`` (created 0700 when missing), each 0600."""
    if directory.exists() and not directory.is_dir():
        raise TransferError(f"--output {directory}: for --format systemd it must be a directory")
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise TransferError(f"cannot create directory {directory}: {exc.strerror or exc}") from None
    written = []
    for name, text in files:
        target = directory / name
        write_private(target, text)
        written.append(target)
    return written
