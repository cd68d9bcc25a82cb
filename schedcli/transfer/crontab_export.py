"""Writing jobs as a crontab that runs them as schedcli does, or leaving a job out with
the reason.

* Every schedule is written for one wall clock, the system zone (Debian's cron runs all
  jobs in it and ignores ``CRON_TZ``); the header names it and a ``CRON_TZ`` line repeats
  it for cronie.  A job in another zone is converted where one expression is exact
  (:mod:`schedcli.transfer.cronshift`), else left out; so is an interval whose grid is not
  on the clock, unless ``align`` is given (then a warning names the shift).
* The environment is written as crontab variable lines (cron passes them to the command
  and reads ``MAILTO`` itself), never as ``export`` prefixes.  Lines set a variable for
  every entry below them, so jobs are ordered by how many variables they have, and a
  variable an earlier entry set is unset in the command (or, for the variables cron
  itself reads, the job is left out).
* ``%`` is written ``\\%``; ``SHELL`` lines give a job the shell its command names.
* ``@reboot`` is written as it is; a job's ``--jitter`` has no crontab form (a warning says so).
"""

from __future__ import annotations

import shlex
from datetime import datetime
from functools import lru_cache
from typing import Iterable, Optional

from schedcli.model import Job
from schedcli.schedule import format_duration
from schedcli.transfer.cronshift import Converted, cron_in_zone, every_as_cron
from schedcli.transfer.records import ExportResult

#: Variables cron reads itself: unsetting them in the command would not undo them.
CRON_VARIABLES = frozenset({
    "SHELL", "MAILTO", "HOME", "CRON_TZ", "MAILFROM", "CONTENT_TYPE", "CONTENT_TRANSFER_ENCODING", "RANDOM_DELAY",
})  # fmt: skip
_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash"})


def _breaks_line(text: str) -> bool:
    """Would ``text`` end a crontab line (or be cut at a NUL) if written into one?"""
    return "\n" in text or "\r" in text or "\0" in text


def cron_escape(text: str) -> Optional[str]:
    """``text`` written so that cron(8) hands exactly ``text`` to the shell: ``%`` as ``\\%``.

    None when impossible: cron drops the backslash of ``\\%``, and keeps both characters of
    any other backslash pair, so a backslash right before a ``%`` cannot be written.
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            if i + 1 == len(text):
                out.append(ch)
                break
            if text[i + 1] == "%":
                return None
            out.append(text[i : i + 2])  # a pair cron keeps as it is
            i += 2
            continue
        out.append("\\%" if ch == "%" else ch)
        i += 1
    return "".join(out)


def env_line(key: str, value: str) -> Optional[str]:
    """A crontab variable line that cron reads back as exactly ``value`` (None: no such line)."""
    if value == "":
        return f'{key}=""'
    if value == value.strip() and value[0] not in "'\"":
        return f"{key}={value}"
    for quote in ('"', "'"):
        if quote not in value:
            return f"{key}={quote}{value}{quote}"
    return None


def _command_form(job: Job) -> tuple[str, str]:
    """(SHELL, command text) that cron runs as the job's command runs."""
    command = job.command or []
    if len(command) == 1:
        return "/bin/sh", command[0]
    program = command[0] if command else ""
    if len(command) == 3 and command[1] == "-c" and program.startswith("/") and program.rsplit("/", 1)[-1] in _SHELLS:
        return program, command[2]  # the job runs a script with SHELL -c, as cron runs every line
    return "/bin/sh", shlex.join(command)


@lru_cache(maxsize=1024)
def _cron_in_zone(expr: str, source: str, target: str, now: datetime) -> Converted:
    return cron_in_zone(expr, source, target, now)


class _Planned:
    def __init__(self, job: Job, expr: str, shell: str, script: str, variables: dict[str, str]) -> None:
        self.job, self.expr, self.shell, self.script, self.variables = job, expr, shell, script, variables


