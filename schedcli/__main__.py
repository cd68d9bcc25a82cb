"""``python -m schedcli`` and the ``schedcli`` console script."""

from __future__ import annotations

import sys


def main() -> None:
    from schedcli.cli.cron_fastpath import try_run_due

    code = try_run_due(sys.argv[1:])
    if code is not None:
        sys.exit(code)
    from schedcli.cli import gc_pause

    gc_pause.pause()  # resumed when the command's own code starts (schedcli.cli.gc_pause)
    from schedcli.cli.app import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
