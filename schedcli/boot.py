"""Which boot this is: where ``@reboot`` jobs learn that the machine has started again.

The kernel gives each boot a random id (``/proc/sys/kernel/random/boot_id``). A runner
reads it once when it starts (a process never outlives its boot) and passes it on, as
``now`` is passed: nothing deeper reads it. ``SCHEDCLI_BOOT_ID_FILE`` names another file
to read it from (a container whose /proc is not the host's, or a test).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

BOOT_ID_FILE = "/proc/sys/kernel/random/boot_id"
BOOT_ID_ENV = "SCHEDCLI_BOOT_ID_FILE"


def boot_id_path(environ: Mapping[str, str] = os.environ) -> str:
    """The file the boot id is read from."""
    return environ.get(BOOT_ID_ENV) or BOOT_ID_FILE


def current_boot(path: str | None = None) -> str | None:
    """This boot's id (the first line of ``path``, default :func:`boot_id_path`), or
    None when it cannot be read: then ``@reboot`` jobs cannot be told when to run."""
    try:
        with open(path or boot_id_path(), encoding="ascii", errors="replace") as f:
            value = f.readline(200).strip()
    except OSError:
        return None
    return value if value and value.isprintable() else None
