"""Child-process entry point that runs one collector: ``python -m schedcli.services.collector_host REF``.

Exit codes: 0 success, 3 warning (CollectorWarning), 1 error (any other exception).
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
    try:
        func = resolve(argv[0])
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
