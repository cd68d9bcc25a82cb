"""Helpers for the reliability suite: real processes, real files, conditions waited on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from schedcli.store import Store
from schedcli.services.jobs import add_job
from schedcli.model import JobSpec

UTC = timezone.utc


def pid_exists(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def add(db_path: Path, name: str, created: datetime, **kw) -> None:
    command = kw.pop("command", ["true"])
    spec = JobSpec(command=command, timezone=kw.pop("timezone", "UTC"), **kw)
    with Store(db_path) as store:
        add_job(store, name, spec, created)


def schedcli(db_path: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "schedcli", "--db", str(db_path), *args]


def start(db_path: Path, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        schedcli(db_path, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True, **kw,
    )


def history(db_path: Path, limit: int = 10_000):
    with Store(db_path) as store:
        return list(reversed(store.history(limit=limit)))


def iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def kill_quietly(pid: int) -> None:
    for sig in (signal.SIGKILL,):
        try:
            os.killpg(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass
