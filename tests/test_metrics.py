"""``schedcli metrics``: the Prometheus exposition, read back with prometheus_client's own
parser; the atomic textfile; run-due and watch rewriting it after every tick (and the quick
cron path paying nothing for it when it is not configured)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from waiting import wait_for


def parse(text: str) -> dict[str, dict[tuple, float]]:
    """{family name: {sorted label items: value}} of an exposition."""
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        samples = out.setdefault(family.name, {})
        for sample in family.samples:
            samples[(sample.name, *sorted(sample.labels.items()))] = sample.value
    return out


def job_value(metrics: dict, family: str, job: str, sample: str | None = None, **labels: str):
    key = (sample or family, *sorted({"job": job, **labels}.items()))
    return metrics[family].get(key)


def config_with(tmp_path: Path, text: str) -> dict[str, str]:
    """An environment whose configuration file holds ``text``."""
    conf = tmp_path / "conf" / "config.toml"
    conf.parent.mkdir(exist_ok=True)
    conf.write_text(text)
    return {"SCHEDCLI_CONFIG": str(conf)}


def test_jobs_and_their_runs_as_metrics(cli, sh):
    assert cli("add", "good", "--every", "1h", "--", "echo fine").exit_code == 0
    assert cli("add", "bad", "--every", "1h", "--", "echo broken; exit 3").exit_code == 0
    assert cli("add", "idle", "--every", "1h", "--disabled", "--", "true").exit_code == 0
    assert sh("run", "good").exit_code == 0
    assert sh("run", "good").exit_code == 0
    assert sh("run", "bad").exit_code == 1
    shown = {j["name"]: j for j in cli("list", "--json").json()}

    r = cli("metrics")
    assert r.exit_code == 0, r.stderr
    m = parse(r.stdout)
    runs = "schedcli_job_runs"
    assert job_value(m, runs, "good", "schedcli_job_runs_total", status="success") == 2
    assert job_value(m, runs, "bad", "schedcli_job_runs_total", status="error") == 1
    # every status is there from 0, so that increase() sees a job's first failure
    assert job_value(m, runs, "idle", "schedcli_job_runs_total", status="timeout") == 0
    assert len(m[runs]) == 3 * 7
    assert job_value(m, "schedcli_job_last_exit_code", "bad") == 3
    assert job_value(m, "schedcli_job_last_exit_code", "good") == 0
    assert job_value(m, "schedcli_job_failing", "bad") == 1
    assert job_value(m, "schedcli_job_failing", "good") == 0
    assert job_value(m, "schedcli_job_last_success_timestamp_seconds", "bad") is None
    last_ok = job_value(m, "schedcli_job_last_success_timestamp_seconds", "good")
    started = job_value(m, "schedcli_job_last_run_timestamp_seconds", "good")
    assert last_ok >= started > 0
    assert job_value(m, "schedcli_job_last_duration_seconds", "good") >= 0
    assert job_value(m, "schedcli_job_enabled", "idle") == 0
    assert job_value(m, "schedcli_job_enabled", "good") == 1
    assert job_value(m, "schedcli_job_running", "good") == 0
    from datetime import datetime

    next_good = datetime.fromisoformat(shown["good"]["next_run_at"].replace("Z", "+00:00")).timestamp()
    assert job_value(m, "schedcli_job_next_run_timestamp_seconds", "good") == next_good
    assert job_value(m, "schedcli_job_next_run_timestamp_seconds", "idle") is None  # disabled
    # a registry of our own: none of prometheus_client's default process/python metrics
    assert not [name for name in m if not name.startswith("schedcli_")]


def test_missed_occurrences_count_one_by_one(cli):
    assert cli("add", "hourly", "--cron", "0 * * * *", "--tz", "UTC", "--catch-up", "none",
               "--", "true").exit_code == 0
    # five hours later, catch-up none: the occurrences in between are missed
    assert cli("run-due", "--now", "2099-01-01T05:30Z").exit_code == 0
    m = parse(cli("metrics").stdout)
    history = cli("history", "hourly", "--json").json()
    missed = sum(h.get("missed_count") or 1 for h in history if h["status"] == "missed")
    assert missed > 1
    assert job_value(m, "schedcli_job_runs", "hourly", "schedcli_job_runs_total", status="missed") == missed


def test_label_values_are_escaped_by_the_library(cli, db_path):
    assert cli("add", "plain", "--every", "1h", "--", "true").exit_code == 0
    assert cli("run", "plain").exit_code == 0
    odd = 'we"ird\\name\nnext line'
    with sqlite3.connect(db_path) as conn:  # no schedcli command accepts such a name
        conn.execute("UPDATE jobs SET name = ? WHERE name = 'plain'", (odd,))
    r = cli("metrics")
    assert r.exit_code == 0
    assert '\\"' in r.stdout and "\\n" in r.stdout
    assert all(line.startswith(("#", "schedcli_")) for line in r.stdout.splitlines())
    m = parse(r.stdout)
    assert job_value(m, "schedcli_job_last_exit_code", odd) == 0
    assert job_value(m, "schedcli_job_runs", odd, "schedcli_job_runs_total", status="success") == 1


def test_running_jobs_and_live_watch(cli, db_path, tmp_path):
    assert cli("add", "slow", "--every", "1h", "--", "sleep 30").exit_code == 0
    env = dict(os.environ, SCHEDCLI_CONFIG=str(tmp_path / "none.toml"))
    run = subprocess.Popen([sys.executable, "-m", "schedcli", "--db", str(db_path), "run", "slow"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        wait_for(lambda: job_value(parse(cli("metrics").stdout), "schedcli_job_running", "slow") == 1,
                 what="the running gauge")
    finally:
        run.send_signal(signal.SIGTERM)
        run.wait(timeout=30)
    m = parse(cli("metrics").stdout)
    assert job_value(m, "schedcli_job_running", "slow") == 0
    assert job_value(m, "schedcli_job_runs", "slow", "schedcli_job_runs_total", status="interrupted") == 1
    assert job_value(m, "schedcli_job_failing", "slow") == 1
    assert m["schedcli_runner_heartbeat_age_seconds"] == {}  # no watch is running


def test_missing_database_is_not_created(cli, sh, db_path):
    for r in (cli("metrics"), sh("metrics")):
        assert r.exit_code == 0 and r.stderr == ""
        m = parse(r.stdout)
        assert m["schedcli_job_enabled"] == {} and m["schedcli_last_tick_timestamp_seconds"] == {}
    assert not db_path.exists()


def test_textfile_is_replaced_atomically_mode_0644(cli, tmp_path):
    assert cli("add", "a", "--every", "1h", "--", "true").exit_code == 0
    out = tmp_path / "textfile"
    out.mkdir()
    target = out / "schedcli.prom"
    target.write_text("old\n")
    os.chmod(target, 0o600)
    before = os.stat(target).st_ino
    r = cli("metrics", "--textfile", str(target))
    assert r.exit_code == 0 and r.stdout == ""
    assert os.stat(target).st_ino != before  # a new file renamed over the old one
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o644
    assert sorted(p.name for p in out.iterdir()) == ["schedcli.prom"]  # no temporary file left
    m = parse(target.read_text())
    assert job_value(m, "schedcli_job_enabled", "a") == 1
    # what it writes is what metrics prints (but for the time-dependent ages)
    assert set(m) == set(parse(cli("metrics").stdout))


def test_textfile_errors(cli, tmp_path):
    r = cli("metrics", "--textfile", str(tmp_path / "schedcli.txt"))
    assert r.exit_code == 2
    assert r.stderr.startswith("Error: ") and ".prom" in r.stderr and len(r.stderr.splitlines()) == 1
    r = cli("metrics", "--textfile", str(tmp_path / "missing" / "schedcli.prom"))
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: cannot write metrics to ") and len(r.stderr.splitlines()) == 1


def test_config_setting_is_checked(sh, tmp_path):
    for value, why in (('"relative.prom"', "absolute"), ('"/tmp/schedcli.txt"', ".prom"), ("3", ".prom")):
        r = sh("config", "show", env=config_with(tmp_path, f"metrics_textfile = {value}\n"))
        assert r.exit_code == 2, value
        assert r.stderr.startswith("Error: config ") and "metrics_textfile" in r.stderr and why in r.stderr
    target = tmp_path / "m.prom"
    r = sh("config", "show", "--json", env=config_with(tmp_path, f'metrics_textfile = "{target}"\n'))
    assert r.exit_code == 0 and r.json()["metrics_textfile"] == str(target)


RUN_DUE_PROBE = r"""
import json, sys
sys.argv = ["schedcli", "--db", sys.argv[1], "run-due"]
from schedcli.__main__ import main
try:
    main()
