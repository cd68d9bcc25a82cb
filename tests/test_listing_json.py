"""The quick ways of writing a listing's JSON write what the plain ways write."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from schedcli.schedule import iso


def _iso_by_datetime(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, timezone.utc)
    return dt.isoformat(timespec="seconds").replace("+00:00", "Z")


@settings(max_examples=500, deadline=None)
@given(st.floats(min_value=0, max_value=253402300799.0) | st.integers(0, 253402300799))
def test_instants_are_written_as_datetime_writes_them(ts):
    assert iso(ts) == _iso_by_datetime(ts)


def test_fractions_that_round_to_the_next_second():
    for ts in (1.9999995, 1764601199.9999996, 1764601199.999999, 0.0, 59.5, 1764601200, 253402300799):
        assert iso(ts) == _iso_by_datetime(ts)
    assert iso(1764601199.9999996) == "2025-12-01T15:00:00Z"  # rounded to microseconds first
    assert iso(1764601199.5) == "2025-12-01T14:59:59Z"


def test_instants_of_many_days():
    """More distinct days than are remembered: each still written right."""
    days = [d * 86400 + (d * 7919) % 86400 for d in range(0, 2_900_000, 480)]  # 6,042 days over 7,900 years
    assert [iso(ts) for ts in days] == [_iso_by_datetime(ts) for ts in days]
    assert [iso(ts + 0.25) for ts in days[:50]] == [_iso_by_datetime(ts) for ts in days[:50]]


def test_datetimes_and_milliseconds_as_before():
    from datetime import timedelta

    at = datetime(2026, 12, 1, 16, 0, 0, 250000, tzinfo=timezone(timedelta(hours=1)))
    assert iso(at) == "2026-12-01T15:00:00Z"  # an aware datetime of another offset, in UTC
    assert iso(at.timestamp(), millis=True) == "2026-12-01T15:00:00.250Z"
    assert iso(None) is None


# -- list --json: each job written straight from the Job, as job_dict + json.dumps write it --

import io  # noqa: E402
import json  # noqa: E402

from schedcli.cli.jobsjson import job_text  # noqa: E402
from schedcli.cli.jsonout import write_texts  # noqa: E402
from schedcli.model import Job  # noqa: E402
from schedcli.serialize import job_dict  # noqa: E402

_text = st.text(max_size=12)  # quotes, backslashes, %, control characters, any script
_maybe_text = st.none() | _text
_instant = st.none() | st.integers(0, 4102444800) | st.floats(0, 4102444800)


@st.composite
def _jobs(draw):
    kind = draw(st.sampled_from(["cron", "every", "at"]))
    is_command = draw(st.booleans())
    return Job(
        id=draw(st.integers(1, 10**6)), name=draw(_text), kind=kind,
        expr=draw(st.sampled_from(["0 9 * * 1-5", "@reboot", "5m", "2030-01-01T00:00:00Z", "bad %s"])),
        timezone=draw(_text), anchor=0,
        command=draw(st.lists(_text, min_size=1, max_size=3)) if is_command else None,
        collector=None if is_command else draw(_text),
        params=draw(st.dictionaries(_text, _text, max_size=3)), env=draw(st.dictionaries(_text, _text, max_size=3)),
        cwd=draw(_maybe_text), timeout=draw(st.none() | st.floats(allow_nan=True) | st.integers(0, 10**6)),
        overlap=draw(_text), grace=draw(st.integers(-(2**40), 2**40)), catch_up=draw(_text),
        retries=draw(st.integers(0, 100)), retry_delay=draw(st.integers(0, 10**6)), enabled=draw(st.booleans()),
        description=draw(_maybe_text), next_run_at=draw(st.none() | st.integers(0, 4102444800)),
        created_at=draw(st.floats(0, 4102444800)), updated_at=draw(st.floats(0, 4102444800)),
        on_failure=draw(_maybe_text), on_success=draw(_maybe_text), on_recovery=draw(_maybe_text),
        webhook=draw(_maybe_text), jitter=draw(st.integers(0, 3600)), last_boot=draw(_maybe_text),
        ping=draw(_maybe_text), webhook_format=draw(_maybe_text), notify_on=draw(_maybe_text),
        mailto=draw(_maybe_text), mail_on=draw(_maybe_text), last_run_at=draw(_instant),
        last_status=draw(_maybe_text), schedule_description=draw(_maybe_text),
    )


@settings(max_examples=400, deadline=None)
@given(st.lists(_jobs(), max_size=3))
def test_a_job_is_written_as_its_dict_would_be(jobs):
    out = io.StringIO()
    write_texts(out, (job_text(job) for job in jobs))
    assert out.getvalue() == json.dumps([job_dict(job) for job in jobs], indent=2, ensure_ascii=False) + "\n"


def test_list_json_is_json_dumps_of_the_jobs(cli, db_path):
    """Jobs of every kind and option, through the command line: the bytes json.dumps writes."""
    from schedcli.store import Store

    assert cli("add", "weekdays", "--cron", "0 9 * * 1-5", "--tz", "Europe/Paris", "--timeout", "90s",
               "--env", "A=1", "--env", "B=é\"%s", "--description", "Rapport « quotidien » 100%", "--",
               "sh", "-c", "echo 'hi' \\ \"there\"").exit_code == 0
    assert cli("add", "poll", "--every", "5m", "--retries", "2", "--jitter", "30s", "--on-failure", "true",
               "--disabled", "--", "true").exit_code == 0
    assert cli("add", "once", "--at", "2030-01-01 09:00", "--tz", "UTC", "--webhook", "https://example.org/h",
               "--", "true").exit_code == 0
    assert cli("add", "boot", "--cron", "@reboot", "--", "true").exit_code == 0
    assert cli("run", "poll").exit_code == 0  # a last run
    with Store(db_path) as store:
        expected = json.dumps([job_dict(j) for j in store.list_jobs()], indent=2, ensure_ascii=False) + "\n"
    assert cli("list", "--json").stdout == expected
    page = cli("list", "--json", "--after", "boot", "--limit", "2").json()
    assert [d["name"] for d in page] == ["once", "poll"]
