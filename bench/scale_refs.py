#!/usr/bin/env python3
"""References of the "scale" section, each a whole process run with the same venv's python.

    scale_refs.py typer-app --name NAME --limit N --json   a minimal Typer app: one command, three options
    scale_refs.py sqlite-json DB                           plain sqlite3: every job row, json.dumps, print
"""

import sys


def typer_app(argv: list[str]) -> None:
    import json

    import typer

    app = typer.Typer(add_completion=False)

    @app.command()
    def main(
        name: "str | None" = typer.Option(None, "--name", help="A name."),
        limit: int = typer.Option(10, "--limit", help="How many."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        doc = {"name": name, "limit": limit}
        print(json.dumps(doc) if json_out else f"{name} {limit}")

    app(argv, prog_name="typer-app")


def sqlite_json(path: str) -> None:
    import json
    import sqlite3

    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    rows = [dict(row) for row in conn.execute("SELECT * FROM jobs ORDER BY name")]
    sys.stdout.write(json.dumps(rows) + "\n")


if __name__ == "__main__":
    if sys.argv[1] == "typer-app":
        typer_app(sys.argv[2:])
    elif sys.argv[1] == "sqlite-json":
        sqlite_json(sys.argv[2])
    else:
        raise SystemExit(f"unknown reference {sys.argv[1]!r}")
