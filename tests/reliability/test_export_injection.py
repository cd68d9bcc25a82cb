"""No value a user types adds a line or a setting to an export, and logs are byte-exact.

Each export is written by the real command; a line break in an env value, a working
directory, a description or a command must not become a crontab entry, a unit setting
or a manifest key.
"""

from __future__ import annotations

import json
import subprocess
from datetime import datetime, timedelta

from .helpers import UTC, iso, schedcli

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
EVIL = "a\n* * * * * touch /tmp/schedcli-injected\nExecStart=/bin/false\nOnCalendar=minutely"


def run(db_path, *args, check=True):
    done = subprocess.run(schedcli(db_path, *args), capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    assert not check or done.returncode == 0, done.stderr
    assert b"Traceback" not in done.stderr
    return done


def _add_evil_jobs(db_path, tmp_path):
    odd_dir = tmp_path / "d\nOnCalendar=minutely"
    odd_dir.mkdir()
    run(db_path, "add", "envjob", "--cron", "0 3 * * *", "--tz", "UTC", "--env", f"Y={EVIL}", "--", "true")
    run(db_path, "add", "cwdjob", "--cron", "0 3 * * *", "--tz", "UTC", "--cwd", str(odd_dir), "--", "true")
    run(db_path, "add", "descjob", "--cron", "0 3 * * *", "--tz", "UTC", "--description", EVIL, "--", "true")
    run(db_path, "add", "argjob", "--cron", "0 3 * * *", "--tz", "UTC", "--", "printf", "%s", EVIL)


def test_crontab_export_has_one_entry_per_job_it_keeps(db_path, tmp_path):
    _add_evil_jobs(db_path, tmp_path)
    out = run(db_path, "export", "--format", "crontab").stdout.decode()
    entries = [line for line in out.splitlines()
               if line.strip() and not line.startswith("#") and "=" not in line.split()[0]]
    assert all(line.startswith("0 3 * * * ") for line in entries), entries
    assert "touch /tmp/schedcli-injected" not in "\n".join(entries)
    assert len(entries) <= 4


def test_systemd_export_settings_come_only_from_schedcli(db_path, tmp_path):
    _add_evil_jobs(db_path, tmp_path)
    units = tmp_path / "units"
    run(db_path, "export", "--format", "systemd", "-o", str(units))
    for unit in units.iterdir():
        for line in unit.read_text().splitlines():
            assert not line.startswith(("ExecStart=/bin/false", "OnCalendar=minutely", "* * * * *")), (unit.name, line)


def _keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_k8s_export_is_data_not_keys(db_path, tmp_path):
    import yaml

    _add_evil_jobs(db_path, tmp_path)
    done = run(db_path, "export", "--format", "k8s")
    docs = [d for d in yaml.safe_load_all(done.stdout.decode()) if d]
    assert docs  # the jobs are expressible: their values travel as data
    keys = set(_keys(docs))
    assert not any("\n" in k or "OnCalendar" in k or "touch" in k for k in keys), keys
    assert EVIL in set(_strings(docs))  # the env value, whole, as one string


def test_logs_print_the_output_byte_for_byte(db_path):
    payload = b"no newline at the end \xff\x00\r\n\tmore"
    script = "import sys; sys.stdout.buffer.write(%r)" % payload
    run(db_path, "add", "bytes", "--every", "1m", "--", "python3", "-c", script)
    done = run(db_path, "run-due", "--json", "--now", iso(datetime.now(UTC) + timedelta(minutes=1)))
    [entry] = json.loads(done.stdout)
    logs = run(db_path, "logs", str(entry["id"]))
    assert logs.stdout == payload
