"""Import and export of jobs.

Formats:

- ``toml`` / ``json``: the schedcli job document ``{"version": 1, "jobs": [...]}``,
  round-tripping every job field (see :func:`job_document`).
- ``crontab``: import a real crontab (comments, ``VAR=value`` lines, ``SHELL``,
  ``MAILTO``, ``CRON_TZ``/``TZ``, @macros, ``/etc/crontab`` user fields with
  ``system=True``); export what a crontab can express.
- ``k8s``: Kubernetes ``batch/v1`` CronJob manifests (export only).
- ``systemd``: ``.service`` + ``.timer`` pairs (export only).

Imports are all or nothing: every entry is validated with :func:`schedcli.services.jobs.build_job`
(one ``now`` for all) before one write transaction inserts, updates and removes jobs.
This package never prints; the command line (``schedcli.cli.transfer``) renders results.

Modules: ``records`` (entries, results, the error, format names), ``fileio`` (reading,
format guessing, private writes), ``document`` (TOML/JSON), ``crontab`` (crontab in and
out), ``importer`` (validate and write in one transaction), ``cronconv`` (schedule
conversions), ``k8s``, ``systemd`` and ``export`` (the exporter for a format name).
"""

from __future__ import annotations

from schedcli.transfer.crontab import CRONTAB_CATCH_UP, CRONTAB_OVERLAP, derive_name, export_crontab, parse_crontab
from schedcli.transfer.cronconv import cron_to_oncalendar, every_to_cron
from schedcli.transfer.document import DOCUMENT_VERSION, dump_json, dump_toml, export_document, job_document, parse_document
from schedcli.transfer.export import export_jobs
from schedcli.transfer.fileio import guess_export_format, guess_import_format, read_text, write_private, write_unit_dir
from schedcli.transfer.importer import Progress, import_parsed, import_text, parse
from schedcli.transfer.k8s import export_k8s, k8s_name, yaml_quote
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
from schedcli.transfer.systemd import export_systemd, systemd_exec

__all__ = [
    "CRONTAB_CATCH_UP",
    "CRONTAB_OVERLAP",
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
    "cron_to_oncalendar",
    "derive_name",
    "dump_json",
    "dump_toml",
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
    "job_document",
    "k8s_name",
    "parse",
    "parse_crontab",
    "parse_document",
    "read_text",
    "systemd_exec",
    "write_private",
    "write_unit_dir",
    "yaml_quote",
]
