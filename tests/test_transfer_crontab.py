"""Crontabs nobody on the project wrote: Debian's /etc/crontab, twelve /etc/cron.d files and
the crontab(5) examples (tests/data/debian, each with a header naming its package and
version).  Every line's fate, the user field, '%', the environment, names, and the round
trip import -> export -> import.  Nothing here depends on the machine's users or commands:
the user whose lines are imported is passed in, or computed."""

from __future__ import annotations

import os
import pwd
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from schedcli import transfer
from schedcli.store import Store
from schedcli.transfer.crontab import split_percent, stdin_text

DATA = Path(__file__).parent / "data" / "debian"
SYSTEM_FILES = ["etc/crontab", *sorted(f"etc/cron.d/{p.name}" for p in (DATA / "etc" / "cron.d").iterdir())]
NOW = datetime(2026, 1, 5, 10, 7, tzinfo=timezone.utc)
ME = pwd.getpwuid(os.geteuid()).pw_name
DEBIAN_PATH = "/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin"
SYSSTAT_PATH = "/usr/lib/sysstat:/usr/sbin:/usr/sbin:/usr/bin:/sbin:/bin"

#: For the user root: line -> (name, schedule, command) when imported, else the skip reason.
#: Commands are the text after the user field, '\%' read as '%' (mdadm), as cron(8) runs it.
ROOT_FATES = {
    "etc/crontab": {
        20: ("cron.hourly", "17 * * * *", "cd / && run-parts --report /etc/cron.hourly"),
        21: ("cron.daily", "25 6 * * *", "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.daily; }"),
        22: ("cron.weekly", "47 6 * * 7", "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.weekly; }"),
        23: ("cron.monthly", "52 6 1 * *", "test -x /usr/sbin/anacron || { cd / && run-parts --report /etc/cron.monthly; }"),
    },
    "etc/cron.d/amavisd-new": {7: "runs as user 'amavis'", 8: "runs as user 'amavis'"},
    "etc/cron.d/anacron": {
        8: ("anacron", "30 7-23 * * *", "[ -x /etc/init.d/anacron ] && if [ ! -d /run/systemd/system ]; "
            "then /usr/sbin/invoke-rc.d anacron start >/dev/null; fi"),
    },
    "etc/cron.d/awstats": {5: "runs as user 'www-data'", 8: "runs as user 'www-data'"},
    "etc/cron.d/cacti": {4: "runs as user 'www-data'"},  # line 12 is commented out
    "etc/cron.d/certbot": {
        19: ("certbot", "0 */12 * * *", "test -x /usr/bin/certbot -a \\! -d /run/systemd/system && "
             "perl -e 'sleep int(rand(43200))' && certbot -q renew --no-random-sleep-on-renew"),
    },
    "etc/cron.d/e2scrub_all": {
        3: ("e2scrub_all_cron", "30 3 * * 0",
            "test -e /run/systemd/system || SERVICE_MODE=1 /usr/lib/x86_64-linux-gnu/e2fsprogs/e2scrub_all_cron"),
        4: ("e2scrub_all", "10 3 * * *", "test -e /run/systemd/system || SERVICE_MODE=1 /sbin/e2scrub_all -A -r"),
    },
    "etc/cron.d/mdadm": {
        14: ("mdadm-checkarray", "57 0 * * 0", "if [ -x /usr/share/mdadm/checkarray ] && [ $(date +%d) -le 7 ]; "
             "then /usr/share/mdadm/checkarray --cron --all --idle --quiet; fi"),
    },
    "etc/cron.d/munin": {
        9: "runs as user 'munin'", 10: "runs as user 'munin'", 13: "runs as user 'munin'", 14: "runs as user 'www-data'",
    },
    "etc/cron.d/munin-node": {
        13: ("munin-node-apt_all", "*/5 * * * *", "if [ -x /etc/munin/plugins/apt_all ]; then /etc/munin/plugins/apt_all "
             "update 7200 12 >/dev/null; elif [ -x /etc/munin/plugins/apt ]; then /etc/munin/plugins/apt update 7200 12 "
             ">/dev/null; fi"),
    },
    "etc/cron.d/ntpsec": {
        3: ("ntpsec-rotate-stats", "25 6 * * *", "if [ ! -d /run/systemd/system ] && [ -x /usr/libexec/ntpsec/rotate-stats ] "
            "; then /usr/libexec/ntpsec/rotate-stats ; fi"),
    },
    "etc/cron.d/php": {
        16: ("php-sessionclean", "09,39 * * * *", "[ -x /usr/lib/php/sessionclean ] && if [ ! -d /run/systemd/system ]; "
             "then /usr/lib/php/sessionclean; fi"),
    },
    "etc/cron.d/sysstat": {
        8: ("sysstat-debian-sa1", "5-55/10 * * * *", "command -v debian-sa1 > /dev/null && debian-sa1 1 1"),
        11: ("sysstat-debian-sa1-2", "59 23 * * *", "command -v debian-sa1 > /dev/null && debian-sa1 60 2"),
    },
}
#: The environment each file gives its jobs.
FILE_ENV = {"etc/crontab": {"PATH": DEBIAN_PATH}, "etc/cron.d/anacron": {"PATH": DEBIAN_PATH},
            "etc/cron.d/certbot": {"PATH": DEBIAN_PATH}, "etc/cron.d/munin-node": {"MAILTO": "root"},
            "etc/cron.d/sysstat": {"PATH": SYSSTAT_PATH}}


