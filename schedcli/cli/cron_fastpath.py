"""The quick path for the system cron: ``run-due`` without Typer, rich or pydantic.

Cron starts ``schedcli run-due`` every minute. Importing the full command line
(Typer, which loads pydantic for its parameters, and rich) costs more than the
work itself, so this module reads ``run-due``'s options from the same
definitions (:mod:`schedcli.cli.options`) and drives the same engine. When nothing
is due it answers from one indexed query. Anything it does not handle — an
option it does not know, a value it cannot read, ``--dry-run`` (a table),
``--help``, a database that does not exist yet — goes to the full command line
(it returns ``None``), which then gives the usual help and error messages.
"""

from __future__ import annotations

import sys

from schedcli.cli import options as opts


def parse(argv: list[str]) -> dict[str, object] | None:
    """``[--db PATH] run-due [--now WHEN] [--max-parallel N] [--json]`` -> values, else None."""
    values: dict[str, object] = {"db": None, "json": False, "now": None, "max_parallel": None}
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
        name, eq, inline = arg.partition("=")
        if arg == opts.JSON.name:
            values["json"] = True
        elif name in (opts.NOW.name, opts.MAX_PARALLEL.name):
            if eq:
                value = inline
            elif args:
                value = args.pop(0)
            else:
                return None
            if name == opts.NOW.name:
                if not value[:1].isdigit():
                    return None  # +2h, 'tomorrow 09:00': the full command line reads those
                values["now"] = value
            elif value.isascii() and value.isdigit() and int(value) >= 1:
                values["max_parallel"] = int(value)
            else:
                return None  # the full command line explains what is wrong
        else:
            return None  # --dry-run, --help, unknown options
    return values


def try_run_due(argv: list[str]) -> int | None:
    """Run ``run-due`` here and return its exit code, or None to defer to the full CLI."""
    values = parse(argv)
    if values is None:
        return None
    from schedcli.clock import SystemClock
    from schedcli.store import Store
    from schedcli.errors import SchedError, error_line
    from schedcli.paths import resolve_db_path

    path = resolve_db_path(values["db"])  # type: ignore[arg-type]
    if not path.exists():
        return None
    try:
        store = Store(path, create=False)
    except SchedError:
        return None  # reported by the full command line, with the same message
    try:
        clock = SystemClock()
        if values["now"] is None:
            now = clock.now()
            now_s = int(now.timestamp())
            from schedcli.boot import current_boot

            if not store.has_due(now_s) and not store.has_running() and not store.clock_went_back(now_s) \
                    and not store.has_due_at_boot(current_boot()):
                from schedcli.schedule import iso

                textfile = metrics_textfile()
                with store.write():
                    store.set_state("last_tick", iso(now, millis=True) or "")
                if values["json"]:
                    sys.stdout.write("[]\n")
                refresh_metrics(store, textfile, now.timestamp())
                return 0
        return _tick(store, values)
    except SchedError as exc:
        sys.stdout.flush()
        sys.stderr.write(error_line(exc.message))
        return exc.exit_code
    finally:
        store.close()


def _tick(store, values: dict[str, object]) -> int:
    from schedcli import config
    from schedcli.engine import configured_engine
    from schedcli.cli.signals import StopOnSignal
    from schedcli.process import prepare_runner

    prepare_runner()  # this runner adopts its jobs' orphans and catches the signals it ignores
    when = None
    if values["now"] is not None:
        from schedcli.schedule import local_zone_name, parse_when

        when = parse_when(str(values["now"]), local_zone_name())
    settings = config.load()
    engine = configured_engine(store, settings, values["max_parallel"])  # type: ignore[arg-type]
    engine.on_warning = warn_on_stderr
    with StopOnSignal(engine.stop.set) as signals:
        result = engine.tick(when)
    code = report_tick(result, bool(values["json"]), signals.exit_code())
    refresh_metrics(store, settings.metrics_textfile, engine.clock.now().timestamp())
    return code


def metrics_textfile():
    """The ``metrics_textfile`` setting (a Path), or None. The configuration is read in full
    (:mod:`schedcli.config`, whose imports cost more than this whole path) only when its
    file mentions the key; a missing or unreadable file is no setting here."""
    from schedcli.paths import config_file

    path = config_file()
    try:
        with open(path, "rb") as fh:
            if b"metrics_textfile" not in fh.read():
                return None
    except OSError:
        return None
    from schedcli import config

    return config.load(path).metrics_textfile


def refresh_metrics(store, textfile, now: float) -> None:
    """After a ``run-due`` tick, with ``metrics_textfile`` set: rewrite that file (loading
    ``prometheus_client`` only then). A failure is one warning line, never the tick's."""
    if textfile is None:
        return
    from schedcli.errors import SchedError
    from schedcli.services.metrics import refresh_textfile

    try:
        refresh_textfile(store, textfile, now)
    except SchedError as exc:
        warn_on_stderr(f"metrics textfile not written: {exc.message}")


def log_stamp(ts: float) -> str:
    """The ISO 8601 time a log line starts with, in the machine's zone with its offset."""
    from datetime import datetime

    return datetime.fromtimestamp(ts).astimezone().isoformat(timespec="seconds")


def warn_on_stderr(text: str) -> None:
    """What a runner's engine has to say beside its runs: one line on stderr, stamped."""
    import time

    sys.stderr.write(f"{log_stamp(time.time())} schedcli: {text}\n")
    sys.stderr.flush()


def report_tick(result, as_json: bool, signal_code: int | None, now: float | None = None) -> int:
    """Print a tick's runs (JSON document, or one line each starting with the time the run
    ended, for cron's log) and return run-due's exit code. Shared by this path and the full
    command line; ``now`` (default: the clock now) stamps runs that did not end (missed)."""
    from schedcli.serialize import run_dict, run_summary

    if as_json:
        import json

        sys.stdout.write(json.dumps([run_dict(r) for r in result.runs], indent=2, ensure_ascii=False) + "\n")
    else:
        if now is None:
            import time

            now = time.time()
        for run in result.runs:
            sys.stdout.write(f"{log_stamp(run.finished_at or now)} {run_summary(run)}\n")
    sys.stdout.flush()
    if signal_code is not None:
        return signal_code
    return 0 if result.ok else 1
