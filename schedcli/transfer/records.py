"""What import and export pass around: entries read from a file, the results, the error,
and the format names shared by the command line and the library."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Optional

from schedcli.errors import InvalidValue
from schedcli.model import Job, JobSpec

EXPORT_FORMATS = ("toml", "json", "crontab", "k8s", "systemd")
IMPORT_FORMATS = ("toml", "json", "crontab")
DEFAULT_IMAGE = "busybox:stable"


#: JobSpec fields this package translates one by one; any other field that both Job and
#: JobSpec have (e.g. notification hooks added later) is carried as a plain value.
_CORE_SPEC_FIELDS = frozenset({
    "kind", "expr", "timezone", "command", "collector", "params", "env", "cwd", "timeout",
    "overlap", "grace", "catch_up", "retries", "retry_delay", "enabled", "description", "clear", "jitter",
})  # fmt: skip


@lru_cache(maxsize=1)
def extra_fields() -> tuple[str, ...]:
    """Job fields beyond the core set that ``add`` can set: exported and imported as they are."""
    import dataclasses

    job_fields = {f.name for f in dataclasses.fields(Job)}
    return tuple(
        f.name for f in dataclasses.fields(JobSpec) if f.name not in _CORE_SPEC_FIELDS and f.name in job_fields
    )


class TransferError(InvalidValue):
    """A file that cannot be imported (or a job set that cannot be exported). Exit code 2."""


@dataclass
class Entry:
    """One job read from a file, not yet validated."""

    index: int  # 1-based position among the file's entries
    name: Optional[str]
    spec: JobSpec
    line: Optional[int] = None

    def where(self) -> str:
        text = f"entry {self.index}"
        if self.name:
            text += f" ({self.name!r})"
        if self.line is not None:
            text += f" at line {self.line}"
        return text


@dataclass
class SkippedLine:
    """A crontab line that has no schedcli translation."""

    line: int
    text: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "text": self.text, "reason": self.reason}


@dataclass
class Parsed:
    entries: list[Entry]
    skipped: list[SkippedLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped_lines: list[SkippedLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def imported(self) -> int:
        return len(self.added) + len(self.updated) + len(self.unchanged)

    def summary(self) -> str:
        n = self.imported
        verb = "Would import" if self.dry_run else "Imported"
        parts = [f"{len(self.updated)} updated", f"{len(self.removed)} removed"]
        if self.unchanged:
            parts.insert(1, f"{len(self.unchanged)} unchanged")
        text = f"{verb} {n} job{'' if n == 1 else 's'} ({', '.join(parts)})"
        if self.skipped_lines:
            k = len(self.skipped_lines)
            text += f"; skipped {k} untranslatable line{'' if k == 1 else 's'}"
        if self.dry_run:
            text += "; dry run: nothing was written"
        return text

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "skipped_lines": [s.to_dict() for s in self.skipped_lines],
            "notes": self.notes,
            "dry_run": self.dry_run,
        }


@dataclass
class ExportResult:
    """What an export produced: one or more (file name, text) pairs and warnings."""

    files: list[tuple[str, str]]
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # job names left out

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.files)


def notification_warnings(jobs: list[Job], fmt: str, skipped: list[str]) -> list[str]:
    """One warning per exported job whose notifications schedcli sends and the exported
    job will not (a crontab keeps mail as ``MAILTO``, by cron's rule: any output)."""
    out = []
    left_out = set(skipped)
    for job in jobs:
        if job.name in left_out or job.notify_on == "none":
            continue
        lost = [f"--{k.replace('_', '-')}" for k in ("on_failure", "on_success", "on_recovery", "webhook")
                if getattr(job, k)]
        if job.ping and job.ping != "none":
            lost.append("--ping")
        mails = bool(job.mailto) and job.mailto != "none"
        if mails and (fmt != "crontab" or (job.mail_on or "failure") != "output"):
            lost.append("--mailto" if fmt != "crontab" else f"--mail-on {job.mail_on or 'failure'} (cron mails any output)")
        if lost:
            out.append(f"{job.name}: {', '.join(lost)}: sent by schedcli, not by the exported {fmt} job")
    return out
