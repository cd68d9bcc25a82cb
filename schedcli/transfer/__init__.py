"""Import and export of jobs.

Formats:

- ``toml`` / ``json``: the schedcli job document ``{"version": 1, "jobs": [...]}``,
  round-tripping every job field (see :func:`job_document`).
- ``crontab``: import a real crontab as cron(8) reads it (comments, ``VAR=value`` lines,
  ``SHELL``, ``MAILTO``, ``CRON_TZ``, ``TZ``, @macros, ``%`` as standard input, the user
  field of ``/etc/crontab`` and ``/etc/cron.d``); export what a crontab can express in the
  system zone, exactly.
- ``k8s``: Kubernetes ``batch/v1`` CronJob manifests (export only).
- ``systemd``: ``.service`` + ``.timer`` pairs (export only).

Imports are all or nothing: every entry is validated with :func:`schedcli.services.jobs.build_job`
(one ``now`` for all) before one write transaction inserts, updates and removes jobs.
This package never prints; the command line (``schedcli.cli.transfer``) renders results.

Modules: ``records`` (entries, results, the error, format names), ``fileio`` (reading,
format guessing, private writes), ``document`` (TOML/JSON), ``crontab`` (reading a
crontab), ``naming`` (job names from commands), ``crontab_export`` (writing one),
``importer`` (validate and write in one transaction), ``cronconv`` (cron text for other
schedulers), ``cronshift`` (schedules on another wall clock, exactly), ``k8s``,
``systemd`` and ``export`` (the exporter for a format name).
"""

from __future__ import annotations

from schedcli.transfer.crontab import CRONTAB_CATCH_UP, CRONTAB_OVERLAP, is_system_path, parse_crontab
from schedcli.transfer.crontab_export import export_crontab
from schedcli.transfer.cronconv import cron_to_oncalendar, every_to_cron
from schedcli.transfer.cronshift import Converted, cron_in_zone, every_as_cron
from schedcli.transfer.document import DOCUMENT_VERSION, dump_json, dump_toml, export_document, job_document, parse_document
from schedcli.transfer.export import export_jobs
from schedcli.transfer.fileio import guess_export_format, guess_import_format, read_text, write_private, write_unit_dir
from schedcli.transfer.importer import Progress, import_parsed, import_text, parse
from schedcli.transfer.k8s import export_k8s, k8s_escape, k8s_name
from schedcli.transfer.naming import derive_name
from schedcli.transfer.records import (
    DEFAULT_IMAGE,
    EXPORT_FORMATS,
    IMPORT_FORMATS,
    Entry,
    ExportResult,
    ImportResult,
    Parsed,
    SkippedLine,
    TransferError,
    extra_fields,
)
from schedcli.transfer.systemd import dst_notes, export_systemd, systemd_exec

__all__ = [
    "CRONTAB_CATCH_UP",
    "CRONTAB_OVERLAP",
    "Converted",
    "DEFAULT_IMAGE",
    "DOCUMENT_VERSION",
    "EXPORT_FORMATS",
    "IMPORT_FORMATS",
    "Entry",
    "ExportResult",
    "ImportResult",
    "Parsed",
    "Progress",
    "SkippedLine",
    "TransferError",
    "cron_in_zone",
    "cron_to_oncalendar",
    "derive_name",
    "dump_json",
    "dst_notes",
    "dump_toml",
    "every_as_cron",
    "every_to_cron",
    "export_crontab",
    "export_document",
    "export_jobs",
    "export_k8s",
    "export_systemd",
    "extra_fields",
    "guess_export_format",
    "guess_import_format",
    "import_parsed",
    "import_text",
    "is_system_path",
    "job_document",
    "k8s_escape",
    "k8s_name",
    "parse",
    "parse_crontab",
    "parse_document",
    "read_text",
    "systemd_exec",
    "write_private",
    "write_unit_dir",
]
