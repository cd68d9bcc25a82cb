"""The environment cron gives a job, and the programs a job's command would not find in it.

cron starts ``schedcli run-due`` with almost nothing: ``HOME``, ``LOGNAME``,
``SHELL=/bin/sh`` and ``PATH=/usr/bin:/bin`` (the entry ``schedcli cron install`` writes
sets its own ``PATH``). A job runs with that environment plus its own ``--env``, so a
program found through the user's shell (``~/bin/mytool``) is "not found" (exit 127)
under cron: the classic cron pitfall. This module says which PATH a job gets there and
which of the programs its command starts would be missing.

Library code: it never prints; the command line renders what it returns.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

#: cron's own PATH (Debian's cron, cronie and Vixie cron), when the entry sets none.
DEFAULT_CRON_PATH = "/usr/bin:/bin"
CRON_SHELL = "/bin/sh"

# Words of /bin/sh that are not programs looked up on PATH.
_BUILTINS = frozenset(
    ". : [ alias bg break cd command continue echo eval exec exit export false fc fg getopts hash "
    "jobs kill local newgrp printf pwd read readonly return set shift test times trap true type "
    "ulimit umask unalias unset wait".split()
)
_OPENERS = frozenset("if then else elif do while until ! { time".split())  # a command follows
_CLOSERS = frozenset("fi done esac }".split())
_WRAPPERS = frozenset("exec command nohup env nice".split())  # run the next word
_SEPARATORS = frozenset({";", "&", "&&", "||", "|", "|&", "(", ")", ";;", "\n"})


def cron_path_for_jobs(user_path: str | None) -> str:
    """The PATH ``cron install`` writes into the entry: the user's (absolute directories,
    once each, none that cannot go on a crontab line), then ``/usr/bin:/bin`` if missing."""
    dirs: list[str] = []
    for part in (user_path or "").split(os.pathsep):
        if part and os.path.isabs(part) and part not in dirs and not any(c in part for c in "%\n\r\0"):
            dirs.append(part)
    for part in DEFAULT_CRON_PATH.split(os.pathsep):
        if part not in dirs:
            dirs.append(part)
    return os.pathsep.join(dirs)


def entry_path(entry: str | None) -> str | None:
    """The PATH an installed crontab entry sets (``PATH=... schedcli ...``), if any."""
    if not entry:
        return None
    fields = entry.split(None, 5)
    if len(fields) < 6:
        return None
    try:
        words = shlex.split(fields[5].replace("\\%", "%"))
    except ValueError:
        return None
    for word in words:
        if word.startswith("PATH="):
            return word[len("PATH="):]
        if "=" not in word:
            break
    return None


@dataclass
class CronView:
    """What cron does for one database: is the entry installed, with which PATH."""

    installed: bool | None  # None: unknown (no crontab program, or it failed)
    path: str  # the PATH a job of this database gets from cron (before its own --env)
    entry: str | None = None


def cron_view(db: Path | str) -> CronView:
    """Read the crontab (once) and say what cron gives the jobs of ``db``."""
    from schedcli.system.crontab_entry import _entry_of, find_block, read_crontab
    from schedcli.system.entrypoint import IntegrationError, absolute_db

    db = absolute_db(db)
    try:
        content = read_crontab()
    except IntegrationError:
        return CronView(None, DEFAULT_CRON_PATH)
    if content is None or not find_block(content, db):
        return CronView(False, DEFAULT_CRON_PATH)
    entry = _entry_of(content, db)
    return CronView(True, entry_path(entry) or DEFAULT_CRON_PATH, entry)


def cron_environment(path: str, home: str | None, user: str | None) -> dict[str, str]:
    """What cron puts in the environment of the command of an entry (``env -i`` plus these)."""
    env = {"PATH": path, "SHELL": CRON_SHELL}
    if home:
        env["HOME"] = home
    if user:
        env["LOGNAME"] = env["USER"] = user
    return env


# -- the programs a command starts -------------------------------------------------------


def _shell_words(text: str) -> list[str] | None:
    lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
    lexer.whitespace = " \t"  # a newline separates commands
    lexer.whitespace_split = True
    try:
        return list(lexer)
    except ValueError:  # unbalanced quotes: /bin/sh will say so
        return None


def programs(command: list[str]) -> list[str]:
    """The programs ``command`` starts by name or path, as far as can be told without
    running it: argv[0] of a command of several words; for one word (a /bin/sh script),
    the first word of each simple command, past assignments, redirections, keywords and
    ``exec``/``env``/``nohup``. Builtins, ``$VARIABLES`` and ``$(...)`` are left out."""
    if not command:
        return []
    if len(command) > 1:
        return [] if command[0] in _BUILTINS else [command[0]]
    words = _shell_words(command[0])
    if words is None:
        return []
    found: list[str] = []
    expect = True
    skip_next = False
    for i, word in enumerate(words):
        if skip_next:
            skip_next = False
            continue
        if word in _SEPARATORS:
            expect = True
            continue
        if word and set(word) <= set("<>&|;()") and any(c in word for c in "<>"):
            skip_next = True  # a redirection and its target
            continue
        if not expect:
            continue
        if word.isdigit() and i + 1 < len(words) and words[i + 1][:1] in "<>":
            continue  # 2>/dev/null
        if word in _OPENERS:
            continue
        if word in _CLOSERS:
            expect = False
            continue
        if word in ("for", "case", "select", "function"):
            break  # the rest needs a shell to read; stop here
        if "=" in word.split("/")[0] and not word.startswith("="):
            continue  # NAME=value before the command
        if word in _WRAPPERS:
            continue
        if word.startswith("-"):
            continue  # an option of a wrapper (env -i, nice -n)
        expect = False
        if word in _BUILTINS or any(c in word for c in "$`*?["):
            continue
        if word not in found:
            found.append(word)
    return found


def find_program(program: str, path: str, cwd: str | None) -> str | None:
    """Where ``program`` is, looked up the way exec does on ``path`` (or from ``cwd`` when it
    has a slash); None when it is not there."""
    if "/" in program:
        full = os.path.join(cwd or os.path.expanduser("~"), os.path.expanduser(program))
        return full if os.path.isfile(full) and os.access(full, os.X_OK) else None
    for directory in path.split(os.pathsep):
        full = os.path.join(directory or ".", program)
        if os.path.isfile(full) and os.access(full, os.X_OK):
            return full
    return None


@dataclass
class Missing:
    """A program a job's command would not find under cron."""

    program: str
    path: str  # the PATH it was looked up on
    elsewhere: str | None  # where the user's own PATH finds it, if it does


def missing_programs(command: list[str] | None, job_env: dict[str, str], cwd: str | None,
                     cron_path: str, user_path: str | None) -> list[Missing]:
    """The programs ``command`` names without a path that cron's PATH (or the job's own
    ``--env PATH``) lacks."""
    if not command:
        return []
    path = job_env.get("PATH", cron_path)
    out = []
    for program in programs(command):
        if "/" in program:
            continue  # a path is found (or not) the same way under cron
        if find_program(program, path, cwd) is None:
            out.append(Missing(program, path, find_program(program, user_path or "", cwd)))
    return out
