"""Every command, every malformed value: exit 2, one ``Error:`` line, no traceback, database unchanged."""

from __future__ import annotations

import pytest

BAD = [
    # add: schedules
    ["add", "n", "--cron", "* * * *", "--", "true"],
    ["add", "n", "--cron", "* * * * * *", "--", "true"],
    ["add", "n", "--cron", "60 * * * *", "--", "true"],
    ["add", "n", "--cron", "0 24 * * *", "--", "true"],
    ["add", "n", "--cron", "0 0 0 * *", "--", "true"],
    ["add", "n", "--cron", "0 0 * 13 *", "--", "true"],
    ["add", "n", "--cron", "0 0 * * 8", "--", "true"],
    ["add", "n", "--cron", "0 0 31 2 *", "--", "true"],
    ["add", "n", "--cron", "*/0 * * * *", "--", "true"],
    ["add", "n", "--cron", "٣ * * * *", "--", "true"],
    ["add", "n", "--cron", "@rebooted", "--", "true"],
    ["add", "n", "--cron", "@reboot", "--jitter", "1m", "--", "true"],
    ["add", "n", "--every", "1h", "--jitter", "1", "--", "true"],
    ["add", "n", "--cron", "", "--", "true"],
    ["add", "n", "--every", "0s", "--", "true"],
    ["add", "n", "--every", "-5m", "--", "true"],
    ["add", "n", "--every", "5", "--", "true"],
    ["add", "n", "--every", "5 m", "--", "true"],
    ["add", "n", "--every", "５m", "--", "true"],
    ["add", "n", "--every", "", "--", "true"],
    ["add", "n", "--at", "2026-13-01T09:00", "--", "true"],
    ["add", "n", "--at", "next tuesday", "--", "true"],
    ["add", "n", "--at", "2000-01-01T00:00Z", "--", "true"],
    ["add", "n", "--at", "2099-03-08T02:30", "--tz", "America/New_York", "--", "true"],
    ["add", "n", "--every", "5m", "--tz", "Not/AZone", "--", "true"],
    ["add", "n", "--every", "5m", "--tz", "", "--", "true"],
    ["add", "n", "--every", "5m", "--tz", "../../etc/passwd", "--", "true"],
    ["add", "n", "--every", "5m", "--cron", "* * * * *", "--", "true"],
    ["add", "n", "--", "true"],
    # add: other options
    ["add", "bad name", "--every", "5m", "--", "true"],
    ["add", "-x", "--every", "5m", "--", "true"],
    ["add", "n" * 65, "--every", "5m", "--", "true"],
    ["add", "nämé", "--every", "5m", "--", "true"],
    ["add", "keep", "--every", "5m", "--", "true"],  # duplicate
    ["add", "n", "--every", "5m"],  # nothing to run
    ["add", "n", "--every", "5m", "--env", "NOEQUALS", "--", "true"],
    ["add", "n", "--every", "5m", "--env", "=v", "--", "true"],
    ["add", "n", "--every", "5m", "--env", "1A=v", "--", "true"],
    ["add", "n", "--every", "5m", "--param", "k=v", "--", "true"],
    ["add", "n", "--every", "5m", "--collector", "demo-ok", "--param", "novalue"],
    ["add", "n", "--every", "5m", "--collector", "not-registered"],
    ["add", "n", "--every", "5m", "--collector", "no_such_mod:f"],
    ["add", "n", "--every", "5m", "--collector", "demo-ok", "--", "true"],
    ["add", "n", "--every", "5m", "--timeout", "forever", "--", "true"],
    ["add", "n", "--every", "5m", "--grace", "0m", "--", "true"],
    ["add", "n", "--every", "5m", "--retry-delay", "x", "--", "true"],
    ["add", "n", "--every", "5m", "--retries", "-1", "--", "true"],
    ["add", "n", "--every", "5m", "--retries", "many", "--", "true"],
    ["add", "n", "--every", "5m", "--overlap", "queue", "--", "true"],
    ["add", "n", "--every", "5m", "--catch-up", "some", "--", "true"],
    ["add", "n", "--every", "5m", "--cwd", "relative/dir", "--", "true"],
    ["add", "--every", "5m"],
    ["add"],
    # edit
    ["edit", "missing", "--every", "5m"],
    ["edit", "keep", "--cron", "61 * * * *"],
    ["edit", "keep", "--every", "0s"],
    ["edit", "keep", "--tz", "Mars/Base"],
    ["edit", "keep", "--env", "X"],
    ["edit", "keep", "--timeout", "1h", "--no-timeout"],
    ["edit", "keep", "--at", "yesterday"],
    ["edit", "keep", "--overlap", "maybe"],
    ["edit"],
    # single-job commands
    *[[cmd, "missing"] for cmd in ("show", "rm", "enable", "disable", "toggle", "run")],
    *[[cmd, "bad name!"] for cmd in ("show", "rm", "enable", "disable", "toggle", "run")],
    *[[cmd] for cmd in ("show", "rm", "enable", "disable", "toggle", "run")],
    # running
    ["run-due", "--now", "noon"],
    ["run-due", "--now", "2026-02-30T10:00"],
    ["run-due", "--max-parallel", "0"],
    ["run-due", "--max-parallel", "lots"],
    ["watch", "--max-parallel", "0"],
    # history and logs
    ["history", "missing"],
    ["history", "--status", "great"],
    ["history", "--limit", "0"],
    ["history", "--limit", "ten"],
    ["history", "--before", "x"],
    ["logs", "abc"],
    ["logs", "424242"],
    ["logs"],
    # next
    ["next", "--cron", "bad cron"],
    ["next", "--cron", "0 0 30 2 *"],
    ["next", "--every", "0h"],
    ["next", "--cron", "* * * * *", "--tz", "Nowhere/Town"],
    ["next", "--after", "soon"],
    ["next", "--count", "0"],
    ["next", "missing"],
    ["next", "keep", "--cron", "* * * * *"],
    # prune
    ["prune"],
    ["prune", "--older-than", "old"],
    ["prune", "--keep", "-3"],
    ["prune", "--job", "missing", "--keep", "1"],
    # unknown things
    ["frobnicate"],
    ["list", "--bogus"],
    ["list", "extra-arg"],
]


def _snapshot(db_path):
    wal = db_path.with_name(db_path.name + "-wal")
    return db_path.read_bytes(), wal.read_bytes() if wal.exists() else None


@pytest.fixture
def seeded(cli, db_path):
    assert cli("add", "keep", "--every", "1h", "--", "true").exit_code == 0
    return _snapshot(db_path)


@pytest.mark.parametrize("argv", BAD, ids=lambda a: " ".join(a)[:60] or "empty")
def test_bad_input_in_process(cli, db_path, seeded, argv):
    r = cli(*argv)
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    assert r.stderr.startswith("Error: "), r.stderr
    assert r.stderr.count("\n") == 1, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    assert r.stdout == ""
    assert _snapshot(db_path) == seeded


@pytest.mark.parametrize("argv", BAD[::9], ids=lambda a: " ".join(a)[:60] or "empty")
def test_bad_input_real_entry_point(sh, db_path, seeded, argv):
    r = sh(*argv)
    assert r.exit_code == 2, (r.exit_code, r.stdout, r.stderr)
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1, r.stderr
    assert _snapshot(db_path) == seeded
