"""Export: the one entry point that picks the writer for a format."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from schedcli.model import Job
from schedcli.transfer.crontab_export import export_crontab
from schedcli.transfer.document import dump_json, dump_toml
from schedcli.transfer.k8s import export_k8s
from schedcli.transfer.records import DEFAULT_IMAGE, EXPORT_FORMATS, ExportResult, TransferError, notification_warnings
from schedcli.transfer.systemd import export_systemd


def export_jobs(
    jobs: list[Job],
    fmt: str,
    *,
    image: str = DEFAULT_IMAGE,
    now: Optional[datetime] = None,
    system_zone: Optional[str] = None,
    align: bool = False,
) -> ExportResult:
    """Write ``jobs`` in format ``fmt``.

    ``now`` starts the checks that a converted schedule fires as the job does (default:
    the system clock's time); ``system_zone`` is the zone a crontab is read in (default:
    this machine's, :func:`schedcli.schedule.local_zone_name`); ``align`` exports interval
    jobs whose grid is not on the clock as clock-aligned cron, with a warning.
    """
    if fmt == "toml":
        return ExportResult([("jobs.toml", dump_toml(jobs))])
    if fmt == "json":
        return ExportResult([("jobs.json", dump_json(jobs))])
    if now is None:
        from schedcli.clock import SystemClock

        now = SystemClock().now()
    if fmt == "crontab":
        from schedcli.schedule import local_zone_name

        result = export_crontab(jobs, zone=system_zone or local_zone_name(), now=now, align=align)
    elif fmt == "k8s":
        result = export_k8s(jobs, image, now=now, align=align)
    elif fmt == "systemd":
        result = export_systemd(jobs, now=now)
    else:
        raise TransferError(f"cannot export format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}")
    result.warnings += notification_warnings(jobs, fmt, result.skipped)
    return result
