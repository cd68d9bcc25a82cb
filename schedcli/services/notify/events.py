"""What notifies: the events of a run, ``--notify-on``, ``--mail-on``, and the checks of
what a user types for them.

Events: ``start`` (the occurrence's first attempt started), ``failure`` (error, timeout,
interrupted), ``success`` (success, warning) and ``recovery`` (a success right after a
failure). Without ``--notify-on`` every channel keeps its own default:

* hooks: each event runs its own command (``--on-failure``, ``--on-success``,
  ``--on-recovery``), every attempt;
* a webhook: one POST for every finished attempt (never at the start);
* a ping: the healthchecks protocol, ``/start`` then success or ``/fail``;
* mail: ``--mail-on`` (default ``failure``), the last attempt of an occurrence only.

With ``--notify-on`` only the listed events notify, on every channel (``none``: nothing).
"""

from __future__ import annotations

from schedcli.errors import InvalidValue

FAILING = ("error", "timeout", "interrupted")
EVENTS = ("failure", "success", "recovery", "start")
NONE = "none"  # --notify-on none; --ping none / --mailto none: not even the configuration's
MAIL_ON = ("failure", "output", "always", "never")
WEBHOOK_FORMATS = ("json", "slack", "ntfy")
DEFAULT_MAIL_ON = "failure"


def events_for(status: str, previous: str | None) -> list[str]:
    """The events of a run that ended ``status``; ``previous``: the job's run before it."""
    if status in FAILING:
        return ["failure"]
    if status in ("success", "warning"):
        return ["success", "recovery"] if previous in FAILING else ["success"]
    return []


def listed(notify_on: str | None) -> frozenset[str] | None:
    """The events a job's stored ``notify_on`` lets through; None: each channel's default."""
    if notify_on is None:
        return None
    return frozenset(e for e in notify_on.split(",") if e in EVENTS)


def let_through(notify_on: frozenset[str] | None, events: list[str]) -> list[str]:
    """The events of ``events`` that notify under ``notify_on`` (None: all of them)."""
    return list(events) if notify_on is None else [e for e in events if e in notify_on]


def mail_due(mail_on: str, status: str, output: bytes) -> bool:
    """Is a run that ended ``status`` with ``output`` mailed under ``mail_on``?"""
    if mail_on == "always":
        return True
    if mail_on == "output":  # cron's rule: any output at all
        return bool(output)
    if mail_on == "failure":
        return status in FAILING
    return False


# -- what a user types ---------------------------------------------------------------


def _has_control(text: str) -> bool:
    return any(ord(ch) < 32 or ord(ch) == 127 for ch in text)


def parse_notify_on(text: str) -> str:
    """``--notify-on failure,recovery`` in its stored form (the events in a fixed order), or
    ``none``."""
    words = [w.strip().lower() for w in (text or "").split(",")]
    if words == [NONE]:
        return NONE
    bad = next((w for w in words if w not in EVENTS), None)
    if bad is not None or not words:
        raise InvalidValue(
            f"invalid --notify-on {text!r}: give a comma-separated list of {', '.join(EVENTS)}, or none"
        )
    return ",".join(e for e in EVENTS if e in words)


def check_choice(value: str, choices: tuple[str, ...], option: str) -> str:
    if value not in choices:
        raise InvalidValue(f"invalid {option} {value!r}: choose one of {', '.join(choices)}")
    return value


def check_url(url: str, option: str, *, allow_none: bool = False) -> str:
    """An http(s) URL without blanks or control characters (which could end a header or a
    line of an export); ``none`` too when ``allow_none``."""
    from urllib.parse import urlsplit

    if allow_none and url == NONE:
        return url
    if _has_control(url) or " " in url:
        raise InvalidValue(f"invalid {option} URL {url!r}: it contains a blank or a control character")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidValue(f"invalid {option} URL {url!r}: use http://host/path or https://host/path")
    return url


def check_addresses(text: str, option: str = "--mailto") -> str:
    """Mail addresses, comma-separated (``user``, ``user@host``, ``Name <user@host>``), or
    ``none``. No line breaks or control characters: they would add headers to the mail."""
    from email.headerregistry import Address
    from email.utils import getaddresses

    if text == NONE:
        return text
    if not text.strip() or _has_control(text):
        raise InvalidValue(f"invalid {option} {text!r}: give mail addresses separated by commas, or none")
    pairs = getaddresses([text])
    parts = [p for p in text.split(",") if p.strip()]
    if len(pairs) != len(parts) or any(not addr for _, addr in pairs):
        raise InvalidValue(f"invalid {option} {text!r}: give mail addresses separated by commas, or none")
    for part, (_, addr) in zip(parts, pairs):
        part = part.strip()
        written = part[part.rfind("<") + 1 : -1] if part.endswith(">") else part
        local, _, domain = addr.partition("@")
        if written != addr or addr.startswith("-") or not local or ("@" in addr and not domain):
            raise InvalidValue(f"invalid {option} {text!r}: {addr!r} is not a mail address")
        try:
            Address(username=local, domain=domain)
        except (ValueError, IndexError):
            raise InvalidValue(f"invalid {option} {text!r}: {addr!r} is not a mail address") from None
    return text.strip()
