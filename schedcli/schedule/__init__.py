"""Schedule arithmetic: durations, cron expressions, intervals and one-off times.

This is the only package of schedcli that knows how schedules fire.  Everything
in and out is timezone-aware; every instant returned is in UTC with
``microsecond == 0``.  Cron semantics follow Vixie cron as patched by Debian,
cron(8), checked against cronsim by a differential property test.

* :mod:`~schedcli.schedule.cron`: parse a cron expression (five fields or a
  macro) and match minutes on a wall clock.
* :mod:`~schedcli.schedule.zones`: zone lookup, the machine's zone, and DST
  arithmetic between wall clock and UTC (spring-forward gaps, fall-back folds).
* :mod:`~schedcli.schedule.kinds`: the schedule kinds (cron, interval, one-off)
  and what they answer: next and previous fire, fires over a window, upcoming
  fires, a description in words.
* :mod:`~schedcli.schedule.jitter`: ``--jitter`` (each occurrence's stable start
  offset) and ``@reboot`` (a schedule with no instants).
* :mod:`~schedcli.schedule.text`: durations (``1h30m``), WHEN values, instants
  as text.

Callers import from the package (``from schedcli.schedule import iso``), not
from the modules inside it.
"""

from __future__ import annotations

from datetime import datetime  # noqa: F401  (exported: callers use schedule.datetime)

from schedcli.errors import InvalidDuration, InvalidSchedule, InvalidZone  # noqa: F401
from schedcli.schedule.cron import FIELD_BOUNDS, FIELD_VALUE_NAMES, MACROS, expand_field, validate_cron
from schedcli.schedule.jitter import (
    REBOOT,
    JitteredSchedule,
    RebootSchedule,
    is_reboot,
    jitter_offset,
    occurrence_at,
    start_after,
    with_jitter,
)
from schedcli.schedule.kinds import (
    CronSchedule,
    IntervalSchedule,
    OnceSchedule,
    Schedule,
    count_occurrences,
    describe,
    first_difference,
    make_schedule,
    occurrences,
    upcoming,
)
from schedcli.schedule.text import (
    MAX_DURATION,
    format_duration,
    from_epoch,
    iso,
    local_text,
    parse_duration,
    parse_when,
)
from schedcli.schedule.zones import UTC, ClockChange, clock_changes, local_zone_name, utc_offset, zone

__all__ = [
    "FIELD_BOUNDS",
    "FIELD_VALUE_NAMES",
    "MACROS",
    "MAX_DURATION",
    "UTC",
    "ClockChange",
    "CronSchedule",
    "IntervalSchedule",
    "JitteredSchedule",
    "REBOOT",
    "RebootSchedule",
    "OnceSchedule",
    "Schedule",
    "clock_changes",
    "count_occurrences",
    "describe",
    "expand_field",
    "first_difference",
    "format_duration",
    "from_epoch",
    "is_reboot",
    "iso",
    "jitter_offset",
    "with_jitter",
    "start_after",
    "occurrence_at",
    "local_text",
    "local_zone_name",
    "make_schedule",
    "occurrences",
    "parse_duration",
    "parse_when",
    "upcoming",
    "utc_offset",
    "validate_cron",
    "zone",
]
