"""What to run (:class:`ProcessSpec`) and how it ended (:class:`Outcome`)."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

DEFAULT_OUTPUT_CAP = 1024 * 1024  # bytes kept of a run's combined output
DEFAULT_KILL_GRACE = 5.0  # seconds between SIGTERM and SIGKILL


@dataclass(frozen=True)
class ProcessSpec:
    """What to run.

    ``argv`` is exec'd directly; a bare name is looked up in the ``PATH`` of
    ``env`` (``os.defpath`` when ``env`` has no ``PATH``).  ``env`` is the
    complete environment of the child: nothing is inherited from the runner.
    ``argv`` and ``env`` are copied, so later changes by the caller have no
    effect.  Invalid values raise ``TypeError`` / ``ValueError``.

    ``marker`` names a variable of ``env`` whose value tells this job's processes from
    those of every other job of the runner (the engine uses ``SCHEDCLI_RUN_ID``).
    Under a runner that is a child subreaper (:func:`~schedcli.process.prepare_runner`)
    a process that left the job's session (``setsid``, a double-forking daemon) is
    adopted by the runner once its parent is gone; if its environment
    (``/proc/PID/environ``) carries ``NAME=VALUE`` it is ended with the job, as its
    process group and session are (see :mod:`schedcli.process.adoption`).
    """

    argv: list[str]
    env: dict[str, str]
    cwd: str | None = None
    timeout: float | None = None
    kill_grace: float = DEFAULT_KILL_GRACE
    output_cap: int = DEFAULT_OUTPUT_CAP
    marker: str | None = None

    def __post_init__(self) -> None:
        argv = self.argv
        if isinstance(argv, (str, bytes)) or not isinstance(argv, (list, tuple)):
            raise TypeError("argv must be a list of strings")
        if not argv:
            raise ValueError("argv must not be empty")
        for arg in argv:
            if not isinstance(arg, str):
                raise TypeError(f"argv items must be strings, not {type(arg).__name__}")
            if "\0" in arg:
                raise ValueError("argv items must not contain NUL characters")
        if not argv[0]:
            raise ValueError("argv[0] must not be empty")
        object.__setattr__(self, "argv", list(argv))

        if not isinstance(self.env, dict):
            raise TypeError("env must be a dict of strings")
        for key, value in self.env.items():
            if not isinstance(key, str) or not isinstance(value, str):
                raise TypeError("env keys and values must be strings")
            if not key or "=" in key or "\0" in key:
                raise ValueError(f"invalid environment variable name: {key!r}")
            if "\0" in value:
                raise ValueError(f"environment variable {key} contains a NUL character")
        object.__setattr__(self, "env", dict(self.env))

        if self.cwd is not None:
            cwd = os.fspath(self.cwd)
            if not isinstance(cwd, str):
                raise TypeError("cwd must be a string or None")
            if not cwd or "\0" in cwd:
                raise ValueError("cwd must be a non-empty path without NUL characters")
            object.__setattr__(self, "cwd", cwd)

        if self.timeout is not None:
            check_seconds("timeout", self.timeout, allow_zero=False)
        check_seconds("kill_grace", self.kill_grace, allow_zero=True)
        if isinstance(self.output_cap, bool) or not isinstance(self.output_cap, int):
            raise TypeError("output_cap must be an int")
        if self.output_cap < 0:
            raise ValueError("output_cap must not be negative")
        if self.marker is not None:
            if not isinstance(self.marker, str):
                raise TypeError("marker must be the name of an environment variable, or None")
            if not self.marker or "=" in self.marker or "\0" in self.marker:
                raise ValueError(f"invalid environment variable name: {self.marker!r}")

    def mark(self) -> bytes | None:
        """The ``NAME=VALUE`` entry that marks this job's processes, or None (no
        ``marker``, or ``env`` does not set it)."""
        if self.marker is None or self.marker not in self.env:
            return None
        return f"{self.marker}={self.env[self.marker]}".encode("utf-8", "surrogateescape")


@dataclass
class Outcome:
    """How a run ended.

    ``timed_out`` and ``terminated`` record what *caused* the termination, so at
    most one of them is true: whichever of the timeout and :meth:`Running.terminate`
    came first while the child was still running.  Both are false for a child
    that exited on its own, even if leftover background processes had to be
    killed afterwards.
    """

    exit_code: int | None
    signal: int | None
    timed_out: bool
    terminated: bool
    output: bytes
    truncated: bool
    total_bytes: int
    duration: float
    error: str | None = None

    @classmethod
    def without_output(cls, exit_code: int | None, error: str, duration: float) -> "Outcome":
        """The outcome of a process that could not be started or supervised."""
        return cls(
            exit_code=exit_code, signal=None, timed_out=False, terminated=False,
            output=b"", truncated=False, total_bytes=0, duration=duration, error=error,
        )


def check_seconds(name: str, value: object, *, allow_zero: bool) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds")
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = "non-negative" if allow_zero else "positive"
        raise ValueError(f"{name} must be a {bound} finite number of seconds, not {value!r}")
