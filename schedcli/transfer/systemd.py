"""Export as systemd ``.service`` + ``.timer`` pairs."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Iterable

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
