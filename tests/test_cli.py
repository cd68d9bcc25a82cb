"""The command line, in-process and through the real entry point."""

from __future__ import annotations

import json
import os
import stat

import pytest

from schedcli.cli.app import app

T0 = "2099-12-01T09:00:00Z"


def test_help_lists_every_command(cli):
    r = cli("--help", db=None)
    assert r.exit_code == 0
    for name in ("add", "edit", "list", "show", "rm", "enable", "disable", "toggle", "run",
                 "run-due", "watch", "history", "logs", "next", "collectors"):
        assert name in r.stdout


def test_every_command_has_help_text():
    import typer.main

    group = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert command.help and command.help.strip(), f"{name} has no help text"
        for param in command.params:
            if param.name in ("ctx",):
                continue
            assert getattr(param, "help", None), f"{name} {param.name} has no help"


def test_version(cli):
    r = cli("--version", db=None)
    assert r.exit_code == 0
    assert r.stdout.startswith("schedcli ")


def test_add_list_show_json(cli):
    r = cli("add", "hello", "--every", "5m", "--tz", "Europe/Paris", "--description", "say hi",
            "--env", "A=1", "--json", "--", "echo", "hi")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert doc["name"] == "hello"
    assert doc["schedule"] == "5m" and doc["schedule_kind"] == "every"
    assert doc["timezone"] == "Europe/Paris"
    assert doc["command"] == ["echo", "hi"]
    assert doc["env"] == {"A": "1"}
    assert doc["enabled"] is True and doc["last_status"] is None
    assert doc["next_run_at"].endswith("Z")

    listed = cli("list", "--json").json()
    assert [j["name"] for j in listed] == ["hello"]
    for key in ("name", "schedule", "timezone", "enabled", "command", "collector",
                "next_run_at", "last_run_at", "last_status"):
        assert key in listed[0]

    shown = cli("show", "hello", "--json").json()
    assert shown["description"] == "say hi"
    assert shown["recent_runs"] == []

    text = cli("list")
    assert text.exit_code == 0
    assert "hello" in text.stdout and "every 5m" in text.stdout


def test_default_zone_is_stored_explicitly(cli):
    cli("add", "j", "--cron", "0 9 * * *", "--", "true")
    assert cli("show", "j", "--json").json()["timezone"] == "UTC"  # TZ=UTC in tests


def test_add_duplicate_name_exit_2(cli):
    assert cli("add", "a", "--every", "1m", "--", "true").exit_code == 0
    r = cli("add", "a", "--every", "1m", "--", "true")
    assert r.exit_code == 2
    assert r.stderr == ("Error: a job named 'a' already exists: change it with schedcli edit a, "
                        "or replace jobs from a file with schedcli import --replace FILE\n")


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--cron", "61 * * * *"], "cron"),
        (["--cron", "0 0 31 2 *"], "never"),
        (["--every", "0s"], "duration"),
        (["--every", "-5m"], "duration"),
        (["--every", "soon"], "duration"),
        (["--at", "tomorrow"], "invalid time"),
        (["--every", "5m", "--tz", "Mars/Olympus"], "unknown time zone"),
        (["--every", "5m", "--env", "NOEQUALS"], "KEY=VALUE"),
        (["--every", "5m", "--timeout", "abc"], "--timeout"),
        (["--every", "5m", "--cron", "* * * * *"], "only one"),
        ([], "give a schedule"),
        (["--every", "5m", "--overlap", "sometimes"], "overlap"),
    ],
)
def test_add_bad_input(cli, db_path, args, fragment):
    cli("add", "keep", "--every", "1h", "--", "true")
    before = db_path.read_bytes()
    r = cli("add", "new", *args, "--", "true")
    assert r.exit_code == 2, r.stdout + r.stderr
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1
    assert fragment.lower() in r.stderr.lower()
    assert "Traceback" not in r.stderr
    assert db_path.read_bytes() == before


def test_add_without_command(cli):
    r = cli("add", "x", "--every", "5m")
    assert r.exit_code == 2
    assert "what to run" in r.stderr


def test_bad_job_name(cli):
    r = cli("add", "bad name!", "--every", "5m", "--", "true")
    assert r.exit_code == 2
    assert "invalid job name" in r.stderr


def test_unknown_job(cli):
    for cmd in (["show", "nope"], ["rm", "nope"], ["enable", "nope"], ["run", "nope"],
                ["history", "nope"], ["next", "nope"], ["edit", "nope", "--every", "5m"]):
        r = cli(*cmd)
        assert r.exit_code == 2, cmd
        assert r.stderr == "Error: no job named 'nope' (see: schedcli list)\n", cmd


