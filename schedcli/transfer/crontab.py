"""Crontabs: reading one into entries (comments, ``VAR=value`` lines, ``SHELL``, ``MAILTO``,
``CRON_TZ``/``TZ``, @macros, ``/etc/crontab`` user fields) and writing jobs as one."""

from __future__ import annotations

import os
import re
import shlex
from typing import Any, Iterable, Optional

from schedcli import schedule as sched
from schedcli.errors import SchedError
from schedcli.model import Job, JobSpec
from schedcli.transfer.cronconv import every_to_cron
from schedcli.transfer.records import Entry, ExportResult, Parsed, SkippedLine, TransferError


#: A crontab has no overlap protection and never catches up: imported entries keep
#: those semantics (change them with ``schedcli edit``).
CRONTAB_OVERLAP = "allow"
CRONTAB_CATCH_UP = "none"


# ---------------------------------------------------------------------------
# Reading a crontab
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
    from schedcli.services.jobs import NAME_RE
    from schedcli.schedule import zone

    me = user or _current_user()
    shell = "/bin/sh"
    env: dict[str, str] = {}
    tz: Optional[str] = None
    cwd: Optional[str] = None
    pending_name: Optional[str] = None
    raw: list[tuple[int, Optional[str], str, str, str]] = []  # (line, explicit name, expr, command, text)
    specs: list[dict[str, Any]] = []
    skipped: list[SkippedLine] = []
    notes: list[str] = []
    # A user crontab whose first command word is a user name (this user, or root) is
    # almost certainly a system crontab: its user names must never run as commands.
    system_like: Optional[tuple[int, str]] = None

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
        words = rest.split(None, 1)  # cron separates fields by any run of blanks
        first, after = (words + ["", ""])[:2]
        if system:
            if not first or not after:
                raise TransferError(
                    f"line {number}: expected a user field and a command after the schedule "
                    "(system crontab format); nothing was imported"
                )
            if first != me:
                skipped.append(SkippedLine(number, original, f"runs as user {first!r}; schedcli runs jobs as {me!r}"))
                continue
            rest = after
        elif after and first in (me, "root") and system_like is None:
            system_like = (number, first)
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
        raw.append((number, name, expr, command, original))
        specs.append({"shell": shell, "env": dict(env), "tz": tz, "cwd": cwd})

    if system_like is not None:
        line_number, word = system_like
        reason = (
            f"looks like a system crontab (user field {word!r} on line {line_number}): "
            "import it with --system"
        )
        skipped.extend(SkippedLine(number, original, reason) for number, *_, original in raw)
        skipped.sort(key=lambda s: s.line)
        raw, specs = [], []

    explicit = {name for _, name, _, _, _ in raw if name}
    used: set[str] = set(explicit)
    entries: list[Entry] = []
    for index, ((number, name, expr, command, _), ctx) in enumerate(zip(raw, specs), 1):
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


# ---------------------------------------------------------------------------
# Writing jobs as a crontab
# ---------------------------------------------------------------------------


def _breaks_line(text: str) -> bool:
    """Would ``text`` end a crontab line (or be cut at a NUL) if written into one?"""
    return "\n" in text or "\r" in text or "\0" in text


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
        if not reason and _breaks_line(script):
            reason = "its command spans several lines"
        if not reason and _breaks_line(job.cwd or ""):
            reason = "its working directory contains a line break"
        if not reason and any(_breaks_line(k) or _breaks_line(v) for k, v in job.env.items()):
            reason = "an environment value contains a line break"
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
