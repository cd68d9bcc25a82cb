"""status, health, cron install|uninstall|show and systemd unit: real SQLite files, real processes.

The crontab tests use a fake ``crontab`` program (``$SCHEDCLI_CRONTAB``) that keeps
the table in a temporary file, except ``test_cron_end_to_end_with_the_real_daemon``,
which installs the entry in this user's real crontab, watches cron run a job, and
puts the previous crontab back exactly.
"""

from __future__ import annotations

import configparser
import fcntl
import os
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from schedcli import system as integration
from schedcli.store import Store
from schedcli.services.status import collect_status, problems
from waiting import wait_for


# -- a fake crontab program ------------------------------------------------------------------

FAKE_CRONTAB = r"""#!/bin/sh
# Test double of crontab(1): the table lives in $FAKE_CRONTAB_FILE; every call is logged.
f="$FAKE_CRONTAB_FILE"
echo "$*" >> "$f.calls"
if [ -n "$FAKE_CRONTAB_FAIL" ]; then echo "$FAKE_CRONTAB_FAIL" >&2; exit 2; fi
case "$1" in
  -l) if [ -e "$f" ]; then cat "$f"; else echo "no crontab for $(id -un)" >&2; exit 1; fi ;;
  -) cat > "$f.new" && mv "$f.new" "$f" ;;
  -r) if [ -e "$f" ]; then rm "$f"; else echo "no crontab for $(id -un)" >&2; exit 1; fi ;;
  *) echo "usage: crontab [-l | -r | -]" >&2; exit 2 ;;
esac
"""


class FakeCrontab:
    def __init__(self, root: Path) -> None:
        self.program = root / "bin" / "crontab"
        self.file = root / "crontab-table"
        self.program.parent.mkdir(parents=True)
        self.program.write_text(FAKE_CRONTAB)
        self.program.chmod(0o755)

    def get(self) -> bytes | None:
        return self.file.read_bytes() if self.file.exists() else None

    def set(self, content: bytes | None) -> None:
        if content is None:
            self.file.unlink(missing_ok=True)
        else:
            self.file.write_bytes(content)

    def calls(self) -> list[str]:
        log = Path(f"{self.file}.calls")
        return log.read_text().splitlines() if log.exists() else []


@pytest.fixture
def crontab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeCrontab:
    fake = FakeCrontab(tmp_path / "fake-cron")
    monkeypatch.setenv("SCHEDCLI_CRONTAB", str(fake.program))
    monkeypatch.setenv("FAKE_CRONTAB_FILE", str(fake.file))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv("FAKE_CRONTAB_FAIL", raising=False)
    # the PATH cron install writes into the entry is the user's: a known one here (a relative
    # directory and a repeated one are left out)
    monkeypatch.setenv("PATH", USER_PATH)
    return fake


USER_PATH = "/opt/schedcli-test/bin:relative/bin:/usr/bin:/bin:/usr/bin"
JOBS_PATH = "/opt/schedcli-test/bin:/usr/bin:/bin"


def marker(db: Path) -> bytes:
    return f"# schedcli run-due (managed by 'schedcli cron install'; db={db})".encode()


def console_script() -> str:
    return str(Path(sys.executable).parent / "schedcli")


# -- cron: the entry ---------------------------------------------------------------------------


def test_cron_install_into_no_crontab_and_uninstall_removes_it(cli, crontab, db_path, tmp_path):
    assert crontab.get() is None
    r = cli("cron", "install", "--json")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert doc["action"] == "installed"
    log = tmp_path / "state" / "schedcli" / "cron.log"
    expected_entry = (
        f"* * * * * PATH={JOBS_PATH} {console_script()} --db {db_path} run-due >>{log} 2>&1"
    )
    assert doc["entry"] == expected_entry
    assert crontab.get() == marker(db_path) + b"\n" + expected_entry.encode() + b"\n"
    # the log directory is private, the log exists 0600 before cron first writes to it
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert db_path.exists()  # created now, so cron's first tick finds a usable database

    r = cli("cron", "uninstall")
    assert r.exit_code == 0, r.stderr
    assert "Removed the crontab entry" in r.stdout
    assert crontab.get() is None  # no crontab before, none after
    again = cli("cron", "uninstall", "--json")
    assert again.exit_code == 0 and again.json()["action"] == "absent"


