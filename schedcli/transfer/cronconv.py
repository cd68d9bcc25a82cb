"""Converting schedules for other schedulers: cron to systemd ``OnCalendar=``, intervals to
cron, and cron text for Kubernetes.

Cron fields are checked and expanded by :mod:`schedcli.schedule` (its value tables and
day-of-week expansion are reused here); :func:`_items` keeps each item's written form
(``*``, ``a-b``, ``/step``) because systemd calendar syntax mirrors it.
"""

from __future__ import annotations

from typing import Optional

from schedcli import schedule as sched


_DOW_NAMES = ("Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat")


def _cron_fields(expr: str) -> list[str]:
    normalized = sched.validate_cron(expr)
    return sched.MACROS.get(normalized, normalized).split()


def _value(token: str, index: int) -> int:
    """A (valid) field value: a number or, in the month and day-of-week fields, a name."""
    named = sched.FIELD_VALUE_NAMES[index].get(token.lower())
    return int(token) if named is None else named


def _items(field_text: str, index: int) -> list[tuple[str, int, int, int]]:
    """Split a (valid) cron field into items: (form, start, end, step)."""
    low, high = sched.FIELD_BOUNDS[index]
    out = []
    for item in field_text.split(","):
        base, slash, step_text = item.partition("/")
        step = int(step_text) if slash else 0
        if base == "*":
            out.append(("star", low, high, step))
        elif "-" in base:
            a, _, b = base.partition("-")
            out.append(("range", _value(a, index), _value(b, index), step))
        else:
            v = _value(base, index)
            out.append(("value", v, high if step else v, step))
    return out


def _dow_set(field_text: str) -> frozenset[int]:
    """The weekdays a (valid) day-of-week field matches, as the scheduler expands it (Sunday 0)."""
    return sched.expand_field(field_text, 4)


def _runs(values: list[int]) -> list[list[int]]:
    runs: list[list[int]] = []
    for v in values:
        if runs and runs[-1][-1] + 1 == v:
            runs[-1].append(v)
        else:
            runs.append([v])
    return runs


def _systemd_weekdays(days: frozenset[int]) -> str:
    if len(days) == 7:
        return ""
    order = [d for d in (1, 2, 3, 4, 5, 6, 7) if (d % 7) in days]  # Mon..Sun, Sunday as 7
    parts = []
    for run in _runs(order):
        names = [_DOW_NAMES[d % 7] for d in run]
        parts.append(names[0] if len(run) == 1 else f"{names[0]}..{names[-1]}")
    return ",".join(parts)


def _systemd_component(field_text: str, index: int) -> str:
    low, _high = sched.FIELD_BOUNDS[index]
    parts = []
    for form, start, end, step in _items(field_text, index):
        if step and start + step > end:
            parts.append(f"{start:02d}")  # a step past the range keeps the start (systemd refuses such steps)
        elif form == "star":
            parts.append(f"{low:02d}/{step}" if step else "*")
        elif form == "range":
            parts.append(f"{start:02d}..{end:02d}" + (f"/{step}" if step else ""))
        else:
            parts.append(f"{start:02d}" + (f"/{step}" if step else ""))
    return ",".join(parts)


def cron_to_oncalendar(expr: str, tz: Optional[str] = None) -> list[str]:
    """systemd ``OnCalendar=`` values equivalent to a 5-field cron expression or macro.

    Cron fires when day-of-month OR day-of-week matches if both are restricted
    (neither starts with ``*``); one calendar event is an AND, so that case gives two.
    """
    minute, hour, dom, month, dow = _cron_fields(expr)
    m = _systemd_component(minute, 0)
    h = _systemd_component(hour, 1)
    d = _systemd_component(dom, 2)
    mo = _systemd_component(month, 3)
    weekdays = _systemd_weekdays(_dow_set(dow))
    suffix = f" {tz}" if tz else ""
    clock = f"{h}:{m}:00"
    if not dom.startswith("*") and not dow.startswith("*"):
        day_line = f"*-{mo}-{d} {clock}{suffix}"
        if not weekdays:  # every weekday matches: the OR is every day of the month(s)
            return [f"*-{mo}-* {clock}{suffix}"]
        return [day_line, f"{weekdays} *-{mo}-* {clock}{suffix}"]
    prefix = f"{weekdays} " if weekdays else ""
    return [f"{prefix}*-{mo}-{d} {clock}{suffix}"]


def every_to_cron(seconds: int) -> Optional[str]:
    """A cron expression for an interval that divides its unit evenly (5m, 2h, 1d, 1w), else None."""
    if seconds <= 0 or seconds % 60:
        return None
    minutes = seconds // 60
    if minutes < 60:
        if minutes == 1:
            return "* * * * *"
        return f"*/{minutes} * * * *" if 60 % minutes == 0 else None
    if minutes % 60:
        return None
    hours = minutes // 60
    if hours < 24:
        if hours == 1:
            return "0 * * * *"
        return f"0 */{hours} * * *" if 24 % hours == 0 else None
    if hours == 24:
        return "0 0 * * *"
    if hours == 168:
        return "0 0 * * 0"
    return None



def k8s_schedule(expr: str) -> str:
    """The job's cron text for Kubernetes (day-of-week 7 is not accepted there: use 0)."""
    normalized = sched.validate_cron(expr)
    if normalized.startswith("@"):
        return normalized
    fields = normalized.split()
    dow = fields[4]
    if any(start == 7 or end == 7 for form, start, end, _ in _items(dow, 4) if form != "star"):
        days = sorted(_dow_set(dow))
        fields[4] = ",".join(str(r[0]) if len(r) == 1 else f"{r[0]}-{r[-1]}" for r in _runs(days))
    return " ".join(fields)


def day_rule_differs(expr: str) -> bool:
    """Vixie cron ANDs the day fields when one starts with '*' ('*/2'); Kubernetes ORs them."""
    fields = _cron_fields(expr)
    dom, dow = fields[2], fields[4]
    if dom == "*" or dow == "*":
        return False
    return dom.startswith("*") or dow.startswith("*")