def _schedule_lines(text: str) -> set[int]:
    """Lines cron would read as entries: not blank, not comments, not VAR=value."""
    return {
        n for n, line in enumerate(text.splitlines(), 1)
        if line.strip() and not line.lstrip().startswith("#") and not re.match(r"^\s*[A-Za-z_]\w*\s*=", line)
    }


def _read(rel: str) -> str:
    return (DATA / rel).read_text()


def test_the_data_files_name_their_source():
    files = SYSTEM_FILES + ["crontab.5.example"]
    assert len(files) >= 10 and set(ROOT_FATES) == set(SYSTEM_FILES)
    for rel in files:
        first = _read(rel).splitlines()[0]
        assert re.match(r"# Source: Debian 12 \(bookworm\) package [a-z0-9.+-]+ \d\S*", first), rel


@pytest.mark.parametrize("rel", SYSTEM_FILES)
def test_every_line_of_a_system_crontab_has_its_fate(rel):
    text = _read(rel)
    expected = ROOT_FATES[rel]
    assert set(expected) == _schedule_lines(text)  # every entry line is accounted for
    parsed = transfer.parse_crontab(text, system=True, user="root", path=str(DATA / rel))
    got: dict[int, object] = {e.line: (e.name, e.spec.expr, e.spec.command[0]) for e in parsed.entries}
    got.update({s.line: s.reason for s in parsed.skipped})
    assert {n: f if isinstance(f, tuple) else f + "; schedcli runs jobs as 'root'" for n, f in expected.items()} == got
    for entry in parsed.entries:
        assert len(entry.spec.command) == 1  # SHELL=/bin/sh: the command line as cron hands it to sh -c
        assert (entry.spec.env or {}) == FILE_ENV.get(rel, {})
        assert entry.spec.timezone is None  # cron's zone: the system's, filled in at import
        assert (entry.spec.overlap, entry.spec.catch_up) == ("allow", "none")
        words = entry.spec.command[0].split()
        assert words[0] not in ("root", "www-data", "munin", "amavis")  # no user field inside a command

    # another user: every line is skipped, and says whose it is
    other = transfer.parse_crontab(text, system=True, user="schedcli-test-nobody", path=str(DATA / rel))
    assert other.entries == []
    assert {s.line for s in other.skipped} == set(expected)
    assert all(re.fullmatch(r"runs as user '[a-z-]+'; schedcli runs jobs as 'schedcli-test-nobody'", s.reason)
               for s in other.skipped)


@pytest.mark.parametrize("rel", SYSTEM_FILES)
def test_a_system_crontab_not_at_its_path_is_refused_with_a_hint(cli, rel):
    r = cli("import", str(DATA / rel))
    assert r.exit_code == 2
    assert re.match(rf"Error: {re.escape(str(DATA / rel))} looks like a system crontab \(line \d+ has '[a-z-]+' ", r.stderr)
    assert "pass --system to read the user fields" in r.stderr and "--user to read every line as a command" in r.stderr
    assert "nothing was imported" in r.stderr and r.stderr.count("\n") == 1
    assert cli("list", "--json").json() == []