def _plan(job: Job, zone: str, now: datetime, align: bool, result: ExportResult) -> Optional[_Planned]:
    """What one job's entry needs, or None (with the reason recorded) when it has no crontab form."""

    def refuse(reason: str) -> None:
        result.skipped.append(job.name)
        result.warnings.append(f"{job.name}: {reason}")

    if job.collector is not None:
        return refuse("collector jobs have no crontab form")
    if job.kind == "at":
        return refuse("one-off (--at) jobs have no crontab form")
    if job.at_boot:
        conv = Converted("@reboot")  # cron runs it once at boot: no zone to convert
    elif job.kind == "every":
        conv = every_as_cron(job.expr, job.anchor, zone, now)
        if conv.expr is None and align and conv.aligned:
            result.warnings.append(f"{job.name}: every {job.expr} {conv.shift}")
            conv = Converted(conv.aligned)
    else:
        conv = _cron_in_zone(job.expr, job.timezone, zone, now)
    if conv.expr is None:
        return refuse(conv.reason or "its schedule has no crontab form")
    shell, script = _command_form(job)
    variables = dict(job.env)
    if job.mailto is not None:  # cron mails to MAILTO itself (validated: no line breaks)
        variables["MAILTO"] = "" if job.mailto == "none" else job.mailto
    env_shell = variables.pop("SHELL", None)
    if env_shell is not None and env_shell != shell:
        return refuse(f"its environment sets SHELL={env_shell}, which cron would also use to run it")
    if "CRON_TZ" in variables:
        return refuse("its environment sets CRON_TZ, which cron reads as the schedule's zone")
    if _breaks_line(job.cwd or ""):
        return refuse("its working directory contains a line break")
    if job.cwd and variables.get("HOME") != job.cwd:
        script = f"cd {shlex.quote(job.cwd)} || exit 1; {script}"  # cron starts in $HOME
    if _breaks_line(script):
        return refuse("its command spans several lines")
    if any(_breaks_line(k) or _breaks_line(v) for k, v in job.env.items()):
        return refuse("an environment value contains a line break")
    bad = next((k for k, v in variables.items() if env_line(k, v) is None), None)
    if bad is not None:
        return refuse(f"{bad}'s value has blanks at an end and both kinds of quotes: no crontab line can hold it")
    if job.jitter:
        result.warnings.append(
            f"{job.name}: cron has no jitter: it starts at its scheduled times, not up to "
            f"{format_duration(job.jitter)} later"
        )
    escaped = cron_escape(script.strip())
    if not escaped:
        return refuse("its command has a backslash before a '%', which cron would not keep"
                      if escaped is None else "its command is empty")
    return _Planned(job, conv.expr, shell, escaped, variables)


def export_crontab(
    jobs: Iterable[Job], *, zone: str, now: datetime, align: bool = False
) -> ExportResult:
    """Jobs as a crontab read in ``zone`` (the system zone); ``now`` starts the checks of
    zone conversions; ``align`` exports interval jobs on the clock (with a warning)."""
    result = ExportResult([])
    planned = [p for p in (_plan(job, zone, now, align, result) for job in jobs) if p is not None]
    planned.sort(key=lambda p: len(p.variables))  # stable: variables only accumulate downwards
    lines = [
        "# schedcli export (crontab format)",
        f"# Schedules are on the wall clock of {zone}: install this crontab where cron runs in {zone}",
        "# (Debian's cron runs every job in the system time zone and ignores CRON_TZ; cronie reads it).",
        "# Not expressed here: timeouts, retries, overlap, grace and catch-up policies.",
        "# '# name:' comments keep job names for: schedcli import FILE --format crontab",
        f"CRON_TZ={zone}",
        "SHELL=/bin/sh",
    ]
    current: dict[str, str] = {}
    shell = "/bin/sh"
    for item in planned:
        job = item.job
        stale = sorted(k for k in current if k not in item.variables)
        cron_read = [k for k in stale if k in CRON_VARIABLES]
        if cron_read:
            result.skipped.append(job.name)
            result.warnings.append(
                f"{job.name}: an entry above sets {cron_read[0]}, which this job does not have, "
                "and a crontab cannot unset a variable cron reads itself"
            )
            continue
        block = [""]
        for key, value in item.variables.items():
            if current.get(key) != value:
                block.append(env_line(key, value) or "")
                current[key] = value
        if item.shell != shell:
            block.append(f"SHELL={item.shell}")
            shell = item.shell
        script = item.script
        if stale:
            script = f"unset {' '.join(stale)}; {script}"  # set above for other entries
        block.append(f"# name: {job.name}")
        if job.description:
            block.append("# " + " ".join(job.description.split()))
        entry = f"{item.expr} {script}"
        if not job.enabled:
            block.append("# disabled in schedcli:")
            entry = "#" + entry
        block.append(entry)
        lines.extend(block)
    result.files.append(("crontab", "\n".join(lines) + "\n"))
    return result
