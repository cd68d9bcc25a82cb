"""Reading a crontab as cron(8) reads it: comments, ``VAR=value`` lines, @macros, the
``/etc/crontab`` user field, and ``%`` in commands.

* Fields are separated by any run of blanks (spaces or tabs).
* System crontabs (``/etc/crontab``, ``/etc/cron.d/*``) have a user field after the
  schedule.  They are recognised by their path, or forced with ``system=True``; only the
  lines of the user schedcli runs as are imported, the others are skipped with the reason.
  A file that is neither, but whose lines look like system lines (a ``root`` field, this
  user's name, or the same user-name-like word after every schedule), is refused: its user
  names would otherwise run as commands.  Nothing here asks which users or commands the
  machine has, so a file imports the same everywhere (up to who runs the import).
* An unescaped ``%`` ends the command; the rest of the line is its standard input, further
  ``%`` being newlines (cronie and Debian's cron add a final newline).  The import feeds
  that text through ``printf`` into the same shell cron would start.
* ``CRON_TZ`` sets the zone the schedules are read in; ``TZ``, ``MAILTO`` and every other
  variable go to the job's environment, as cron passes them to the command; ``SHELL``
  chooses the shell and ``HOME`` the working directory, as in cron.
* ``MAILTO`` also makes the following entries mail their runs, by cron's rule: every run
  that prints anything (``--mailto ADDRESS --mail-on output``); ``MAILTO=""`` means no
  mail (``--mailto none``, not even the configuration's). An invalid address is an error.
"""

from __future__ import annotations

import os
import re
import shlex
from dataclasses import dataclass, field
from typing import Optional

from schedcli import schedule as sched
from schedcli.errors import SchedError
from schedcli.model import JobSpec
from schedcli.transfer.naming import derive_name
from schedcli.transfer.records import Entry, Parsed, SkippedLine, TransferError

#: A crontab has no overlap protection and never catches up: imported entries keep
#: those semantics (change them with ``schedcli edit``).
CRONTAB_OVERLAP = "allow"
CRONTAB_CATCH_UP = "none"

#: Paths whose files are system crontabs (a user field after each schedule).
SYSTEM_CRONTAB = "/etc/crontab"
SYSTEM_CRONTAB_DIR = "/etc/cron.d"

_ENV_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")
_NAME_COMMENT = re.compile(r"^#\s*name\s*:\s*(\S+)\s*$", re.IGNORECASE)
_FIELDS5 = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)(?:[ \t]+(.*))?$", re.DOTALL)
#: A word that could be a user name (Debian's adduser NAME_REGEX, plus '_' first).
_USER_LIKE = re.compile(r"^[a-z_][a-z0-9_-]{0,31}\$?$")
#: Words that start shell commands (keywords, builtins, wrappers that run the next word):
#: never a user field.
_SHELL_WORDS = {
    "if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac",
    "test", "command", "cd", "exec", "echo", "printf", "true", "false", "export", "set", "eval",
    "sleep", "exit", "trap", "umask", "ulimit", "unset", "wait", "time", "nice", "ionice", "nohup",
    "env", "sudo", "doas", "su", "chronic", "flock", "timeout", "xargs", "xvfb-run", "dbus-launch",
    "ssh-agent", "setsid", "systemd-cat", "run-one", "lckdo", "setlock", "envdir", "setuidgid",
}  # fmt: skip
#: Words that start a command: after a user-name-like word, that word is a user field.
_COMMAND_STARTS = {
    "if", "for", "while", "until", "case", "{", "(", "!", "[", "[[", "test", "cd", "command",
    "exec", "sh", "bash", "dash", "php", "python", "python3", "perl", "ruby", "node", "run-parts",
}  # fmt: skip
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def current_user() -> str:
    """The name of the user this process runs as (its uid when it has no name)."""
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return str(os.geteuid())


def is_system_path(path: Optional[str]) -> bool:
    """Is ``path`` /etc/crontab or a file in /etc/cron.d (as given, or where it leads)?"""
    if not path or path == "-":
        return False
    for candidate in dict.fromkeys((os.path.abspath(path), os.path.realpath(path))):
        if candidate == SYSTEM_CRONTAB or os.path.dirname(candidate) == SYSTEM_CRONTAB_DIR:
            return True
    return False


