"""What a run starts: its :class:`~schedcli.process.ProcessSpec` and its environment.

A job runs either its command (one string: ``/bin/sh -c``; several: exec'd as they
are) or its collector (``python -m schedcli.services.collector_host REF``, which
reads the run's context from ``SCHEDCLI_CONTEXT``).  Its environment, from bottom to
top: the runner's environment (read once), ``SCHEDCLI_JOB`` and ``SCHEDCLI_DB``, the
run's own variables (``SCHEDCLI_RUN_ID``, ``SCHEDCLI_SCHEDULED_FOR``,
``SCHEDCLI_TRIGGER``, ``SCHEDCLI_ATTEMPT``, and the context of a collector), and the
job's own ``--env`` on top, as documented.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable, TypeVar

from schedcli import process
from schedcli.model import CONTEXT_ENV, Job
from schedcli.schedule import iso

STARTER_THREADS = 16  # threads that start the processes of one instant side by side

T = TypeVar("T")
R = TypeVar("R")


class Launcher:
    """Builds and starts the processes of one database's runs."""

    def __init__(self, db_path: Path | str, *, kill_grace: float, output_cap: int) -> None:
        self.db_path = str(db_path)
        self.kill_grace = kill_grace
        self.output_cap = output_cap
        # Jobs inherit the runner's environment, read once.
        self._base_env = {k: v for k, v in os.environ.items() if k != CONTEXT_ENV}

    def spec(self, job: Job, run_env: dict[str, str] | None = None) -> process.ProcessSpec:
        """What runs for ``job``, with ``run_env`` (what one run knows, :meth:`run_env`) added."""
        env = self._base_env.copy()
        env["SCHEDCLI_JOB"] = job.name
        env["SCHEDCLI_DB"] = self.db_path
        if job.collector:
            argv = [sys.executable, "-m", "schedcli.services.collector_host", job.collector]
        else:
            command = job.command or []
            argv = ["/bin/sh", "-c", command[0]] if len(command) == 1 else list(command)
        env.update(job.env)
        cwd = job.cwd or env.get("HOME") or os.path.expanduser("~")
        if run_env:
            env.update(run_env)  # it leaves out what the job's own --env sets
        return process.ProcessSpec(
            argv=argv,
            env=env,
            cwd=cwd,
            timeout=job.timeout,
            kill_grace=self.kill_grace,
            output_cap=self.output_cap,
            marker="SCHEDCLI_RUN_ID",  # the runner ends, with the run, what the job daemonized
        )

    @staticmethod
    def run_env(job: Job, run_id: int, scheduled_for: int, trigger: str, attempt: int) -> dict[str, str]:
        """The environment variables of one run, except those the job's own ``--env`` sets
        (which comes on top, as documented)."""
        env = {
            "SCHEDCLI_RUN_ID": str(run_id),
            "SCHEDCLI_SCHEDULED_FOR": iso(scheduled_for) or "",
            "SCHEDCLI_TRIGGER": trigger,
            "SCHEDCLI_ATTEMPT": str(attempt),
        }
        if job.collector:
            env[CONTEXT_ENV] = json.dumps(
                {
                    "job": job.name,
                    "run_id": run_id,
                    "scheduled_for": iso(scheduled_for),
                    "trigger": trigger,
                    "attempt": attempt,
                    "params": job.params,
                }
            )
        for key in job.env:
            env.pop(key, None)
        return env


class Starters:
    """A few threads, all created up front, that start processes side by side.

    Most of a start is spent waiting for the child to reach ``exec()``, with the
    interpreter lock released: fifty processes due at one instant start sooner from
    four threads than one after another.
    """

    def __init__(self, threads: int = STARTER_THREADS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="schedcli-start")
        ready = threading.Barrier(threads + 1)
        for _ in range(threads):  # each waits for the others: all the threads exist now
            self._pool.submit(ready.wait, 5.0)
        try:
            ready.wait(5.0)
        except threading.BrokenBarrierError:  # pragma: no cover - a thread was slow to start
            pass

    def run(self, fn: Callable[[T], R], items: list[T]) -> list[Future]:
        """``fn(item)`` for every item, spread over the threads; their futures, in order."""
        return [self._pool.submit(fn, item) for item in items]

    def close(self) -> None:
        self._pool.shutdown(wait=True)
