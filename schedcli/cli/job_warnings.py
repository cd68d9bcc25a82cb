"""Warnings after ``add`` and ``edit``, on stderr: what would go wrong once cron runs the job.

- a program the command names is not on the PATH cron gives the job (exit 127 under
  cron, although ``schedcli run`` works): the classic cron pitfall;
- an interval shorter than a minute while only cron (once a minute) runs this database.

The job is saved either way; these are warnings, never errors.
"""

from __future__ import annotations

import os
import sys

from schedcli.model import Job

SUB_MINUTE_WATCH_AGE = 90.0  # s: a watch beats every 30 s


def _warn(text: str) -> None:
    sys.stdout.flush()
    sys.stderr.write(f"Warning: {text}\n")
    sys.stderr.flush()


def path_warnings(job: Job, cron_path: str, user_path: str | None) -> list[str]:
    """One text per program of ``job`` that cron's PATH would not find."""
    from schedcli.system.cron_env import DEFAULT_CRON_PATH, missing_programs

    cwd = job.cwd or os.environ.get("HOME")
    texts = []
    for miss in missing_programs(job.command, job.env, cwd, cron_path, user_path):
        program = miss.program if len(miss.program) <= 60 else miss.program[:59] + "…"
        where = "the job's --env PATH" if "PATH" in job.env else (
            "cron's PATH" if miss.path == DEFAULT_CRON_PATH else "the PATH of the crontab entry")
        text = (f"{program!r} is not on {where} ({miss.path}): under cron, job {job.name} "
                "would fail with exit code 127 (not found).")
        if miss.elsewhere:
            directory = os.path.dirname(miss.elsewhere)
            text += (f" Your PATH has it at {miss.elsewhere}: use that full path in the command, "
                     f"or give the job --env PATH={directory}:{miss.path}.")
        else:
            text += " Your PATH does not have it either: check the name."
        text += f" Try it as cron would: schedcli run --cron-env {job.name}"
        texts.append(text)
    return texts


def _interval(job: Job) -> int | None:
    if job.kind != "every":
        return None
    from schedcli.errors import InvalidDuration
    from schedcli.schedule import parse_duration

    try:
        return parse_duration(job.expr)
    except InvalidDuration:
        return None


def _live_watch(store, now: float) -> bool:
    from schedcli import process

    for row in store.open_runners("watch"):
        if now - row["heartbeat_at"] <= SUB_MINUTE_WATCH_AGE and process.owner_alive(row["pid"], row["identity"]):
            return True
    return False


def warn_after_save(store, job: Job, now: float) -> None:
    """Print the warnings for ``job`` as saved in ``store`` (reads the crontab once)."""
    if not job.command and _interval(job) is None:
        return
    from schedcli.system.cron_env import cron_view

    view = cron_view(store.path)
    if job.command:
        for text in path_warnings(job, view.path, os.environ.get("PATH")):
            _warn(text)
    seconds = _interval(job)
    if seconds is not None and seconds < 60 and view.installed and not _live_watch(store, now):
        _warn(f"--every {job.expr} is shorter than a minute, but only cron runs this database, once a "
              "minute: each tick runs the latest occurrence and records the others as missed. For "
              "sub-minute intervals run 'schedcli watch' (see: schedcli systemd unit).")
