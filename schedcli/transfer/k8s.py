"""Export as Kubernetes ``batch/v1`` CronJob manifests (YAML written by hand)."""

from __future__ import annotations

import re
from hashlib import sha1
from typing import Any, Iterable

from schedcli import schedule as sched
from schedcli.model import Job
from schedcli.transfer.cronconv import day_rule_differs, every_to_cron, k8s_schedule
from schedcli.transfer.records import DEFAULT_IMAGE, ExportResult


def yaml_quote(text: str) -> str:
    """A YAML double-quoted scalar (every non-printable character escaped)."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\r":
            out.append("\\r")
        elif 0x20 <= code <= 0x7E or (0xA0 <= code <= 0xD7FF and code not in (0x2028, 0x2029)) or (
            0xE000 <= code <= 0xFFFD and code != 0xFEFF
        ) or code >= 0x10000:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        else:
            out.append(f"\\u{code:04x}")
    out.append('"')
    return "".join(out)


def _yaml_scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return yaml_quote(str(value))


def _yaml_lines(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_yaml_lines(item, indent + 2))
            elif isinstance(item, (dict, list)):
                lines.append(f"{pad}{key}: {'{}' if isinstance(item, dict) else '[]'}")
            else:
                lines.append(f"{pad}{key}: {_yaml_scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict) and item:
                sub = _yaml_lines(item, indent + 2)
                sub[0] = f"{pad}- {sub[0][indent + 2:]}"
                lines.extend(sub)
            elif isinstance(item, list) and item:
                lines.append(f"{pad}-")
                lines.extend(_yaml_lines(item, indent + 2))
            else:
                lines.append(f"{pad}- {_yaml_scalar(item)}")
    return lines


def k8s_name(name: str, taken: set[str]) -> str:
    """A DNS-1123 label for a CronJob (at most 52 characters), unique among ``taken``."""
    base = re.sub(r"[^a-z0-9-]+", "-", name.lower())
    base = re.sub(r"-{2,}", "-", base).strip("-") or "job"
    candidate = base[:52].rstrip("-")
    if candidate in taken:
        digest = sha1(name.encode()).hexdigest()[:6]
        candidate = f"{base[:45].rstrip('-')}-{digest}"
        n = 2
        while candidate in taken:
            candidate = f"{base[:42].rstrip('-')}-{digest}-{n}"
            n += 1
    taken.add(candidate)
    return candidate


def export_k8s(jobs: Iterable[Job], image: str = DEFAULT_IMAGE) -> ExportResult:
    result = ExportResult([])
    taken: set[str] = set()
    docs: list[str] = []
    policy = {"skip": "Forbid", "allow": "Allow", "replace": "Replace"}
    for job in jobs:
        timezone_name = job.timezone
        if job.collector is not None:
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: collector jobs need an image with the collector installed")
            continue
        if job.kind == "at":
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: one-off (--at) jobs have no CronJob form")
            continue
        if job.kind == "every":
            schedule = every_to_cron(sched.parse_duration(job.expr))
            if schedule is None:
                result.skipped.append(job.name)
                result.warnings.append(f"{job.name}: every {job.expr} does not divide a minute, hour or day evenly")
                continue
            timezone_name = "Etc/UTC"  # an interval is elapsed time: no daylight-saving shifts
        else:
            schedule = k8s_schedule(job.expr)
            if day_rule_differs(job.expr):
                result.warnings.append(
                    f"{job.name}: Kubernetes combines day-of-month and day-of-week with OR in {job.expr!r} "
                    "(schedcli uses AND when one field starts with '*'): check the schedule"
                )
        name = k8s_name(job.name, taken)
        command = job.command or []
        argv = ["/bin/sh", "-c", command[0]] if len(command) == 1 else list(command)
        container: dict[str, Any] = {"name": "job", "image": image, "command": argv}
        if job.cwd:
            container["workingDir"] = job.cwd
        if job.env:
            container["env"] = [{"name": k, "value": v} for k, v in job.env.items()]
        job_spec: dict[str, Any] = {}
        if job.timeout is not None:
            job_spec["activeDeadlineSeconds"] = max(1, int(round(job.timeout)))
        job_spec["backoffLimit"] = job.retries
        job_spec["template"] = {"spec": {"restartPolicy": "Never", "containers": [container]}}
        annotations = {"schedcli/job": job.name}
        if job.description:
            annotations["schedcli/description"] = job.description
        manifest = {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": {
                "name": name,
                "labels": {"app.kubernetes.io/managed-by": "schedcli-export"},
                "annotations": annotations,
            },
            "spec": {
                "schedule": schedule,
                "timeZone": timezone_name,
                "suspend": not job.enabled,
                "concurrencyPolicy": policy.get(job.overlap, "Forbid"),
                "startingDeadlineSeconds": job.grace,
                "jobTemplate": {"spec": job_spec},
            },
        }
        docs.append("---\n" + "\n".join(_yaml_lines(manifest, 0)) + "\n")
    if not docs:
        docs.append("# no jobs to export\n")
    result.files.append(("cronjobs.yaml", "".join(docs)))
    return result
