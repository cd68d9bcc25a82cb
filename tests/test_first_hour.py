"""A new user's first hour: 80 columns on a real terminal (a pty), errors in schedcli's own
words, cron's environment, and the housekeeping around them.

Hermetic: jobs run programs from a bin directory made here, the crontab is a fake one
(``$SCHEDCLI_CRONTAB``), the terminal is a pty of a known size, TZ is UTC (conftest).
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import pty
import re
import select
import shlex
import struct
import subprocess
import sys
import termios
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"


def _entry(db: Path) -> list[str]:
    return [sys.executable, "-m", "schedcli", "--db", str(db)]


def _width(text: str) -> int:
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


class Terminal:
    """A command on a pseudo-terminal of ``columns`` x 24, as a person would see it."""

    def __init__(self, argv: list[str], env: dict, columns: int = 80) -> None:
        self.leader, follower = pty.openpty()
        fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
        self.proc = subprocess.Popen(argv, stdin=follower, stdout=follower, stderr=follower, env=env,
                                     start_new_session=True)
        os.close(follower)
        self.data = b""

    def read_until(self, marker: bytes | None = None, timeout: float = 60) -> bytes:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if marker is not None and marker in self.data:
                return self.data
            ready, _, _ = select.select([self.leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(self.leader, 65536)
                except OSError:  # EIO: the other side is closed
                    chunk = b""
                if not chunk:
                    if marker is None:
                        return self.data
                    break
                self.data += chunk
            elif marker is None and self.proc.poll() is not None:
                continue
        if marker is not None:
            raise AssertionError(f"{marker!r} never came; got {self.data!r}")
        return self.data

    def send(self, text: str) -> None:
        os.write(self.leader, text.encode())

    def finish(self) -> tuple[int, str]:
        self.read_until(None)
        code = self.proc.wait(timeout=60)
        os.close(self.leader)
        return code, ANSI.sub("", self.data.decode("utf-8", "replace")).replace("\r\n", "\n")


def terminal_output(argv: list[str], columns: int = 80, **extra: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "COLUMNS", "LINES")}
    env.update(TERM="xterm-256color", **extra)
    return Terminal(argv, env, columns).finish()


@pytest.fixture
def bindir(tmp_path: Path) -> Path:
    """A directory with a program of our own, ``mytool`` (not on cron's PATH)."""
    d = tmp_path / "mybin"
    d.mkdir()
    tool = d / "mytool"
    tool.write_text("#!/bin/sh\necho mytool ran\n")
    tool.chmod(0o755)
    return d


FAKE_CRONTAB = """#!/bin/sh
f="$FAKE_CRONTAB_FILE"
case "$1" in
  -l) if [ -e "$f" ]; then cat "$f"; else echo "no crontab for you" >&2; exit 1; fi ;;
  -) cat > "$f" ;;
  -r) rm -f "$f" ;;
esac
"""


@pytest.fixture
def fake_crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    program = tmp_path / "fake-crontab"
    program.write_text(FAKE_CRONTAB)
    program.chmod(0o755)
    table = tmp_path / "crontab-table"
    monkeypatch.setenv("SCHEDCLI_CRONTAB", str(program))
    monkeypatch.setenv("FAKE_CRONTAB_FILE", str(table))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    return table


@pytest.fixture
def no_cron(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No crontab program at all (so nothing reads the host's crontab)."""
    monkeypatch.setenv("SCHEDCLI_CRONTAB", str(tmp_path / "no-crontab-here"))


# -- tables for people ---------------------------------------------------------------------

LONG = "curl -fsS https://example.org/a/very/long/path/that/goes/on?and=on&and=on && " + "x" * 20000


@pytest.fixture
def some_jobs(cli, no_cron):
    assert cli("add", "backup", "--cron", "30 2 * * *", "--tz", "Europe/Paris", "--",
               "tar", "czf", "/tmp/etc.tgz", "/etc").exit_code == 0
    assert cli("add", "poll", "--every", "5m", "--", LONG).exit_code == 0
    assert cli("add", "remind", "--at", "+3d", "--", "echo presents").exit_code == 0
    assert cli("add", "report-of-the-month-for-the-board", "--cron", "0 9 1 * *", "--", "true").exit_code == 0
    assert cli("run", "poll").exit_code == 1
    assert cli("run", "report-of-the-month-for-the-board").exit_code == 0


@pytest.mark.parametrize("command", [["list"], ["history"], ["next"], ["stats"]])
def test_tables_fit_80_columns_on_a_terminal_one_line_per_row(db_path, some_jobs, command):
    code, screen = terminal_output(_entry(db_path) + command)
    assert code == 0, screen
    lines = screen.rstrip("\n").split("\n")
    assert all(_width(line) <= 80 for line in lines), "\n".join(l for l in lines if _width(l) > 80)
    rows = {"list": 4, "history": 2, "next": 10, "stats": 4}[command[0]]  # next: the 10 runs due first
    assert len(lines) == 1 + rows + (2 if command == ["stats"] else 0), screen  # header + one line each
    if command == ["list"]:
        # at 80 columns with these jobs, PASSED gives way (the first column to go)
        assert lines[0].split() == ["NAME", "SCHEDULE", "NEXT", "LEFT", "LAST", "STATUS", "COMMAND"]
        poll = next(line for line in lines if line.startswith("poll"))
        assert poll.endswith("…") and "curl -fsS" in poll  # shortened, on its one line
        assert re.search(r"\b\d\d:\d\d\b", poll)  # a short local time
        assert re.search(r"\b\d+m( \d+s)?\b", poll)  # and how long until then
        # a long name gives way too, with … (where depends on how wide today's times are)
        assert re.search(r"^report-of-th[a-z-]*…", screen, re.M) and "report-of-the-month-for-the-board" not in screen


def test_piped_tables_have_no_padding_and_wide_shows_everything(sh, some_jobs):
    piped = sh("list")
    assert piped.exit_code == 0
    lines = piped.stdout.splitlines()
    assert len(lines) == 5 and all(line == line.rstrip() for line in lines)
    assert "\x1b[" not in piped.stdout
    poll = next(line for line in lines if line.startswith("poll"))
    assert LONG not in poll and poll.endswith("…") and len(poll) < 400  # one bounded line
    wide = sh("list", "--wide")
    assert LONG in wide.stdout and len(wide.stdout.splitlines()) == 5


def test_csv_and_tsv(cli, some_jobs):
    rows = list(csv.DictReader(io.StringIO(cli("list", "--csv").stdout)))
    assert [r["name"] for r in rows] == ["backup", "poll", "remind", "report-of-the-month-for-the-board"]
    assert json.loads(rows[0]["command"]) == ["tar", "czf", "/tmp/etc.tgz", "/etc"]
    assert rows[0]["timezone"] == "Europe/Paris" and rows[0]["next_run_at"].endswith("Z")
    runs = list(csv.DictReader(io.StringIO(cli("history", "--tsv").stdout), dialect="excel-tab"))
    assert [r["job"] for r in runs] == ["report-of-the-month-for-the-board", "poll"]
    assert runs[1]["status"] == "error" and runs[1]["missed_count"] == ""
    upcoming = list(csv.DictReader(io.StringIO(cli("next", "--csv", "-n", "9").stdout)))
    assert len(upcoming) == 9 and set(upcoming[0]) == {"job", "at"}  # the next 9 of all jobs together
    stats = list(csv.DictReader(io.StringIO(cli("stats", "--csv").stdout)))
    assert {r["job"]: r["runs"] for r in stats}["poll"] == "1"
    both = cli("list", "--csv", "--json")
    assert both.exit_code == 2 and both.stderr == "Error: give only one of --json, --csv and --tsv\n"


# -- times in the job's zone -------------------------------------------------------------------


def test_one_job_is_shown_in_its_own_zone(cli, no_cron):
    r = cli("add", "remind", "--at", "2099-12-24 18:00", "--tz", "Europe/Paris", "--", "true")
    assert r.stdout.startswith("Added remind: once (Europe/Paris); next run Thu 2099-12-24 18:00 CET (in ")
    cli("add", "backup", "--cron", "30 2 * * *", "--tz", "Europe/Paris", "--", "true")
    r = cli("next", "backup", "--after", "2027-03-26T12:00Z", "-n", "3")
    lines = r.stdout.splitlines()
    assert lines[0] == "backup: 30 2 * * * (At 02:30, Europe/Paris)"
    assert lines[1].split() == ["NEXT", "LEFT"]
    times = [line.split("  ")[0] for line in lines[2:]]
    # the wall clock of the job does not drift across the change to summer time
    assert times == ["Sat 2027-03-27 02:30 CET", "Sun 2027-03-28 03:00 CEST", "Mon 2027-03-29 02:30 CEST"]
    assert "02:30 CET" in cli("show", "backup").stdout
    # where many jobs are shown: the machine's zone (UTC here); --utc says so
    many = cli("next", "--after", "2027-03-26T12:00Z")
    assert "01:30" in many.stdout or "Sat 01:30" in many.stdout
    assert "UTC" in cli("show", "backup", "--utc").stdout


def test_show_continues_a_long_command_under_itself_at_80_columns(cli, db_path, no_cron):
    command = "tar czf /var/backups/a-rather-long-archive-name.tgz /etc /home /srv --exclude-caches"
    cli("add", "backup", "--cron", "30 2 * * *", "--", command)
    code, screen = terminal_output(_entry(db_path) + ["show", "backup"])
    assert code == 0
    lines = screen.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("runs "))
    indent = lines[at].index("tar")
    assert all(len(line) <= 80 for line in lines)
    assert lines[at + 1].startswith(" " * indent) and not lines[at + 1][:indent].strip()
    assert " ".join(x.strip() for x in lines[at:at + 2])[indent:] == command
    # piped, the line stays whole for grep and scripts
    assert f"runs      {command}\n" in cli("show", "backup").stdout


# -- logs --------------------------------------------------------------------------------------


def test_logs_job_shows_its_latest_run_byte_for_byte(cli, no_cron):
    cli("add", "p", "--every", "1h", "--", "printf 'first'")
    cli("run", "p")
    cli("edit", "p", "--", "printf 'second\\nno newline at the end'")
    cli("run", "p")
    r = cli("logs", "p")
    assert r.exit_code == 0 and r.stdout == "second\nno newline at the end"
    first_id = cli("history", "p", "--json").json()[-1]["id"]
    assert cli("logs", str(first_id)).stdout == "first"
    never = cli("add", "q", "--every", "1h", "--", "true") and cli("logs", "q")
    assert never.exit_code == 2 and never.stderr == "Error: job 'q' has not run yet (run it now: schedcli run q)\n"


# -- strict add ------------------------------------------------------------------------------


def test_a_missing_name_is_an_error(cli, no_cron):
    r = cli("add", "--every", "5m", "--", "echo", "hi")
    assert r.exit_code == 2
    assert r.stderr == "Error: missing NAME: give the job's name first: schedcli add NAME [OPTIONS] -- echo hi\n"
    assert cli("list", "--json").json() == []
    r = cli("edit", "--every", "5m", "--", "echo", "hi")
    assert r.exit_code == 2 and r.stderr.startswith("Error: missing NAME")


def test_options_after_the_command_word_are_never_taken_silently(cli, no_cron):
    r = cli("add", "x", "--every", "5m", "ls", "--tz", "UTC")
    assert r.exit_code == 2
    assert r.stderr == (
        "Error: --tz comes after the command 'ls': schedcli would take it for its own option. Put "
        "schedcli's options first and -- before a command that has options: schedcli add x --every 5m -- ls --tz UTC\n"
    )
    assert cli("list", "--json").json() == []
    ok = cli("add", "x", "--every", "5m", "--json", "--", "ls", "--tz", "UTC")
    assert ok.exit_code == 0 and ok.json()["command"] == ["ls", "--tz", "UTC"] and ok.json()["timezone"] == "UTC"
    plain = cli("add", "y", "--every", "5m", "--json", "echo", "hi")  # no options after it: fine
    assert plain.exit_code == 0 and plain.json()["command"] == ["echo", "hi"]


# -- errors in our own words ---------------------------------------------------------------------


@pytest.mark.parametrize("args, expected", [
    (["list", "--limit", "x"], "Error: invalid --limit 'x': use a whole number (see: schedcli list --help)\n"),
    (["history", "--status", "failed"],
     "Error: invalid --status 'failed': use one of running, success, warning, error, timeout, skipped, missed, "
     "interrupted (for 'failed' runs use error or timeout) (see: schedcli history --help)\n"),
    (["history", "--status", "eror"],
     "Error: invalid --status 'eror': use one of running, success, warning, error, timeout, skipped, missed, "
     "interrupted; did you mean 'error'? (see: schedcli history --help)\n"),
    (["add", "x", "--every", "5m", "--overlap", "sometimes", "--", "true"],
     "Error: invalid --overlap 'sometimes': use one of skip, allow, replace (see: schedcli add --help)\n"),
    (["add", "x", "--retries", "two", "--every", "5m", "--", "true"],
     "Error: invalid --retries 'two': use a whole number (see: schedcli add --help)\n"),
    (["add", "x", "--every", "0", "--", "true"],
     "Error: invalid --every '0': it must be more than zero, with a unit, e.g. 30s, 5m, 1h\n"),
    (["add", "x", "--every", "5m", "--tz", "europe/paris", "--", "true"],
     "Error: unknown time zone 'europe/paris': did you mean Europe/Paris?\n"),
    (["add", "x", "--every", "5m", "--tz", "PST", "--", "true"],
     "Error: unknown time zone 'PST': PST is an abbreviation, not a zone; use an IANA name such as "
     "America/Los_Angeles\n"),
    (["next", "--cron", "0 9 * * *", "--tz", "paris"], "Error: unknown time zone 'paris': did you mean Europe/Paris?\n"),
    (["lsit"], "Error: unknown command 'lsit'; did you mean 'list'? (see: schedcli --help)\n"),
    (["cron", "instal"], "Error: unknown command 'instal'; did you mean 'install' or 'uninstall'? "
                         "(see: schedcli cron --help)\n"),
    (["list", "--limt", "3"], "Error: unknown option --limt; did you mean '--limit'? (see: schedcli list --help)\n"),
    (["run-due", "--now", "soon"],
     "Error: invalid time 'soon': use ISO 8601 such as 2026-12-01T09:00, '2026-12-01 09:00' or "
     "2026-12-01T09:00Z, or +2h (from now), 'today 18:00', 'tomorrow 09:00'\n"),
])
def test_errors_in_our_own_words(cli, no_cron, args, expected):
    r = cli(*args)
    assert r.exit_code == 2
    assert r.stderr == expected
    assert "Input should be" not in r.stderr and "Value error" not in r.stderr


def test_edit_with_nothing_to_change_says_so(cli, no_cron):
    cli("add", "x", "--every", "5m", "--", "true")
    r = cli("edit", "x")
    assert r.exit_code == 2
    assert r.stderr == ("Error: nothing to change: give what to change, e.g. schedcli edit x --every 10m "
                        "(see: schedcli edit --help)\n")
    same = cli("edit", "x", "--description", "d")
    assert same.stdout.startswith("Changed x")
    again = cli("edit", "x", "--description", "d")
    assert again.exit_code == 0 and again.stdout == "Nothing changed: x already has these settings\n"


def test_a_group_without_a_command_shows_its_help(cli):
    r = cli("cron", db=None)
    assert r.exit_code == 0 and r.stdout.startswith("Usage: schedcli cron [OPTIONS] COMMAND [ARGS]...")
    assert r.stderr == ""


# -- --help reads like a man page ------------------------------------------------------------------


def _all_help_paths():
    import typer.main

    from schedcli.cli.app import app

    root = typer.main.get_command(app)
    paths = [()]
    ctx = root.make_context("schedcli", [], resilient_parsing=True)
    for name in root.list_commands(ctx):
        sub = root.get_command(ctx, name)
        paths.append((name,))
        if hasattr(sub, "list_commands"):
            sub_ctx = sub.make_context(name, [], parent=ctx, resilient_parsing=True)
            paths += [(name, s) for s in sub.list_commands(sub_ctx)]
    return paths


def test_every_help_has_examples_no_type_tags_and_fits_80_columns(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    for path in _all_help_paths():
        r = cli(*path, "--help", db=None)
        assert r.exit_code == 0, path
        text = r.stdout
        assert "\nExamples:\n  schedcli" in text, path
        assert not re.search(r"<(bool|str|int|list\[str\]|path)>", text), path
        assert all(len(line) <= 80 for line in text.splitlines()), (path, [l for l in text.splitlines() if len(l) > 80])
        assert "╭" not in text and "│" not in text, path  # plain text, like a man page
    assert "--cron EXPR" in cli("add", "--help", db=None).stdout
    assert "It records real history" in " ".join(cli("run-due", "--help", db=None).stdout.split())


def test_help_is_the_reference_in_docs(cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "120")  # --help wraps at most at 80, as docs/cli.md
    doc = (Path(__file__).resolve().parent.parent / "docs" / "cli.md").read_text()
    help_text = cli("add", "--help", db=None).stdout.rstrip("\n")
    assert f"## schedcli add\n\n```\n{help_text}\n```" in doc


# -- cron's environment ----------------------------------------------------------------------------


def test_a_job_add_warns_about_fails_under_cron_and_works_after_the_fix(sh, db_path, bindir, fake_crontab, monkeypatch):
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    added = sh("add", "tool", "--every", "1h", "--", "mytool --fast")
    assert added.exit_code == 0
    assert added.stderr == (
        f"Warning: 'mytool' is not on cron's PATH (/usr/bin:/bin): under cron, job tool would fail with exit code "
        f"127 (not found). Your PATH has it at {bindir}/mytool: use that full path in the command, or give the "
        f"job --env PATH={bindir}:/usr/bin:/bin. Try it as cron would: schedcli run --cron-env tool\n"
    )
    works_here = sh("run", "tool")
    assert works_here.exit_code == 0 and works_here.stdout == "mytool ran\n"  # fine in the user's shell...
    under_cron = sh("run", "tool", "--cron-env", "--json")
    assert under_cron.exit_code == 1  # ...and not under cron
    assert under_cron.stderr.startswith("Running tool with cron's environment: PATH=/usr/bin:/bin SHELL=/bin/sh HOME=")
    doc = json.loads(under_cron.stdout)
    assert doc["exit_code"] == 127 and doc["status"] == "error" and "mytool" in doc["output"]

    fixed = sh("edit", "tool", "--env", f"PATH={bindir}:/usr/bin:/bin")  # the fix the warning gives
    assert fixed.exit_code == 0 and "Warning" not in fixed.stderr
    again = sh("run", "tool", "--cron-env")
    assert again.exit_code == 0 and again.stdout == "mytool ran\n"


def test_cron_install_writes_the_users_path_and_the_line_finds_the_program(cli, sh, db_path, bindir, fake_crontab,
                                                                          monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", f"{bindir}:/usr/bin:/bin")
    assert "Warning: 'mytool'" in sh("add", "tool", "--every", "1s", "--", "mytool").stderr
    installed = sh("cron", "install")
    assert installed.exit_code == 0
    assert f"Jobs run with PATH={bindir}:/usr/bin:/bin\n" in installed.stdout
    line = fake_crontab.read_text().splitlines()[1]
    assert line.startswith(f"* * * * * PATH={bindir}:/usr/bin:/bin ")
    # with the entry installed, the same command no longer warns: cron's PATH has it now
    assert "Warning: 'mytool'" not in sh("add", "tool2", "--every", "1h", "--", "mytool").stderr
    # the line as cron runs it: /bin/sh -c, env -i with cron's PATH, from HOME
    command = line.split(" ", 5)[5].replace("\\%", "%")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh", "LOGNAME": "nobody"}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        subprocess.run(["/bin/sh", "-c", command], env=env, cwd=tmp_path, timeout=60)
        runs = [r for r in cli("history", "tool", "--json").json() if r["status"] == "success"]
        if runs:
            break
        time.sleep(0.3)
    assert runs, cli("history", "tool", "--json").stdout
    log = (tmp_path / "state" / "schedcli" / "cron.log").read_text()
    assert re.search(rf"^{STAMP} run #\d+ tool: success", log, re.M), log  # log lines start with a time


def test_sub_minute_interval_warns_when_only_cron_runs_the_database(cli, fake_crontab, monkeypatch):
    assert "shorter than a minute" not in cli("add", "a", "--every", "10s", "--", "true").stderr  # no runner yet
    assert cli("cron", "install").exit_code == 0
    r = cli("add", "b", "--every", "10s", "--", "true")
    assert r.exit_code == 0
    assert r.stderr == (
        "Warning: --every 10s is shorter than a minute, but only cron runs this database, once a minute: each "
        "tick runs the latest occurrence and records the others as missed. For sub-minute intervals run "
        "'schedcli watch' (see: schedcli systemd unit).\n"
    )
    assert cli("add", "c", "--every", "1m", "--", "true").stderr == ""


def test_run_due_log_lines_start_with_an_iso_time(sh, no_cron):
    assert sh("add", "j", "--at", "2099-12-01T09:00Z", "--", "echo once").exit_code == 0
    full = sh("run-due", "--now", "2099-12-01T09:00:30Z", "--max-parallel", "1")  # the quick cron path
    assert re.fullmatch(rf"{STAMP} run #1 j: success in \d+\.\d\ds, exit code 0\n", full.stdout), full.stdout
    assert sh("add", "k", "--at", "2099-12-01T10:00Z", "--", "true").exit_code == 0
    relative = sh("run-due", "--now", "2099-12-01T10:00:30Z", "--dry-run")  # the full command line
    assert relative.exit_code == 0 and "k" in relative.stdout


# -- housekeeping ------------------------------------------------------------------------------------


def test_completion_prints_the_packaged_script(cli):
    from importlib.resources import files

    for shell, name in (("bash", "schedcli.bash"), ("zsh", "_schedcli"), ("fish", "schedcli.fish")):
        r = cli("completion", shell, db=None)
        assert r.exit_code == 0
        assert r.stdout == (files("schedcli") / "share" / "completions" / name).read_text()
    assert "complete -F _schedcli schedcli" in cli("completion", "bash", db=None).stdout
    bad = cli("completion", "tcsh", db=None)
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: invalid SHELL 'tcsh': use one of bash, zsh, fish")


def test_rename_keeps_the_history(cli, no_cron):
    cli("add", "old", "--every", "1h", "--", "echo hi")
    cli("run", "old")
    r = cli("rename", "old", "new")
    assert r.exit_code == 0 and r.stdout == "Renamed old to new\n"
    assert [x["job"] for x in cli("history", "--json").json()] == ["new"]
    assert cli("logs", "new").stdout == "hi\n"
    assert cli("show", "old").exit_code == 2
    cli("add", "other", "--every", "1h", "--", "true")
    taken = cli("rename", "new", "other")
    assert taken.exit_code == 2 and "already exists" in taken.stderr


def test_rm_asks_on_a_terminal_and_not_in_scripts(db_path, sh, no_cron):
    assert sh("add", "j", "--every", "1h", "--", "true").exit_code == 0
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    term = Terminal(_entry(db_path) + ["rm", "j"], env)
    term.read_until(b"Remove job j and all its history? [y/N]")
    term.send("n\n")
    code, screen = term.finish()
    assert code == 1 and "Error: j was not removed" in screen
    assert [j["name"] for j in sh("list", "--json").json()] == ["j"]
    term = Terminal(_entry(db_path) + ["rm", "j"], env)
    term.read_until(b"[y/N]")
    term.send("y\n")
    code, screen = term.finish()
    assert code == 0 and "Removed j and 0 runs of history" in screen
    assert sh("add", "k", "--every", "1h", "--", "true").exit_code == 0
    scripted = sh("rm", "k")  # stdin is not a terminal: no question
    assert scripted.exit_code == 0 and scripted.stdout == "Removed k and 0 runs of history\n"
    code, _ = terminal_output(_entry(db_path) + ["add", "m", "--every", "1h", "--", "true"])
    code, screen = terminal_output(_entry(db_path) + ["rm", "m", "--yes"])
    assert code == 0 and "[y/N]" not in screen


def test_when_accepts_relative_times(cli, no_cron):
    before = datetime.now(timezone.utc)
    soon = cli("add", "soon", "--at", "+2h", "--json", "--", "true").json()
    at = datetime.fromisoformat(soon["next_run_at"].replace("Z", "+00:00"))
    assert before + timedelta(hours=2) - timedelta(seconds=5) <= at <= datetime.now(timezone.utc) + timedelta(hours=2)
    tomorrow = cli("add", "t", "--at", "tomorrow 09:00", "--tz", "Asia/Tokyo", "--json", "--", "true").json()
    local = datetime.fromisoformat(tomorrow["next_run_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local.hour, local.minute) == (9, 0)
    assert local.date() == (datetime.now(ZoneInfo("Asia/Tokyo")) + timedelta(days=1)).date()
    bad = cli("add", "b", "--at", "tomorrow 25:00", "--", "true")
    assert bad.exit_code == 2 and bad.stderr == "Error: invalid time 'tomorrow 25:00': use tomorrow HH:MM, e.g. 'tomorrow 09:00'\n"


def test_nothing_is_created_under_a_home_that_does_not_exist(cli, tmp_path, monkeypatch):
    missing = tmp_path / "nonexistent"
    monkeypatch.setenv("HOME", str(missing))
    monkeypatch.delenv("XDG_DATA_HOME")
    r = cli("add", "j", "--every", "1h", "--", "true", db=None)
    assert r.exit_code == 1
    assert r.stderr == (f"Error: cannot create the database {missing}/.local/share/schedcli/schedcli.db: the home "
                        f"directory {missing} does not exist; give --db PATH (or set SCHEDCLI_DB, XDG_DATA_HOME or "
                        "HOME)\n")
    assert not missing.exists()
    assert cli("list", db=None).exit_code == 0 and not missing.exists()  # reading never creates anything


def test_watch_log_lines_start_with_an_iso_time(db_path, cli, no_cron):
    assert cli("add", "w", "--every", "1s", "--", "true").exit_code == 0
    watch = subprocess.Popen(_entry(db_path) + ["watch"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL)
    try:
        lines = []
        deadline = time.monotonic() + 30
        while len(lines) < 2 and time.monotonic() < deadline:
            ready, _, _ = select.select([watch.stderr], [], [], 0.5)
            if ready:
                lines.append(watch.stderr.readline().decode())
        assert re.match(rf"^{STAMP} schedcli watch: pid {watch.pid}, database ", lines[0]), lines
        assert re.match(rf"^{STAMP} run #\d+ w: success", lines[1]), lines
    finally:
        watch.terminate()
        watch.wait(timeout=30)
