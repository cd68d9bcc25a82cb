"""Export: the one entry point that picks the writer for a format."""

from __future__ import annotations

from schedcli.model import Job
from schedcli.transfer.crontab import export_crontab
from schedcli.transfer.document import dump_json, dump_toml
from schedcli.transfer.k8s import export_k8s
from schedcli.transfer.records import DEFAULT_IMAGE, EXPORT_FORMATS, ExportResult, TransferError
from schedcli.transfer.systemd import export_systemd


def export_jobs(jobs: list[Job], fmt: str, *, image: str = DEFAULT_IMAGE) -> ExportResult:
    if fmt == "toml":
        return ExportResult([("jobs.toml", dump_toml(jobs))])
    if fmt == "json":
        return ExportResult([("jobs.json", dump_json(jobs))])
    if fmt == "crontab":
        return export_crontab(jobs)
    if fmt == "k8s":
        return export_k8s(jobs, image)
    if fmt == "systemd":
        return export_systemd(jobs)
    raise TransferError(f"cannot export format {fmt!r}: choose one of {', '.join(EXPORT_FORMATS)}")
