"""Export as systemd ``.service`` + ``.timer`` pairs.

* ``ExecStart=`` runs the job's argv; a relative program (``./run.sh``) is resolved
  against the job's working directory, or the job is left out with the reason.
* Retries are ``Restart=on-failure`` with ``RestartSec=`` the retry delay, and a start
  limit of one start plus the retries per occurrence.
* ``@reboot`` is ``OnBootSec=0``; ``--jitter`` is ``RandomizedDelaySec=`` with
  ``FixedRandomDelay=true`` (a stable delay, though systemd's own, one per timer).
* A cron job's ``OnCalendar=`` lines fire at its times, except where systemd treats a
  daylight-saving change differently from cron(8); the timer says where.
"""

from __future__ import annotations

import posixpath
import re
from datetime import datetime, timedelta, timezone
from typing import Iterable, Optional

from schedcli import schedule as sched
from schedcli.model import Job
from schedcli.transfer.cronconv import cron_to_oncalendar
from schedcli.transfer.records import ExportResult


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


#: How far ahead daylight-saving changes are looked for.
DST_HORIZON = timedelta(days=2 * 366)


def dst_notes(expr: str, tz: str, now: datetime) -> list[str]:
    """Where systemd's calendar timer for cron ``expr`` in zone ``tz`` fires differently
    from schedcli at a clock change in the next two years.

    Measured with systemd 252: a time inside a spring-forward gap is skipped (cron runs
    a fixed job at the end of the gap), and wall times repeated by a fall-back fire once
    (cron runs a wildcard job's repeated minutes again).
    """
    schedule = sched.CronSchedule(expr, tz)
    notes: list[str] = []
    for change in sched.clock_changes(tz, now, now + DST_HORIZON):
        gap = change.after > change.before
        if gap != schedule.fixed or not schedule.matches_wall_clock(change.wall_start, change.wall_end):
            continue
        span = f"{change.wall_start:%H:%M}-{change.wall_end:%H:%M}"
        if gap:
            notes.append(
                f"on {change.wall_start:%Y-%m-%d} {tz} skips {span}: schedcli runs the job at "
                f"{change.wall_end:%H:%M} (as cron does), systemd skips that run"
            )
        else:
            notes.append(
                f"on {change.wall_start:%Y-%m-%d} {tz} repeats {span}: schedcli runs the job "
                "in both passes (as cron does), systemd in the first only"
            )
    return notes


def _program(job: Job) -> tuple[Optional[list[str]], Optional[str]]:
    """The argv for ExecStart= (a relative program resolved against the cwd), or the reason."""
    command = job.command or []
    if len(command) == 1:
        return ["/bin/sh", "-c", command[0]], None
    program = command[0]
    if "/" in program and not program.startswith("/"):
        if not job.cwd:
            return None, f"its program {program} is relative and the job has no working directory to resolve it in"
        program = posixpath.normpath(posixpath.join(job.cwd, program))
    return [program, *command[1:]], None


def _retry_lines(job: Job) -> tuple[list[str], list[str]]:
    """([Unit] lines, [Service] lines) for the job's retries."""
    if not job.retries:
        return [], []
    attempts = job.retries + 1
    window = job.retries * job.retry_delay + attempts * int(job.timeout or 0) + 60
    unit = [f"StartLimitIntervalSec={window}s", f"StartLimitBurst={attempts}"]
    service = [
        f"# retries: {job.retries}, {sched.format_duration(job.retry_delay)} apart (schedcli doubles the delay, "
        f"systemd keeps it); the start limit allows {attempts} starts in {window}s",
        "Restart=on-failure",
        f"RestartSec={job.retry_delay}s",
    ]
    return unit, service


def export_systemd(jobs: Iterable[Job], *, now: datetime) -> ExportResult:
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
        argv, reason = _program(job)
        if argv is None:
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: {reason}")
            continue
        unit = f"schedcli-{job.name}"
        title = f"schedcli job {job.name}" + (f": {job.description}" if job.description else "")
        unit_retry, service_retry = _retry_lines(job)
        service = ["[Unit]", f"Description={_unit_text(title)}", *unit_retry, "", "[Service]", "Type=oneshot"]
        service.append(f"ExecStart={systemd_exec(argv)}")
        for key, value in job.env.items():
            service.append(f'Environment="{_systemd_escape(f"{key}={value}", dollars=False)}"')
        service.append(f"WorkingDirectory={job.cwd.replace('%', '%%')}" if job.cwd else "WorkingDirectory=~")
        if job.timeout is not None:
            service.append(f"TimeoutStartSec={max(1, int(round(job.timeout)))}s")
            service.append("TimeoutStopSec=5s")
        else:
            service.append("TimeoutStartSec=infinity")
        service.extend(service_retry)
        if job.overlap != "skip":
            service.append(f"# not translated from schedcli: overlap={job.overlap} "
                           "(a timer never starts a service that is still running)")

        timer = ["[Unit]", f"Description={_unit_text(f'Timer for schedcli job {job.name}')}", ""]
        if not job.enabled:
            timer.append("# disabled in schedcli: do not enable this timer")
        notes = dst_notes(job.expr, job.timezone, now) if job.kind == "cron" and not job.at_boot else []
        timer.extend(f"# {_unit_text(note)}" for note in notes)
        result.warnings.extend(f"{job.name}: {note}" for note in notes)
        timer.append("[Timer]")
        if job.at_boot:
            timer.append("# @reboot: once at each boot")
            timer.append("OnBootSec=0")
        elif job.kind == "cron":
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
        if job.jitter:
            timer.append("# --jitter: systemd draws its own stable delay (one per timer), not schedcli's per occurrence")
            timer.append(f"RandomizedDelaySec={job.jitter}s")
            timer.append("FixedRandomDelay=true")
        timer += ["AccuracySec=1s", f"Unit={unit}.service", "", "[Install]", "WantedBy=timers.target"]
        result.files.append((f"{unit}.service", "\n".join(service) + "\n"))
        result.files.append((f"{unit}.timer", "\n".join(timer) + "\n"))
    return result