ODD = (
    b"# my crontab\twith a tab\n"
    b"SHELL=/bin/bash\n"
    b"MAILTO=\"\"\n"
    b"\n"
    b"  \t\n"
    b"# schedcli run-due (managed by 'schedcli cron install'; db=/elsewhere/other.db)\n"
    b"* * * * * /opt/schedcli --db /elsewhere/other.db run-due >>/tmp/other.log 2>&1\n"
    b"*/5 * * * *\t/usr/bin/backup --quiet   # trailing spaces   \n"
    b"# not utf-8: \xff\xfe\n"
    b"@reboot echo 100\\% done"  # no newline at the end
)


def test_cron_install_keeps_every_other_byte_and_is_idempotent(cli, sh, crontab, db_path):
    crontab.set(ODD)
    r = sh("cron", "install")  # the real entry point
    assert r.exit_code == 0, r.stderr
    assert "Installed the crontab entry" in r.stdout
    after = crontab.get()
    assert after.endswith(ODD)  # the user's bytes are all there, unchanged, still without a final newline
    block = after[: len(after) - len(ODD)]
    assert block.startswith(marker(db_path) + b"\n")
    assert block.count(b"\n") == 2
    assert block.split(b"\n")[1].startswith(
        f"* * * * * PATH={JOBS_PATH} {console_script()} --db {db_path} run-due >>".encode())
    assert f"Jobs run with PATH={JOBS_PATH}" in r.stdout
    writes = crontab.calls().count("-")

    r2 = cli("cron", "install", "--json")
    assert r2.exit_code == 0 and r2.json()["action"] == "unchanged"
    assert crontab.get() == after
    assert crontab.calls().count("-") == writes  # nothing was written the second time
    assert crontab.get().count(marker(db_path)) == 1

    r3 = cli("cron", "uninstall")
    assert r3.exit_code == 0, r3.stderr
    assert crontab.get() == ODD  # byte for byte, including the other database's entry


def test_cron_install_updates_a_moved_entry_in_place(cli, crontab, db_path, tmp_path):
    cli("cron", "install")
    ours = crontab.get()
    # the user moved our block between their own lines
    crontab.set(b"A=1\n" + ours + b"# end\n")
    r = cli("cron", "install", "--log", str(tmp_path / "logs" / "other.log"), "--json")
    assert r.json()["action"] == "updated"
    lines = crontab.get().split(b"\n")
    assert lines[0] == b"A=1"
    assert lines[1] == marker(db_path)
    assert lines[2].endswith(f">>{tmp_path / 'logs' / 'other.log'} 2>&1".encode())
    assert lines[3:] == [b"# end", b""]
    assert crontab.get().count(marker(db_path)) == 1
    # without --log, the installed entry keeps its log file
    again = cli("cron", "install", "--json").json()
    assert again["action"] == "unchanged" and again["log"] == str(tmp_path / "logs" / "other.log")
    shown = cli("cron", "show", "--json").json()
    assert shown["up_to_date"] is True and shown["log"] == again["log"]
    # a duplicated block (copy-paste) collapses into one
    crontab.set(crontab.get() + marker(db_path) + b"\n" + lines[2] + b"\n")
    assert cli("cron", "install", "--log", str(tmp_path / "logs" / "other.log")).exit_code == 0
    assert crontab.get().count(marker(db_path)) == 1
    assert cli("cron", "uninstall").exit_code == 0
    assert crontab.get() == b"A=1\n# end\n"


def test_cron_show(cli, crontab, db_path):
    before = cli("cron", "show", "--json")
    assert before.exit_code == 0, before.stderr
    doc = before.json()
    assert doc["installed"] is False and doc["db"] == str(db_path)
    assert doc["entry"].startswith(f"* * * * * PATH={JOBS_PATH} /") and doc["entry"].endswith(" 2>&1")
    assert doc["path"] == JOBS_PATH
    text = cli("cron", "show")
    assert doc["entry"] in text.stdout and "installed: no" in text.stdout

    cli("cron", "install")
    after = cli("cron", "show", "--json").json()
    assert after["installed"] is True and after["up_to_date"] is True
    assert after["current_entry"] == doc["entry"]
    assert "installed: yes" in cli("cron", "show").stdout

    # another database has its own entry: ours stays, theirs is independent
    other = db_path.parent / "other.db"
    assert cli("cron", "show", "--json", db=other).json()["installed"] is False
    assert cli("cron", "install", db=other).exit_code == 0
    assert crontab.get().count(b"# schedcli run-due") == 2
    assert cli("cron", "uninstall", db=other).exit_code == 0
    assert cli("cron", "show", "--json").json()["installed"] is True


