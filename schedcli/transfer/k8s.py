"""Export as Kubernetes ``batch/v1`` CronJob manifests, emitted with PyYAML.

* A timeout bounds each attempt: ``activeDeadlineSeconds`` on the pod template's spec
  (on the Job's spec it would bound all attempts together); retries are the Job's
  ``backoffLimit``.
* Kubernetes expands ``$(VAR)`` and turns ``$$`` into ``$`` in a container's command and
  env values: each ``$`` before ``(`` or ``$`` is written ``$$``.
* ``startingDeadlineSeconds`` (the grace) is at least 10: the controller checks about
  every 10 seconds, and a shorter deadline can make it never start the job.
* An interval runs on ``Etc/UTC`` with the expression of its grid, when one is exact.
* What a CronJob cannot say (catch-up policies, retry delays, a day rule Kubernetes reads
  differently) is a warning for that job.
"""

from __future__ import annotations

import re
from datetime import datetime
from hashlib import sha1
from typing import Any, Iterable

from schedcli import schedule as sched
from schedcli.model import Job
from schedcli.transfer.cronconv import day_rule_differs, k8s_schedule
from schedcli.transfer.cronshift import every_as_cron
from schedcli.transfer.records import DEFAULT_IMAGE, ExportResult

#: The least startingDeadlineSeconds that Kubernetes reliably honours.
MIN_STARTING_DEADLINE = 10
#: Kubernetes' pod failure back-off: 10s, doubling, at most 6 minutes.
K8S_BACKOFF = 10
_INTERVAL_ZONE = "Etc/UTC"


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


def k8s_escape(text: str) -> str:
    """``text`` as Kubernetes must see it to pass it on unchanged: ``$`` before ``(`` or ``$`` doubled."""
    return re.sub(r"\$(?=[($])", "$$", text)


def _manifest(job: Job, name: str, schedule: str, zone: str, image: str, notes: list[str]) -> dict[str, Any]:
    command = job.command or []
    argv = ["/bin/sh", "-c", command[0]] if len(command) == 1 else list(command)
    container: dict[str, Any] = {"name": "job", "image": image, "command": [k8s_escape(a) for a in argv]}
    if job.cwd:
        container["workingDir"] = job.cwd
    if job.env:
        container["env"] = [{"name": k, "value": k8s_escape(v)} for k, v in job.env.items()]
    pod: dict[str, Any] = {"restartPolicy": "Never", "containers": [container]}
    if job.timeout is not None:
        pod["activeDeadlineSeconds"] = max(1, int(round(job.timeout)))  # each attempt: one pod
    deadline = max(MIN_STARTING_DEADLINE, int(job.grace))
    if deadline != job.grace:
        notes.append(
            f"grace {sched.format_duration(int(job.grace))} raised to startingDeadlineSeconds: {deadline} "
            "(a shorter deadline can keep Kubernetes from ever starting the job)"
        )
    annotations = {"schedcli/job": job.name}
    if job.description:
        annotations["schedcli/description"] = job.description
    policy = {"skip": "Forbid", "allow": "Allow", "replace": "Replace"}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/managed-by": "schedcli-export"},
            "annotations": annotations,
        },
        "spec": {
            "schedule": schedule,
            "timeZone": zone,
            "suspend": not job.enabled,
            "concurrencyPolicy": policy.get(job.overlap, "Forbid"),
            "startingDeadlineSeconds": deadline,
            "jobTemplate": {"spec": {"backoffLimit": job.retries, "template": {"spec": pod}}},
        },
    }


def _policy_notes(job: Job) -> list[str]:
    notes = []
    if job.catch_up == "all":
        notes.append("catch-up all has no CronJob form: Kubernetes starts only the most recent missed run")
    elif job.catch_up == "none":
        notes.append(
            "catch-up none has no CronJob form: after missed runs Kubernetes still starts the most "
            "recent one within startingDeadlineSeconds"
        )
    if job.jitter:
        notes.append(
            f"jitter {sched.format_duration(job.jitter)} has no CronJob form: Kubernetes starts it at its "
            "scheduled times"
        )
    if job.retries and job.retry_delay != K8S_BACKOFF:
        notes.append(
            f"retry delay {sched.format_duration(job.retry_delay)} (doubling) becomes Kubernetes' pod "
            "back-off (10s, doubling, at most 6m)"
        )
    return notes


def export_k8s(jobs: Iterable[Job], image: str = DEFAULT_IMAGE, *, now: datetime, align: bool = False) -> ExportResult:
    import yaml

    result = ExportResult([])
    taken: set[str] = set()
    docs: list[dict[str, Any]] = []
    for job in jobs:
        notes: list[str] = []
        if job.collector is not None:
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: collector jobs need an image with the collector installed")
            continue
        if job.kind == "at":
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: one-off (--at) jobs have no CronJob form")
            continue
        if job.at_boot:
            result.skipped.append(job.name)
            result.warnings.append(f"{job.name}: @reboot jobs have no CronJob form (a cluster has no boot of its own)")
            continue
        if job.kind == "every":
            zone = _INTERVAL_ZONE  # an interval is elapsed time: a zone without daylight saving time
            conv = every_as_cron(job.expr, job.anchor, zone, now)
            if conv.expr is None and align and conv.aligned:
                notes.append(f"every {job.expr} {conv.shift}")
                schedule = conv.aligned
            elif conv.expr is None:
                result.skipped.append(job.name)
                result.warnings.append(f"{job.name}: {conv.reason}")
                continue
            else:
                schedule = conv.expr
        else:
            zone = job.timezone
            schedule = k8s_schedule(job.expr)
            if day_rule_differs(job.expr):
                notes.append(
                    f"Kubernetes combines day-of-month and day-of-week with OR in {job.expr!r} "
                    "(schedcli uses AND when one field starts with '*'): check the schedule"
                )
        docs.append(_manifest(job, k8s_name(job.name, taken), schedule, zone, image, notes))
        notes.extend(_policy_notes(job))
        result.warnings.extend(f"{job.name}: {note}" for note in notes)
    if docs:
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter when PyYAML has it
        text = yaml.dump_all(docs, Dumper=dumper, explicit_start=True, sort_keys=False, allow_unicode=True, width=1 << 20)
    else:
        text = "# no jobs to export\n"
    result.files.append(("cronjobs.yaml", text))
    return result
