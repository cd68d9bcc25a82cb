"""The quick path for the system cron: ``run-due`` when nothing is due.

Cron starts ``schedcli run-due`` every minute, and most minutes nothing is due.
This path answers that case with the standard library and one indexed query,
without importing Typer, rich, croniter or sqlite-utils. Whenever there is
anything to do (a due job, a run to recover, an option it does not handle, an
error to report) it returns ``None`` and the full command line takes over, so
every behaviour and every error message has one implementation.
"""

from __future__ import annotations

from . import options as opts


def parse(argv: list[str]) -> dict[str, object] | None:
    """``[--db PATH] run-due [--max-parallel N] [--json]`` -> values, else None."""
    values: dict[str, object] = {"db": None, "json": False}
    args = list(argv)
    while args and args[0] != "run-due":
        arg = args.pop(0)
        if arg == opts.DB.name and args:
            values["db"] = args.pop(0)
        elif arg.startswith(opts.DB.name + "="):
            values["db"] = arg.split("=", 1)[1]
        else:
            return None
    if not args:
        return None
    args.pop(0)
    while args:
        arg = args.pop(0)
        if arg == opts.JSON.name:
            values["json"] = True
        elif arg == opts.MAX_PARALLEL.name and args and args[0].isdigit() and int(args[0]) >= 1:
            args.pop(0)  # a limit on parallel runs changes nothing when nothing runs
        else:
            return None  # --now, --dry-run, --help, bad values...: the full command line
    return values


def try_run_due(argv: list[str]) -> int | None:
    """Handle a nothing-due ``run-due``; return its exit code, or None to defer."""
    values = parse(argv)
    if values is None:
        return None
    from .clock import SystemClock
    from .db import Store
    from .errors import SchedError
    from .paths import resolve_db_path
    from .times import iso

    path = resolve_db_path(values["db"])  # type: ignore[arg-type]
    if not path.exists():
        return None
    try:
        store = Store(path, create=False)
    except SchedError:
        return None
    try:
        now = SystemClock().now()
        if store.has_due(int(now.timestamp())) or store.has_running():
            return None
        with store.write():
            store.set_state("last_tick", iso(now, millis=True) or "")
    except SchedError:
        return None
    finally:
        store.close()
    if values["json"]:
        print("[]")
    return 0
