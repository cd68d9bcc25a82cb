"""The options ``add`` and ``edit`` share, and the :class:`~schedcli.model.JobSpec` they make."""

from __future__ import annotations

from enum import Enum
from typing import Optional

import typer

from schedcli.cli.context import duration_option, zone_option
from schedcli.errors import InvalidValue, UsageError
from schedcli.model import JobSpec


class Overlap(str, Enum):
    skip = "skip"
    allow = "allow"
    replace = "replace"


class CatchUp(str, Enum):
    latest = "latest"
    all = "all"
    none = "none"


def _schedule_choice(cron: Optional[str], every: Optional[str], at: Optional[str]) -> tuple[Optional[str], Optional[str]]:
    given = [(k, v) for k, v in (("cron", cron), ("every", every), ("at", at)) if v is not None]
    if len(given) > 1:
        raise UsageError("give only one of --cron, --every and --at")
    return given[0] if given else (None, None)


def make_spec(
    cron, every, at, tz, timeout, overlap, grace, catch_up, env, cwd, description, retries,
    retry_delay, collector, params, command, jitter=None,
) -> JobSpec:
    from schedcli.services.jobs import parse_env, parse_params

    kind, expr = _schedule_choice(cron, every, at)
    zone_option(tz)
    if every is not None:
        duration_option(every, "--every")
    if retries is not None and retries < 0:
        raise InvalidValue(f"invalid --retries {retries}: use 0 or more")
    return JobSpec(
        kind=kind,
        expr=expr,
        timezone=tz,
        command=list(command) if command else None,
        collector=collector,
        params=parse_params(params) if params else None,
        env=parse_env(env) if env else None,
        cwd=cwd,
        timeout=duration_option(timeout, "--timeout"),
        overlap=overlap.value if overlap else None,
        grace=duration_option(grace, "--grace"),
        catch_up=catch_up.value if catch_up else None,
        retries=retries,
        retry_delay=duration_option(retry_delay, "--retry-delay"),
        description=description,
        jitter=jitter_option(jitter),
    )


def jitter_option(value: Optional[str]) -> Optional[int]:
    """``--jitter``: seconds (0, written ``0``, removes the jitter)."""
    if value is not None and value.strip() == "0":
        return 0
    return duration_option(value, "--jitter")


CRON_OPT = typer.Option(None, "--cron", metavar="EXPR", help="Cron expression: 5 fields or @hourly/@daily/@weekly/@monthly/@yearly, or @reboot (once at each boot).")
EVERY_OPT = typer.Option(None, "--every", metavar="DURATION", help="Fixed interval such as 30m or 2d (first run one period from now).")
AT_OPT = typer.Option(None, "--at", metavar="WHEN", help="Run once at this time: ISO 8601 (in --tz unless it has an offset), +2h, 'today 18:00' or 'tomorrow 09:00'.")
TZ_OPT = typer.Option(None, "--tz", metavar="ZONE", help="IANA time zone for the schedule (default: the machine's zone).")
TIMEOUT_OPT = typer.Option(None, "--timeout", metavar="DURATION", help="Kill the run's process group after this long.")
OVERLAP_OPT = typer.Option(None, "--overlap", help="When the previous run is still running: skip (default), allow, or replace it.")
GRACE_OPT = typer.Option(None, "--grace", metavar="DURATION", help="How late an occurrence may still start (default: 1h).")
CATCH_OPT = typer.Option(None, "--catch-up", help="After missed occurrences: run the latest (default), all within grace, or none.")
ENV_OPT = typer.Option(None, "--env", metavar="KEY=VALUE", help="Environment variable for the job (repeatable).")
CWD_OPT = typer.Option(None, "--cwd", metavar="DIR", help="Working directory (default: your home directory).")
DESC_OPT = typer.Option(None, "--description", metavar="TEXT", help="A note shown by show and list --json.")
RETRIES_OPT = typer.Option(None, "--retries", metavar="N", help="Retry a failed or timed-out run up to N times.")
RETRY_DELAY_OPT = typer.Option(None, "--retry-delay", metavar="DURATION", help="Delay before the first retry, doubling each time (default: 1m).")
COLLECTOR_OPT = typer.Option(None, "--collector", metavar="REF", help="Run a Python collector (registered name or module:function) instead of a command.")
PARAM_OPT = typer.Option(None, "--param", metavar="KEY=VALUE", help="Parameter passed to the collector (repeatable).")
ON_FAILURE_OPT = typer.Option(None, "--on-failure", metavar="COMMAND", help="Shell command run when a run fails (details in SCHEDCLI_* variables).")
ON_SUCCESS_OPT = typer.Option(None, "--on-success", metavar="COMMAND", help="Shell command run when a run succeeds.")
ON_RECOVERY_OPT = typer.Option(None, "--on-recovery", metavar="COMMAND", help="Shell command run when a run succeeds after a failure.")
JITTER_OPT = typer.Option(None, "--jitter", metavar="DURATION", help="Start each occurrence up to this much later, at a stable random offset (0: none).")
WEBHOOK_OPT = typer.Option(None, "--webhook", metavar="URL", help="POST each finished run to this http(s) URL (JSON unless --webhook-format says otherwise).")


def set_hooks(spec: JobSpec, on_failure, on_success, on_recovery, webhook) -> JobSpec:
    spec.on_failure, spec.on_success, spec.on_recovery, spec.webhook = on_failure, on_success, on_recovery, webhook
    return spec


class WebhookFormat(str, Enum):
    json = "json"
    slack = "slack"
    ntfy = "ntfy"


class MailOn(str, Enum):
    failure = "failure"
    output = "output"
    always = "always"
    never = "never"


PING_OPT = typer.Option(None, "--ping", metavar="URL", help="Healthchecks-style ping URL: URL/start, then URL or URL/fail ('none': not even the config's).")
WEBHOOK_FORMAT_OPT = typer.Option(None, "--webhook-format", help="Body of the webhook: json (default), slack ({\"text\"}) or ntfy (plain text, Title/Priority/Tags).")
NOTIFY_ON_OPT = typer.Option(None, "--notify-on", metavar="EVENTS", help="Only these events notify, on every channel: failure,success,recovery,start (or none).")
MAILTO_OPT = typer.Option(None, "--mailto", metavar="ADDRESS", help="Mail runs to these addresses (comma-separated) through sendmail ('none': not even the config's).")
MAIL_ON_OPT = typer.Option(None, "--mail-on", help="Which runs are mailed: failure (default), output (cron's rule), always, never.")

#: the job fields --no-hooks clears
NOTIFY_FIELDS = ("on_failure", "on_success", "on_recovery", "webhook", "ping", "webhook_format", "notify_on",
                 "mailto", "mail_on")


def set_channels(spec: JobSpec, ping, webhook_format, notify_on, mailto, mail_on) -> JobSpec:
    spec.ping, spec.notify_on, spec.mailto = ping, notify_on, mailto
    spec.webhook_format = webhook_format.value if webhook_format else None
    spec.mail_on = mail_on.value if mail_on else None
    return spec
