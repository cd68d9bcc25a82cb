"""Finding and checking collectors: the runner's side of :mod:`schedcli.collectors`.

:func:`registered` lists the entry-point group, :func:`check_ref` validates a reference
at ``add`` time without running anything, and :func:`resolve` loads the function in
the child process (:mod:`schedcli.services.collector_host`).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
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


def check_ref(ref: str, cwd: str | None = None, env: dict[str, str] | None = None, *,
              here: str | None = None) -> str | None:
    """Validate a collector reference at ``add`` time, without running anything.

    A ``module:function`` is looked for where the job's child will look: in the job's
    directory (``cwd``), on the ``PYTHONPATH`` of its ``env`` (relative entries from that
    directory) and in the installed packages; never on the ``PYTHONPATH`` of the shell
    that runs ``add``, which cron and ``watch`` do not have.  A job without ``cwd`` is
    also looked for in ``here`` (the current directory of ``add``): when the module is
    found only there, that directory is returned, for the job to run in.  Otherwise None.
    """
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
        return None
    module = ref.split(":", 1)[0]
    if _find_module(module, _job_path(cwd, env or {})) is not None:
        return None
    if cwd is None and here is not None and _find_module(module, _job_path(here, env or {})) is not None:
        return here
    places = [cwd or here or "the home directory"]
    python_path = (env or {}).get("PYTHONPATH")
    if python_path:
        places.append(f"PYTHONPATH={python_path}")
    raise InvalidValue(
        f"invalid collector {ref!r}: no module named {module!r} in {', '.join(places)} or the installed "
        "packages; give the job the directory that holds it: --cwd DIR or --env PYTHONPATH=DIR"
    )


def _job_path(cwd: str | None, env: dict[str, str]) -> list[str]:
    """Where the job's child looks for modules before the installed packages: its
    directory, then its PYTHONPATH (relative entries from that directory)."""
    base = cwd or os.path.expanduser("~")
    out = [base]
    for entry in (env.get("PYTHONPATH") or "").split(os.pathsep):
        if entry:
            out.append(os.path.join(base, entry))
    return out


def _installed_path() -> list[str]:
    """This interpreter's own module path: without the directory of the running script
    and without the shell's PYTHONPATH (neither is the job's)."""
    shell = {os.path.abspath(p) for p in (os.environ.get("PYTHONPATH") or "").split(os.pathsep) if p}
    return [p for p in sys.path[1:] if p and os.path.abspath(p) not in shell]


def _find_module(name: str, first: list[str]):  # -> ModuleSpec | None
    """The spec of module ``name`` looked for in ``first``, then in the installed
    packages; parent packages are found, never imported."""
    from importlib.machinery import PathFinder

    parts = name.split(".")
    spec = PathFinder.find_spec(parts[0], first + _installed_path())
    if spec is None:
        for finder in sys.meta_path:  # editable installs and other import hooks
            if finder is PathFinder or getattr(finder, "__name__", "") == "PathFinder":
                continue
            find = getattr(finder, "find_spec", None)
            try:
                spec = find(parts[0], None) if find is not None else None
            except Exception:
                spec = None
            if spec is not None:
                break
    for depth in range(1, len(parts)):
        if spec is None or not spec.submodule_search_locations:
            return None
        spec = PathFinder.find_spec(".".join(parts[: depth + 1]), list(spec.submodule_search_locations))
    return spec


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
