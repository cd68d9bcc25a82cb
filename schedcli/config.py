"""The user's configuration file: ``$XDG_CONFIG_HOME/schedcli/config.toml``.

Every key is optional::

    timezone = "Europe/Paris"     # zone for new jobs (default: the machine's)
    max_parallel = 4              # run-due / watch default
    output_cap = 1048576          # bytes of output kept per run (head and tail)
    kill_grace = "5s"             # SIGTERM -> SIGKILL delay
    hook_timeout = "30s"          # limit for each notification hook / webhook / mail
    metrics_textfile = "/var/lib/node_exporter/textfile/schedcli.prom"  # rewritten after every tick
    ping = "https://hc-ping.com/PING_KEY/{job}"   # healthchecks ping of jobs without --ping
    mailto = "ops@example.org"    # mail for jobs without --mailto
    mail_on = "failure"           # which runs are mailed: failure, output, always, never
    sendmail = "/usr/sbin/sendmail"   # default: sendmail on PATH, then /usr/sbin/sendmail

    [retention]                   # automatic pruning after every run
    keep = 1000                   # newest runs kept per job
    older_than = "90d"

    [hooks]                       # run for every job, besides the job's own
    on_failure = "notify-send 'schedcli: $SCHEDCLI_JOB failed'"
    on_success = "..."
    on_recovery = "..."
    webhook = "https://hooks.example.org/schedcli"
    webhook_format = "json"       # json, slack or ntfy
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from schedcli.errors import UsageError
from schedcli.paths import config_file

DEFAULT_MAX_PARALLEL = 4
DEFAULT_OUTPUT_CAP = 1024 * 1024
DEFAULT_KILL_GRACE = 5.0
DEFAULT_HOOK_TIMEOUT = 30.0


class ConfigError(UsageError):
    """The configuration file cannot be used (exit 2)."""


@dataclass(frozen=True)
class Hooks:
    on_failure: str | None = None
    on_success: str | None = None
    on_recovery: str | None = None
    webhook: str | None = None
    webhook_format: str | None = None


@dataclass(frozen=True)
class NotifyDefaults:
    """What jobs without their own settings ping and mail (top-level keys of the file)."""

    ping: str | None = None
    mailto: str | None = None
    mail_on: str | None = None
    sendmail: str | None = None


@dataclass(frozen=True)
class Config:
    path: Path
    exists: bool = False
    timezone: str | None = None
    max_parallel: int = DEFAULT_MAX_PARALLEL
    output_cap: int = DEFAULT_OUTPUT_CAP
    kill_grace: float = DEFAULT_KILL_GRACE
    hook_timeout: float = DEFAULT_HOOK_TIMEOUT
    retention_keep: int | None = None
    retention_older_than: int | None = None
    hooks: Hooks = field(default_factory=Hooks)
    metrics_textfile: Path | None = None  # Prometheus metrics rewritten by run-due and watch
    notify: NotifyDefaults = field(default_factory=NotifyDefaults)

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "path": str(self.path),
            "exists": self.exists,
            "timezone": self.timezone,
            "max_parallel": self.max_parallel,
            "output_cap": self.output_cap,
            "kill_grace": self.kill_grace,
            "hook_timeout": self.hook_timeout,
            "retention": {"keep": self.retention_keep, "older_than_s": self.retention_older_than},
            "hooks": asdict(self.hooks),
            "metrics_textfile": None if self.metrics_textfile is None else str(self.metrics_textfile),
            **asdict(self.notify),
        }
        return doc


def config_path() -> Path:
    return config_file()


_NOTIFY = {"ping", "mailto", "mail_on", "sendmail"}
_TOP = {"timezone", "max_parallel", "output_cap", "kill_grace", "hook_timeout", "retention", "hooks",
        "metrics_textfile"} | _NOTIFY


def load(path: Path | None = None) -> Config:
    """Read and validate the configuration; a missing file means all defaults."""
    path = path or config_path()
    try:
        with open(path, "rb") as fh:
            import tomllib  # only when there is a file to read

            try:
                data = tomllib.load(fh)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"config {path} is not valid TOML: {exc}") from None
    except FileNotFoundError:
        return Config(path=path)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None

    def fail(key: str, why: str) -> ConfigError:
        return ConfigError(f"config {path}: {key}: {why}")

    unknown = set(data) - _TOP
    if unknown:
        raise fail(sorted(unknown)[0], f"unknown key (known: {', '.join(sorted(_TOP))})")
    from schedcli.schedule import parse_duration
    from schedcli.schedule import zone

    def duration(key: str, value: Any) -> int:
        if not isinstance(value, str):
            raise fail(key, "give a duration string such as \"30s\"")
        try:
            return parse_duration(value)
        except UsageError as exc:
            raise fail(key, exc.message) from None

    def positive_int(key: str, value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise fail(key, "give a positive integer")
        return value

    kw: dict[str, Any] = {"path": path, "exists": True}
    if "timezone" in data:
        if not isinstance(data["timezone"], str):
            raise fail("timezone", "give an IANA zone name")
        try:
            zone(data["timezone"])
        except UsageError as exc:
            raise fail("timezone", exc.message) from None
        kw["timezone"] = data["timezone"]
    if "max_parallel" in data:
        kw["max_parallel"] = positive_int("max_parallel", data["max_parallel"])
    if "output_cap" in data:
        kw["output_cap"] = max(positive_int("output_cap", data["output_cap"]), 1024)
    if "kill_grace" in data:
        kw["kill_grace"] = float(duration("kill_grace", data["kill_grace"]))
    if "hook_timeout" in data:
        kw["hook_timeout"] = float(duration("hook_timeout", data["hook_timeout"]))
    retention = data.get("retention", {})
    if not isinstance(retention, dict) or set(retention) - {"keep", "older_than"}:
        raise fail("retention", "a table with keep and/or older_than")
    if "keep" in retention:
        kw["retention_keep"] = positive_int("retention.keep", retention["keep"])
    if "older_than" in retention:
        kw["retention_older_than"] = duration("retention.older_than", retention["older_than"])
    hooks = data.get("hooks", {})
    known_hooks = {"on_failure", "on_success", "on_recovery", "webhook", "webhook_format"}
    if not isinstance(hooks, dict) or set(hooks) - known_hooks:
        raise fail("hooks", f"a table with {', '.join(sorted(known_hooks))}")
    for key, value in hooks.items():
        if not isinstance(value, str) or not value.strip():
            raise fail(f"hooks.{key}", "give a non-empty string")
    from schedcli.services.notify.events import WEBHOOK_FORMATS, check_choice
    if "webhook" in hooks:
        from schedcli.services.jobs import check_webhook

        try:
            check_webhook(hooks["webhook"])
        except UsageError as exc:
            raise fail("hooks.webhook", exc.message) from None
    if "webhook_format" in hooks:
        _check(fail, "hooks.webhook_format", lambda v: check_choice(v, WEBHOOK_FORMATS, "format"), hooks["webhook_format"])
    kw["hooks"] = Hooks(**hooks)
    if "metrics_textfile" in data:
        kw["metrics_textfile"] = _textfile(data["metrics_textfile"], fail)
    kw["notify"] = _notify_defaults(data, fail)
    return Config(**kw)


def _textfile(value: Any, fail: Any) -> Path:
    """``metrics_textfile``: an absolute path (``~`` allowed) ending in ``.prom``."""
    if not isinstance(value, str) or not value.strip():
        raise fail("metrics_textfile", "give the path of a .prom file")
    path = Path(os.path.expanduser(value))
    if not path.is_absolute():
        raise fail("metrics_textfile", f"give an absolute path, not {value!r}")
    if not path.name.endswith(".prom") or path.name == ".prom":
        raise fail("metrics_textfile", "node_exporter's textfile collector reads only files whose name "
                   "ends in .prom, e.g. schedcli.prom")
    return path


def _check(fail, key: str, check, value: Any) -> None:
    try:
        check(value)
    except UsageError as exc:
        raise fail(key, exc.message) from None


def _notify_defaults(data: dict[str, Any], fail) -> NotifyDefaults:
    """The top-level ping, mailto, mail_on and sendmail keys, checked."""
    from schedcli.services.notify.events import MAIL_ON, check_addresses, check_choice, check_url

    checks = {
        "ping": lambda v: check_url(v, "ping"),
        "mailto": lambda v: check_addresses(v, "mailto"),
        "mail_on": lambda v: check_choice(v, MAIL_ON, "mail_on"),
    }
    values = {}
    for key in sorted(_NOTIFY & set(data)):
        value = data[key]
        if not isinstance(value, str) or not value.strip():
            raise fail(key, "give a non-empty string")
        if key == "sendmail":
            if not value.startswith("/") or "\x00" in value:
                raise fail(key, "give the absolute path of a sendmail program")
        else:
            _check(fail, key, checks[key], value)
        values[key] = value
    return NotifyDefaults(**values)


def example() -> str:
    """The commented example shown by ``schedcli config show --example``."""
    import textwrap

    return textwrap.dedent(__doc__.split("::", 1)[1]).strip("\n") + "\n"
