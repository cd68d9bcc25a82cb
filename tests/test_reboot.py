"""@reboot jobs: once at the first tick of each boot after the one they were added in,
through run-due and watch, with real processes and a real database. The boot id is read
from the file that SCHEDCLI_BOOT_ID_FILE names, so a test can start a new boot."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from schedcli.boot import current_boot
from schedcli.store import SCHEMA_VERSION, Store
from old_databases import database_before, insert_job
from waiting import wait_for


@pytest.fixture
def boot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The current boot, as a file this test may change: ``boot("b")`` starts boot b."""
    path = tmp_path / "boot_id"
    monkeypatch.setenv("SCHEDCLI_BOOT_ID_FILE", str(path))

    def start(name: str) -> None:
        path.write_text(f"{name}-0000-0000-0000-000000000000\n")

    start("a")
    return start


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "ran.txt"


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _runs(cli, job: str) -> list[dict]:
    return [r for r in cli("history", job, "--json").json() if r["status"] != "missed"]


def test_runs_once_per_boot_after_the_one_it_was_added_in(cli, sh, boot, marker):
    r = sh("add", "up", "--cron", "@reboot", "--", f"echo $SCHEDCLI_TRIGGER >> {marker}")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Added up: @reboot (once at each boot, from the next one); next run at next boot\n"
    assert sh("run-due").exit_code == 0
    assert _lines(marker) == []  # not in the boot it was added in

    boot("b")
    first = sh("run-due")
    assert first.exit_code == 0, first.stderr
    assert " up: success" in first.stdout
    assert _lines(marker) == ["schedule"]
    assert sh("run-due").stdout == ""  # once per boot
    assert sh("run-due", "--now", "+1d").stdout == ""
    assert _lines(marker) == ["schedule"]

    boot("c")
    assert " up: success" in sh("run-due").stdout
    assert _lines(marker) == ["schedule", "schedule"]
    assert [r["status"] for r in _runs(cli, "up")] == ["success", "success"]


def test_a_boot_whose_clock_is_behind_the_previous_one_still_runs_it(cli, sh, boot, marker):
    """A machine without a real-time clock may boot with a time before its previous boot's."""
    cli("add", "up", "--cron", "@reboot", "--", f"echo x >> {marker}")
    boot("b")
    assert " up: success" in sh("run-due", "--now", "2030-01-01T00:00:00Z").stdout
    boot("c")
    assert " up: success" in sh("run-due", "--now", "2029-06-01T00:00:00Z").stdout
    boot("d")
    assert " up: success" in sh("run-due", "--now", "2029-06-01T00:00:00Z").stdout
    assert _lines(marker) == ["x", "x", "x"]
    assert sorted(r["scheduled_for"] for r in _runs(cli, "up")) == [
        "2030-01-01T00:00:00Z", "2030-01-01T00:00:01Z", "2030-01-01T00:00:02Z"]


def test_overlapping_runners_run_it_exactly_once(cli, db_path, boot, marker):
    cli("add", "up", "--cron", "@reboot", "--", f"echo x >> {marker}")
    boot("b")
    argv = [sys.executable, "-m", "schedcli", "--db", str(db_path), "run-due"]
    runners = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=60) for p in runners]
    assert all(p.returncode == 0 for p in runners), outputs
    assert sum(" up: success" in out for out, _ in outputs) == 1
    assert _lines(marker) == ["x"]
    assert len(_runs(cli, "up")) == 1


def _watch(db_path: Path) -> subprocess.Popen:
    argv = [sys.executable, "-m", "schedcli", "--db", str(db_path), "watch"]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)


def _stop(watch: subprocess.Popen) -> None:
    if watch.poll() is None:
        watch.send_signal(signal.SIGTERM)
        watch.wait(timeout=30)


def test_watch_starting_in_a_new_boot_counts_as_its_first_tick(cli, db_path, boot, marker):
    cli("add", "up", "--cron", "@reboot", "--", f"echo booted >> {marker}")
    cli("add", "tick", "--every", "1s", "--", "true")
    watch = _watch(db_path)  # the same boot: @reboot waits
    try:
        wait_for(lambda: len(_runs(cli, "tick")) >= 2, what="two ticks of watch")
        assert _runs(cli, "up") == []
    finally:
        _stop(watch)

    boot("b")
    watch = _watch(db_path)
    try:
        wait_for(lambda: _lines(marker) == ["booted"], what="the @reboot job at watch's first tick")
        ticks = len(_runs(cli, "tick"))
        wait_for(lambda: len(_runs(cli, "tick")) >= ticks + 2, what="more ticks")
    finally:
        _stop(watch)
    watch = _watch(db_path)  # a second watch in the same boot: not again
    try:
        ticks = len(_runs(cli, "tick"))
        wait_for(lambda: len(_runs(cli, "tick")) >= ticks + 2, what="ticks of the second watch")
    finally:
        _stop(watch)
    assert _lines(marker) == ["booted"]
    assert len(_runs(cli, "up")) == 1