@pytest.mark.parametrize("rel", SYSTEM_FILES)
def test_system_import_through_the_cli_takes_exactly_this_users_lines(cli, rel):
    """Whoever runs the tests (root in CI): root's lines are imported only for root."""
    r = cli("import", str(DATA / rel), "--system", "--skip-untranslatable", "--json")
    assert r.exit_code == 0, r.stderr
    summary = r.json()
    fates = ROOT_FATES[rel]
    root_names = [f[0] for _, f in sorted(fates.items()) if isinstance(f, tuple)]
    assert summary["added"] == (root_names if ME == "root" else [])
    for skipped in summary["skipped_lines"]:
        assert skipped["reason"].endswith(f"; schedcli runs jobs as {ME!r}")
    assert len(summary["added"]) + len(summary["skipped_lines"]) == len(fates)
    jobs = cli("list", "--json").json()
    assert [j["name"] for j in jobs] == sorted(summary["added"])
    assert all(j["timezone"] == "UTC" for j in jobs)  # the tests' system zone (TZ=UTC)


def test_system_crontabs_are_recognised_by_their_path(tmp_path):
    assert transfer.is_system_path("/etc/crontab") and transfer.is_system_path("/etc/cron.d/sysstat")
    assert not transfer.is_system_path("/etc/cron.daily/sysstat") and not transfer.is_system_path("-")
    assert not transfer.is_system_path(str(DATA / "etc" / "crontab"))
    link = tmp_path / "sysstat"
    link.symlink_to("/etc/cron.d/sysstat")  # need not exist: only the path is judged
    assert transfer.is_system_path(str(link))
    parsed = transfer.parse_crontab(_read("etc/cron.d/sysstat"), path=str(link), user="root")
    assert [e.name for e in parsed.entries] == ["sysstat-debian-sa1", "sysstat-debian-sa1-2"]
    # --user (system=False) reads the user field as part of the command, as asked
    forced = transfer.parse_crontab(_read("etc/cron.d/sysstat"), system=False, path=str(link), user="root")
    assert forced.entries[0].spec.command == ["root command -v debian-sa1 > /dev/null && debian-sa1 1 1"]


@pytest.mark.parametrize("text, why", [
    ("0 1 * * * root /usr/bin/true\n", "line 1 has 'root' after its schedule"),
    ("0 1 * * * alice /usr/bin/true\n", "line 1 has 'alice' after its schedule"),  # the importing user
    ("0 1 * * * www-data php /srv/cron.php\n", "line 1 has 'www-data' before the command 'php' starts"),
    ("0 1 * * * munin if [ -x /x ]; then /x; fi\n", "line 1 has 'munin' before the command 'if' starts"),
    ("0 1 * * * backup /srv/a\n0 2 * * * backup /srv/b\n", "every line has 'backup' after its schedule"),
])
def test_lines_that_look_like_system_lines_are_refused(text, why):
    with pytest.raises(transfer.TransferError) as info:
        transfer.parse_crontab(text, user="alice")
    assert f"this file looks like a system crontab ({why}" in str(info.value)


@pytest.mark.parametrize("text", [
    "0 12 * * * mail -s report ops@example.org < /tmp/report\n",  # 'mail' may be a user: never asked
    "0 1 * * * if [ -x /x ]; then /x; fi\n0 2 * * * if [ -x /y ]; then /y; fi\n",  # shell words are not users
    "0 1 * * * test -x /a && /a\n0 2 * * * test -x /b && /b\n",
    "* * * * * php /srv/artisan schedule:run\n",
    "0 1 * * * nice -n 10 /a\n0 2 * * * nice -n 10 /b\n",
])
def test_user_crontabs_import_the_same_for_any_user(text):
    """No lookup of the machine's users or commands: only root, the importing user's own name
    and shell syntax after a user-like word make a line a system line."""
    for user in ("alice", "root", "nobody", "daemon"):
        parsed = transfer.parse_crontab(text, user=user)
        assert [e.spec.command[0] for e in parsed.entries] == [
            line.split(None, 5)[5] for line in text.splitlines()]