def _unquote_env(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def split_percent(text: str) -> tuple[str, Optional[str]]:
    """cron(8)'s reading of a command: the text before the first unescaped ``%`` (each
    ``\\%`` becoming ``%``, other backslashes kept), and the raw text after it (None: no ``%``)."""
    out: list[str] = []
    escaped = False
    for i, ch in enumerate(text):
        if escaped:
            if ch == "%":
                out[-1] = "%"  # the backslash is replaced by the percent sign
            else:
                out.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
            out.append(ch)
            continue
        if ch == "%":
            return "".join(out), text[i + 1 :]
        out.append(ch)
    return "".join(out), None


def stdin_text(data: str) -> str:
    """The standard input cron feeds a command from the text after its first ``%``:
    ``%`` -> newline, ``\\%`` -> ``%``, other backslashes kept, a final newline added."""
    out: list[str] = []
    escaped = need_newline = False
    for ch in data:
        if escaped:
            if ch != "%":
                out.append("\\")
        elif ch == "%":
            ch = "\n"
        escaped = ch == "\\"
        if not escaped:
            out.append(ch)
            need_newline = ch != "\n"
    if escaped:
        out.append("\\")
    if need_newline:
        out.append("\n")
    return "".join(out)


def printf_format(text: str) -> str:
    """A ``printf`` format that prints ``text`` exactly (one line: newlines as ``\\n``)."""
    return text.replace("\\", "\\\\").replace("%", "%%").replace("\n", "\\n")


def with_stdin(command: str, data: str, shell: str) -> str:
    """Shell text running ``command`` with ``data`` on its standard input, as cron does."""
    return f"printf {shlex.quote(printf_format(data))} | {shlex.quote(shell)} -c {shlex.quote(command)}"


@dataclass
class _Line:
    """A schedule line, read but not yet interpreted."""

    number: int
    original: str
    name: Optional[str]
    expr: str  # five fields, a macro, or @reboot
    rest: str
    shell: str
    env: dict[str, str] = field(default_factory=dict)
    tz: Optional[str] = None
    cwd: Optional[str] = None
    mailto: Optional[str] = None  # the MAILTO in force ("": no mail); None: none was set

    def words(self) -> tuple[str, str]:
        parts = self.rest.split(None, 1)  # cron separates fields by any run of blanks
        first, after = (parts + ["", ""])[:2]
        return first, after


def _read_lines(text: str) -> tuple[list[_Line], list[str]]:
    """Every schedule line with the variables in force, and notes; syntax errors raise."""
    from schedcli.services.jobs import NAME_RE

    shell = "/bin/sh"
    env: dict[str, str] = {}
    tz: Optional[str] = None
    cwd: Optional[str] = None
    mailto: Optional[str] = None
    pending_name: Optional[str] = None
    lines: list[_Line] = []
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
            if "\x00" in value:
                raise TransferError(f"line {number}: NUL character in {key}; nothing was imported")
            if key == "SHELL":
                shell = value or "/bin/sh"
            elif key == "CRON_TZ":
                try:
                    sched.zone(value)
                except SchedError as exc:
                    raise TransferError(f"line {number}: {key}: {exc.message}; nothing was imported") from None
                tz = value
            else:
                env[key] = value
                if key == "MAILTO":
                    mailto = _mailto(number, value)
                    if value:
                        notes.append(
                            f"line {number}: MAILTO={value}: the entries below mail every run that prints "
                            "anything to it, as cron does (--mailto, --mail-on output; sent by sendmail)"
                        )
                if key == "HOME" and value.startswith("/"):
                    cwd = value  # cron starts jobs in $HOME
            continue

        name, pending_name = pending_name, None
        body = original.lstrip()
        body = body[1:].lstrip() if body.startswith("-") else body  # cronie: '-' = no syslog
        expr: str
        if body.startswith("@"):
            parts = body.split(None, 1)
            macro = parts[0].lower()
            rest = parts[1] if len(parts) > 1 else ""
            if macro != "@reboot" and macro not in sched.MACROS:
                raise TransferError(
                    f"line {number}: unknown macro {parts[0]!r} (known: {', '.join(sched.MACROS)}, @reboot); "
                    "nothing was imported"
                )
            expr = macro  # @reboot too: a job run once at each boot
        else:
            m5 = _FIELDS5.match(body)
            if not m5:
                raise TransferError(
                    f"line {number}: not a crontab entry (expected 5 time fields and a command, "
                    "an @macro, a VAR=value line or a # comment); nothing was imported"
                )
            expr = " ".join(m5.group(i) for i in range(1, 6))
            rest = m5.group(6) or ""
        lines.append(_Line(number, original, name, expr, rest, shell, dict(env), tz, cwd, mailto))
    return lines, notes


def _mailto(number: int, value: str) -> str:
    """A MAILTO line's addresses, checked ("" stays "": no mail)."""
    if not value:
        return value
    from schedcli.services.notify.events import check_addresses

    try:
        return check_addresses(value, "MAILTO")
    except SchedError as exc:
        raise TransferError(f"line {number}: {exc.message}; nothing was imported") from None


def _looks_like_system(lines: list[_Line], me: str) -> Optional[str]:
    """Why these lines look like system crontab lines (a user field after each schedule), or None."""
    firsts = [(line.number, *line.words()) for line in lines]
    for number, first, after in firsts:
        if after and first in ("root", me):
            return f"line {number} has {first!r} after its schedule, where a system crontab has its user field"
    for number, first, after in firsts:
        second = after.split(None, 1)[0] if after.strip() else ""
        if (
            _USER_LIKE.match(first) and first not in _SHELL_WORDS
            and (second in _COMMAND_STARTS or _ASSIGNMENT.match(second))
        ):
            return f"line {number} has {first!r} before the command {after.split(None, 1)[0]!r} starts"
    words = {first for _, first, after in firsts if after}
    if len(firsts) >= 2 and len(words) == 1 and all(after for *_, after in firsts):
        (word,) = words
        if _USER_LIKE.match(word) and word not in _SHELL_WORDS:
            return f"every line has {word!r} after its schedule, as a system crontab has its user field"
    return None


def _file_prefix(path: Optional[str]) -> Optional[str]:
    """The name prefix for jobs of a system crontab fragment (/etc/cron.d/sysstat: 'sysstat')."""
    if not path or path == "-":
        return None
    base = os.path.basename(path.rstrip("/"))
    for ext in (".crontab", ".cron", ".txt"):
        if base.endswith(ext) and len(base) > len(ext):
            base = base[: -len(ext)]
    return None if base in ("crontab", "") else base


def parse_crontab(
    text: str, *, system: Optional[bool] = None, user: Optional[str] = None, path: Optional[str] = None
) -> Parsed:
    """Parse a crontab into entries; lines cron could run but schedcli cannot are ``skipped``.

    ``system``: True, lines have a user field after the schedule (/etc/crontab, /etc/cron.d);
    False, they do not; None, decided by ``path`` and refused when the lines look like
    system lines in a file not known to be one.  ``user``: whose lines a system crontab
    imports (default: the user running this).  Job names come from the file (``path``)
    and the program each command runs.
    """
    me = user or current_user()
    lines, notes = _read_lines(text)
    if system is None:
        system = is_system_path(path)
        why = None if system else _looks_like_system(lines, me)
        if why:
            shown = f"{path} looks" if path and path != "-" else "this file looks"
            raise TransferError(
                f"{shown} like a system crontab ({why}): pass --system to read the user fields "
                f"(lines for users other than {me!r} are skipped), or --user to read every line as "
                "a command; nothing was imported"
            )
    prefix = _file_prefix(path) if system else None

    raw: list[tuple[_Line, str, str]] = []  # (line, cron command, job command text)
    skipped: list[SkippedLine] = []
    for line in lines:
        rest = line.rest
        if system:
            first, after = line.words()
            if not first or not after.strip():
                raise TransferError(
                    f"line {line.number}: expected a user field and a command after the schedule "
                    "(system crontab format); nothing was imported"
                )
            if first != me:
                skipped.append(SkippedLine(
                    line.number, line.original, f"runs as user {first!r}; schedcli runs jobs as {me!r}"
                ))
                continue
            rest = after
        command, data = split_percent(rest.rstrip("\r\n"))
        command = command.strip()
        if not command:
            raise TransferError(f"line {line.number}: the command is empty; nothing was imported")
        script = command
        if data:
            script = with_stdin(command, stdin_text(data), line.shell)
            notes.append(
                f"line {line.number}: the text after '%' is the command's standard input, as in cron "
                "(imported as printf ... | SHELL -c COMMAND)"
            )
        raw.append((line, command, script))

    used: set[str] = {line.name for line, _, _ in raw if line.name}
    entries: list[Entry] = []
    for index, (line, command, script) in enumerate(raw, 1):
        name = line.name
        if name is None:
            base = derive_name(command, prefix)
            name, n = base, 2
            while name in used:
                name = f"{base}-{n}"
                n += 1
            used.add(name)
        argv = [script] if line.shell in ("/bin/sh", "sh") else [line.shell, "-c", script]
        spec = JobSpec(
            kind="cron",
            expr=line.expr,
            timezone=line.tz,
            command=argv,
            env=line.env or None,
            cwd=line.cwd,
            overlap=CRONTAB_OVERLAP,
            catch_up=CRONTAB_CATCH_UP,
        )
        if line.mailto is not None:
            spec.mailto = line.mailto or "none"
            spec.mail_on = "output" if line.mailto else None
        entries.append(Entry(index, name, spec, line.number))
    skipped.sort(key=lambda s: s.line)
    return Parsed(entries, skipped, notes)
