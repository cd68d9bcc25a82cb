"""The crontab entry that runs ``schedcli run-due`` every minute for one database.

Library code: it never prints and does not import typer or rich; the command line
(:mod:`schedcli.cli.system`) renders what these functions return.

``schedcli cron install`` puts two lines into the current user's crontab::

    # schedcli run-due (managed by 'schedcli cron install'; db=/abs/path/schedcli.db)
    * * * * * PATH=/home/me/bin:/usr/bin:/bin /abs/.venv/bin/schedcli --db /abs/path/schedcli.db run-due >>/abs/cron.log 2>&1

The comment line is the marker: it names the database, so each database has at
most one entry, and entries for other databases are left alone.  The crontab is
read with ``crontab -l`` and written back with ``crontab -`` (the program is
``$SCHEDCLI_CRONTAB`` when set, for tests).  Everything else in the crontab is
kept byte for byte: a new entry goes at the *top*, so nothing is ever added to or
removed from the user's own lines (not even a missing final newline), and the
user's variable assignments (``SHELL=``, ``PATH=``, ``MAILTO=``...) do not apply
to the entry, which only uses absolute paths and works in cron's minimal
environment. The ``PATH=`` at the start of the command is the PATH the jobs get
(the user's at install time, see :func:`schedcli.system.cron_env.cron_path_for_jobs`);
being part of the command, it changes nothing for the user's own lines.  ``cron uninstall`` removes exactly those two lines.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from schedcli.errors import InvalidValue
from schedcli.system.entrypoint import IntegrationError, absolute_db, check_line_safe, schedcli_argv

CRONTAB_ENV = "SCHEDCLI_CRONTAB"
CRON_SCHEDULE = "* * * * *"
_CRONTAB_TIMEOUT = 30.0


def state_home() -> Path:
    xdg = os.environ.get("XDG_STATE_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    return Path.home() / ".local" / "state"


def default_log_path() -> Path:
    return state_home() / "schedcli" / "cron.log"


def marker_line(db: Path) -> str:
    return f"# schedcli run-due (managed by 'schedcli cron install'; db={db})"


def _cron_escape(command: str) -> str:
    """cron turns an unescaped ``%`` into a newline (the rest becomes stdin): escape it."""
    return command.replace("%", "\\%")


def cron_entry(db: Path, log: Path, argv: list[str] | None = None, path: str | None = None) -> str:
    """The crontab line running ``run-due`` every minute for ``db``, output appended to ``log``;
    with ``path``, ``PATH=...`` before the command sets the PATH its jobs get."""
    argv = argv or schedcli_argv()
    checked = [("database path", str(db)), ("log path", str(log))] + [("program path", a) for a in argv]
    if path is not None:
        checked.append(("PATH", path))
    for what, value in checked:
        check_line_safe(what, value)
        if "\\%" in value:
            raise InvalidValue(f"{what} {value!r} contains '\\%', which cron cannot pass through")
    words = [*argv, "--db", str(db), "run-due"]
    command = " ".join(shlex.quote(w) for w in words) + f" >>{shlex.quote(str(log))} 2>&1"
    if path is not None:
        command = f"PATH={shlex.quote(path)} {command}"
    return f"{CRON_SCHEDULE} {_cron_escape(command)}"


def _db_word(db: Path) -> str:
    return _cron_escape(f"--db {shlex.quote(str(db))} run-due")


def _lines(content: bytes) -> list[bytes]:
    """Split after every ``\\n``, keeping the separators: ``b"".join`` gives the bytes back."""
    return [line for line in re.split(b"(?<=\n)", content) if line]


def _strip_nl(line: bytes) -> bytes:
    return line[:-1] if line.endswith(b"\n") else line


def find_block(content: bytes, db: Path) -> list[tuple[int, int]]:
    """Where the managed entry for ``db`` is: (first line index, number of lines) per block.

    A block is the marker line, plus the line after it when that line is our
    ``run-due`` entry for this database (it may differ in program or log path).
    """
    lines = _lines(content)
    marker = marker_line(db).encode("utf-8", "surrogateescape")
    ours = _db_word(db).encode("utf-8", "surrogateescape")
    blocks = []
    i = 0
    while i < len(lines):
        if _strip_nl(lines[i]) == marker:
            size = 1
            if i + 1 < len(lines):
                nxt = _strip_nl(lines[i + 1])
                if not nxt.lstrip().startswith(b"#") and ours in nxt:
                    size = 2
            blocks.append((i, size))
            i += size
        else:
            i += 1
    return blocks


def _entry_of(content: bytes, db: Path) -> str | None:
    lines = _lines(content)
    for start, size in find_block(content, db):
        if size == 2:
            return _strip_nl(lines[start + 1]).decode("utf-8", "surrogateescape")
    return None


def with_entry(content: bytes | None, db: Path, entry: str) -> bytes:
    """``content`` with exactly one managed block for ``db`` holding ``entry``.

    An existing block is replaced where it is; otherwise the block goes first.
    No other byte changes.
    """
    content = content or b""
    block = (marker_line(db) + "\n" + entry + "\n").encode("utf-8", "surrogateescape")
    lines = _lines(content)
    blocks = find_block(content, db)
    if not blocks:
        return block + content
    keep: list[bytes] = []
    skip: set[int] = set()
    for start, size in blocks:
        skip.update(range(start, start + size))
    first = blocks[0][0]
    for index, line in enumerate(lines):
        if index == first:
            last_of_block = lines[first + blocks[0][1] - 1]
            keep.append(block if last_of_block.endswith(b"\n") else block[:-1])
        if index not in skip:
            keep.append(line)
    return b"".join(keep)


def without_entry(content: bytes | None, db: Path) -> bytes:
    """``content`` without the managed block(s) for ``db``; every other byte kept."""
    content = content or b""
    lines = _lines(content)
    skip: set[int] = set()
    for start, size in find_block(content, db):
        skip.update(range(start, start + size))
    return b"".join(line for index, line in enumerate(lines) if index not in skip)


def crontab_program() -> str:
    return os.environ.get(CRONTAB_ENV) or "crontab"


def _crontab(args: list[str], data: bytes | None = None) -> subprocess.CompletedProcess:
    program = crontab_program()
    try:
        return subprocess.run(
            [program, *args],
            input=data,
            stdin=None if data is not None else subprocess.DEVNULL,
            capture_output=True,
            timeout=_CRONTAB_TIMEOUT,
        )
    except FileNotFoundError:
        raise IntegrationError(
            f"{program!r} not found: install cron (Debian/Ubuntu: apt-get install cron) "
            "or run 'schedcli watch' as a service (see: schedcli systemd unit)"
        ) from None
    except (OSError, subprocess.SubprocessError) as exc:
        raise IntegrationError(f"cannot run {program!r}: {exc}") from None


def _stderr(proc: subprocess.CompletedProcess) -> str:
    return " ".join(proc.stderr.decode("utf-8", "replace").split()) or f"exit status {proc.returncode}"


def read_crontab() -> bytes | None:
    """The current user's crontab, exactly as ``crontab -l`` prints it; None when there is none."""
    proc = _crontab(["-l"])
    if proc.returncode == 0:
        return proc.stdout
    if proc.returncode == 1 and b"no crontab for" in proc.stderr:
        return None
    raise IntegrationError(f"'{crontab_program()} -l' failed: {_stderr(proc)}")


