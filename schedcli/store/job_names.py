"""Renaming a job: its row and the job name every one of its runs carries.

Runs keep their job's name (``runs.job``) so that history reads without a join and a
removed job's runs still say whose they were; a rename changes both in one transaction
(the caller's ``store.write()``). The :class:`~schedcli.store.Store` methods do not cover
this; it lives here until it becomes one (``Store.rename_job``).
"""

from __future__ import annotations

import sqlite3

from schedcli.errors import JobExists


def rename_job_rows(store, job_id: int, new_name: str, updated_at: float) -> None:
    """Set job ``job_id``'s name to ``new_name`` in ``jobs`` and in all its ``runs``.

    Call inside ``store.write()``. Raises :class:`JobExists` when the name is taken.
    """
    try:
        store._q("UPDATE jobs SET name = ?, updated_at = ? WHERE id = ?", (new_name, updated_at, job_id))
    except sqlite3.IntegrityError:
        raise JobExists(f"a job named {new_name!r} already exists") from None
    store._q("UPDATE runs SET job = ? WHERE job_id = ?", (new_name, job_id))
