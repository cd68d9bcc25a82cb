"""``schedcli export`` and ``schedcli import``: the command line over :mod:`schedcli.transfer`."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer

from schedcli.cli.helptext import Command
from schedcli.cli.context import current_time, state_of
from schedcli.errors import UsageError

app = typer.Typer()

#: Imports with at least this many entries show a progress bar (when stderr is a terminal).
PROGRESS_MIN = 200


class ExportFormat(str, Enum):
    toml = "toml"
    json = "json"
    crontab = "crontab"
    k8s = "k8s"
    systemd = "systemd"


class ImportFormat(str, Enum):
    toml = "toml"
    json = "json"
    crontab = "crontab"


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _err(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


class _ProgressBar:
    """A rich progress bar on stderr, started on the first report of a large enough import."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._progress: Any = None
        self._task: Any = None
        self._label = ""

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled or total < PROGRESS_MIN:
            return
        if self._progress is None:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
            )

            console = Console(file=sys.stderr, force_terminal=True)
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                console=console, transient=True,
            )
            self._progress.start()
        label = {"validate": "Checking jobs", "write": "Writing jobs"}.get(stage, stage)
        if self._task is None:
            self._task = self._progress.add_task(label, total=total)
        changed = label != self._label
        self._label = label
        self._progress.update(self._task, description=label, total=total, completed=done)
        if changed:
            self._progress.refresh()

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def _warn_skipped(fmt: str, skipped: list[str], warnings: list[str]) -> None:
    if skipped:
        n = len(skipped)
        _err(f"Warning: skipped {n} job{'' if n == 1 else 's'} that {fmt} cannot express: {', '.join(skipped)}")
    for text in warnings:
        _err(f"  {text}")


@app.command("export", cls=Command)
def export_cmd(
    ctx: typer.Context,
    fmt: Optional[ExportFormat] = typer.Option(
        None, "--format", "-f",
        help="toml (default) or json: every field, for schedcli import; crontab; k8s: Kubernetes "
        "CronJob manifests; systemd: .service/.timer pairs. (default: from the --output extension, else toml)",
    ),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", metavar="FILE|DIR",
        help="Write to FILE (created 0600) instead of stdout; for --format systemd a DIR that "
        "receives schedcli-NAME.service and .timer files.",
    ),
    image: Optional[str] = typer.Option(
        None, "--image", metavar="IMAGE", help="Container image for --format k8s (default: busybox:stable).",
    ),
    align: bool = typer.Option(
        False, "--align", help="crontab, k8s: export interval jobs whose grid is not on the clock as "
        "clock-aligned cron (a warning names the shift) instead of leaving them out.",
    ),
) -> None:
    """Export every job: toml/json (exact, for import), crontab, Kubernetes CronJobs or systemd timers.

    Jobs a format cannot express are left out with a warning on stderr.

    Examples:

    \b
      schedcli export -o jobs.toml
      schedcli export --format crontab
      schedcli export --format systemd -o ~/.config/systemd/user
    """
    from schedcli import transfer

    target = None if output is None or str(output) == "-" else output
    name = fmt.value if fmt else transfer.guess_export_format(str(target) if target else None)
    if image is not None and name != "k8s":
        raise UsageError("--image goes with --format k8s")
    jobs = state_of(ctx).store().list_jobs()
    result = transfer.export_jobs(jobs, name, image=image or transfer.DEFAULT_IMAGE, now=current_time(), align=align)
    _warn_skipped(name, result.skipped, result.warnings)
    if name == "systemd":
        if target is not None:
            written = transfer.write_unit_dir(target, result.files)
            _err(f"Wrote {len(written)} unit files to {target}")
        else:
            parts = [f"# ---- file: {fname} ----\n{text}" for fname, text in result.files]
            sys.stdout.write("\n".join(parts))
            sys.stdout.flush()
        return
    if target is not None:
        transfer.write_private(target, result.text)
        n = len(jobs) - len(result.skipped)
        _err(f"Wrote {n} job{'' if n == 1 else 's'} to {target}")
    else:
        sys.stdout.write(result.text)
        sys.stdout.flush()


@app.command("import", cls=Command)
def import_cmd(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE", help="The file to read; '-' reads standard input."),
    fmt: Optional[ImportFormat] = typer.Option(
        None, "--format", "-f",
        help="toml, json or crontab (default: from the extension: .toml, .json, anything else crontab).",
    ),
    replace: bool = typer.Option(
        False, "--replace",
        help="Update jobs with the same names in place (keeping id and history) and remove jobs not in FILE.",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Check everything and report what would change; write nothing."),
    skip_untranslatable: bool = typer.Option(
        False, "--skip-untranslatable",
        help="crontab: report lines schedcli cannot run (lines for other users) and import the rest.",
    ),
    system: bool = typer.Option(
        False, "--system", help="crontab: lines have a user field after the schedule (/etc/crontab, /etc/cron.d).",
    ),
    user_format: bool = typer.Option(
        False, "--user", help="crontab: lines have no user field (default: /etc/crontab and /etc/cron.d/* have one).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document: {added, updated, unchanged, removed, skipped_lines, notes, dry_run}."),
) -> None:
    """Import jobs from a toml/json export or a crontab: all or nothing.

    Every entry is checked first; one bad entry means nothing is imported (exit 2, the
    error names the entry and line). Imported crontab entries keep cron's behaviour:
    --overlap allow and --catch-up none. Interval (every) jobs restart their grid at import.

    Examples:

    \b
      schedcli import jobs.toml
      crontab -l | schedcli import - --format crontab --dry-run
      schedcli import jobs.toml --replace
    """
    from schedcli import transfer
    from schedcli.boot import current_boot

    if system and user_format:
        raise UsageError("--system and --user exclude each other")
    name = fmt.value if fmt else transfer.guess_import_format(file)
    text = transfer.read_text(file)
    store = state_of(ctx).store()
    bar = _ProgressBar(_stderr_is_terminal())
    try:
        result = transfer.import_text(
            store, text, name, current_time(), system=True if system else (False if user_format else None),
            path=None if file == "-" else file, replace_existing=replace,
            dry_run=dry_run, skip_untranslatable=skip_untranslatable, progress=bar, boot=current_boot(),
        )
    finally:
        bar.close()
    for skipped in result.skipped_lines:
        _err(f"Skipped line {skipped.line}: {skipped.reason}: {skipped.text.strip()}")
    for note in result.notes:
        _err(f"Note: {note}")
    if json_out:
        from schedcli.cli import render

        render.print_json(result.to_dict())
    else:
        sys.stdout.write(result.summary() + "\n")
        sys.stdout.flush()