def write_crontab(content: bytes) -> None:
    proc = _crontab(["-"], content)
    if proc.returncode != 0:
        raise IntegrationError(f"'{crontab_program()} -' refused the new crontab: {_stderr(proc)}")


@dataclass
class CronState:
    db: Path
    entry: str  # the line install writes
    marker: str
    log: Path
    installed: bool  # a managed block for this database exists
    current: str | None  # the entry line found in the crontab, if any
    has_crontab: bool
    path: str | None = None  # the PATH the entry gives its jobs (None: cron's own, /usr/bin:/bin)

    @property
    def up_to_date(self) -> bool:
        return self.installed and self.current == self.entry


def installed_log(entry: str | None) -> Path | None:
    """The log file an installed entry appends to (``>>LOG 2>&1`` at its end), if readable."""
    if not entry:
        return None
    try:
        words = shlex.split(entry.replace("\\%", "%"))
    except ValueError:
        return None
    if len(words) >= 2 and words[-1] == "2>&1" and words[-2].startswith(">>") and len(words[-2]) > 2:
        log = words[-2][2:]
        return Path(log) if os.path.isabs(log) else None
    return None


def _choose_log(log: Path | str | None, current: str | None) -> Path:
    """``--log`` when given, else the log of the entry already installed, else the default."""
    if log is not None:
        return absolute_db(log)
    return installed_log(current) or default_log_path()


def cron_state(db: Path | str, log: Path | None = None, path: str | None = None) -> CronState:
    """What ``cron install`` would write for ``db`` (with ``path`` as its PATH) and what the
    crontab holds now."""
    db = absolute_db(db)
    content = read_crontab()
    installed = bool(content is not None and find_block(content, db))
    current = _entry_of(content, db) if content is not None else None
    log = _choose_log(log, current)
    entry = cron_entry(db, log, path=path)
    return CronState(db, entry, marker_line(db), log, installed, current, content is not None, path)


def cron_installed(db: Path | str) -> bool:
    content = read_crontab()
    return bool(content is not None and find_block(content, absolute_db(db)))


def _prepare_log(log: Path) -> None:
    """Create the log's directory (0700) when missing, and the log itself 0600 (outputs can be private)."""
    from schedcli.system.home import check_home

    parent = log.parent
    if not parent.is_dir():
        check_home(parent, "the log directory", "give --log FILE or set HOME")
    try:
        if not parent.is_dir():
            parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(parent, 0o700)  # whatever the umask
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
    except OSError as exc:
        raise IntegrationError(f"cannot create the log file {log}: {exc.strerror}") from None


def install_cron(db: Path | str, log: Path | None = None, path: str | None = None) -> tuple[str, CronState]:
    """Install (or update) the entry for ``db``, its jobs getting ``path`` as PATH (None:
    cron's own). Returns (``installed|updated|unchanged``, state).

    Without ``log``, an entry already installed keeps its log file.
    """
    db = absolute_db(db)
    content = read_crontab()
    blocks = find_block(content, db) if content is not None else []
    log = _choose_log(log, _entry_of(content, db) if content is not None else None)
    entry = cron_entry(db, log, path=path)
    new = with_entry(content, db, entry)
    if content is not None and new == content:
        action = "unchanged"
    else:
        action = "updated" if blocks else "installed"
    _prepare_log(log)
    if action != "unchanged":
        write_crontab(new)
    return action, CronState(db, entry, marker_line(db), log, True, entry, True, path)


def uninstall_cron(db: Path | str) -> tuple[str, bytes | None]:
    """Remove the entry for ``db``. Returns (``removed|absent``, the crontab written or None).

    When the entry was the only thing in the crontab, the crontab is removed
    (``crontab -r``), as it was before ``install`` created it.
    """
    db = absolute_db(db)
    content = read_crontab()
    if content is None or not find_block(content, db):
        return "absent", None
    new = without_entry(content, db)
    if new == b"":
        proc = _crontab(["-r"])
        if proc.returncode != 0:
            raise IntegrationError(f"'{crontab_program()} -r' failed: {_stderr(proc)}")
        return "removed", None
    write_crontab(new)
    return "removed", new

