"""The store's mapping of rows to models, and the claim of an occurrence at most once."""

from __future__ import annotations

from datetime import datetime, timezone

from schedcli.model import JobSpec
from schedcli.services.jobs import add_job
from schedcli.store import Store, rows

T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)


def test_rows_map_to_models_by_column_name(db_path):
    with Store(db_path) as store:
        added = add_job(store, "j", JobSpec(kind="every", expr="5m", timezone="UTC", command=["echo", "hi"],
                                            env={"A": "1"}), T0)
        reordered = ", ".join(reversed(rows.JOB_COLUMNS))
        [job] = rows.jobs(store.conn.execute(f"SELECT {reordered} FROM jobs"))
        assert job == added and job.command == ["echo", "hi"] and job.env == {"A": "1"} and job.enabled is True
        run_id = store.insert_run({"job_id": job.id, "job": "j", "trigger": "manual",
                                   "scheduled_for": 0, "status": "success", "exit_code": 0})
        [run] = rows.runs(store.conn.execute(f"SELECT {', '.join(reversed(rows.RUN_COLUMNS))} FROM runs"))
        assert run == store.get_run(run_id) and (run.id, run.status, run.exit_code) == (run_id, "success", 0)


def test_an_occurrence_is_inserted_once(db_path):
    with Store(db_path) as store:
        job = add_job(store, "j", JobSpec(kind="every", expr="5m", timezone="UTC", command=["true"]), T0)
        row = {"job_id": job.id, "job": "j", "trigger": "schedule", "scheduled_for": 300,
               "attempt": 1, "status": "running"}
        with store.write():
            first = store.insert_run_once(row)
            again = store.insert_run_once(row)
            retry = store.insert_run_once({**row, "attempt": 2})
        assert first is not None and again is None and retry not in (None, first)
        assert len(store.history()) == 2


def test_a_column_without_a_field_is_an_error(db_path):
    import pytest

    with Store(db_path) as store:
        add_job(store, "j", JobSpec(kind="every", expr="5m", timezone="UTC", command=["true"]), T0)
        with pytest.raises(TypeError, match="no field for column.*surprise"):
            rows.jobs(store.conn.execute(f"SELECT {', '.join(rows.JOB_COLUMNS)}, 1 AS surprise FROM jobs"))
        with pytest.raises(TypeError, match="needs column.*name"):
            rows.jobs(store.conn.execute("SELECT id, kind FROM jobs"))
