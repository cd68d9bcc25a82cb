"""@reboot and --jitter through import and export: crontab, TOML/JSON, systemd (checked
with systemd-analyze verify) and Kubernetes (checked with kubernetes-validate)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from test_transfer_exports import _verify
from transfer_helpers import k8s_validate, yaml_docs


@pytest.fixture
def boot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "boot_id"
    monkeypatch.setenv("SCHEDCLI_BOOT_ID_FILE", str(path))

    def start(name: str) -> None:
        path.write_text(name + "\n")

    start("boot-a")
    return start


@pytest.fixture
def two_jobs(cli, boot):
    assert cli("add", "agent", "--cron", "@reboot", "--", "/usr/bin/true").exit_code == 0
    assert cli("add", "poll", "--cron", "*/5 * * * *", "--tz", "UTC", "--jitter", "2m", "--", "/usr/bin/true").exit_code == 0


def test_crontab_import_of_reboot_runs_at_the_next_boot(sh, tmp_path, boot):
    marker = tmp_path / "ran"
    crontab = tmp_path / "my.crontab"
    crontab.write_text(f"# name: agent\n@reboot echo started >> {marker}\n")
    r = sh("import", str(crontab), "--format", "crontab")
    assert r.exit_code == 0, r.stderr
    assert r.stdout == "Imported 1 job (0 updated, 0 removed)\n"
    assert sh("run-due").stdout == "" and not marker.exists()
    boot("boot-b")
    assert " agent: success" in sh("run-due").stdout
    assert marker.read_text() == "started\n"


def test_crontab_export_writes_reboot_and_warns_about_jitter(cli, two_jobs):
    r = cli("export", "--format", "crontab")
    assert r.exit_code == 0, r.stderr
    assert "\n# name: agent\n@reboot /usr/bin/true\n" in r.stdout
    assert "\n*/5 * * * * /usr/bin/true\n" in r.stdout
    assert "poll: cron has no jitter: it starts at its scheduled times, not up to 2m later" in r.stderr


def test_documents_keep_jitter_and_reboot_and_a_reimport_waits_for_the_next_boot(cli, sh, two_jobs, tmp_path, boot):
    for fmt in ("toml", "json"):
        path = tmp_path / f"jobs.{fmt}"
        assert cli("export", "--format", fmt, "-o", str(path)).exit_code == 0
        other = tmp_path / f"other-{fmt}.db"
        r = sh("import", str(path), db=other)
        assert r.exit_code == 0, r.stderr
        jobs = {j["name"]: j for j in sh("list", "--json", db=other).json()}
        assert jobs["poll"]["jitter_s"] == 120 and jobs["agent"]["at_boot"] is True
        assert sh("run-due", db=other).stdout == ""  # imported in this boot: not yet
    text = (tmp_path / "jobs.toml").read_text()
    assert 'jitter = "2m"' in text and 'cron = "@reboot"' in text
    doc = json.loads((tmp_path / "jobs.json").read_text())
    assert [j["jitter"] for j in doc["jobs"]] == [None, "2m"]


def test_a_document_with_a_bad_jitter_imports_nothing(cli, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"jobs": [{"name": "a", "every": "1h", "command": "true", "jitter": "soon"}]}))
    r = cli("import", str(path))
    assert r.exit_code == 2 and r.stderr.startswith("Error: entry 1 ('a'): jitter: invalid duration 'soon'")
    assert cli("list", "--json").json() == []


def test_systemd_export_boot_timer_and_randomized_delay(cli, two_jobs, tmp_path):
    out = tmp_path / "units"
    r = cli("export", "--format", "systemd", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    agent = (out / "schedcli-agent.timer").read_text()
    assert "\nOnBootSec=0\n" in agent and "OnCalendar" not in agent
    poll = (out / "schedcli-poll.timer").read_text()
    assert "\nRandomizedDelaySec=120s\nFixedRandomDelay=true\n" in poll
    assert "OnBootSec" not in poll
    _verify(sorted(out.iterdir()))


def test_kubernetes_refuses_reboot_and_warns_about_jitter(cli, two_jobs, tmp_path):
    out = tmp_path / "cronjobs.yaml"
    r = cli("export", "--format", "k8s", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert "agent: @reboot jobs have no CronJob form (a cluster has no boot of its own)" in r.stderr
    assert "poll: jitter 2m has no CronJob form: Kubernetes starts it at its scheduled times" in r.stderr
    docs = yaml_docs(out.read_text())
    assert [d["spec"]["schedule"] for d in docs] == ["*/5 * * * *"]
    k8s_validate(out)
