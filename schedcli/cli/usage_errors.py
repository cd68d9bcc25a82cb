"""The option parser's errors in schedcli's own words.

Typer checks a parameter's type before any schedcli code runs, and its messages come
from the library that does the checking ("Input should be a valid integer, unable to
parse string as an integer", "Value error, 'failed' is not one of ..."). This module
turns each such error into one line that names the option, the value and what would do:
``invalid --limit 'x': use a whole number``.
"""

from __future__ import annotations

from typing import Any

#: Words people type for a status, and the status schedcli uses for them.
STATUS_WORDS = {
    "failed": "error or timeout", "failure": "error or timeout", "fail": "error or timeout",
    "failing": "error or timeout", "ok": "success", "succeeded": "success", "successful": "success",
    "passed": "success", "killed": "interrupted or timeout", "skip": "skipped", "miss": "missed",
    "warn": "warning",
}


def param_label(param: Any) -> str:
    """``--limit`` for an option (its long name), ``RUN_ID`` for an argument."""
    if param is None:
        return "value"
    if getattr(param, "param_type_name", "") == "argument":
        return (param.metavar or param.name or "argument").upper().strip("[]")
    names = [n for n in getattr(param, "opts", []) if n.startswith("--")] or list(getattr(param, "opts", []))
    return names[0] if names else (param.name or "value")


def _choices(param: Any, ctx: Any) -> list[str]:
    try:
        return [str(item.value) for item in param.shell_complete(ctx, "")]
    except Exception:
        return []


def _validation_error(exc: Any) -> dict | None:
    """The first error of the validation error that caused ``exc``, if there is one."""
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if not callable(errors):
        return None
    try:
        found = errors()
    except Exception:
        return None
    return found[0] if found and isinstance(found[0], dict) else None


def bad_parameter(exc: Any) -> str | None:
    """Our message for a value the parser refused, or None to keep the parser's."""
    from schedcli.cli.helptext import did_you_mean

    param = getattr(exc, "param", None)
    if param is None:
        return None
    label = param_label(param)
    detail = _validation_error(exc)
    if detail is None:
        return None
    kind = str(detail.get("type", ""))
    value = detail.get("input")
    shown = repr(value) if isinstance(value, str) else repr(str(value))
    choices = _choices(param, getattr(exc, "ctx", None))
    if choices and str(value) not in choices:
        text = f"invalid {label} {shown}: use one of {', '.join(choices)}"
        word = str(value).lower()
        if word in STATUS_WORDS and label == "--status":
            return f"{text} (for {word!r} runs use {STATUS_WORDS[word]})"
        return text + did_you_mean(str(value), choices)
    if kind.startswith("int_"):
        return f"invalid {label} {shown}: use a whole number"
    if kind.startswith("float_"):
        return f"invalid {label} {shown}: use a number"
    if kind.startswith("bool_"):
        return f"invalid {label} {shown}: use true or false"
    return f"invalid {label} {shown}"


def usage_message(exc: Any) -> str:
    """One line for a usage error raised by the option parser."""
    name = type(exc).__name__
    if name == "BadParameter":
        text = bad_parameter(exc)
        if text is not None:
            return text
    if name == "NoSuchOption":
        option = getattr(exc, "option_name", "")
        from schedcli.cli.helptext import did_you_mean

        hint = did_you_mean(option, sorted(getattr(exc, "possibilities", None) or []))
        return f"unknown option {option}{hint}"
    if name == "MissingParameter":
        param = getattr(exc, "param", None)
        if param is not None:
            label = param_label(param)
            if getattr(param, "param_type_name", "") == "argument":
                return f"missing {label}"
            return f"missing {label} (it is required)"
    text = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    text = " ".join(text.split()).rstrip(".")
    if text[:1].isupper() and not text[:2].isupper():
        text = text[0].lower() + text[1:]
    return text
