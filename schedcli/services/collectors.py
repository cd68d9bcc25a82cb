"""Finding and checking collectors: the runner's side of :mod:`schedcli.collectors`.

:func:`registered` lists the entry-point group, :func:`check_ref` validates a reference
at ``add`` time without running anything, and :func:`resolve` loads the function in
the child process (:mod:`schedcli.services.collector_host`).
"""

from __future__ import annotations

import importlib
import importlib.util
import re
from functools import lru_cache
from typing import Any, Callable

from schedcli.collectors import ENTRY_POINT_GROUP, CollectorContext
from schedcli.errors import InvalidValue

_REF_RE = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$|^[A-Za-z0-9][\w.-]*$")


@lru_cache(maxsize=1)
def registered() -> dict[str, str]:
    """Names registered in the ``schedcli.collectors`` entry-point group -> their targets.

    Read once per process (installed packages do not change while a command runs).
    """
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def check_ref(ref: str) -> str:
    """Validate a collector reference at ``add`` time (without running anything)."""
    if not _REF_RE.match(ref or ""):
        raise InvalidValue(
            f"invalid collector {ref!r}: use a registered name (see: schedcli collectors) "
            "or module:function"
        )
    if ":" not in ref:
        if ref not in registered():
            raise InvalidValue(
                f"unknown collector {ref!r}: it is not registered in the "
                f"'{ENTRY_POINT_GROUP}' entry-point group (see: schedcli collectors)"
            )
        return ref
    module = ref.split(":", 1)[0]
    try:
        found = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        found = None
    if found is None:
        raise InvalidValue(f"invalid collector {ref!r}: no module named {module!r}")
    return ref


def resolve(ref: str) -> Callable[[CollectorContext], Any]:
    """Load the collector function named by ``ref`` (in the child process)."""
    if ":" in ref:
        module_name, _, attr = ref.partition(":")
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
        return obj
    from importlib.metadata import entry_points

    matches = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == ref]
    if not matches:
        raise LookupError(f"collector {ref!r} is not registered in {ENTRY_POINT_GROUP}")
    return matches[0].load()
