"""Run one job as a child process, and recognise or clean up processes of crashed runners.

This package never prints and imports only the standard library.

- :mod:`~schedcli.process.spec`: what to run (:class:`ProcessSpec`) and how it
  ended (:class:`Outcome`).
- :mod:`~schedcli.process.spawn`: :func:`start`, and :func:`prepare_runner`, which a
  runner calls once when it starts.
- :mod:`~schedcli.process.gate`: held processes, started ahead of their due time
  and let through at it (:func:`prepare`, :class:`Gate`).
- :mod:`~schedcli.process.running`: :class:`Running`, a started job: output,
  timeout, :meth:`Running.terminate`, the cleanup of what the job leaves behind.
- :mod:`~schedcli.process.supervise`: the one thread that supervises every job.
- :mod:`~schedcli.process.output`: the head and tail of a run's output, and a
  follower that sees every byte as it comes (:meth:`Running.follow`).
- :mod:`~schedcli.process.procfs`: identity and liveness of processes
  (:func:`process_identity`, :func:`is_alive`, :func:`group_alive`), ending the job of
  a crashed runner (:func:`kill_group`).
- :mod:`~schedcli.process.find`: the processes of a run, found by the
  ``SCHEDCLI_RUN_ID`` and ``SCHEDCLI_DB`` in their environment, when a crashed
  runner did not record their pids (:func:`processes_of_runs`, :func:`end_processes`).
- :mod:`~schedcli.process.adoption`: a runner that has called
  :func:`become_subreaper` adopts its jobs' orphans, which makes proving that a job
  is over cheap.

A job's background processes do not outlive the job
---------------------------------------------------
When the child exits while other processes of its job remain (for example
``sleep 1000 &`` in a shell script, which would otherwise keep the output pipe
open forever), they receive SIGTERM and, if any remain after ``kill_grace``,
SIGKILL.  "The job" is every process in the child's process group *and* every
process of its session that moved to another process group (``setpgid``, as
``timeout(1)`` does).  A process that starts a new session of its own
(``setsid``, a classic double-forking daemon) is part of the job too when the
runner is a child subreaper (:func:`prepare_runner`) and the job's
:class:`ProcessSpec` has a ``marker``: once adopted, it is recognised by the mark in
its environment (:func:`~schedcli.process.adoption.marked_orphans`) and ended with
the job, round after round until none is left.  Without a subreaper, or when
the process dropped the mark from its environment, it escapes; if it keeps the
output pipe open, the supervisor stops waiting for end-of-file shortly after the
job is gone, and whatever that process writes afterwards is not captured.

Orphans of a crashed runner
---------------------------
A runner records ``Running.pid`` and ``Running.identity``.  After a crash,
:func:`is_alive` tells whether that exact process still exists (a pid reused by
an unrelated process does not match the identity) and :func:`kill_group`
terminates the job it leads.

Nothing here changes the state of the calling process as a side effect: its
signal dispositions are changed and it becomes a child subreaper only when it
calls :func:`prepare_runner` (or :func:`become_subreaper`).  The one supervisor
thread is started by the first :func:`start` (see :mod:`~schedcli.process.supervise`).
"""

from __future__ import annotations

from schedcli.process.adoption import become_subreaper, is_subreaper
from schedcli.process.find import end_processes, processes_of_runs
from schedcli.process.procfs import group_alive, is_alive, kill_group, owner_alive, process_identity
from schedcli.process.running import Running
from schedcli.process.gate import Gate, prepare
from schedcli.process.spawn import catch_ignored_signals, ignores, prepare_runner, start, starting_together
from schedcli.process.spec import DEFAULT_KILL_GRACE, DEFAULT_OUTPUT_CAP, Outcome, ProcessSpec

__all__ = [
    "DEFAULT_KILL_GRACE",
    "DEFAULT_OUTPUT_CAP",
    "Gate",
    "Outcome",
    "ProcessSpec",
    "Running",
    "become_subreaper",
    "catch_ignored_signals",
    "end_processes",
    "group_alive",
    "ignores",
    "is_alive",
    "is_subreaper",
    "kill_group",
    "owner_alive",
    "prepare",
    "prepare_runner",
    "processes_of_runs",
    "process_identity",
    "start",
    "starting_together",
]
