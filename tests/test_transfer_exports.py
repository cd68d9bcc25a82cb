"""Exports that never change what a job does: crontab (one wall clock, variables, '%'),
Kubernetes (per-attempt timeout, '$(' escaping, deadlines, warnings, validated with
kubernetes-validate --strict) and systemd (relative programs, retries, daylight-saving
notes checked with systemd-analyze)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from itertools import islice
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cronsim import CronSim

from schedcli import transfer
from schedcli.schedule import MACROS, CronSchedule, IntervalSchedule, first_difference, parse_duration
from schedcli.store import Store
from schedcli.transfer.crontab_export import cron_escape, env_line
from transfer_helpers import k8s_validate, set_grid, yaml_docs

NOW = datetime(2026, 1, 5, 10, 7, tzinfo=timezone.utc)


def _epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


# -- one wall clock ------------------------------------------------------------------------


def _cronsim_fires(expr: str, zone: str, start: datetime, end: datetime) -> list[datetime]:
    it = CronSim(MACROS.get(expr, expr), start.astimezone(ZoneInfo(zone)))
    return [t.astimezone(timezone.utc) for t in islice(it, 5000) if t <= end]


@pytest.mark.parametrize("expr, source, target, converted", [
    ("0 9 * * 1-5", "Asia/Tokyo", "UTC", "0 0 * * 1-5"),
    ("0 8 * * 1-5", "Asia/Tokyo", "UTC", "0 23 * * 0-4"),  # the day before, in UTC
    ("0 3 * * *", "Europe/Paris", "Europe/London", "0 2 * * *"),  # both move at the same instants
    ("*/15 * * * *", "Europe/Paris", "UTC", "*/15 * * * *"),
    ("30 * * * *", "Asia/Kolkata", "Europe/Paris", "0 * * * *"),
    ("0 9 */100,1-7 * MON", "UTC", "Asia/Tokyo", "0 18 */100,1-7 * MON"),
    ("@daily", "UTC", "Etc/UTC", "@daily"),
])
def test_cron_in_another_zone_where_exact(expr, source, target, converted):
    conv = transfer.cron_in_zone(expr, source, target, NOW)
    assert conv.expr == converted
    # an independent oracle (cronsim) fires at the same instants over a year of clock changes
    end = NOW + timedelta(days=366)
    assert _cronsim_fires(converted, target, NOW, end) == _cronsim_fires(expr, source, NOW, end)


@pytest.mark.parametrize("expr, source, target, why", [
    ("0 3 * * *", "Europe/Paris", "UTC", "UTC is 1h or 2h from Europe/Paris depending on daylight saving time"),
    ("0 */2 * * *", "Europe/Paris", "UTC", "depending on daylight saving time"),
    ("0 8 1 * *", "Asia/Tokyo", "UTC", "UTC is 9h from Asia/Tokyo, which moves runs to other days or times"),
    ("0 2 * * *", "America/New_York", "Europe/Paris", "depending on daylight saving time"),
])
def test_cron_in_another_zone_refused_where_not(expr, source, target, why):
    conv = transfer.cron_in_zone(expr, source, target, NOW)
    assert conv.expr is None
    assert conv.reason.startswith(f"no cron expression in {target} runs exactly when {expr!r} runs in {source} (")
    assert why in conv.reason


@pytest.mark.parametrize("every, anchor, zone, expr", [
    ("30m", "2026-01-01T10:07:00Z", "UTC", "7,37 * * * *"),
    ("30m", "2026-01-01T10:07:00Z", "Europe/Paris", "7,37 * * * *"),  # whole-hour offsets keep minutes
    ("5m", "2026-01-01T00:00:00Z", "UTC", "*/5 * * * *"),
    ("2h", "2026-01-01T10:07:00Z", "UTC", "7 */2 * * *"),
    ("1d", "2026-01-01T00:00:00Z", "UTC", "0 0 * * *"),
    ("1w", "2026-01-01T10:07:00Z", "Asia/Tokyo", "7 19 * * 4"),  # Thursday 19:07 in Tokyo
    ("1h", "2026-01-01T10:07:00Z", "Asia/Kolkata", "37 * * * *"),
])
def test_interval_grids_as_cron_where_exact(every, anchor, zone, expr):
    conv = transfer.every_as_cron(every, _epoch(anchor), zone, NOW)
    assert conv.expr == expr
    grid = IntervalSchedule(parse_duration(every), datetime.fromisoformat(anchor.replace("Z", "+00:00")))
    assert first_difference(grid, CronSchedule(expr, zone), NOW, NOW + timedelta(days=400)) is None


def test_interval_grids_not_on_the_clock_name_the_shift():
    conv = transfer.every_as_cron("30m", _epoch("2026-01-01T10:07:23Z"), "UTC", NOW)
    assert conv.expr is None and conv.aligned == "*/30 * * * *"
    assert conv.reason == (
        "every 30m runs on its own grid, 7m23s after the clock's (next run 2026-01-05T10:07:23Z), and a cron "
        "expression runs on the wall clock of UTC: pass --align to export it as '*/30 * * * *' "
        "(its runs move 7m23s earlier)")
    daily = transfer.every_as_cron("1d", _epoch("2026-01-01T00:00:00Z"), "Europe/Paris", NOW)
    assert daily.expr is None and daily.aligned == "0 0 * * *"
    assert daily.shift == ("exported clock-aligned as '0 0 * * *': its runs move 1h earlier and follow "
                           "Europe/Paris's daylight-saving changes, which the interval does not")
    assert transfer.every_as_cron("7m", 0, "UTC", NOW).reason == "every 7m is not a whole divisor of a minute, hour or day"


def test_crontab_export_of_intervals_refuses_or_aligns(cli, db_path):
    for name, every in (("exact", "30m"), ("off", "30m"), ("odd", "7m")):
        assert cli("add", name, "--every", every, "--", f"echo {name}").exit_code == 0
    set_grid(db_path, "exact", "2026-01-05T10:07:00Z")
    set_grid(db_path, "off", "2026-01-05T10:07:23Z")
    r = cli("export", "--format", "crontab")
    assert r.exit_code == 0, r.stderr
    assert "# name: exact\n7,37 * * * * echo exact\n" in r.stdout and "echo off" not in r.stdout
    assert "Warning: skipped 2 jobs that crontab cannot express: odd, off" in r.stderr
    assert "off: every 30m runs on its own grid, 7m23s after the clock's" in r.stderr
    r = cli("export", "--format", "crontab", "--align")
    assert r.exit_code == 0, r.stderr
    assert "# name: off\n*/30 * * * * echo off\n" in r.stdout
    assert "Warning: skipped 1 job that crontab cannot express: odd" in r.stderr
    assert "  off: every 30m exported clock-aligned as '*/30 * * * *': its runs move 7m23s earlier\n" in r.stderr


# -- variables, shells, '%' ----------------------------------------------------------------


def test_env_lines_read_back_exactly():
    cases = {"plain": "plain", "": '""', " lead": '" lead"', "trail ": '"trail "',
             '"quoted"': "'\"quoted\"'", "it's \"both\" ": None, "a=b c": "a=b c"}
    for value, written in cases.items():
        line = env_line("K", value)
        assert line == (None if written is None else f"K={written}"), value
        if line is not None:
            parsed = transfer.parse_crontab(f"{line}\n* * * * * true\n", user="alice")
            assert parsed.entries[0].spec.env == {"K": value}


def test_cron_escape_keeps_what_cron_hands_the_shell():
    assert cron_escape("date +%s") == "date +\\%s"
    assert cron_escape("a\\\\%b") == "a\\\\\\%b"  # the pair '\\\\' stays, the '%' is escaped
    assert cron_escape("printf '50\\n'") == "printf '50\\n'"
    assert cron_escape("literal \\%") is None  # cron would drop that backslash
    for text in ("date +%s", "a\\\\%b", "x\\y%z", "trailing\\"):
        escaped = cron_escape(text)
        parsed = transfer.parse_crontab(f"* * * * * {escaped}\n", user="alice")
        assert parsed.entries[0].spec.command == [text]


def test_crontab_export_variables_shells_and_working_directories(cli, tmp_path):
    for argv in (
        ("add", "a-plain", "--cron", "0 1 * * *", "--", "echo plain"),
        ("add", "b-mail", "--cron", "0 2 * * *", "--env", "MAILTO=", "--env", "GREETING= hi ", "--", "echo mail"),
        ("add", "c-other", "--cron", "0 3 * * *", "--env", "OTHER=1", "--", "echo other"),
        ("add", "d-bash", "--cron", "0 4 * * *", "--", "/bin/bash", "-c", "echo $BASH_VERSION"),
        ("add", "e-home", "--cron", "0 5 * * *", "--env", "HOME=/srv", "--env", "MAILTO=", "--env", "GREETING= hi ",
         "--cwd", "/srv", "--", "pwd"),
        ("add", "f-argv", "--cron", "0 6 * * *", "--cwd", "/tmp", "--", "printf", r"%s\n", "it's"),
        ("add", "g-backslash", "--cron", "0 7 * * *", "--", "echo literal \\%"),
    ):
        assert cli(*argv).exit_code == 0, argv
    r = cli("export", "--format", "crontab")
    assert r.exit_code == 0, r.stderr
    text = r.stdout
    body = text.split("SHELL=/bin/sh\n", 1)[1]
    assert body == (
        "\n# name: a-plain\n0 1 * * * echo plain\n"
        "\nSHELL=/bin/bash\n# name: d-bash\n0 4 * * * echo $BASH_VERSION\n"
        "\nSHELL=/bin/sh\n# name: f-argv\n" r"""0 6 * * * cd /tmp || exit 1; printf '\%s\n' 'it'"'"'s'""" "\n"
        "\nOTHER=1\n# name: c-other\n0 3 * * * echo other\n"
        '\nGREETING=" hi "\nMAILTO=""\n# name: b-mail\n0 2 * * * unset OTHER; echo mail\n'
        "\nHOME=/srv\n# name: e-home\n0 5 * * * unset OTHER; pwd\n"
    )
    assert "g-backslash: its command has a backslash before a '%', which cron would not keep" in r.stderr
    path = tmp_path / "back.crontab"
    path.write_text(text)
    other = tmp_path / "o" / "b.db"
    other.parent.mkdir(mode=0o700)
    assert cli("import", str(path), db=other).exit_code == 0
    jobs = {j["name"]: j for j in cli("list", "--json", db=other).json()}
    assert jobs["d-bash"]["command"] == ["/bin/bash", "-c", "echo $BASH_VERSION"]
    assert jobs["b-mail"]["env"] == {"OTHER": "1", "MAILTO": "", "GREETING": " hi "}
    assert jobs["e-home"]["cwd"] == "/srv" and jobs["e-home"]["command"] == ["unset OTHER; pwd"]
    assert jobs["a-plain"]["env"] == {}


def test_a_variable_cron_reads_cannot_be_unset(cli):
    assert cli("add", "a", "--cron", "0 1 * * *", "--env", "MAILTO=ops@example.org", "--", "true").exit_code == 0
    assert cli("add", "b", "--cron", "0 2 * * *", "--env", "X=1", "--", "true").exit_code == 0
    r = cli("export", "--format", "crontab")
    assert r.exit_code == 0, r.stderr
    assert "b: an entry above sets MAILTO, which this job does not have, and a crontab cannot unset" in r.stderr
    assert "# name: a\n" in r.stdout and "# name: b\n" not in r.stdout


# -- Kubernetes ------------------------------------------------------------------------------


def _k8s_expand(text: str, env: dict[str, str]) -> str:
    """Kubernetes' expansion of command, args and env values (its fork of Go's os.Expand
    rules): '$$' is '$', '$(NAME)' is NAME's value when defined, anything else stays."""
    out, i = [], 0
    while i < len(text):
        if text[i] == "$" and i + 1 < len(text):
            if text[i + 1] == "$":
                out.append("$")
                i += 2
                continue
            if text[i + 1] == "(":
                end = text.find(")", i + 2)
                if end > 0:
                    name = text[i + 2 : end]
                    out.append(env.get(name, text[i : end + 1]))
                    i = end + 1
                    continue
        out.append(text[i])
        i += 1
    return "".join(out)


