"""Mail like cron's: sendmail -oi -t (a fake one on PATH), --mail-on, MAILTO in crontabs,
and addresses that cannot add a header or a line to anything."""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pytest
from notify_helpers import sendmail, write_config  # noqa: F401 (fixtures)

from schedcli.clock import ManualClock
from schedcli.config import Hooks, NotifyDefaults
from schedcli.engine import Engine
from schedcli.model import JobSpec
from schedcli.services.jobs import add_job
from schedcli.services.notify import Notifier
from schedcli.store import Store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def on_path(sendmail, monkeypatch):
    monkeypatch.setenv("PATH", f"{sendmail.bin_dir}:{os.environ['PATH']}")
    return sendmail


def _engine(store, defaults=None, timeout=10.0):
    def record(run_id, result):
        with store.write():
            store.record_hook(run_id, result.event, result.target, result.ok, result.detail, T0.timestamp())

    return Engine(store, ManualClock(T0), notifier=Notifier(Hooks(), timeout, record, defaults, str(store.path)))


def _add(store, name, command, **kw):
    add_job(store, name, JobSpec(kind="every", expr="1m", timezone="UTC", command=[command], **kw), T0)


def test_a_failure_is_mailed_with_the_job_and_status_in_the_subject(db_path, on_path):
    store = Store(db_path)
    _add(store, "backup", "echo copying; echo 'disk full' >&2; exit 2", mailto="Ops Team <ops@example.org>, root")
    _add(store, "fine", "echo fine", mailto="ops@example.org")
    _engine(store).tick(T0 + timedelta(minutes=1))
    [mail] = on_path.messages()  # success is not mailed by default
    assert on_path.args() == ["-oi -t"]
    assert mail["To"] == "Ops Team <ops@example.org>, root"
    assert mail["Subject"].startswith("schedcli: backup failed (exit code 2, ")
    assert mail["X-Schedcli-Job"] == "backup" and mail["X-Schedcli-Status"] == "error"
    body = mail.get_content()
    assert "Job:       backup" in body and "copying\ndisk full" in body and "schedcli logs 1" in body
    [record] = [h for h in store.hook_results(1) if h.target == "job mail"]
    assert record.ok and record.event == "failure" and record.detail.startswith("to Ops Team")


@pytest.mark.parametrize("mail_on, mailed", [
    ("failure", ["bad"]),
    ("output", ["talks"]),  # cron's rule: any output (a silent failure is not mailed)
    ("always", ["bad", "silent", "talks"]),
    ("never", []),
])
def test_mail_on_chooses_the_runs_that_are_mailed(db_path, on_path, mail_on, mailed):
    store = Store(db_path)
    _add(store, "talks", "echo something", mailto="a@example.org", mail_on=mail_on)
    _add(store, "silent", "true", mailto="a@example.org", mail_on=mail_on)
    _add(store, "bad", "exit 1", mailto="a@example.org", mail_on=mail_on)
    _engine(store).tick(T0 + timedelta(minutes=1))
    assert sorted(m["X-Schedcli-Job"] for m in on_path.messages()) == mailed


def test_retries_mail_once_after_the_last_attempt(db_path, on_path):
    store = Store(db_path)
    _add(store, "flaky", "echo attempt $SCHEDCLI_ATTEMPT; exit 1", mailto="a@example.org", retries=2, retry_delay=1)
    result = _engine(store).tick(T0 + timedelta(minutes=1))
    assert [r.attempt for r in result.runs] == [1, 2, 3]
    [mail] = on_path.messages()
    assert "attempt 3" in mail.get_content() and "Run:       #3 (schedule, attempt 3)" in mail.get_content()


def test_configured_mailto_and_sendmail_and_opting_out(db_path, sendmail, tmp_path):
    store = Store(db_path)
    _add(store, "a", "exit 1")
    _add(store, "b", "exit 1", mailto="none")
    _add(store, "c", "exit 1", mailto="c@example.org")
    defaults = NotifyDefaults(mailto="team@example.org", sendmail=str(sendmail.bin_dir / "sendmail"))
    _engine(store, defaults).tick(T0 + timedelta(minutes=1))  # no sendmail on PATH: the configured one
    assert sorted((m["X-Schedcli-Job"], m["To"]) for m in sendmail.messages()) == [
        ("a", "team@example.org"), ("c", "c@example.org")]
    assert [h.target for h in store.hook_results(1)] == ["global mail"]


def test_sendmail_is_found_on_the_jobs_own_path(db_path, sendmail):
    store = Store(db_path)
    _add(store, "a", "exit 1", mailto="a@example.org", env={"PATH": f"{sendmail.bin_dir}:/usr/bin:/bin"})
    _engine(store).tick(T0 + timedelta(minutes=1))
    assert len(sendmail.messages()) == 1


def test_a_failing_sendmail_is_recorded(db_path, tmp_path, monkeypatch):
    bin_dir = tmp_path / "badbin"
    bin_dir.mkdir()
    (bin_dir / "sendmail").write_text("#!/bin/sh\ncat > /dev/null\necho 'queue full' >&2\nexit 75\n")
    (bin_dir / "sendmail").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    store = Store(db_path)
    _add(store, "a", "exit 1", mailto="a@example.org")
    [run] = _engine(store).tick(T0 + timedelta(minutes=1)).runs
    assert run.status == "error"
    [record] = store.hook_results(run.id)
    assert not record.ok and record.detail.endswith("sendmail exit code 75: queue full")