def test_crontab_5_examples():
    text = _read("crontab.5.example")
    parsed = transfer.parse_crontab(text, path=str(DATA / "crontab.5.example"), user="alice")
    got = {e.line: (e.name, e.spec.expr, e.spec.command[0]) for e in parsed.entries}
    assert got == {
        10: ("daily.job", "5 0 * * *", "$HOME/bin/daily.job >> $HOME/tmp/out 2>&1"),
        12: ("monthly", "15 14 1 * *", "$HOME/bin/monthly"),
        # '%' ends the command; 'Joe,%%Where are your kids?%' is its standard input
        14: ("mail", "0 22 * * 1-5",
             "printf 'Joe,\\n\\nWhere are your kids?\\n' | /bin/sh -c 'mail -s \"It'\"'\"'s 10pm\" joe'"),
        15: ("echo", "23 0-23/2 * * *", 'echo "run 23 minutes after midn, 2am, 4am ..., everyday"'),
        16: ("echo-2", "5 4 * * sun", 'echo "run at 5 after 4 every sunday"'),
        18: ("expr", "33 22 * * *", "expr $(date +%s) / 60 / 60 / 24 % 9 > /dev/null || echo Wax the floor."),
    }
    assert set(got) == _schedule_lines(text) and parsed.skipped == []
    assert all(e.spec.env == {"MAILTO": "paul"} for e in parsed.entries)
    assert all((e.spec.mailto, e.spec.mail_on) == ("paul", "output") for e in parsed.entries)  # cron's rule
    assert any("MAILTO=paul: the entries below mail every run that prints anything" in n for n in parsed.notes)


# -- '%' as cron(8) means it --------------------------------------------------------------


@pytest.mark.parametrize("text, command, data", [
    ("date +\\%Y", "date +%Y", None),
    ("mail joe%hi%there", "mail joe", "hi%there"),
    ("a\\\\%b", "a\\\\", "b"),  # '\\' is a pair cron keeps: the '%' after it is not escaped
    ("a\\b%", "a\\b", ""),
    ("%only input", "", "only input"),
])
def test_split_percent_follows_cron(text, command, data):
    assert split_percent(text) == (command, data)


@pytest.mark.parametrize("data, stdin", [
    ("Joe,%%Where are your kids?%", "Joe,\n\nWhere are your kids?\n"),
    ("no newline", "no newline\n"),  # cronie and Debian's cron add one
    ("100\\% sure", "100% sure\n"),
    ("back\\slash", "back\\slash\n"),
    ("end\\", "end\\\n"),
])
def test_stdin_text_follows_cron(data, stdin):
    assert stdin_text(data) == stdin


def test_percent_input_reaches_the_command(cli, tmp_path):
    """The imported job, run by schedcli, feeds the command what cron would."""
    out = tmp_path / "stdin.txt"
    crontab = tmp_path / "mine.crontab"
    crontab.write_text(f"SHELL=/bin/bash\n* * * * * cat > {out}; echo \"$0\" >> {out}%first line%second 100\\% line\n")
    r = cli("import", str(crontab))
    assert r.exit_code == 0, r.stderr
    (job,) = cli("list", "--json").json()
    assert job["command"][:2] == ["/bin/bash", "-c"]
    r = cli("run", job["name"])
    assert r.exit_code == 0, r.stderr
    assert out.read_text() == "first line\nsecond 100% line\n/bin/bash\n"  # and SHELL runs the command


# -- the environment as cron means it -----------------------------------------------------


def test_tz_is_the_jobs_environment_and_cron_tz_its_zone():
    parsed = transfer.parse_crontab(
        'TZ=America/New_York\n0 9 * * * date\nCRON_TZ=Asia/Tokyo\nMAILTO=""\n0 9 * * * date\n', user="alice")
    first, second = (e.spec for e in parsed.entries)
    assert first.timezone is None and first.env == {"TZ": "America/New_York"}
    assert second.timezone == "Asia/Tokyo" and second.env == {"TZ": "America/New_York", "MAILTO": ""}
    assert first.mailto is None and second.mailto == "none"  # MAILTO="": no mail


