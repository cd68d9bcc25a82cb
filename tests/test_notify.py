"""Notifications: hook commands, webhooks to a real HTTP server on loopback, the config file."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from schedcli.clock import ManualClock
from schedcli.config import Hooks, load
from schedcli.store import Store
from schedcli.engine import Engine
from schedcli.services.jobs import add_job
from schedcli.model import JobSpec
from schedcli.services.notify import Notifier, events_for

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def webhook_server():
    received: list[dict] = []
    statuses = {"code": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"path": self.path, "body": json.loads(body),
                             "type": self.headers["Content-Type"]})
            self.send_response(statuses["code"])
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", received, statuses
    server.shutdown()
    server.server_close()


def _engine(store, hooks=Hooks(), timeout=10.0):
    def record(run_id, result):
        with store.write():
            store.record_hook(run_id, result.event, result.target, result.ok, result.detail, T0.timestamp())

    return Engine(store, ManualClock(T0), notifier=Notifier(hooks, timeout, record))


def test_events():
    assert events_for("error", None) == ["failure"]
    assert events_for("timeout", "success") == ["failure"]
    assert events_for("success", None) == ["success"]
    assert events_for("success", "error") == ["success", "recovery"]
    assert events_for("warning", "timeout") == ["success", "recovery"]
    assert events_for("skipped", "error") == []


def test_failure_success_recovery_hooks(db_path, tmp_path):
    log = tmp_path / "hooks.log"
    flag = tmp_path / "fail"
    flag.touch()
    store = Store(db_path)
    add_job(store, "flaky", JobSpec(
        kind="every", expr="1m", timezone="UTC", command=[f"test ! -e {flag}"],
        on_failure=f'echo "failure $SCHEDCLI_JOB $SCHEDCLI_STATUS $SCHEDCLI_EXIT_CODE" >> {log}',
        on_success=f'echo "success $SCHEDCLI_RUN_ID" >> {log}',
        on_recovery=f'echo "recovery $SCHEDCLI_SCHEDULED_FOR" >> {log}',
    ), T0)
    engine = _engine(store)
    engine.tick(T0 + timedelta(minutes=1))
    flag.unlink()
    engine.tick(T0 + timedelta(minutes=2))
    engine.tick(T0 + timedelta(minutes=3))
    assert log.read_text().splitlines() == [
        "failure flaky error 1",
        "success 2",
        "recovery 2026-12-01T09:02:00Z",
        "success 3",
    ]


def test_webhook_receives_the_run(db_path, webhook_server):
    url, received, _ = webhook_server
    store = Store(db_path)
    add_job(store, "w", JobSpec(kind="every", expr="1m", timezone="UTC",
                                command=["echo payload; exit 2"], webhook=url + "/hook"), T0)
    _engine(store).tick(T0 + timedelta(minutes=1))
    assert len(received) == 1
    body = received[0]["body"]
    assert received[0]["path"] == "/hook" and received[0]["type"] == "application/json"
    assert body["event"] == "failure"
    assert body["run"]["job"] == "w" and body["run"]["status"] == "error" and body["run"]["exit_code"] == 2
    assert body["output_tail"] == "payload\n"
    [hook] = store.hook_results(1)
    assert hook.ok == 1 and hook.detail == "HTTP 200"


def test_failing_hooks_are_recorded_and_never_block(db_path, webhook_server):
    url, received, statuses = webhook_server
    statuses["code"] = 500
    store = Store(db_path)
    add_job(store, "j", JobSpec(kind="every", expr="1m", timezone="UTC", command=["false"],
                                on_failure="exit 7", webhook=url), T0)
    add_job(store, "slowhook", JobSpec(kind="every", expr="1m", timezone="UTC", command=["false"],
                                       on_failure="sleep 100"), T0)
    add_job(store, "dead", JobSpec(kind="every", expr="1m", timezone="UTC", command=["false"],
                                   webhook="http://127.0.0.1:9/unreachable"), T0)
    result = _engine(store, timeout=1.0).tick(T0 + timedelta(minutes=1))
    assert sorted(r.status for r in result.runs) == ["error"] * 3
    details = {(h.target, h.ok, h.detail.split(":")[0])
               for rid in (1, 2, 3) for h in store.hook_results(rid)}
    assert ("job on-failure", 0, "exit code 7") in details
    assert ("job webhook", 0, "HTTP 500") in details
    assert ("job on-failure", 0, "hook timed out after 1s") in details
    assert any(t == "job webhook" and ok == 0 and d.startswith("webhook failed") for t, ok, d in details)


def test_global_hooks_from_config(cli, db_path, tmp_path, monkeypatch):
    log = tmp_path / "global.log"
    cfg = tmp_path / "xdg-config" / "schedcli" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(f'timezone = "Asia/Tokyo"\nmax_parallel = 2\n[hooks]\non_failure = "echo global $SCHEDCLI_JOB >> {log}"\n')
    assert cli("add", "bad", "--every", "1h", "--", "false").exit_code == 0
    assert cli("show", "bad", "--json").json()["timezone"] == "Asia/Tokyo"
    r = cli("run", "bad")
    assert r.exit_code == 1
    assert log.read_text() == "global bad\n"
    logs = cli("logs", "1")
    assert "global on-failure for failure: ok" in logs.stderr
    shown = cli("config", "show", "--json").json()
    assert shown["exists"] is True and shown["max_parallel"] == 2
    assert shown["hooks"]["on_failure"].startswith("echo global")
    assert cli("config", "path").stdout.strip() == str(cfg)


@pytest.mark.parametrize("text, fragment", [
    ("max_parallel = 0\n", "max_parallel"),
    ("bogus = 1\n", "unknown key"),
    ('timezone = "Mars/Base"\n', "timezone"),
    ('[hooks]\nwebhook = "ftp://x"\n', "hooks.webhook"),
    ('[retention]\nolder_than = "soon"\n', "retention.older_than"),
    ("this is not toml", "not valid TOML"),
])
def test_bad_config_is_one_clear_error(cli, tmp_path, text, fragment):
    cfg = tmp_path / "xdg-config" / "schedcli" / "config.toml"
    cfg.parent.mkdir(parents=True)
    cfg.write_text(text)
    r = cli("add", "x", "--every", "1h", "--", "true")
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: config ") and fragment in r.stderr and r.stderr.count("\n") == 1
    from schedcli.config import ConfigError

    with pytest.raises(ConfigError):
        load(cfg)


def test_hook_options_validated(cli):
    r = cli("add", "x", "--every", "1h", "--webhook", "not-a-url", "--", "true")
    assert r.exit_code == 2 and "webhook" in r.stderr
    assert cli("add", "x", "--every", "1h", "--on-failure", "echo hi", "--", "true").exit_code == 0
    doc = cli("edit", "x", "--no-hooks", "--json").json()
    assert doc["on_failure"] is None
