"""Held processes: a job's process started ahead of its due time and held before ``exec``.

:func:`prepare` starts a job's process ahead of its due time and holds it before
``exec`` (a few lines of ``sh`` reading a pipe); :meth:`Gate.load` sends what only
the run knows, :meth:`Gate.release` lets it run.  End of file on the pipe
(:meth:`Gate.cancel`, or the runner's death) ends it without running anything.  What
it costs to create a process is paid before the instant: at the instant, starting
fifty jobs is fifty writes to pipes.

A held process runs exactly what :func:`start` would: the same ``argv`` (``argv[0]``
included, found through the job's ``PATH`` as ``execvpe`` finds it), environment and
directory.  :func:`prepare` declines, and :meth:`Gate.load` cancels, a process whose
command cannot be found or whose directory cannot be entered by then, so that
:func:`start` reports it the usual way at the due time.  The values a run adds
through the pipe are one line each: :meth:`Gate.load` refuses others.
"""

from __future__ import annotations

import os
import threading
import time

from schedcli.process.running import Running
from schedcli.process.spawn import spawn
from schedcli.process.spec import ProcessSpec


# The held process: reads NAME=VALUE lines to add to its environment, then an
# empty line, and only then execs the job (stdin back to /dev/null).  End of
# file first (the runner cancelled, or died) ends it without running anything.
_GATE_SCRIPT = (
    'while IFS= read -r line; do [ -n "$line" ] || exec "$@" </dev/null; export "$line"; done; exit 0'
)


class Gate:
    """A job's process started ahead of its due time and held before ``exec``.

    What it costs to create a process is paid before the instant; at the
    instant :meth:`open` lets the job run (a write to a pipe), so many jobs due
    in the same second start within a few milliseconds, in parallel.  Made by
    :func:`prepare`.
    """

    def __init__(self, running: Running, write_fd: int) -> None:
        self.running = running
        self._fd = write_fd
        self._loaded = False
        self._lock = threading.Lock()

    @property
    def spec(self) -> ProcessSpec:
        return self.running.spec

    def open(self, env: dict[str, str]) -> Running | None:
        """Run the job now, with ``env`` added to its environment: :meth:`load` then
        :meth:`release`.  None when the held process is gone (the caller then starts
        the job with :func:`start`)."""
        if not self.load(env):
            return None
        return self.release()

    def load(self, env: dict[str, str]) -> bool:
        """Send what only the run knows, added to the job's environment; the job still
        waits for :meth:`release`.  False when the held process is gone (or this gate
        was loaded, released or cancelled already).  Values must not contain newlines."""
        lines = []
        for key, value in env.items():
            if not key or "=" in key or "\0" in key or "\n" in key or "\n" in value or "\0" in value:
                raise ValueError(f"cannot pass {key!r} through a gate")
            lines.append(f"{key}={value}\n")
        spec = self.running.spec
        if (spec.cwd is not None and not os.path.isdir(spec.cwd)) or _resolve(spec.argv[0], spec) is None:
            # Removed since it was prepared: a fresh start reports it the usual way.
            self.cancel()
            return False
        with self._lock:
            if self._fd < 0 or self._loaded or self.running.poll():
                return False
            self._loaded = True
            fd = self._fd
            if spec.marker is not None and spec.marker in env:
                # The job's mark is what the run adds (its run id), not what it was prepared with.
                self.running._mark = f"{spec.marker}={env[spec.marker]}".encode("utf-8", "surrogateescape")
        try:
            view = memoryview("".join(lines).encode())
            while view:
                view = view[os.write(fd, view) :]
        except OSError:  # BrokenPipeError: it died meanwhile
            self.cancel()
            return False
        return True

    def release(self) -> Running | None:
        """Let the loaded job run now (one write to a pipe); its timeout starts now.
        Returns its :class:`Running`, or None when the held process is gone."""
        with self._lock:
            fd, self._fd = self._fd, -1
        if fd < 0:
            return None
        if not self._loaded or self.running.poll():
            os.close(fd)
            return None
        self.running._open_gate(time.monotonic())
        try:
            os.write(fd, b"\n")
        except OSError:  # BrokenPipeError: it died meanwhile
            return None
        finally:
            os.close(fd)
        return self.running

    def cancel(self) -> None:
        """The job will not run: the held process ends without executing it."""
        with self._lock:
            fd, self._fd = self._fd, -1
        if fd >= 0:
            os.close(fd)

    def __del__(self) -> None:
        if getattr(self, "_fd", -1) >= 0:
            os.close(self._fd)


def prepare(spec: ProcessSpec) -> Gate | None:
    """Start ``spec``'s process now but hold it before ``exec`` until :meth:`Gate.open`.

    None when that is not possible without changing how a failure to start
    would be reported (the command cannot be found, or its directory cannot be
    entered): the caller then uses :func:`start` at the due time.
    """
    if not isinstance(spec, ProcessSpec):
        raise TypeError("spec must be a ProcessSpec")
    if _resolve(spec.argv[0], spec) is None:
        return None
    gate_r, gate_w = os.pipe()
    try:
        # ``exec`` finds argv[0] in the job's PATH just as execvpe would: the job sees
        # the argv[0] it was given, not the resolved path.
        argv = ["/bin/sh", "-c", _GATE_SCRIPT, "schedcli-gate", *spec.argv]
        running = spawn(spec, argv, gate_r, gated=True)
    except BaseException:
        os.close(gate_w)
        raise
    finally:
        os.close(gate_r)
    if running.error is not None:
        os.close(gate_w)
        return None
    return Gate(running, gate_w)


def _resolve(command: str, spec: ProcessSpec) -> str | None:
    """The executable file ``command`` names (``PATH`` of the job's environment for a
    bare name), or None if there is none."""
    if "/" in command:
        base = spec.cwd if spec.cwd is not None else os.getcwd()
        path = os.path.join(base, command)
        return path if os.path.isfile(path) and os.access(path, os.X_OK) else None
    for directory in os.get_exec_path(spec.env):
        path = os.path.join(directory, command)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None
