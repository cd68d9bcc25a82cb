"""Pings, webhook formats and --notify-on, against a real HTTP server on loopback; every
channel of a failing job from run, run-due and watch through the real entry point."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from notify_helpers import receiver, sendmail, write_config  # noqa: F401 (fixtures)
from waiting import wait_for

from schedcli.clock import ManualClock
from schedcli.config import Hooks, NotifyDefaults
from schedcli.engine import Engine
from schedcli.model import JobSpec
from schedcli.services.jobs import add_job
from schedcli.services.notify import Notifier
from schedcli.store import Store

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def _engine(store, hooks=Hooks(), timeout=10.0, defaults=None):
    def record(run_id, result):
        with store.write():
            store.record_hook(run_id, result.event, result.target, result.ok, result.detail, T0.timestamp())

    return Engine(store, ManualClock(T0), notifier=Notifier(hooks, timeout, record, defaults, str(store.path)))


def _add(store, name, command, **kw):
    add_job(store, name, JobSpec(kind="every", expr="1m", timezone="UTC", command=[command], **kw), T0)


def _hooks(store, run_id):
    return [(h.event, h.target, bool(h.ok), h.detail) for h in store.hook_results(run_id)]


# -- pings -----------------------------------------------------------------------------


def test_pings_follow_the_healthchecks_protocol(db_path, receiver):
    store = Store(db_path)
    _add(store, "ok", "echo all good", ping=receiver.url + "/hc/ok")
    _add(store, "bad", "echo broken; exit 4", ping=receiver.url + "/hc/bad/")
    _engine(store).tick(T0 + timedelta(minutes=1))
    by_path = {}
    for r in receiver.requests:
        by_path.setdefault(r.path.split("/")[2], []).append(r)
    assert [r.path for r in by_path["ok"]] == ["/hc/ok/start", "/hc/ok"]
    assert [r.path for r in by_path["bad"]] == ["/hc/bad/start", "/hc/bad/fail"]
    for reqs in by_path.values():
        start, end = reqs
        assert start.query["rid"] == end.query["rid"]  # the server pairs them
        uuid.UUID(start.query["rid"])  # healthchecks wants a UUID
        assert start.body == b""
    assert by_path["ok"][1].body == b"all good\n" and by_path["bad"][1].body == b"broken\n"
    assert by_path["ok"][0].query["rid"] != by_path["bad"][0].query["rid"]
    assert ("start", "job ping", True, "HTTP 200") in _hooks(store, 1) + _hooks(store, 2)
    assert ("failure", "job ping", True, "HTTP 200") in _hooks(store, 1) + _hooks(store, 2)


def test_a_retried_failure_pings_once_at_the_end_and_a_retry_that_succeeds_pings_success(db_path, receiver, tmp_path):
    flag = tmp_path / "fail-once"
    flag.touch()
    store = Store(db_path)
    _add(store, "never", "exit 1", ping=receiver.url + "/never", retries=2, retry_delay=1)
    _add(store, "second", f"if [ -e {flag} ]; then rm {flag}; exit 1; fi", ping=receiver.url + "/second",
         retries=1, retry_delay=1)
    result = _engine(store).tick(T0 + timedelta(minutes=1))
    attempts = sorted((r.job, r.attempt, r.status) for r in result.runs)
    assert attempts == [("never", 1, "error"), ("never", 2, "error"), ("never", 3, "error"),
                        ("second", 1, "error"), ("second", 2, "success")]
    never = [r for r in receiver.requests if r.path.startswith("/never")]
    second = [r for r in receiver.requests if r.path.startswith("/second")]
    assert [r.path for r in never] == ["/never/start", "/never/fail"]
    assert [r.path for r in second] == ["/second/start", "/second"]
    assert len({r.query["rid"] for r in never}) == 1 and len({r.query["rid"] for r in second}) == 1
    first_attempts = [r.id for r in result.runs if r.attempt == 1]
    for run_id in first_attempts:  # the failed first attempts pinged start only
        assert [h[0] for h in _hooks(store, run_id) if h[1] == "job ping"] == ["start"]


def test_a_ping_carries_the_last_10_kB_of_output(db_path, receiver):
    store = Store(db_path)
    _add(store, "loud", "head -c 50000 /dev/zero | tr '\\0' a; echo END", ping=receiver.url + "/loud")
    _engine(store).tick(T0 + timedelta(minutes=1))
    end = receiver.requests[-1]
    assert end.path == "/loud" and len(end.body) == 10_000 and end.body.endswith(b"aaaaEND\n")


def test_failing_pings_are_recorded_and_never_stop_the_run(db_path, receiver):
    receiver.status = 503
    store = Store(db_path)
    _add(store, "down", "exit 1", ping=receiver.url + "/down")
    _add(store, "refused", "true", ping="http://127.0.0.1:9/refused")
    result = _engine(store).tick(T0 + timedelta(minutes=1))
    assert sorted(r.status for r in result.runs) == ["error", "success"]
    down = next(r.id for r in result.runs if r.job == "down")
    refused = next(r.id for r in result.runs if r.job == "refused")
    assert _hooks(store, down) == [("start", "job ping", False, "HTTP 503"), ("failure", "job ping", False, "HTTP 503")]
    assert [(e, ok) for e, _, ok, _ in _hooks(store, refused)] == [("start", False), ("success", False)]
    assert all(d.startswith("ping failed: ") for *_, d in _hooks(store, refused))


def test_a_server_that_does_not_answer_is_given_up_after_the_timeout(db_path, receiver):
    receiver.delay = 3.0
    store = Store(db_path)
    _add(store, "slow", "true", ping=receiver.url + "/slow")
    result = _engine(store, timeout=0.5).tick(T0 + timedelta(minutes=1))
    [run] = result.runs
    assert run.status == "success"
    assert [(e, ok, d) for e, _, ok, d in _hooks(store, run.id)] == [
        ("start", False, "ping failed: no answer within 0.5s"), ("success", False, "ping failed: no answer within 0.5s")]


def test_the_configured_ping_names_each_job_and_none_opts_out(db_path, receiver):
    store = Store(db_path)
    _add(store, "a", "true")
    _add(store, "b", "true", ping="none")
    _add(store, "c", "true", ping=receiver.url + "/own")
    defaults = NotifyDefaults(ping=receiver.url + "/key/{job}?create=1")
    _engine(store, defaults=defaults).tick(T0 + timedelta(minutes=1))
    got = sorted((r.path, r.query.get("create")) for r in receiver.requests)
    assert got == [("/key/a", "1"), ("/key/a/start", "1"), ("/own", None), ("/own/start", None)]
    assert [target for _, target, _, _ in _hooks(store, 1)] == ["global ping"] * 2


# -- webhook formats -------------------------------------------------------------------


def test_slack_gets_text_with_the_job_the_status_and_the_output_in_a_code_block(db_path, receiver):
    store = Store(db_path)
    _add(store, "report", "echo '<b>&</b>'; echo '```'; exit 2", webhook=receiver.url + "/slack",
         webhook_format="slack")
    _engine(store).tick(T0 + timedelta(minutes=1))
    [req] = receiver.requests
    assert req.headers["content-type"] == "application/json"
    doc = json.loads(req.body)
    assert list(doc) == ["text"]
    head, block = doc["text"].split("\n", 1)
    assert head.startswith(":x: *report* failed (exit code 2, ") and head.endswith("s)")
    assert block == "```\n&lt;b&gt;&amp;&lt;/b&gt;\n`\u200b``\n```"


def test_ntfy_gets_plain_text_with_title_priority_and_tags(db_path, receiver, tmp_path):
    flag = tmp_path / "fail"
    flag.touch()
    store = Store(db_path)
    _add(store, "nt", f"echo disk full; test ! -e {flag}", webhook=receiver.url + "/topic", webhook_format="ntfy")
    engine = _engine(store)
    engine.tick(T0 + timedelta(minutes=1))
    flag.unlink()
    engine.tick(T0 + timedelta(minutes=2))
    failed, recovered = receiver.requests
    assert failed.body == b"disk full" and failed.headers["content-type"].startswith("text/plain")
    assert failed.headers["title"].startswith("nt failed (exit code 1")
    assert failed.headers["priority"] == "high" and failed.headers["tags"] == "schedcli,x"
    assert recovered.headers["title"].startswith("nt succeeded (")
    assert recovered.headers["priority"] == "default"
    assert recovered.headers["tags"] == "schedcli,white_check_mark,recovery"


def test_the_json_webhook_is_unchanged(db_path, receiver):
    store = Store(db_path)
    _add(store, "j", "echo hi", webhook=receiver.url + "/j")
    _engine(store).tick(T0 + timedelta(minutes=1))
    [req] = receiver.requests
    doc = json.loads(req.body)
    assert set(doc) == {"event", "events", "run", "output_tail"}
    assert doc["event"] == "success" and doc["events"] == ["success"] and doc["output_tail"] == "hi\n"


# -- --notify-on -------------------------------------------------------------------------


def test_notify_on_filters_hooks_webhooks_and_pings(db_path, receiver, tmp_path):
    log = tmp_path / "hooks.log"
    store = Store(db_path)
    common = dict(on_failure=f"echo fail $SCHEDCLI_JOB >> {log}", on_success=f"echo ok $SCHEDCLI_JOB >> {log}")
    _add(store, "f-ok", "true", notify_on="failure", webhook=receiver.url + "/f-ok", **common)
    _add(store, "f-bad", "false", notify_on="failure", webhook=receiver.url + "/f-bad",
         ping=receiver.url + "/hc-f-bad", **common)
    _add(store, "start", "true", notify_on="start", webhook=receiver.url + "/start-hook", **common)
    _add(store, "quiet", "false", notify_on="none", webhook=receiver.url + "/quiet",
         ping=receiver.url + "/hc-quiet", **common)
    _engine(store).tick(T0 + timedelta(minutes=1))
    assert log.read_text() == "fail f-bad\n"
    paths = sorted(receiver.paths())
    assert paths == ["/f-bad", "/hc-f-bad/fail", "/start-hook"]  # no /start: not listed
    start = next(r for r in receiver.requests if r.path == "/start-hook")
    doc = json.loads(start.body)
    assert doc["event"] == "start" and doc["events"] == ["start"] and doc["run"]["status"] == "running"
    assert store.hook_results(4) == []


def test_notify_on_recovery_pings_only_the_recovering_success(db_path, receiver, tmp_path):
    flag = tmp_path / "fail"
    flag.touch()
    store = Store(db_path)
    _add(store, "r", f"test ! -e {flag}", notify_on="recovery", ping=receiver.url + "/r")
    engine = _engine(store)
    engine.tick(T0 + timedelta(minutes=1))
    flag.unlink()
    engine.tick(T0 + timedelta(minutes=2))
    engine.tick(T0 + timedelta(minutes=3))
    assert receiver.paths() == ["/r"]


# -- the command line --------------------------------------------------------------------


def test_options_are_stored_shown_and_cleared(cli, receiver):
    r = cli("add", "x", "--every", "1h", "--ping", receiver.url + "/p", "--webhook", receiver.url + "/w",
            "--webhook-format", "slack", "--notify-on", "recovery,failure", "--mailto", "ops@example.org",
            "--mail-on", "output", "--json", "--", "true")
    assert r.exit_code == 0, r.stderr
    doc = r.json()
    assert (doc["ping"], doc["webhook_format"], doc["notify_on"], doc["mailto"], doc["mail_on"]) == (
        receiver.url + "/p", "slack", "failure,recovery", "ops@example.org", "output")
    shown = cli("show", "x").stdout
    assert f"webhook    {receiver.url}/w (slack)" in shown
    assert "mail       ops@example.org (on output)" in shown and "notify on  failure,recovery" in shown
    cleared = cli("edit", "x", "--no-hooks", "--json").json()
    assert all(cleared[k] is None for k in ("ping", "webhook", "webhook_format", "notify_on", "mailto", "mail_on"))


@pytest.mark.parametrize("args, fragment", [
    (["--ping", "ftp://example.org/x"], "invalid --ping URL"),
    (["--ping", "https://example.org/x\nExtra: 1"], "blank or a control character"),
    (["--webhook", "https://example.org/\r\nx"], "invalid webhook URL"),
    (["--notify-on", "failure,sometimes"], "invalid --notify-on"),
    (["--webhook-format", "xml"], "webhook-format"),
    (["--mail-on", "weekly"], "mail-on"),
])
def test_bad_channel_options_are_one_error_line_and_change_nothing(cli, args, fragment):
    r = cli("add", "x", "--every", "1h", *args, "--", "true")
    assert r.exit_code == 2 and r.stderr.startswith("Error: ") and fragment in r.stderr
    assert r.stderr.count("\n") == 1
    assert cli("list", "--json").json() == []
    assert cli("add", "x", "--every", "1h", "--", "true").exit_code == 0
    e = cli("edit", "x", *args)
    assert e.exit_code == 2 and fragment in e.stderr
    assert cli("show", "x", "--json").json()["ping"] is None


def _config(tmp_path, receiver, sendmail):
    write_config(tmp_path, f'[hooks]\nwebhook = "{receiver.url}/slack"\nwebhook_format = "slack"\n'
                           f'on_failure = "echo hook $SCHEDCLI_JOB >> {tmp_path}/hook.log"\n')
    return {"PATH": f"{sendmail.bin_dir}:{os.environ['PATH']}"}


def _assert_every_channel(receiver, sendmail, tmp_path, job="broken"):
    wait_for(lambda: len(receiver.requests) >= 4 and sendmail.messages(), what="every channel")
    by_path = {r.path: r for r in receiver.requests}
    assert set(by_path) == {"/hc/start", "/hc/fail", "/ntfy", "/slack"}
    assert by_path["/hc/fail"].body == b"it broke\n"
    assert by_path["/ntfy"].headers["priority"] == "high" and by_path["/ntfy"].body == b"it broke"
    assert json.loads(by_path["/slack"].body)["text"].startswith(f":x: *{job}* failed (exit code 3")
    [mail] = sendmail.messages()
    assert mail["To"] == "ops@example.org" and mail["Subject"].startswith(f"schedcli: {job} failed (exit code 3")
    assert "it broke" in mail.get_content()
    assert (tmp_path / "hook.log").read_text() == f"hook {job}\n"


def _channel_options(receiver):
    return ["--ping", receiver.url + "/hc", "--webhook", receiver.url + "/ntfy", "--webhook-format", "ntfy",
            "--mailto", "ops@example.org"]


@pytest.mark.parametrize("command", ["run", "run-due"])
def test_a_failing_job_reaches_every_channel_from_run_and_run_due(sh, receiver, sendmail, tmp_path, command):
    env = _config(tmp_path, receiver, sendmail)
    assert sh("add", "broken", "--every", "1m", *_channel_options(receiver), "--", "echo it broke; exit 3",
              env=env).exit_code == 0
    args = ["run", "broken"] if command == "run" else [
        "run-due", "--now", (datetime.now(timezone.utc) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")]
    r = sh(*args, env=env)
    assert r.exit_code == 1, r.stderr
    _assert_every_channel(receiver, sendmail, tmp_path)
    logs = sh("logs", "broken", env=env).stderr
    assert "(job ping for failure: ok: HTTP 200)" in logs and "(job mail for failure: ok: to ops@example.org" in logs


def test_a_failing_job_reaches_every_channel_from_watch(sh, db_path, receiver, sendmail, tmp_path):
    env = _config(tmp_path, receiver, sendmail)
    when = (datetime.now(timezone.utc) + timedelta(seconds=3)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert sh("add", "broken", "--at", when, *_channel_options(receiver), "--", "echo it broke; exit 3",
              env=env).exit_code == 0
    watch = subprocess.Popen([sys.executable, "-m", "schedcli", "--db", str(db_path), "watch"],
                             env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, text=True)
    try:
        _assert_every_channel(receiver, sendmail, tmp_path)
    finally:
        watch.send_signal(signal.SIGTERM)
        out, err = watch.communicate(timeout=30)
    assert "broken" in out + err


def test_an_ntfy_title_is_one_latin_1_line_whatever_the_reason_says():
    from schedcli.model import Run
    from schedcli.services.notify.webhook import payload

    run = Run(id=1, job_id=1, job="j", trigger="manual", scheduled_for=0, attempt=1, status="error",
              reason="could not start the process: trop de fichiers ouverts — EMFILE\nsecond line",
              started_at=0.0, finished_at=1.0, duration_s=1.0, exit_code=None)
    _, headers = payload("ntfy", "j", run, ["failure"], b"")
    title = headers["Title"]
    assert "\n" not in title and title.encode("latin-1")
    assert title.startswith("j failed (could not start the process: trop de fichiers ouverts ? EMFILE second line")