def test_enable_disable_toggle(cli):
    cli("add", "j", "--every", "10m", "--disabled", "--", "true")
    assert cli("show", "j", "--json").json()["enabled"] is False
    assert cli("enable", "j", "--json").json()["enabled"] is True
    assert cli("disable", "j", "--json").json()["enabled"] is False
    assert cli("toggle", "j", "--json").json()["enabled"] is True
    assert cli("toggle", "j", "--json").json()["enabled"] is False
    assert "disabled" in cli("toggle", "j").stdout or True


def test_edit_changes_only_given_fields(cli):
    cli("add", "j", "--cron", "0 9 * * *", "--timeout", "5m", "--env", "A=1", "--", "echo", "a")
    doc = cli("edit", "j", "--every", "2h", "--json").json()
    assert doc["schedule"] == "2h" and doc["schedule_kind"] == "every"
    assert doc["timeout_s"] == 300 and doc["env"] == {"A": "1"} and doc["command"] == ["echo", "a"]
    doc = cli("edit", "j", "--no-timeout", "--json", "--", "echo", "b").json()
    assert doc["timeout_s"] is None and doc["command"] == ["echo", "b"]


def test_rm(cli):
    cli("add", "j", "--every", "10m", "--", "true")
    cli("run", "j")
    r = cli("rm", "j", "--json")
    assert r.json() == {"removed": "j", "runs_removed": 1}
    assert cli("list", "--json").json() == []


def test_run_success_prints_output(cli):
    cli("add", "hi", "--every", "1h", "--", "echo hello; echo oops >&2")
    r = cli("run", "hi")
    assert r.exit_code == 0
    assert "hello" in r.stdout and "oops" in r.stdout
    assert "success" in r.stderr


def test_run_failure_exit_1_json(cli):
    cli("add", "bad", "--every", "1h", "--", "sh", "-c", "echo failing; exit 3")
    r = cli("run", "bad", "--json")
    assert r.exit_code == 1
    doc = r.json()
    assert doc["status"] == "error" and doc["exit_code"] == 3 and doc["trigger"] == "manual"
    assert doc["output"] == "failing\n"
    for key in ("id", "job", "trigger", "scheduled_for", "started_at", "finished_at", "duration_s",
                "status", "exit_code"):
        assert key in doc


def test_history_and_logs(cli):
    cli("add", "a", "--every", "1h", "--", "echo from-a")
    cli("add", "b", "--every", "1h", "--", "false")
    cli("run", "a")
    cli("run", "b")
    cli("run", "a")
    runs = cli("history", "--json").json()
    assert [r["job"] for r in runs] == ["a", "b", "a"]
    assert runs[0]["id"] > runs[1]["id"] > runs[2]["id"]
    only_b = cli("history", "b", "--json").json()
    assert [r["status"] for r in only_b] == ["error"]
    errors = cli("history", "--status", "error", "--json").json()
    assert [r["job"] for r in errors] == ["b"]
    assert len(cli("history", "--limit", "1", "--json").json()) == 1
    page2 = cli("history", "--before", str(runs[0]["id"]), "--json").json()
    assert [r["id"] for r in page2] == [runs[1]["id"], runs[2]["id"]]
    logs = cli("logs", str(runs[0]["id"]))
    assert logs.exit_code == 0 and logs.stdout == "from-a\n"
    assert cli("logs", "999").exit_code == 2
    assert cli("history", "--status", "bogus").exit_code == 2


def test_next_for_expression(cli):
    r = cli("next", "--cron", "0 9 * * 1-5", "--tz", "UTC", "--after", "2026-12-04T10:00Z",
            "--count", "3", "--json", db=None)
    assert r.exit_code == 0, r.stderr
    assert r.json() == [
        {"job": None, "at": "2026-12-07T09:00:00Z"},
        {"job": None, "at": "2026-12-08T09:00:00Z"},
        {"job": None, "at": "2026-12-09T09:00:00Z"},
    ]


def test_next_expression_in_zone(cli):
    r = cli("next", "--cron", "30 8 * * *", "--tz", "America/New_York", "--after",
            "2026-12-01T00:00Z", "--json", db=None)
    assert r.json() == [{"job": None, "at": "2026-12-01T13:30:00Z"}]