def test_cron_entry_quotes_paths_and_escapes_percent(tmp_path):
    db = Path("/srv/my jobs/50%'s.db")
    log = Path("/var/log/it's here/cron%.log")
    entry = integration.cron_entry(db, log, ["/opt/sched cli/bin/schedcli"])
    fields = entry.split(" ", 5)
    assert fields[:5] == ["*"] * 5
    command = fields[5]
    assert "%" not in command.replace("\\%", "")  # cron would turn a bare % into a newline
    # what cron hands to /bin/sh: \% becomes %
    words = shlex.split(command.replace("\\%", "%"))
    assert words == ["/opt/sched cli/bin/schedcli", "--db", str(db), "run-due", f">>{log}", "2>&1"]
    with pytest.raises(Exception, match="line break"):
        integration.cron_entry(Path("/a\nb.db"), log)


def test_cron_line_works_in_crons_minimal_environment(cli, crontab, db_path, tmp_path):
    """Run the installed line the way cron does: /bin/sh, PATH=/usr/bin:/bin, no venv, cwd HOME."""
    side = tmp_path / "side-effect"
    cli("add", "tick", "--every", "1s", "--", f"echo ran >> {side}")
    cli("cron", "install")
    line = crontab.get().split(b"\n")[1].decode()
    command = line.split(" ", 5)[5].replace("\\%", "%")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh"}

    def tick():
        subprocess.run(["/bin/sh", "-c", command], env=env, cwd=tmp_path, timeout=60, check=False)
        return side.exists()

    wait_for(tick, timeout=30, interval=0.2, what="the cron line to run the job")
    runs = cli("history", "tick", "--json").json()
    # a slow first tick may find two occurrences due: the older is then recorded missed
    assert any(r["trigger"] == "schedule" and r["status"] == "success" for r in runs), runs
    assert {r["status"] for r in runs} <= {"success", "missed"}
    log = (tmp_path / "state" / "schedcli" / "cron.log").read_text()
    assert "tick: success" in log  # run-due's output went to the log


def test_cron_without_crontab_program(cli, crontab, monkeypatch, tmp_path):
    monkeypatch.setenv("SCHEDCLI_CRONTAB", str(tmp_path / "no-such-crontab"))
    r = cli("cron", "install")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: ") and "not found" in r.stderr and "apt-get install cron" in r.stderr
    shown = cli("cron", "show")
    assert shown.exit_code == 0  # still prints the line, for a manual install
    assert "* * * * * " in shown.stdout and "installed: unknown" in shown.stdout
    assert cli("cron", "show", "--json").json()["installed"] is None
    assert cli("status", "--json").json()["cron_installed"] is None


def test_cron_refuses_to_write_when_listing_fails(cli, crontab, monkeypatch):
    crontab.set(b"KEEP=1\n")
    monkeypatch.setenv("FAKE_CRONTAB_FAIL", "crontab: cannot open /var/spool/cron: permission denied")
    for cmd in ("install", "uninstall"):
        r = cli("cron", cmd)
        assert r.exit_code == 1
        assert "permission denied" in r.stderr
    assert crontab.get() == b"KEEP=1\n"
    assert "-" not in crontab.calls()


def _cron_daemon_running() -> bool:
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            if comm.read_text().strip() in ("cron", "crond"):
                return True
        except OSError:
            continue
    return False


def _real_crontab(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["crontab", *args], input=data, capture_output=True, timeout=30,
                          stdin=None if data is not None else subprocess.DEVNULL)


