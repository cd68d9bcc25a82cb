"""``schedcli rename``: a job gets a new name and keeps its id, settings and history."""

from __future__ import annotations

from datetime import datetime

from schedcli.errors import JobExists, JobNotFound
from schedcli.model import Job
from schedcli.services.jobs import check_name
from schedcli.store import Store


def rename_job(store: Store, name: str, new_name: str, now: datetime) -> Job:
    """Rename job ``name`` to ``new_name`` (both checked); its runs follow."""
    from schedcli.store.job_names import rename_job_rows

    check_name(name)
    check_name(new_name)
    with store.write():
        job = store.get_job(name)
        if new_name == name:
            return job
        try:
            store.get_job(new_name)
        except JobNotFound:
            pass
        else:
            raise JobExists(f"a job named {new_name!r} already exists (remove it first: schedcli rm {new_name})")
        rename_job_rows(store, job.id, new_name, now.timestamp())
    return store.get_job(new_name)
