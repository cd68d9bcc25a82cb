"""Shared fixtures: a real SQLite file per test, the CLI in-process and as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from schedcli.cli.app import app


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    def json(self):
        return json.loads(self.stdout)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    return home / "schedcli.db"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.delenv("SCHEDCLI_DB", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    # Nothing of the host's terminal or locale reaches the output under test.
    for name in ("COLUMNS", "LINES", "FORCE_COLOR", "LANGUAGE", "LC_ALL", "LC_CTYPE", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def cli(db_path: Path):
    """Run the CLI in-process against ``db_path``."""
    runner = CliRunner()

    def invoke(*args: str, db: Path | None = db_path) -> Result:
        argv = (["--db", str(db)] if db is not None else []) + list(args)
        r = runner.invoke(app, argv)
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            raise r.exception
        return Result(r.exit_code, r.stdout, r.stderr)

    return invoke


@pytest.fixture
def sh(db_path: Path):
    """Run the real entry point, ``python -m schedcli``, as a subprocess."""

    def run(*args: str, db: Path | None = db_path, env: dict | None = None, timeout: float = 60) -> Result:
        argv = [sys.executable, "-m", "schedcli"] + (["--db", str(db)] if db is not None else []) + list(args)
        full_env = dict(os.environ)
        full_env.update(env or {})
        p = subprocess.run(argv, capture_output=True, text=True, env=full_env, timeout=timeout, stdin=subprocess.DEVNULL)
        return Result(p.returncode, p.stdout, p.stderr)

    return run


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)