E2E_SEED = b"# a user's crontab\tkept as is (seeded by schedcli's cron end-to-end test)\nFOO=bar baz\n# the end\n"
_E2E_MARKER = re.compile(rb"^# schedcli run-due \(managed by 'schedcli cron install'; db=(.*)\)$", re.M)


def _heal(content: bytes | None, tmp_root: Path) -> bytes | None:
    """Undo what an earlier run of the end-to-end test left behind when it was killed
    (SIGKILL skips ``finally``): its entries for databases under pytest's temporary
    root, and the seed it adds to an empty crontab."""
    if content is None:
        return None
    for match in _E2E_MARKER.finditer(content):
        db = Path(match.group(1).decode(errors="surrogateescape"))
        if str(db).startswith(str(tmp_root) + os.sep):
            content = integration.without_entry(content, db)
    return None if content in (E2E_SEED, b"") else content


def test_cron_end_to_end_with_the_real_daemon(cli, sh, db_path, tmp_path, monkeypatch, request):
    """Install the entry in the real crontab, see cron run a job, remove it, crontab as before."""
    if shutil.which("crontab") is None:
        pytest.skip("no crontab program (.ci/run installs Debian's cron package where it can)")
    if not _cron_daemon_running():
        pytest.skip("the cron daemon is not running (.ci/run starts it where it can)")
    monkeypatch.delenv("SCHEDCLI_CRONTAB", raising=False)
    # the user's crontab is shared by every test run on this machine: one at a time
    lock = open(Path(tempfile.gettempdir()) / f"schedcli-cron-e2e-{os.getuid()}.lock", "w")
    request.addfinalizer(lock.close)
    fcntl.flock(lock, fcntl.LOCK_EX)
    listed = _real_crontab("-l")
    if listed.returncode == 0:
        found: bytes | None = listed.stdout
    elif b"no crontab for" in listed.stderr:
        found = None
    else:
        pytest.skip(f"crontab -l does not work here: {listed.stderr.decode(errors='replace').strip()}")
    saved = _heal(found, tmp_path.parents[1])  # .../pytest-of-USER/pytest-N/test_x -> .../pytest-of-USER

    def stop(signum, frame):  # SIGTERM (a CI timeout): still put the crontab back
        raise KeyboardInterrupt(f"signal {signum}")

    previous_handler = signal.signal(signal.SIGTERM, stop)
    started = time.monotonic()
    try:
        before = E2E_SEED if saved is None else saved  # something of the user's to keep intact
        assert _real_crontab("-", data=before).returncode == 0
        side = tmp_path / "cron-ran"
        assert cli("add", "bycron", "--cron", "* * * * *", "--", f"echo from cron > {side}").exit_code == 0
        r = sh("cron", "install")
        assert r.exit_code == 0, r.stderr
        assert cli("status", "--json").json()["cron_installed"] is True

        def ran():
            runs = cli("history", "bycron", "--json").json()
            return [x for x in runs if x["status"] != "running"]

        runs = wait_for(ran, timeout=150, interval=1.0, what="cron to run the job (cron ticks each minute)")
        assert all(x["trigger"] == "schedule" and x["status"] == "success" for x in runs), runs
        assert side.read_text() == "from cron\n"
        health = cli("health", "--json")
        assert health.exit_code == 0 and health.json() == {"healthy": True, "problems": []}

        r = sh("cron", "uninstall")
        assert r.exit_code == 0, r.stderr
        now_listed = _real_crontab("-l")
        assert now_listed.returncode == 0 and now_listed.stdout == before
    finally:
        if saved is None:
            _real_crontab("-r")
        else:
            _real_crontab("-", data=saved)
        signal.signal(signal.SIGTERM, previous_handler)
        print(f"cron end-to-end test took {time.monotonic() - started:.0f}s")
    after = _real_crontab("-l")
    assert (after.stdout if after.returncode == 0 else None) == saved


def test_heal_removes_only_what_a_killed_end_to_end_run_left(tmp_path):
    root = tmp_path.parents[1]
    stale_db = root / "pytest-1" / "test_x0" / "home" / "schedcli.db"
    stale_entry = integration.cron_entry(stale_db, root / "pytest-1" / "cron.log")
    assert _heal(integration.with_entry(E2E_SEED, stale_db, stale_entry), root) is None
    users = b"MAILTO=me\n"
    assert _heal(integration.with_entry(users, stale_db, stale_entry), root) == users
    prod = Path("/srv/prod.db")
    theirs = integration.with_entry(users, prod, integration.cron_entry(prod, Path("/var/log/s.log")))
    assert _heal(theirs, root) == theirs  # a real entry is never touched
    assert _heal(None, root) is None


