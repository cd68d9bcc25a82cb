"""Child-process entry point that runs one collector: ``python -m schedcli.services.collector_host REF``.

Exit codes: 0 success, 3 warning (CollectorWarning), 1 error (any other exception, or a
collector that cannot be loaded: then one line says why).  The job's directory is on the
module path, as ``python -m`` puts it there.
"""

from __future__ import annotations

import json
import os
import sys
import traceback

from schedcli.collectors import CONTEXT_ENV, WARNING_EXIT_CODE, CollectorContext, CollectorWarning
from schedcli.services.collectors import resolve


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m schedcli.services.collector_host REF", file=sys.stderr)
        return 2
    raw = json.loads(os.environ.get(CONTEXT_ENV, "{}"))
    ctx = CollectorContext(
        job=raw.get("job", ""),
        run_id=int(raw.get("run_id", 0)),
        scheduled_for=raw.get("scheduled_for", ""),
        trigger=raw.get("trigger", "manual"),
        attempt=int(raw.get("attempt", 1)),
        params=dict(raw.get("params", {})),
    )
    if os.getcwd() not in sys.path:  # the job's directory, even under PYTHONSAFEPATH
        sys.path.insert(0, os.getcwd())
    try:
        func = resolve(argv[0])
    except (ImportError, AttributeError, LookupError, SyntaxError) as exc:
        print(f"schedcli: cannot load collector {argv[0]!r}: {load_error(argv[0], exc)}", flush=True)
        return 1
    try:
        result = func(ctx)
    except CollectorWarning as exc:
        print(f"warning: {exc}", flush=True)
        return WARNING_EXIT_CODE
    except Exception:
        traceback.print_exc(file=sys.stdout)
        sys.stdout.flush()
        return 1
    if result is not None:
        print(result if isinstance(result, str) else json.dumps(result, default=str), flush=True)
    return 0


def load_error(ref: str, exc: BaseException) -> str:
    """Why a collector could not be loaded, in one line."""
    module = ref.partition(":")[0]
    if isinstance(exc, ModuleNotFoundError) and exc.name and module.startswith(exc.name):
        path = os.environ.get("PYTHONPATH")
        where = f"{os.getcwd()}" + (f" or PYTHONPATH={path}" if path else "")
        return (f"no module named {exc.name!r} in {where} or the installed packages "
                "(give the job the directory that holds it: --cwd DIR or --env PYTHONPATH=DIR)")
    if isinstance(exc, SyntaxError):
        return f"SyntaxError in {exc.filename}, line {exc.lineno}: {exc.msg}"
    if isinstance(exc, AttributeError) and ":" in ref:
        return f"module {module!r} has no {ref.partition(':')[2]!r}"
    return f"{type(exc).__name__}: {exc}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