def test_list_show_next_status_say_at_next_boot(cli, sh, boot):
    cli("add", "up", "--cron", "@REBOOT", "--", "true")
    doc = cli("show", "up", "--json").json()
    assert (doc["schedule"], doc["schedule_kind"], doc["at_boot"], doc["next_run_at"]) == ("@reboot", "cron", True, None)
    assert doc["schedule_description"] == "at every boot"
    listing = sh("list", env={"COLUMNS": "80"}).stdout.splitlines()
    assert listing[1].split()[:4] == ["up", "@reboot", "at", "boot"]
    assert "next run  at next boot (the first tick of each boot)" in cli("show", "up").stdout
    assert cli("next", "up").stdout == "up: @reboot: at next boot (the first tick of each boot)\n"
    boot("b")
    sh("run-due", "--now", "2020-01-01T00:00:00Z")  # a run long ago: never overdue
    status = cli("status", "--json").json()
    assert status["jobs"]["overdue"] == 0
    assert cli("health", "--json").json()["problems"] == []
    plan = cli("run-due", "--dry-run")
    assert "up" not in plan.stdout  # it ran in this boot already


def test_dry_run_shows_the_boot_run_without_claiming_it(cli, boot):
    cli("add", "up", "--cron", "@reboot", "--", "true")
    boot("b")
    plan = cli("run-due", "--dry-run")
    assert "first tick of this boot (@reboot)" in plan.stdout
    assert _runs(cli, "up") == []


def test_edit_and_enable_wait_for_the_next_boot(cli, sh, boot, marker):
    cli("add", "j", "--every", "1h", "--", f"echo j >> {marker}")
    r = cli("edit", "j", "--cron", "@reboot")
    assert r.exit_code == 0 and "next run at next boot" in r.stdout
    assert sh("run-due").stdout == ""
    cli("disable", "j")
    boot("b")
    assert sh("run-due").stdout == ""  # disabled: the boot is not its
    assert cli("enable", "j").stdout == "j is enabled\n"
    assert sh("run-due").stdout == ""  # time spent disabled is not caught up
    boot("c")
    assert " j: success" in sh("run-due").stdout
    assert _lines(marker) == ["j"]
    r = cli("edit", "j", "--every", "5m")  # and back to the clock
    assert r.exit_code == 0 and cli("show", "j", "--json").json()["next_run_at"] is not None


def test_without_a_boot_id_reboot_is_refused_and_nothing_is_written(cli, sh, tmp_path, monkeypatch, db_path):
    monkeypatch.setenv("SCHEDCLI_BOOT_ID_FILE", str(tmp_path / "missing"))
    cli("add", "other", "--every", "1h", "--", "true")
    r = sh("add", "up", "--cron", "@reboot", "--", "true")
    assert r.exit_code == 2, r.stderr
    assert r.stderr.startswith("Error: @reboot needs the boot id, and it cannot be read here")
    assert "Traceback" not in r.stderr
    assert [j["name"] for j in cli("list", "--json").json()] == ["other"]


def test_jitter_does_not_apply_to_reboot(cli, boot):
    r = cli("add", "up", "--cron", "@reboot", "--jitter", "5m", "--", "true")
    assert r.exit_code == 2
    assert r.stderr == "Error: --jitter does not apply to @reboot jobs (they run at the first tick of each boot)\n"
    assert cli("list", "--json").json() == []


def test_the_boot_id_is_read_from_the_kernel_by_default(monkeypatch):
    monkeypatch.delenv("SCHEDCLI_BOOT_ID_FILE", raising=False)
    if not os.path.exists("/proc/sys/kernel/random/boot_id"):
        pytest.skip("no /proc/sys/kernel/random/boot_id here")
    with open("/proc/sys/kernel/random/boot_id") as f:
        assert current_boot() == f.read().strip()


def test_a_database_of_schema_4_upgrades(db_path):
    with database_before(db_path, "m005_reboot_and_jitter") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 4
        insert_job(conn)
    with Store(db_path) as store:
        job = store.get_job("old")
        assert (job.jitter, job.last_boot, job.next_run_at, job.at_boot) == (0, None, 300, False)
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