# -- systemd --------------------------------------------------------------------------------


def _unit(text: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True, comment_prefixes=("#", ";"))
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(text)
    return parser


def test_systemd_unit_is_printed(cli, db_path):
    r = cli("systemd", "unit")
    assert r.exit_code == 0, r.stderr
    unit = _unit(r.stdout)
    service = unit["Service"]
    assert shlex.split(service["ExecStart"]) == [console_script(), "--db", str(db_path), "watch"]
    assert service["Restart"] == "on-failure"
    assert service["RestartSec"] == "5"
    assert service["KillSignal"] == "SIGTERM"
    assert int(service["TimeoutStopSec"]) > 5  # longer than the jobs' kill grace
    assert "143" in service["SuccessExitStatus"].split()  # watch exits 143 after SIGTERM: a clean stop
    assert unit["Install"]["WantedBy"] == "default.target"
    assert not (Path(os.environ["XDG_CONFIG_HOME"]) / "systemd").exists()  # printing writes nothing


def test_systemd_unit_install(cli, sh, db_path):
    name = integration.unit_name(db_path)
    assert re.fullmatch(r"schedcli-schedcli-[0-9a-f]{6}\.service", name)  # not the default database's
    path = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user" / name
    printed = cli("systemd", "unit").stdout
    r = sh("systemd", "unit", "--install")
    assert r.exit_code == 0, r.stderr
    assert path.read_text() == printed
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert f"systemctl --user daemon-reload && systemctl --user enable --now {name}" in r.stdout
    assert "Unchanged" in cli("systemd", "unit", "--install").stdout

    path.write_text("[Service]\nExecStart=/bin/true\n")  # somebody else's unit
    refused = cli("systemd", "unit", "--install")
    assert refused.exit_code == 1 and "--force" in refused.stderr
    assert path.read_text() == "[Service]\nExecStart=/bin/true\n"
    assert cli("systemd", "unit", "--install", "--force").exit_code == 0
    assert path.read_text() == printed


def test_each_database_has_its_own_unit(cli, sh, db_path, tmp_path):
    units = Path(os.environ["XDG_CONFIG_HOME"]) / "systemd" / "user"
    other = tmp_path / "other" / "schedcli.db"  # the same file name, another database
    other.parent.mkdir(mode=0o700)
    assert sh("systemd", "unit", "--install").exit_code == 0
    assert sh("systemd", "unit", "--install", db=other).exit_code == 0
    default = sh("systemd", "unit", "--install", db=None)
    assert default.exit_code == 0, default.stderr
    assert "enable --now schedcli.service" in default.stdout
    texts = {p.name: p.read_text() for p in units.iterdir()}
    assert len(texts) == 3 and "schedcli.service" in texts
    for db in (db_path, other):
        assert f"--db {db} watch" in texts[integration.unit_name(db)]  # each unit runs its own database


def test_systemd_quoting():
    assert integration.systemd_quote("/usr/bin/schedcli") == "/usr/bin/schedcli"
    assert integration.systemd_quote("/a b/50%/$HOME") == '"/a b/50%%/$$HOME"'
    assert integration.systemd_quote('/x"y\\z') == '"/x\\"y\\\\z"'
    with pytest.raises(Exception, match="line break"):
        integration.systemd_quote("/a\nb")