def test_next_invalid_expression_exit_2(cli):
    for args in (["--cron", "* * *"], ["--cron", "0 0 30 2 *"], ["--every", "0m"],
                 ["--cron", "* * * * *", "--tz", "Nowhere/City"]):
        r = cli("next", *args, db=None)
        assert r.exit_code == 2, args
        assert r.stderr.startswith("Error: ")


def test_next_for_jobs_sorted(cli):
    cli("add", "daily", "--cron", "0 12 * * *", "--", "true")
    cli("add", "often", "--every", "1m", "--", "true")
    items = cli("next", "--json", "--count", "2").json()  # the next 2 of all jobs together
    assert len(items) == 2 and {i["job"] for i in items} == {"often"}
    items = cli("next", "--json", "--count", "2000").json()  # more than a day of "often"
    assert len(items) == 2000
    assert [i["at"] for i in items] == sorted(i["at"] for i in items)
    assert {i["job"] for i in items} == {"daily", "often"}


def test_run_due_now_and_dry_run(cli):
    cli("add", "j", "--at", "2099-12-01T09:00Z", "--", "echo once")
    # add with --at in the future relative to real time: run with --now at that time
    dry = cli("run-due", "--now", T0, "--dry-run", "--json")
    assert dry.exit_code == 0
    assert dry.json() == [{"job": "j", "scheduled_for": T0, "action": "run", "detail": ""}]
    assert cli("history", "--json").json() == []
    r = cli("run-due", "--now", T0, "--json")
    assert r.exit_code == 0, r.stderr
    runs = r.json()
    assert [(x["job"], x["status"], x["scheduled_for"], x["trigger"]) for x in runs] == [
        ("j", "success", T0, "schedule")
    ]
    again = cli("run-due", "--now", T0, "--json")
    assert again.json() == []
    shown = cli("show", "j", "--json").json()
    assert shown["finished"] is True and shown["next_run_at"] is None
    assert "finished" in cli("list").stdout


def test_run_due_bad_now(cli):
    r = cli("run-due", "--now", "yesterday")
    assert r.exit_code == 2 and r.stderr.startswith("Error: invalid time")


def test_missing_required_argument_one_line(cli):
    r = cli("add")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1


def test_unknown_option_one_line(cli):
    r = cli("list", "--bogus")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1


def test_reading_commands_do_not_create_the_database(cli, tmp_path):
    target = tmp_path / "absent" / "s.db"
    for args in (["list", "--json"], ["history", "--json"], ["next", "--json"]):
        r = cli(*args, db=target)
        assert r.exit_code == 0 and r.json() == []
    assert cli("show", "x", db=target).exit_code == 2
    assert not target.exists() and not target.parent.exists()


def test_db_created_private(cli, tmp_path):
    target = tmp_path / "new" / "dir" / "s.db"
    r = cli("add", "j", "--every", "1h", "--", "true", db=target)
    assert r.exit_code == 0
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(target.parent).st_mode) == 0o700


def test_default_db_location_xdg(cli, tmp_path):
    r = cli("add", "j", "--every", "1h", "--", "true", db=None)
    assert r.exit_code == 0
    assert (tmp_path / "xdg-data" / "schedcli" / "schedcli.db").exists()


def test_env_var_db(cli, tmp_path, monkeypatch):
    target = tmp_path / "envdb" / "x.db"
    monkeypatch.setenv("SCHEDCLI_DB", str(target))
    assert cli("add", "j", "--every", "1h", "--", "true", db=None).exit_code == 0
    assert target.exists()


def test_real_entry_point(sh):
    r = sh("add", "e", "--every", "1h", "--json", "--", "echo", "real")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["command"] == ["echo", "real"]
    r = sh("run", "e")
    assert r.exit_code == 0 and r.stdout == "real\n"
    r = sh("add", "e", "--every", "1h", "--", "true")
    assert r.exit_code == 2 and r.stderr.startswith("Error: a job named 'e' already exists: change it with")
    r = sh("next", "--cron", "not a cron")
    assert r.exit_code == 2 and r.stderr.startswith("Error: ") and "Traceback" not in r.stderr


def test_console_script(tmp_path, db_path):
    import shutil
    import subprocess
    import sys

    exe = shutil.which("schedcli", path=os.path.dirname(sys.executable))
    assert exe, "the schedcli console script is installed next to the interpreter"
    p = subprocess.run([exe, "--db", str(db_path), "list", "--json"], capture_output=True, text=True)
    assert p.returncode == 0 and json.loads(p.stdout) == []