def test_k8s_escapes_deadlines_and_warnings(cli, db_path, tmp_path):
    for argv in (
        ("add", "subst", "--cron", "*/5 * * * *", "--grace", "5s", "--catch-up", "all", "--timeout", "90s",
         "--retries", "3", "--retry-delay", "10s", "--env", "REF=$(HOME)", "--", "echo $(date) $$ $HOME; echo $$(x)"),
        ("add", "grid", "--every", "30m", "--", "echo grid"),
        ("add", "firstmon", "--cron", "0 9 */100,1-7 * MON", "--", "echo first monday"),
    ):
        assert cli(*argv).exit_code == 0, argv
    set_grid(db_path, "grid", "2026-01-05T10:07:23Z")
    r = cli("export", "--format", "k8s")
    assert r.exit_code == 0, r.stderr
    docs = {d["metadata"]["name"]: d for d in yaml_docs(r.stdout)}
    assert sorted(docs) == ["firstmon", "subst"]
    spec = docs["subst"]["spec"]
    container = spec["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    # Kubernetes turns '$$' into '$' and expands '$(VAR)': what it runs is the job's command
    assert container["command"] == ["/bin/sh", "-c", "echo $$(date) $$$ $HOME; echo $$$$(x)"]
    assert container["env"] == [{"name": "REF", "value": "$$(HOME)"}]
    defined = {"date": "D", "x": "X", "HOME": "/h", "REF": "R"}
    assert [_k8s_expand(a, defined) for a in container["command"]] == ["/bin/sh", "-c", "echo $(date) $$ $HOME; echo $$(x)"]
    assert _k8s_expand("$$(HOME)", defined) == "$(HOME)" and _k8s_expand("$(HOME)", defined) == "/h"
    assert spec["startingDeadlineSeconds"] == 10
    assert spec["jobTemplate"]["spec"]["template"]["spec"]["activeDeadlineSeconds"] == 90
    assert spec["jobTemplate"]["spec"]["backoffLimit"] == 3
    assert "subst: grace 5s raised to startingDeadlineSeconds: 10" in r.stderr
    assert "subst: catch-up all has no CronJob form" in r.stderr
    assert "subst: retry delay" not in r.stderr  # 10s is Kubernetes' own first back-off
    assert "firstmon: Kubernetes combines day-of-month and day-of-week with OR in '0 9 */100,1-7 * MON'" in r.stderr
    assert "grid: every 30m runs on its own grid, 7m23s after the clock's" in r.stderr
    out = tmp_path / "a.yaml"
    out.write_text(r.stdout)
    k8s_validate(out)

    r = cli("export", "--format", "k8s", "--align")
    assert r.exit_code == 0, r.stderr
    grid = next(d for d in yaml_docs(r.stdout) if d["metadata"]["name"] == "grid")
    assert grid["spec"]["schedule"] == "*/30 * * * *" and grid["spec"]["timeZone"] == "Etc/UTC"
    assert "grid: every 30m exported clock-aligned as '*/30 * * * *': its runs move 7m23s earlier" in r.stderr
    out.write_text(r.stdout)
    k8s_validate(out)


def test_k8s_export_of_real_crontabs_validates(cli, tmp_path):
    data = Path(__file__).parent / "data" / "debian"
    with Store(tmp_path / "k.db") as store:
        for path in sorted((data / "etc" / "cron.d").iterdir()) + [data / "etc" / "crontab"]:
            transfer.import_text(store, path.read_text(), "crontab", NOW, system=True, user="root",
                                 path=str(path), skip_untranslatable=True)
        jobs = store.list_jobs()
    result = transfer.export_jobs(jobs, "k8s", now=NOW)
    assert result.skipped == [] and len(yaml_docs(result.text)) == len(jobs) == 14
    out = tmp_path / "debian.yaml"
    out.write_text(result.text)
    k8s_validate(out)


# -- systemd ---------------------------------------------------------------------------------


def _analyze() -> str:
    path = shutil.which("systemd-analyze")
    if path is None:
        pytest.skip("systemd-analyze is not installed")
    return path


def _verify(units: list[Path]) -> None:
    p = subprocess.run([_analyze(), "verify", "--man=no", *map(str, units)], capture_output=True, text=True, timeout=60)
    output = p.stdout + p.stderr
    if "Failed to initialize manager" in output or "Failed to lookup RuntimeDirectory" in output:
        pytest.skip(f"systemd-analyze verify cannot run here: {output.strip().splitlines()[-1]}")
    assert p.returncode == 0, output
    assert "schedcli-" not in output, output


def test_systemd_relative_programs_and_retries(cli, tmp_path):
    work = tmp_path / "work"
    (work / "bin").mkdir(parents=True)
    script = work / "bin" / "run.sh"
    script.write_text("#!/bin/sh\necho ran\n")
    script.chmod(0o755)
    for argv in (
        ("add", "rel", "--cron", "@daily", "--cwd", str(work), "--retries", "2", "--retry-delay", "90s",
         "--timeout", "10m", "--", "./bin/run.sh", "arg"),
        ("add", "nocwd", "--cron", "@daily", "--", "./bin/run.sh", "arg"),
        ("add", "shell", "--cron", "@daily", "--", "./bin/run.sh"),  # a shell command line: the shell resolves it
    ):
        assert cli(*argv).exit_code == 0, argv
    out = tmp_path / "units"
    r = cli("export", "--format", "systemd", "-o", str(out))
    assert r.exit_code == 0, r.stderr
    assert "nocwd: its program ./bin/run.sh is relative and the job has no working directory" in r.stderr
    service = (out / "schedcli-rel.service").read_text()
    assert f'ExecStart="{script}" "arg"\n' in service
    assert "\nRestart=on-failure\nRestartSec=90s\n" in service
    assert "\nStartLimitIntervalSec=2040s\nStartLimitBurst=3\n" in service  # 2 x 90s + 3 x 10m + 60s
    _verify(sorted(out.iterdir()))


def _systemd_elapses(spec: str, base: datetime, count: int) -> list[datetime]:
    p = subprocess.run(
        [_analyze(), "calendar", f"--iterations={count}", f"--base-time={base:%Y-%m-%d %H:%M:%S} UTC", spec],
        capture_output=True, text=True, timeout=30, env={**os.environ, "TZ": "UTC", "LC_ALL": "C"},
    )
    assert p.returncode == 0, p.stderr
    found = re.findall(r"(?:Next elapse|Iter\. #\d+): \w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", p.stdout)
    return [datetime.fromisoformat(t).replace(tzinfo=timezone.utc) for t in found]


@pytest.mark.parametrize("expr, day, note", [
    ("30 2 * * *", "2027-03-28", "on 2027-03-28 Europe/Paris skips 02:00-03:00: schedcli runs the job at 03:00 "
     "(as cron does), systemd skips that run"),
    ("*/30 * * * *", "2027-10-31", "on 2027-10-31 Europe/Paris repeats 02:00-03:00: schedcli runs the job in both "
     "passes (as cron does), systemd in the first only"),
])
def test_systemd_dst_notes_say_where_systemd_differs(expr, day, note):
    """The note is checked against systemd itself: around that change systemd-analyze calendar
    misses exactly the runs schedcli makes."""
    schedule = CronSchedule(expr, "Europe/Paris")
    notes = transfer.dst_notes(expr, "Europe/Paris", datetime(2026, 12, 1, tzinfo=timezone.utc))
    assert note in notes
    base = datetime.fromisoformat(day).replace(tzinfo=timezone.utc) - timedelta(hours=3)
    ours = list(islice(schedule.iter_after(base), 12))
    theirs = set()
    for spec in transfer.cron_to_oncalendar(expr, "Europe/Paris"):
        theirs.update(_systemd_elapses(spec, base, 12))
    missing = [t for t in ours if t not in theirs and t < max(theirs)]
    assert not theirs - set(ours) - {t for t in theirs if t > max(ours)}  # systemd adds no run
    assert missing, (ours, sorted(theirs))
    if "skips" in note:  # the run at the end of the gap, 01:00 UTC
        assert missing == [datetime.fromisoformat(day).replace(hour=1, tzinfo=timezone.utc)]
    else:  # the second pass, 01:00 and 01:30 UTC
        assert missing == [datetime.fromisoformat(day).replace(hour=1, minute=m, tzinfo=timezone.utc) for m in (0, 30)]