def test_mail_from_the_command_line_under_cron_environment(sh, sendmail, tmp_path):
    env = {"PATH": f"{sendmail.bin_dir}:/usr/bin:/bin"}
    assert sh("add", "j", "--every", "1h", "--mailto", "me@example.org", "--mail-on", "output", "--",
              "echo hello from cron", env=env).exit_code == 0
    assert sh("run", "j", env=env).exit_code == 0
    [mail] = sendmail.messages()
    assert mail["Subject"].startswith("schedcli: j succeeded (") and "hello from cron" in mail.get_content()


# -- addresses never inject ------------------------------------------------------------------


@pytest.mark.parametrize("address", [
    "a@example.org\nBcc: victim@example.org", "a@example.org\r\nX: y", "-oQ/tmp", "a@", "a b", "",
])
def test_bad_addresses_are_refused_at_add_edit_and_import(cli, tmp_path, address):
    r = cli("add", "x", "--every", "1h", "--mailto", address, "--", "true")
    assert r.exit_code == 2 and r.stderr.startswith("Error: invalid --mailto") and r.stderr.count("\n") == 1
    assert cli("list", "--json").json() == []
    assert cli("add", "x", "--every", "1h", "--", "true").exit_code == 0
    assert cli("edit", "x", "--mailto", address).exit_code == 2
    doc = tmp_path / "jobs.json"
    import json

    doc.write_text(json.dumps({"version": 1, "jobs": [
        {"name": "y", "every": "1h", "command": ["true"], "mailto": address}]}))
    assert cli("import", str(doc)).exit_code == 2
    assert [j["name"] for j in cli("list", "--json").json()] == ["x"]
    assert cli("show", "x", "--json").json()["mailto"] is None


def test_a_bad_crontab_mailto_is_refused(cli, tmp_path):
    tab = tmp_path / "tab"
    tab.write_text("MAILTO=ops@example.org;rm -rf ~\n0 3 * * * true\n")
    r = cli("import", str(tab), "--format", "crontab")
    assert r.exit_code == 2 and "line 1: invalid MAILTO" in r.stderr
    assert cli("list", "--json").json() == []


@pytest.mark.parametrize("text, fragment", [
    ('mailto = "a@b\\nBcc: c@d"\n', "mailto"),
    ('mail_on = "weekly"\n', "mail_on"),
    ('sendmail = "sendmail"\n', "sendmail"),
    ('ping = "hc-ping.com/x"\n', "ping"),
    ('[hooks]\nwebhook_format = "xml"\n', "hooks.webhook_format"),
])
def test_bad_notification_config_is_one_error(cli, tmp_path, text, fragment):
    write_config(tmp_path, text)
    r = cli("add", "x", "--every", "1h", "--", "true")
    assert r.exit_code == 2 and r.stderr.startswith(f"Error: config ") and fragment in r.stderr
    assert r.stderr.count("\n") == 1


# -- crontab MAILTO -----------------------------------------------------------------------------


def test_crontab_mailto_applies_to_the_lines_below_it_and_is_exported_back(cli, tmp_path):
    tab = tmp_path / "tab"
    tab.write_text(
        "0 1 * * * echo before\n"
        "MAILTO=ops@example.org\n"
        "# name: first\n0 2 * * * echo first\n"
        'MAILTO=""\n'
        "# name: second\n0 3 * * * echo second\n"
        "MAILTO=root,dev@example.org\n"
        "# name: third\n0 4 * * * echo third\n"
    )
    r = cli("import", str(tab), "--format", "crontab")
    assert r.exit_code == 0, r.stderr
    assert "sends no mail" not in r.stderr and "mail every run that prints anything" in r.stderr
    jobs = {j["name"]: (j["mailto"], j["mail_on"]) for j in cli("list", "--json").json()}
    assert jobs == {"echo": (None, None), "first": ("ops@example.org", "output"), "second": ("none", None),
                    "third": ("root,dev@example.org", "output")}
    out = cli("export", "--format", "crontab")
    assert out.exit_code == 0
    text = out.stdout
    assert "MAILTO=ops@example.org\n# name: first\n" in text
    assert 'MAILTO=""\n' in text and "MAILTO=root,dev@example.org\n" in text
    again = tmp_path / "again"
    again.write_text(text)
    assert cli("import", str(again), "--format", "crontab", "--replace", "--dry-run", "--json").json()["updated"] == []


def test_exports_warn_about_notifications_that_stay_with_schedcli(cli):
    assert cli("add", "m", "--cron", "0 3 * * *", "--mailto", "ops@example.org", "--ping",
               "https://hc-ping.com/abc", "--", "true").exit_code == 0
    assert cli("add", "o", "--cron", "0 4 * * *", "--mailto", "ops@example.org", "--mail-on", "output",
               "--", "true").exit_code == 0
    crontab = cli("export", "--format", "crontab")
    assert "m: --ping, --mail-on failure (cron mails any output): sent by schedcli" in crontab.stderr
    assert "o:" not in crontab.stderr  # cron's own rule: MAILTO carries it
    k8s = cli("export", "--format", "k8s")
    assert "m: --ping, --mailto: sent by schedcli, not by the exported k8s job" in k8s.stderr
    assert "o: --mailto: sent by schedcli" in k8s.stderr
    assert "ops@example.org" not in k8s.stdout