def _pty_run(argv, env):
    """Run a command on a pseudo-terminal (so that it believes it talks to a person)."""
    import pty
    import subprocess

    leader, follower = pty.openpty()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, env=env)
        os.close(follower)
        chunks = []
        while True:
            try:
                data = os.read(leader, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not data:
                break
            chunks.append(data)
        proc.wait(timeout=60)
    finally:
        os.close(leader)
    return b"".join(chunks).decode("utf-8", "replace")


def test_no_color_and_plain_text(db_path, sh):
    import sys

    assert sh("add", "j", "--every", "1h", "--", "true").exit_code == 0
    assert sh("run", "j").exit_code == 0
    argv = [sys.executable, "-m", "schedcli", "--db", str(db_path), "list"]
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env["TERM"] = "xterm-256color"
    coloured = _pty_run(argv, env)
    assert "\x1b[" in coloured and "success" in coloured
    plain = _pty_run(argv, {**env, "NO_COLOR": "1"})
    assert "success" in plain and "\x1b[3" not in plain  # no colour codes
    piped = sh("list")
    assert "\x1b[" not in piped.stdout and "success" in piped.stdout
    again = sh("list").stdout  # stable, apart from the times relative to now (LEFT, PASSED)
    assert [(ln.split()[0], ln.split()[-1]) for ln in again.splitlines()] == [
        (ln.split()[0], ln.split()[-1]) for ln in piped.stdout.splitlines()]


DATA_COMMANDS = ["add", "edit", "list", "show", "rm", "enable", "disable", "toggle", "run", "run-due",
                 "history", "logs", "next", "prune", "collectors", "status", "health", "stats", "import"]


def test_json_on_every_command_that_prints_data():
    import typer.main

    group = typer.main.get_command(app)
    for name in DATA_COMMANDS:
        options = {opt for p in group.commands[name].params for opt in getattr(p, "opts", [])}
        assert "--json" in options, name


def test_list_pages_by_name(cli):
    for name in ("c", "a", "d", "b"):
        assert cli("add", name, "--every", "1h", "--", "true").exit_code == 0
    cli("run", "b")
    first = cli("list", "--limit", "2", "--json").json()
    assert [j["name"] for j in first] == ["a", "b"]
    assert first[1]["last_status"] == "success" and first[1]["last_run_at"].endswith("Z")
    second = cli("list", "--limit", "2", "--after", "b", "--json").json()
    assert [j["name"] for j in second] == ["c", "d"]
    assert cli("list", "--after", "d", "--json").json() == []
    assert cli("list", "--limit", "0").exit_code == 2


QUICK_PROBE = r"""
import json, sys
sys.argv = ["schedcli", "--db", sys.argv[1], "run-due", "--now", sys.argv[2], "--json"]
from schedcli.__main__ import main
try:
    main()
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in ("typer", "rich", "pydantic", "sqlite_utils", "croniter") if m in sys.modules)
print(json.dumps({"code": code, "heavy": heavy}), file=sys.stderr)
"""


def test_run_due_runs_jobs_without_loading_the_full_command_line(db_path, sh):
    import subprocess
    import sys

    assert sh("add", "q", "--at", "2099-12-01T09:00Z", "--", "echo quick").exit_code == 0
    p = subprocess.run([sys.executable, "-c", QUICK_PROBE, str(db_path), "2099-12-01T09:00:30Z"],
                       capture_output=True, text=True, timeout=60)
    report = json.loads(p.stderr.strip().splitlines()[-1])
    assert report == {"code": 0, "heavy": []}
    [run] = json.loads(p.stdout)
    assert run["job"] == "q" and run["status"] == "success"
    # and the same command through the full command line gives the same document shape
    again = sh("run-due", "--now", "2099-12-01T09:00:40Z", "--json", "--max-parallel", "2")
    assert again.exit_code == 0 and again.json() == []



NO_LAZY_MODULES = r"""
import sys, types
import schedcli.cli.app
schedcli.cli.app.app  # the whole command tree
print(sorted(n for n, m in sys.modules.items() if n.startswith("schedcli") and type(m) is not types.ModuleType))
"""


def test_no_module_is_loaded_lazily():
    """importlib.util.LazyLoader is not thread-safe: under watch, runs finishing at once in
    worker threads saw a half-loaded renderer ("module 'schedcli.cli.render' has no attribute
    'run_summary'"). Modules are imported plainly, inside the functions that need them."""
    import subprocess
    import sys

    p = subprocess.run([sys.executable, "-c", NO_LAZY_MODULES], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "[]"