except SystemExit as exc:
    code = exc.code
loaded = sorted(m for m in ("typer", "rich", "prometheus_client", "tomllib", "schedcli.config",
                             "schedcli.store.metrics") if m in sys.modules)
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def _probe(db_path: Path, env: dict[str, str]) -> dict:
    p = subprocess.run([sys.executable, "-c", RUN_DUE_PROBE, str(db_path)], capture_output=True, text=True,
                       timeout=60, env=dict(os.environ, **env))
    return json.loads(p.stderr.strip().splitlines()[-1])


def test_run_due_with_nothing_due_refreshes_the_textfile_only_when_configured(cli, db_path, tmp_path):
    assert cli("add", "later", "--every", "1d", "--", "true").exit_code == 0
    target = tmp_path / "schedcli.prom"
    # not configured (a config file without the key): nothing more is loaded, not even the
    # configuration module or a TOML parser
    plain = config_with(tmp_path, 'timezone = "UTC"\n')
    assert _probe(db_path, plain) == {"code": 0, "loaded": []}
    assert not target.exists()
    # configured: the quick path writes the file after its tick
    configured = config_with(tmp_path, f'metrics_textfile = "{target}"\n')
    report = _probe(db_path, configured)
    assert report["code"] == 0 and "prometheus_client" in report["loaded"] and "typer" not in report["loaded"]
    m = parse(target.read_text())
    assert job_value(m, "schedcli_job_enabled", "later") == 1
    tick = m["schedcli_last_tick_timestamp_seconds"][("schedcli_last_tick_timestamp_seconds",)]
    status = cli("status", "--json").json()
    from datetime import datetime

    assert tick == pytest.approx(datetime.fromisoformat(status["last_tick_at"].replace("Z", "+00:00")).timestamp(),
                                 abs=0.002)


