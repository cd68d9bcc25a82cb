"""Hooking schedcli into the system: a crontab entry for ``run-due``, a systemd user unit for ``watch``.

Library code: it never prints and does not import typer or rich; the command line
(:mod:`schedcli.cli.system`) renders what these functions return.

- :mod:`schedcli.system.crontab_entry`: the managed crontab line (install, update, remove, show).
- :mod:`schedcli.system.systemd_unit`: the user unit running ``watch``.
- :mod:`schedcli.system.entrypoint`: what both need, how cron and systemd start this schedcli.
"""

from __future__ import annotations

from schedcli.system.crontab_entry import (
    CRON_SCHEDULE,
    CRONTAB_ENV,
    CronState,
    cron_entry,
    cron_installed,
    cron_state,
    crontab_program,
    default_log_path,
    find_block,
    install_cron,
    installed_log,
    marker_line,
    read_crontab,
    state_home,
    uninstall_cron,
    with_entry,
    without_entry,
    write_crontab,
)
from schedcli.system.entrypoint import IntegrationError, absolute_db, schedcli_argv
from schedcli.system.systemd_unit import (
    LINGER_HINT,
    SYSTEMD_HINT,
    UNIT_GENERATED_BY,
    UNIT_NAME,
    UNIT_STOP_TIMEOUT,
    install_unit,
    systemd_hint,
    systemd_quote,
    unit_name,
    unit_path,
    unit_text,
)

__all__ = [
    "CRON_SCHEDULE", "CRONTAB_ENV", "CronState", "cron_entry", "cron_installed", "cron_state", "crontab_program",
    "default_log_path", "find_block", "install_cron", "installed_log", "marker_line", "read_crontab", "state_home",
    "uninstall_cron", "with_entry", "without_entry", "write_crontab",
    "IntegrationError", "absolute_db", "schedcli_argv",
    "LINGER_HINT", "SYSTEMD_HINT", "UNIT_GENERATED_BY", "UNIT_NAME", "UNIT_STOP_TIMEOUT", "install_unit",
    "systemd_hint", "systemd_quote", "unit_name", "unit_path", "unit_text",
]