# -- round trip ---------------------------------------------------------------------------


def _key(job):
    return job.name, job.kind, job.expr, job.timezone, job.command, job.env, job.cwd


ROUND_TRIPS = [(rel, zone) for rel in SYSTEM_FILES + ["crontab.5.example"] for zone in ("UTC", "Europe/Paris")]


@pytest.mark.parametrize("rel, zone", ROUND_TRIPS + [("../crontab.txt", "Europe/Paris")])
def test_round_trip_is_a_fixed_point(tmp_path, monkeypatch, rel, zone):
    """import -> export -> import gives the same jobs (schedule, zone, command, env, names),
    with the system zone the crontab is read in being ``zone``."""
    monkeypatch.setenv("TZ", zone)
    home = tmp_path / "h"
    home.mkdir(mode=0o700)
    system = rel.startswith("etc/") or None
    with Store(home / "a.db") as store:
        transfer.import_text(store, _read(rel), "crontab", NOW, system=system, user="root",
                             path=str(DATA / rel), skip_untranslatable=True, boot="boot-1")
        first = store.list_jobs()
    exported = transfer.export_jobs(first, "crontab", now=NOW)
    assert exported.skipped == [] and exported.warnings == []
    assert f"\nCRON_TZ={zone}\n" in exported.text
    with Store(home / "b.db") as store:
        transfer.import_text(store, exported.text, "crontab", NOW, path=str(home / "exported.crontab"), boot="boot-1")
        second = store.list_jobs()
    assert sorted(map(_key, second)) == sorted(map(_key, first))
    imported = {"crontab.5.example": 6, "../crontab.txt": 8}  # crontab.txt: its @reboot line too
    assert len(first) == imported.get(rel, sum(isinstance(f, tuple) for f in ROOT_FATES.get(rel, {}).values()))


def test_a_crontab_for_another_zone_does_not_export_silently(tmp_path):
    """crontab.txt schedules in CRON_TZ=Europe/Paris; a crontab read in UTC cannot say '30 2 * * *'
    in Paris with one expression, so those jobs are left out, each with the reason."""
    home = tmp_path / "h"
    home.mkdir(mode=0o700)
    with Store(home / "a.db") as store:
        transfer.import_text(store, _read("../crontab.txt"), "crontab", NOW, skip_untranslatable=True, boot="b")
        jobs = store.list_jobs()
    exported = transfer.export_jobs(jobs, "crontab", now=NOW, system_zone="UTC")
    # @reboot has no zone: it is the one job written
    assert len(jobs) == 8 and sorted(exported.skipped) == sorted(j.name for j in jobs if j.name != "start-agent")
    assert "\n@reboot /usr/local/bin/start-agent --daemon\n" in exported.text
    assert "nightly-backup: no cron expression in UTC runs exactly when '30 2 * * *' runs in Europe/Paris" in (
        "\n".join(exported.warnings))
    # '*/15 9-17 * * mon-fri' is not exact in UTC either: hours 9-17 move with daylight saving time
    assert any(w.startswith("curl: no cron expression in UTC") for w in exported.warnings)


def test_debian_crontab_through_the_real_entry_point(sh):
    """python -m schedcli: refused without --system (exit 2, one line), imported with it."""
    path = DATA / "etc" / "crontab"
    r = sh("import", str(path))
    assert r.exit_code == 2 and r.stdout == ""
    assert r.stderr == (
        f"Error: {path} looks like a system crontab (line 20 has 'root' after its schedule, where a system "
        f"crontab has its user field): pass --system to read the user fields (lines for users other than {ME!r} "
        "are skipped), or --user to read every line as a command; nothing was imported\n")
    r = sh("import", str(path), "--system", "--skip-untranslatable")
    assert r.exit_code == 0, r.stderr
    if ME == "root":
        assert r.stdout == "Imported 4 jobs (0 updated, 0 removed)\n"
    else:
        assert r.stdout == "Imported 0 jobs (0 updated, 0 removed); skipped 4 untranslatable lines\n"
        assert f"Skipped line 20: runs as user 'root'; schedcli runs jobs as {ME!r}: 17 *\t* * *\troot\tcd /" in r.stderr