def test_run_due_rewrites_the_textfile_after_running_jobs(sh, tmp_path):
    target = tmp_path / "schedcli.prom"
    env = config_with(tmp_path, f'metrics_textfile = "{target}"\n')
    assert sh("add", "due", "--at", "2099-01-01T00:00Z", "--", "exit 4", env=env).exit_code == 0
    for argv in (["run-due", "--now", "2099-01-01T00:00:10Z"],  # the quick path
                 ["run-due", "--now", "2099-01-01T00:00:20Z", "--max-parallel", "2", "--json"]):
        target.unlink(missing_ok=True)
        r = sh(*argv, env=env)
        assert r.exit_code in (0, 1), r.stderr
        assert target.exists(), argv
    m = parse(target.read_text())
    assert job_value(m, "schedcli_job_last_exit_code", "due") == 4
    assert job_value(m, "schedcli_job_runs", "due", "schedcli_job_runs_total", status="error") == 1
    # the full command line (not the quick path) as well
    target.unlink()
    r = sh("run-due", "--dry-run", env=env)
    assert r.exit_code == 0 and not target.exists()  # a dry run changes nothing, writes nothing


def test_a_textfile_that_cannot_be_written_is_a_warning_not_a_failure(sh, tmp_path):
    env = config_with(tmp_path, f'metrics_textfile = "{tmp_path / "missing" / "schedcli.prom"}"\n')
    assert sh("add", "ok", "--at", "2099-01-01T00:00Z", "--", "true", env=env).exit_code == 0
    r = sh("run-due", "--now", "2099-01-01T00:00:10Z", env=env)
    assert r.exit_code == 0
    assert "ok: success" in r.stdout
    [line] = r.stderr.splitlines()
    assert "schedcli: metrics textfile not written: cannot write metrics to " in line
    r = sh("run-due", env=env)  # nothing due: the quick path says the same
    assert r.exit_code == 0 and "metrics textfile not written" in r.stderr


def test_watch_keeps_the_textfile_up_to_date(cli, db_path, tmp_path):
    target = tmp_path / "schedcli.prom"
    env = dict(os.environ, **config_with(tmp_path, f'metrics_textfile = "{target}"\n'))
    assert cli("add", "often", "--every", "1s", "--", "true").exit_code == 0
    watch = subprocess.Popen([sys.executable, "-m", "schedcli", "--db", str(db_path), "watch"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True)
    try:
        def beating_and_ran():
            if not target.exists():
                return None
            m = parse(target.read_text())
            ran = job_value(m, "schedcli_job_runs", "often", "schedcli_job_runs_total", status="success")
            beats = m["schedcli_runner_heartbeat_age_seconds"]
            return (ran or 0) >= 2 and beats and (m, beats)

        m, beats = wait_for(beating_and_ran, what="the textfile with runs and the watch's heartbeat")
        [(_, *labels)] = beats
        assert dict(labels) == {"kind": "watch", "pid": str(watch.pid)}
    finally:
        watch.send_signal(signal.SIGTERM)
        _, err = watch.communicate(timeout=30)
    assert watch.returncode == 143
    assert "metrics" not in err  # no warning
    # the last write comes after the watch stopped: no live runner any more
    assert parse(target.read_text())["schedcli_runner_heartbeat_age_seconds"] == {}


def test_textfile_updater_reports_a_failure_once_and_writes_when_it_can(cli, db_path, tmp_path):
    from schedcli.clock import SystemClock
    from schedcli.services.metrics import TextfileUpdater

    assert cli("add", "j", "--every", "1h", "--", "true").exit_code == 0
    directory = tmp_path / "later"
    target = directory / "schedcli.prom"
    warnings: list[str] = []
    updater = TextfileUpdater(db_path, target, SystemClock(), warnings.append).start()
    try:
        wait_for(lambda: warnings, what="the first failure")
        for _ in range(3):
            updater.request()
        directory.mkdir()
        updater.request()
        wait_for(target.exists, what="the textfile, once its directory exists")
    finally:
        updater.close()
    assert len(warnings) == 1 and warnings[0].startswith(f"cannot write metrics to {target}: ")
    assert job_value(parse(target.read_text()), "schedcli_job_enabled", "j") == 1