def _systemd_verify(path: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = dict(os.environ, XDG_RUNTIME_DIR=str(runtime), SYSTEMD_LOG_LEVEL="notice")
    return subprocess.run(["systemd-analyze", "--user", "verify", str(path)], capture_output=True,
                          text=True, env=env, timeout=60)


def test_systemd_unit_passes_systemd_analyze_verify(cli, tmp_path):
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    odd_db = tmp_path / "dir with space" / "50% $HOME.db"
    unit_dir = tmp_path / "units"
    unit_dir.mkdir()
    good = unit_dir / "schedcli.service"
    good.write_text(cli("systemd", "unit", db=odd_db).stdout)
    result = _systemd_verify(good, tmp_path)
    if result.returncode != 0 and "Failed to initialize manager" in result.stderr:
        pytest.skip(f"systemd-analyze cannot run here: {result.stderr.strip()}")
    assert result.returncode == 0, result.stderr
    assert "schedcli.service" not in result.stderr, result.stderr  # no warnings about our unit
    # the check is real: a broken unit fails it
    bad = unit_dir / "broken.service"
    bad.write_text(good.read_text().replace(console_script(), str(tmp_path / "missing" / "schedcli")))
    assert _systemd_verify(bad, tmp_path).returncode != 0


# -- status and health ---------------------------------------------------------------------


def test_status_and_health_on_a_fresh_install(cli, db_path):
    """No database yet: status says so and exits 0; health is unhealthy (exit 1), as documented."""
    r = cli("status")
    assert r.exit_code == 0 and r.stderr == ""
    assert f"database    {db_path} (no database yet: the first 'schedcli add' creates it)" in r.stdout
    assert "jobs        0 (0 enabled" in r.stdout
    doc = cli("status", "--json").json()
    assert doc["db_exists"] is False and doc["jobs"]["total"] == 0
    h = cli("health")
    assert h.exit_code == 1
    assert h.stdout == (f"no database yet at {db_path} (it does not exist): nothing is scheduled; "
                        "add a job with schedcli add, then install a runner (schedcli cron install)\n")
    assert cli("health", "--json").json()["healthy"] is False
    assert not db_path.exists()  # neither leaves a file behind


def test_health_exit_codes(cli, crontab, db_path):
    cli("add", "ok", "--cron", "0 3 * * *", "--", "true")
    cli("add", "bad", "--cron", "0 4 * * *", "--", "exit 7")
    never = cli("health")
    assert never.exit_code == 1
    assert never.stdout.strip().splitlines() == [
        "no runner has ever ticked: install the cron entry (schedcli cron install) or run schedcli watch"
    ]

    assert cli("run-due").exit_code == 0  # a tick (nothing due)
    healthy = cli("health")
    assert healthy.exit_code == 0, healthy.stdout
    assert healthy.stdout.startswith("healthy")

    assert cli("run", "bad").exit_code == 1
    assert cli("health").exit_code == 0  # failed runs only count when asked
    failed = cli("health", "--fail-on-failed-runs", "--json")
    assert failed.exit_code == 1
    assert failed.json()["healthy"] is False
    assert [p for p in failed.json()["problems"] if p.startswith("job bad: last run #")]
    cli("disable", "bad")
    assert cli("health", "--fail-on-failed-runs").exit_code == 0  # a disabled job is not a problem

    stale = wait_for(lambda: (r := cli("health", "--max-tick-age", "1s")).exit_code == 1 and r,
                     timeout=10, what="the tick to become older than 1s")
    assert "no runner has ticked for" in stale.stdout and "limit 1s" in stale.stdout

    for bad_option in (["--max-tick-age", "soon"], ["--overdue-after", "0s"]):
        r = cli("health", *bad_option)
        assert r.exit_code == 2 and r.stderr.startswith("Error: ")


def test_overdue_job(cli, crontab):
    cli("add", "late", "--every", "1s", "--", "true")
    cli("run-due")  # a tick now; the job is due a second later and nobody ticks again

    def overdue():
        r = cli("health", "--overdue-after", "1s", "--max-tick-age", "1h")
        return r.exit_code == 1 and r

    r = wait_for(overdue, timeout=15, what="the job to be overdue")
    assert r.stdout.startswith("job late is overdue: due at ")
    doc = cli("status", "--overdue-after", "1s", "--json").json()
    assert doc["jobs"]["overdue"] == 1 and doc["overdue_jobs"][0]["job"] == "late"
    assert doc["overdue_jobs"][0]["late_s"] >= 1
    assert cli("status", "--json").json()["jobs"]["overdue"] == 0  # default: 2 minutes


def test_health_with_time_passed_in(cli, db_path):
    """services/status.py takes ``now``: ticks and due times are judged against it."""
    cli("add", "j", "--cron", "*/5 * * * *", "--", "true")
    cli("run-due")
    with Store(db_path) as store:
        real_now = datetime.now(timezone.utc)
        assert problems(collect_status(store, real_now)) == []
        later = real_now + timedelta(minutes=20)
        st = collect_status(store, later)
        found = problems(st)
        assert found[0].startswith("no runner has ticked for 20m (last at ")
        assert any(p.startswith("job j is overdue") for p in found)
        assert problems(st, max_tick_age=3600) == [p for p in found if p.startswith("job j")]
        assert st.overdue[0].late_s >= 15 * 60


def test_status_reports_running_and_failing_jobs(cli, sh, crontab, db_path, tmp_path):
    release = tmp_path / "release"
    started = tmp_path / "started"
    cli("add", "slow", "--cron", "0 3 * * *", "--",
        f"touch {started}; while [ ! -e {release} ]; do sleep 0.05; done")
    cli("add", "broken", "--cron", "0 3 * * *", "--", "exit 1")
    cli("add", "off", "--cron", "0 3 * * *", "--disabled", "--", "true")
    assert cli("run", "broken").exit_code == 1
    runner = subprocess.Popen([sys.executable, "-m", "schedcli", "--db", str(db_path),
                               "run", "slow"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(started.exists, what="the slow job to start")
        doc = wait_for(lambda: (d := cli("status", "--json").json())["jobs"]["running"] == 1 and d,
                       what="status to show the running job")
        assert doc["running_jobs"] == ["slow"]
        assert doc["jobs"]["total"] == 3 and doc["jobs"]["enabled"] == 2
        assert doc["jobs"]["failing"] == 1 and doc["failing_jobs"][0]["job"] == "broken"
        assert doc["failing_jobs"][0]["status"] == "error"
        assert doc["cron_installed"] is False
        text = sh("status")
        assert text.exit_code == 0
        assert "3 (2 enabled, 1 running, 1 failing, 0 overdue)" in text.stdout
        assert "failing     broken (error)" in text.stdout
    finally:
        release.touch()
        runner.wait(timeout=30)
    assert cli("status", "--json").json()["jobs"]["running"] == 0
    cli("cron", "install")
    assert cli("status", "--json").json()["cron_installed"] is True
    assert "cron entry  installed" in cli("status").stdout


def test_status_sees_a_live_watch_and_a_crashed_one(cli, crontab, db_path):
    cli("add", "j", "--cron", "0 3 * * *", "--", "true")
    argv = [sys.executable, "-m", "schedcli", "--db", str(db_path), "watch"]
    watch = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        doc = wait_for(lambda: (d := cli("status", "--json").json())["watch"]["alive"] and d,
                       what="status to see the watch")
        [w] = doc["watch"]["runners"]
        assert w["pid"] == watch.pid
        assert 0 <= w["heartbeat_age_s"] < 30
        assert f"pid {watch.pid}, heartbeat" in cli("status").stdout
        # an idle watch claims nothing, but its heartbeat counts as runner activity
        assert cli("health", "--json").json() == {"healthy": True, "problems": []}
        watch.send_signal(signal.SIGTERM)
        assert watch.wait(timeout=30) == 143
        doc = cli("status", "--json").json()
        assert doc["watch"] == {"alive": False, "runners": [], "stale_runners": 0}
    finally:
        if watch.poll() is None:
            watch.kill()
            watch.wait()

    crashed = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(lambda: cli("status", "--json").json()["watch"]["alive"], what="the second watch")
    crashed.kill()  # SIGKILL: it cannot record that it stopped
    crashed.wait()
    doc = cli("status", "--json").json()
    assert doc["watch"]["alive"] is False and doc["watch"]["stale_runners"] == 1
    assert "not running (1 stopped without saying so)" in cli("status").stdout


def test_registering_these_commands_loads_neither_rich_nor_their_logic():
    """Every schedcli start imports the command modules: they must stay cheap (rich is loaded lazily)."""
    code = ("import sys, schedcli.cli.app; schedcli.cli.app.app; "  # the whole tree, registered
            "print(sorted(m for m in ('rich', 'schedcli.services.status', 'schedcli.system') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
