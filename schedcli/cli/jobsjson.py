"""``list --json``: each job's document written straight from its :class:`Job`, byte for
byte as :func:`schedcli.serialize.job_dict` written by ``json.dumps(indent=2,
ensure_ascii=False)`` would be, without building the 10k documents as dictionaries and
walking them again (10k jobs: 161 ms of CPU for the dictionaries and the generic writer,
:mod:`schedcli.cli.jsonout`; 98 ms for this).

The keys, their order and their values are :func:`job_dict`'s: a test writes both ways
for jobs of every kind and compares the bytes.
"""

from __future__ import annotations

from json.encoder import encode_basestring  # the C one where available, as json.dumps uses
from typing import TYPE_CHECKING, Any

from schedcli.cli.jsonout import value_text
from schedcli.schedule import iso
from schedcli.serialize import schedule_description

if TYPE_CHECKING:
    from schedcli.model import Job

_KEYS = (
    "name", "schedule", "schedule_kind", "schedule_description", "timezone", "enabled", "command",
    "collector", "params", "env", "cwd", "timeout_s", "overlap", "grace_s", "catch_up", "retries",
    "retry_delay_s", "description", "next_run_at", "last_run_at", "last_status", "finished",
    "created_at", "updated_at", "on_failure", "on_success", "on_recovery", "webhook", "webhook_format",
    "ping", "notify_on", "mailto", "mail_on", "jitter_s", "at_boot",
)
# Each key's line at nesting level 1 of the list, and a %s for its value.
_TEMPLATE = "{\n    " + ",\n    ".join(encode_basestring(k).replace("%", "%%") + ": %s" for k in _KEYS) + "\n  }"


def _value(value: Any) -> str:
    """A value of the document (nesting level 2) whose type the column does not fix."""
    if type(value) is int:
        return int.__repr__(value)
    return value_text(value, 2)


def job_text(job: "Job") -> str:
    """One job's ``list --json`` document at nesting level 1 of the list."""
    command, params, env = job.command, job.params, job.env
    next_run_at = iso(job.next_run_at) if job.enabled else None
    last_run_at, created_at, updated_at = iso(job.last_run_at), iso(job.created_at), iso(job.updated_at)
    return _TEMPLATE % (
        encode_basestring(job.name),
        encode_basestring(job.expr),
        encode_basestring(job.kind),
        encode_basestring(schedule_description(job)),
        encode_basestring(job.timezone),
        "true" if job.enabled else "false",
        "null" if command is None else value_text(command, 2),
        "null" if job.collector is None else encode_basestring(job.collector),
        "{}" if type(params) is dict and not params else value_text(params, 2),
        "{}" if type(env) is dict and not env else value_text(env, 2),
        "null" if job.cwd is None else encode_basestring(job.cwd),
        "null" if job.timeout is None else _value(job.timeout),
        encode_basestring(job.overlap),
        _value(job.grace),
        encode_basestring(job.catch_up),
        _value(job.retries),
        _value(job.retry_delay),
        "null" if job.description is None else encode_basestring(job.description),
        "null" if next_run_at is None else '"' + next_run_at + '"',  # ISO text: nothing to escape
        "null" if last_run_at is None else '"' + last_run_at + '"',
        "null" if job.last_status is None else encode_basestring(job.last_status),
        "true" if job.finished else "false",
        "null" if created_at is None else '"' + created_at + '"',
        "null" if updated_at is None else '"' + updated_at + '"',
        "null" if job.on_failure is None else encode_basestring(job.on_failure),
        "null" if job.on_success is None else encode_basestring(job.on_success),
        "null" if job.on_recovery is None else encode_basestring(job.on_recovery),
        "null" if job.webhook is None else encode_basestring(job.webhook),
        "null" if job.webhook_format is None else encode_basestring(job.webhook_format),
        "null" if job.ping is None else encode_basestring(job.ping),
        "null" if job.notify_on is None else encode_basestring(job.notify_on),
        "null" if job.mailto is None else encode_basestring(job.mailto),
        "null" if job.mail_on is None else encode_basestring(job.mail_on),
        _value(job.jitter),
        "true" if job.at_boot else "false",
    )
