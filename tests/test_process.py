"""Tests for schedcli.process, with real child processes (no mocks).

Timing bounds are generous (a loaded 2-core machine must not make them flaky)
but tight enough to tell the behaviour apart: e.g. a TERM-ignoring job must
take at least the grace period and at most grace + 1.5 s.

"Gone" means the pid no longer exists *or* is a zombie: orphaned grandchildren
are reparented to init, and some containers' init never reaps them.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import resource
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedcli import process as P
from schedcli.process.output import OutputBuffer
from schedcli.process import (
    DEFAULT_KILL_GRACE,
    DEFAULT_OUTPUT_CAP,
    Outcome,
    ProcessSpec,
    Running,
    group_alive,
    is_alive,
    kill_group,
    process_identity,
    start,
)
from waiting import wait_for

PATH = "/usr/local/bin:/usr/bin:/bin"
ENV = {"PATH": PATH}
PY = sys.executable
MB = 1 << 20
REPO_ROOT = Path(__file__).resolve().parent.parent
PR_SET_CHILD_SUBREAPER, PR_GET_CHILD_SUBREAPER = 36, 37


# ----------------------------------------------------------------- helpers


def marker(omitted: int) -> bytes:
    return b"\n[... schedcli: %d bytes omitted ...]\n" % omitted


def proc_state(pid: int) -> str | None:
    """State letter of ``pid`` read directly from /proc (independent of the module), or None."""
    try:
        data = Path(f"/proc/{pid}/stat").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return data[data.rindex(b")") + 2 :].split()[0].decode()


def is_gone(pid: int) -> bool:
    return proc_state(pid) in (None, "Z", "X")


def first_int(output: bytes) -> int:
    match = re.search(rb"\d+", output)
    assert match, f"no pid in output {output!r}"
    return int(match.group())


def sh(script: str, *args: str, **kw) -> ProcessSpec:
    return ProcessSpec(["/bin/sh", "-c", script, "sh", *args], dict(ENV), **kw)


def py(code: str, **kw) -> ProcessSpec:
    return ProcessSpec([PY, "-c", textwrap.dedent(code)], dict(ENV), **kw)


class Jobs:
    """Starts jobs and guarantees they are stopped at teardown, so a failing test leaks nothing."""

    def __init__(self) -> None:
        self.started: list[Running] = []
        self.orphans: list[tuple[int, str | None]] = []
        self.pids: list[int] = []

    def start(self, spec: ProcessSpec) -> Running:
        running = start(spec)
        self.started.append(running)
        return running

    def finish(self, running: Running, limit: float = 30.0) -> Outcome:
        """running.wait(), failing the test (instead of hanging) if it blocks over ``limit`` s."""
        box: list[Outcome] = []
        waiter = threading.Thread(target=lambda: box.append(running.wait()), daemon=True)
        waiter.start()
        waiter.join(limit)
        if waiter.is_alive():
            running.terminate(0)
            waiter.join(5)
            pytest.fail(f"wait() did not return within {limit} s")
        return box[0]

    def run(self, spec: ProcessSpec, limit: float = 30.0) -> tuple[Running, Outcome, float]:
        """Start and wait; also returns the seconds elapsed from before start() to wait()'s return."""
        t0 = time.monotonic()
        running = self.start(spec)
        outcome = self.finish(running, limit)
        return running, outcome, time.monotonic() - t0

    def cleanup(self) -> None:
        for running in self.started:
            running.terminate(0)
        for running in self.started:
            waiter = threading.Thread(target=running.wait, daemon=True)
            waiter.start()
            waiter.join(10)  # bounded: a broken wait() must fail its test, not hang the suite
        for pid, identity in self.orphans:
            kill_group(pid, identity, grace=0)
        for pid in self.pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture(scope="module", autouse=True)
def runner_adopts_orphans():
    """This process adopts its jobs' orphans, as the command line's runners do (a
    process stays a subreaper once it is one: later test modules run as one too)."""
    assert P.become_subreaper()


@pytest.fixture
def jobs():
    j = Jobs()
    try:
        yield j
    finally:
        j.cleanup()


@contextlib.contextmanager
def not_a_subreaper():
    """This process stops adopting orphans for a while (:func:`runner_adopts_orphans`
    made it a child subreaper): what is started meanwhile behaves like another runner's job."""
    libc = ctypes.CDLL(None, use_errno=True)
    was = ctypes.c_int()
    assert libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(was), 0, 0, 0) == 0
    assert libc.prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0) == 0
    try:
        yield
    finally:
        assert libc.prctl(PR_SET_CHILD_SUBREAPER, was.value, 0, 0, 0) == 0


def spawn_orphan(jobs: Jobs, script: str, *args: str) -> int:
    """Run ``sh -c script`` in a new session via a helper that exits: the job is not our child."""
    helper = textwrap.dedent(
        """
        import subprocess, sys
        p = subprocess.Popen(["/bin/sh", "-c", sys.argv[1], "sh", *sys.argv[2:]], start_new_session=True,
                             stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(p.pid)
        """
    )
    with not_a_subreaper():
        done = subprocess.run([PY, "-c", helper, script, *args], capture_output=True, check=True, timeout=30)
    pid = int(done.stdout)
    jobs.orphans.append((pid, process_identity(pid)))
    stat = Path(f"/proc/{pid}/stat").read_bytes()
    ppid = int(stat[stat.rindex(b")") + 2 :].split()[1])
    assert ppid != os.getpid(), "the orphan must not be our child"
    return pid


# ------------------------------------------------------------- basic runs


@pytest.mark.parametrize("code", [0, 3])
def test_exit_code(jobs, code):
    _, outcome, _ = jobs.run(sh(f"exit {code}"))
    assert outcome.exit_code == code
    assert outcome.signal is None
    assert outcome.error is None
    assert not outcome.timed_out and not outcome.terminated
    assert outcome.duration >= 0


def test_killed_by_signal(jobs):
    _, outcome, _ = jobs.run(sh("kill -9 $$"))
    assert outcome.exit_code is None
    assert outcome.signal == signal.SIGKILL
    assert not outcome.timed_out and not outcome.terminated


def test_stdout_and_stderr_are_interleaved_in_order(jobs):
    _, outcome, _ = jobs.run(sh("echo out1; echo err1 >&2; echo out2; echo err2 >&2"))
    assert outcome.output == b"out1\nerr1\nout2\nerr2\n"
    assert outcome.total_bytes == len(outcome.output)
    assert not outcome.truncated


def test_stdin_is_dev_null(jobs):
    _, outcome, elapsed = jobs.run(ProcessSpec(["cat"], dict(ENV), timeout=20))
    assert (outcome.exit_code, outcome.output, outcome.timed_out) == (0, b"", False)
    assert elapsed < 10
    _, outcome, _ = jobs.run(ProcessSpec(["readlink", "/proc/self/fd/0"], dict(ENV)))
    assert outcome.output == b"/dev/null\n"


def test_environment_is_exactly_the_given_one(jobs, monkeypatch):
    monkeypatch.setenv("SCHEDCLI_TEST_MUST_NOT_LEAK", "1")
    env = {"PATH": PATH, "FOO": "bar baz", "EMPTY": "", "UNICODE": "héllo"}
    _, outcome, _ = jobs.run(ProcessSpec(["env"], env))
    assert outcome.exit_code == 0
    lines = outcome.output.decode().splitlines()
    assert sorted(lines) == sorted(f"{k}={v}" for k, v in env.items())


def test_cwd_is_honoured(jobs, tmp_path):
    _, outcome, _ = jobs.run(py("import os; print(os.getcwd())", cwd=str(tmp_path)))
    assert outcome.output.decode().strip() == os.path.realpath(tmp_path)


def test_child_leads_its_own_session_and_group(jobs):
    running, outcome, _ = jobs.run(py("import os; print(os.getpid(), os.getpgid(0), os.getsid(0))"))
    assert outcome.output.split() == [str(running.pid).encode()] * 3
    assert running.pid != os.getpgid(0)


def test_job_gets_no_other_file_descriptors(jobs):
    leaky_fd = os.open(os.devnull, os.O_RDONLY)
    os.set_inheritable(leaky_fd, True)
    try:
        first = jobs.start(ProcessSpec(["sleep", "1000"], dict(ENV)))
        second = jobs.start(ProcessSpec(["sleep", "1000"], dict(ENV)))
        # Neither job holds the other's output pipe, nor our inheritable fd.  (Just after
        # exec, the dynamic loader briefly opens libraries as fd 3: a leak would stay.)
        for running in (first, second):
            wait_for(
                lambda: sorted(os.listdir(f"/proc/{running.pid}/fd")) == ["0", "1", "2"],
                timeout=5,
                what=f"pid {running.pid} to hold only fds 0, 1 and 2",
            )
        assert os.readlink(f"/proc/{first.pid}/fd/1") != os.readlink(f"/proc/{second.pid}/fd/1")
    finally:
        os.close(leaky_fd)


def _signal_masks(output: bytes) -> dict[str, int]:
    masks = {}
    for line in output.decode().splitlines():
        key, _, value = line.partition(":")
        masks[key] = int(value.strip(), 16)
    return masks


def test_child_starts_with_default_signal_dispositions(jobs):
    spec = ProcessSpec(["grep", "-E", "^Sig(Ign|Blk)", "/proc/self/status"], dict(ENV))
    # Python ignores SIGPIPE; the child must not.
    _, outcome, _ = jobs.run(spec)
    assert _signal_masks(outcome.output) == {"SigIgn": 0, "SigBlk": 0}

    # Signals the runner ignores or blocks are reset too (the preexec path).
    old_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    old_mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    try:
        running = jobs.start(spec)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old_mask)
        signal.signal(signal.SIGINT, old_int)
    outcome = jobs.finish(running)
    assert _signal_masks(outcome.output) == {"SigIgn": 0, "SigBlk": 0}


# ---------------------------------------------------------- start failures


def _assert_start_error(running: Running, outcome: Outcome, code: int, message: str) -> None:
    assert outcome.error == message
    assert outcome.exit_code == code
    assert outcome.signal is None and outcome.output == b"" and outcome.total_bytes == 0
    assert running.pid == 0 and running.identity is None and running.error == message
    assert running.poll()
    running.terminate()  # a no-op
    assert running.wait() is outcome


def test_missing_executable(jobs, tmp_path):
    running, outcome, _ = jobs.run(ProcessSpec(["schedcli-no-such-command"], dict(ENV)))
    _assert_start_error(running, outcome, 127, "command not found: schedcli-no-such-command")
    missing = str(tmp_path / "nope")
    running, outcome, _ = jobs.run(ProcessSpec([missing], dict(ENV)))
    _assert_start_error(running, outcome, 127, f"command not found: {missing}")


def test_command_is_looked_up_in_the_jobs_path(jobs, tmp_path):
    tool = tmp_path / "schedcli-test-tool"
    tool.write_text("#!/bin/sh\necho found me\n")
    tool.chmod(0o755)
    _, outcome, _ = jobs.run(ProcessSpec([tool.name], {"PATH": f"{tmp_path}:{PATH}"}))
    assert (outcome.exit_code, outcome.output) == (0, b"found me\n")
    running, outcome, _ = jobs.run(ProcessSpec([tool.name], dict(ENV)))
    _assert_start_error(running, outcome, 127, f"command not found: {tool.name}")


def test_not_executable(jobs, tmp_path):
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    running, outcome, _ = jobs.run(ProcessSpec(["./script.sh"], dict(ENV), cwd=str(tmp_path)))
    _assert_start_error(running, outcome, 126, "permission denied: ./script.sh")


def test_bad_interpreter(jobs, tmp_path):
    script = tmp_path / "script"
    script.write_text("#!/nonexistent/interpreter\n")
    script.chmod(0o755)
    running, outcome, _ = jobs.run(ProcessSpec([str(script)], dict(ENV)))
    _assert_start_error(running, outcome, 126, f"bad interpreter: {script}: No such file or directory")


def test_bad_cwd(jobs, tmp_path):
    missing = str(tmp_path / "nope")
    running, outcome, _ = jobs.run(ProcessSpec(["true"], dict(ENV), cwd=missing))
    _assert_start_error(running, outcome, 126, f"no such directory: {missing}")
    a_file = tmp_path / "file"
    a_file.write_text("")
    running, outcome, _ = jobs.run(ProcessSpec(["true"], dict(ENV), cwd=str(a_file)))
    _assert_start_error(running, outcome, 126, f"not a directory: {a_file}")


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        ({"argv": []}, ValueError),
        ({"argv": "echo hi"}, TypeError),
        ({"argv": ["echo", 1]}, TypeError),
        ({"argv": ["echo", "a\0b"]}, ValueError),
        ({"env": {"A=B": "x"}}, ValueError),
        ({"env": {"A": None}}, TypeError),
        ({"timeout": 0}, ValueError),
        ({"timeout": -1}, ValueError),
        ({"timeout": float("inf")}, ValueError),
        ({"kill_grace": -0.1}, ValueError),
        ({"output_cap": -1}, ValueError),
        ({"output_cap": 1.5}, TypeError),
    ],
)
def test_invalid_spec_is_rejected(kwargs, exc):
    fields = {"argv": ["true"], "env": dict(ENV), **kwargs}
    with pytest.raises(exc):
        ProcessSpec(**fields)


def test_spec_copies_argv_and_env():
    argv, env = ["echo", "a"], {"PATH": PATH}
    spec = ProcessSpec(argv, env)
    argv.append("b")
    env["X"] = "y"
    assert spec.argv == ["echo", "a"] and spec.env == {"PATH": PATH}
    assert (spec.cwd, spec.timeout, spec.kill_grace, spec.output_cap) == (
        None,
        None,
        DEFAULT_KILL_GRACE,
        DEFAULT_OUTPUT_CAP,
    )


# ------------------------------------------------------ timeout / terminate


def test_timeout_terminates_the_whole_group(jobs):
    running, outcome, elapsed = jobs.run(sh("sleep 1000 & echo $!; sleep 1000", timeout=0.5, kill_grace=1))
    grandchild = first_int(outcome.output)
    assert outcome.timed_out and not outcome.terminated
    assert outcome.signal == signal.SIGTERM and outcome.exit_code is None
    assert 0.45 <= elapsed <= 0.5 + 1 + 1.5
    assert is_gone(grandchild)
    assert is_gone(running.pid)
    assert not group_alive(running.pid)


def test_timeout_escalates_to_sigkill_when_sh_ignores_term(jobs):
    spec = sh('trap "" TERM; echo ready; sleep 1000', timeout=0.5, kill_grace=1)
    running, outcome, elapsed = jobs.run(spec)
    assert outcome.output == b"ready\n"
    assert outcome.timed_out and outcome.signal == signal.SIGKILL
    assert 0.5 + 1 - 0.1 <= elapsed <= 0.5 + 1 + 1.5  # SIGKILL only after the grace period
    assert not group_alive(running.pid)


def test_timeout_escalates_to_sigkill_when_python_catches_term(jobs):
    spec = py(
        """
        import signal, sys, time
        signal.signal(signal.SIGTERM, lambda *_: print("caught TERM", flush=True))
        print("ready", flush=True)
        while True:
            time.sleep(1000)
        """,
        timeout=1.0,
        kill_grace=1.0,
    )
    running, outcome, elapsed = jobs.run(spec)
    assert outcome.output == b"ready\ncaught TERM\n"  # TERM first...
    assert outcome.timed_out and outcome.signal == signal.SIGKILL  # ...then KILL
    assert 1.0 + 1.0 - 0.1 <= elapsed <= 1.0 + 1.0 + 1.5
    assert not group_alive(running.pid)


def test_terminate_from_another_thread_while_wait_blocks(jobs):
    running = jobs.start(ProcessSpec(["sleep", "1000"], dict(ENV)))  # default grace: 5 s
    box: list[Outcome] = []
    waiter = threading.Thread(target=lambda: box.append(running.wait()))
    waiter.start()
    assert waiter.is_alive() and not running.poll()
    t0 = time.monotonic()
    running.terminate()
    waiter.join(10)
    assert not waiter.is_alive()
    assert time.monotonic() - t0 < 1.5  # sleep dies on SIGTERM: no waiting for the grace period
    outcome = box[0]
    assert outcome.terminated and not outcome.timed_out
    assert outcome.signal == signal.SIGTERM
    assert running.poll() and running.wait() is outcome


def test_terminate_grace_escalates_to_sigkill(jobs, tmp_path):
    ready = tmp_path / "ready"
    running = jobs.start(sh('trap "" TERM; : > "$1"; sleep 1000', str(ready)))
    wait_for(ready.exists, what="the job to ignore SIGTERM")
    t0 = time.monotonic()
    running.terminate(grace=0.3)
    outcome = jobs.finish(running)
    elapsed = time.monotonic() - t0
    assert outcome.terminated and outcome.signal == signal.SIGKILL
    assert 0.3 - 0.05 <= elapsed <= 0.3 + 1.5
    assert not group_alive(running.pid)


def test_terminate_after_exit_changes_nothing(jobs):
    running, outcome, _ = jobs.run(sh("echo hi"))
    running.terminate(0)
    assert running.wait() is outcome
    assert not outcome.terminated and outcome.exit_code == 0


def test_timeout_is_enforced_without_anybody_waiting(jobs):
    running = jobs.start(ProcessSpec(["sleep", "1000"], dict(ENV), timeout=0.3, kill_grace=1))
    wait_for(running.poll, timeout=0.3 + 1 + 1.5, what="the timeout to end the job")
    assert running.wait().timed_out


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_runs_leak_no_threads_or_file_descriptors(jobs, tmp_path):
    jobs.run(sh("exit 0"))  # the process's one supervisor thread (and its epoll) now exist
    threads_before = threading.active_count()
    fds_before = _open_fds()
    specs = [
        sh("echo out; echo err >&2"),
        sh("sleep 1000 & echo done", kill_grace=0.2),
        ProcessSpec(["schedcli-no-such-command"], dict(ENV)),
        ProcessSpec(["true"], dict(ENV), cwd=str(tmp_path / "nope")),
        ProcessSpec(["sleep", "1000"], dict(ENV), timeout=0.1, kill_grace=0.2),
    ]
    for _ in range(3):
        for spec in specs:
            running = jobs.start(spec)
            results: list[Outcome] = []
            waiters = [threading.Thread(target=lambda: results.append(running.wait())) for _ in range(3)]
            for w in waiters:
                w.start()
            for w in waiters:
                w.join(10)
            assert len(results) == 3 and results[0] is results[1] is results[2]
    assert _open_fds() == fds_before
    # Nothing but the supervisor: no thread per run is left behind.
    wait_for(lambda: threading.active_count() == threads_before, timeout=5, what="threads to finish")


def _have_pidfd() -> bool:
    try:
        os.close(os.pidfd_open(os.getpid()))
    except (AttributeError, OSError):
        return False
    return True


@pytest.mark.skipif(not _have_pidfd(), reason="without pidfds a thread waits for each child")
def test_one_supervisor_thread_for_all_running_jobs(jobs):
    jobs.run(sh("exit 0"))
    threads_before = threading.active_count()
    runs = [jobs.start(ProcessSpec(["sleep", "1000"], dict(ENV), kill_grace=1)) for _ in range(10)]
    assert threading.active_count() == threads_before
    for running in runs:
        running.terminate()
    outcomes = [jobs.finish(running) for running in runs]
    assert all(o.terminated and o.signal == signal.SIGTERM for o in outcomes)


# ------------------------------------------------------ leftover processes


def test_background_process_does_not_outlive_the_job(jobs):
    running, outcome, elapsed = jobs.run(sh("sleep 1000 & echo $!; echo done", kill_grace=0.5))
    assert outcome.exit_code == 0 and not outcome.timed_out and not outcome.terminated
    assert outcome.output.endswith(b"done\n")
    assert elapsed < 0.5 + 1.5
    assert is_gone(first_int(outcome.output))
    assert not group_alive(running.pid)


def test_background_process_ignoring_term_is_killed_after_grace(jobs, tmp_path):
    ready = tmp_path / "ready"
    script = """
        (trap "" TERM; : > "$1"; exec sleep 1000) &
        while [ ! -e "$1" ]; do sleep 0.01; done
        echo $!
    """
    running, outcome, elapsed = jobs.run(sh(script, str(ready), kill_grace=0.5))
    assert outcome.exit_code == 0
    assert 0.5 - 0.05 <= elapsed <= 0.5 + 1.5
    assert is_gone(first_int(outcome.output))


def test_process_moved_to_another_group_of_the_session_is_cleaned_up(jobs):
    # Like timeout(1), which puts itself in a new process group.
    code = """
        import subprocess
        p = subprocess.Popen(["sleep", "1000"], process_group=0)
        print(p.pid)
    """
    running, outcome, elapsed = jobs.run(py(code, kill_grace=0.5))
    grandchild = first_int(outcome.output)
    assert outcome.exit_code == 0
    assert elapsed < 0.5 + 1.5
    assert is_gone(grandchild)


def test_escaped_daemon_holding_the_pipe_does_not_hang_wait(jobs):
    code = """
        import subprocess
        p = subprocess.Popen(["sleep", "1000"], start_new_session=True)  # inherits our stdout
        print(p.pid, flush=True)
    """
    running, outcome, elapsed = jobs.run(py(code, kill_grace=0.5))
    daemon = first_int(outcome.output)
    jobs.pids.append(daemon)
    assert outcome.exit_code == 0
    assert outcome.output == b"%d\n" % daemon
    assert elapsed < 4
    assert not is_gone(daemon)  # documented: a new session escapes the job


def zombie_children() -> list[int]:
    """Children of this process (any thread) that have exited and were never reaped."""
    me = os.getpid()
    found = []
    for task in os.listdir(f"/proc/{me}/task"):
        try:
            children = Path(f"/proc/{me}/task/{task}/children").read_text().split()
        except FileNotFoundError:
            continue
        found += [int(pid) for pid in children if proc_state(int(pid)) == "Z"]
    return found


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_bytes()
    return int(stat[stat.rindex(b")") + 2 :].split()[1])


def test_orphan_of_a_job_is_adopted_ended_and_reaped(jobs):
    # The subshell exits at once, so its sleep is an orphan while the job still runs:
    # the runner adopts it (child subreaper), ends it with the job and reaps it.
    script = "(sleep 1000 >/dev/null 2>&1 & echo $!); sleep 0.2; echo done"
    running, outcome, elapsed = jobs.run(sh(script, kill_grace=0.5))
    orphan = first_int(outcome.output)
    assert outcome.exit_code == 0 and outcome.output.endswith(b"done\n")
    assert elapsed < 0.5 + 1.5
    assert proc_state(orphan) is None, "ended and reaped, not left as a zombie"
    assert orphan not in zombie_children()


def test_escaped_daemon_is_adopted_and_reaped_after_it_ends(jobs):
    code = """
        import subprocess
        p = subprocess.Popen(["sleep", "1.5"], start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        print(p.pid, flush=True)
    """
    _, outcome, _ = jobs.run(py(code))
    daemon = first_int(outcome.output)
    jobs.pids.append(daemon)
    assert not is_gone(daemon)  # a new session escapes the job...
    assert parent_of(daemon) == os.getpid()  # ...but its orphan is adopted by the runner
    wait_for(lambda: proc_state(daemon) == "Z", what="the daemon to end")
    _, later, _ = jobs.run(sh("exit 0"))  # the next job's end reaps it
    assert later.exit_code == 0
    assert proc_state(daemon) is None


def test_many_parallel_jobs_with_orphans_leave_nothing_behind(jobs):
    script = "(sleep 1000 >/dev/null 2>&1 & echo $!); echo done"
    runs = [jobs.start(sh(script, kill_grace=0.5)) for _ in range(8)] + [
        jobs.start(sh("echo plain")) for _ in range(8)
    ]
    outcomes = [jobs.finish(r) for r in runs]
    orphans = [first_int(o.output) for o in outcomes[:8]]
    assert all(o.exit_code == 0 for o in outcomes)
    assert [proc_state(pid) for pid in orphans] == [None] * 8
    assert not set(orphans) & set(zombie_children())


# ------------------------------------------------------------------ output


def test_output_is_capped_keeping_head_and_tail(jobs):
    _, outcome, _ = jobs.run(sh("printf 0123456789ABCDEFGHIJ", output_cap=10))
    assert outcome.output == b"01234" + marker(10) + b"FGHIJ"
    assert outcome.truncated and outcome.total_bytes == 20


@pytest.mark.parametrize("cap, expected, truncated", [(20, b"0123456789ABCDEFGHIJ", False), (0, marker(20), True)])
def test_output_cap_edges(jobs, cap, expected, truncated):
    _, outcome, _ = jobs.run(sh("printf 0123456789ABCDEFGHIJ", output_cap=cap))
    assert (outcome.output, outcome.truncated, outcome.total_bytes) == (expected, truncated, 20)


@settings(max_examples=300, deadline=None)
@given(
    cap=st.integers(min_value=0, max_value=64),
    chunks=st.lists(st.binary(min_size=1, max_size=40), max_size=12),
)
def test_output_buffer_matches_reference(cap, chunks):
    buf = OutputBuffer(cap)
    for chunk in chunks:
        buf.feed(chunk)
    data = b"".join(chunks)
    head_len = cap // 2
    tail_len = cap - head_len
    if len(data) <= cap:
        expected = data
    else:
        expected = data[:head_len] + marker(len(data) - cap) + data[len(data) - tail_len :]
    assert buf.result() == (expected, len(data) > cap, len(data))


FIFTY_MB_WRITER = """
    import sys
    out = sys.stdout.buffer
    for i in range(50):
        chunk = bytearray([i]) * (1 << 20)
        if i == 0:
            chunk[:9] = b"<<FIRST>>"
        if i == 49:
            chunk[-8:] = b"<<LAST>>"
        out.write(chunk)
    out.flush()
    sys.exit(7)
"""


def test_fifty_megabytes_of_output(jobs):
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    _, outcome, _ = jobs.run(py(FIFTY_MB_WRITER), limit=60)
    rss_growth_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    cap = DEFAULT_OUTPUT_CAP
    assert outcome.exit_code == 7
    assert outcome.truncated and outcome.total_bytes == 50 * MB
    head = (b"<<FIRST>>" + bytes(MB))[: cap // 2]
    tail = (bytes([49]) * MB + b"<<LAST>>")[-(cap - cap // 2) :]
    assert outcome.output == head + marker(50 * MB - cap) + tail
    assert len(outcome.output) <= cap + len(marker(50 * MB))
    assert rss_growth_kib < 30 * 1024


def test_memory_stays_bounded_in_a_fresh_interpreter():
    # ru_maxrss is a peak: measure in a fresh process so earlier tests cannot mask growth.
    # RUSAGE_SELF does not include the job (a child), only the reading side.
    script = textwrap.dedent(
        f"""
        import json, resource, sys, textwrap
        from schedcli.process import ProcessSpec, start
        start(ProcessSpec(["true"], {{}})).wait()  # warm up threads and imports
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        o = start(ProcessSpec([sys.executable, "-c", textwrap.dedent({FIFTY_MB_WRITER!r})], {{}})).wait()
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"growth_kib": after - before, "total": o.total_bytes, "exit": o.exit_code}}))
        """
    )
    env = {"PATH": PATH, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([PY, "-c", script], capture_output=True, env=env, timeout=60, check=True)
    report = json.loads(done.stdout)
    assert report["total"] == 50 * MB and report["exit"] == 7
    assert report["growth_kib"] < 30 * 1024, report


# -------------------------------------------------------- process identity


def test_identity_of_this_process():
    identity = process_identity(os.getpid())
    assert identity is not None
    boot_id = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    boot, _, starttime = identity.rpartition(":")
    assert boot == boot_id and starttime.isdigit()
    assert process_identity(os.getpid()) == identity
    assert is_alive(os.getpid(), identity)


def test_identity_of_dead_and_invalid_pids():
    child = subprocess.Popen(["true"])
    child.wait()
    assert process_identity(child.pid) is None
    assert not is_alive(child.pid, "anything")
    assert process_identity(0) is None and process_identity(-5) is None


def test_identity_of_a_zombie_is_none():
    child = subprocess.Popen(["sleep", "1000"])
    try:
        identity = process_identity(child.pid)
        assert identity is not None and is_alive(child.pid, identity)
        os.kill(child.pid, signal.SIGKILL)
        wait_for(lambda: proc_state(child.pid) == "Z", what="the zombie")  # not reaped yet
        assert process_identity(child.pid) is None
        assert not is_alive(child.pid, identity)
    finally:
        child.kill()
        child.wait()


def test_identities_differ_and_pid_reuse_is_detected(jobs):
    running = jobs.start(ProcessSpec(["sleep", "1000"], dict(ENV)))
    identity = running.identity
    assert identity is not None and identity == process_identity(running.pid)
    assert identity != process_identity(os.getpid())
    assert is_alive(running.pid, identity)
    boot, _, starttime = identity.rpartition(":")
    reused = f"{boot}:{int(starttime) + 1}"  # same pid, a later process instance
    assert not is_alive(running.pid, reused)
    assert not is_alive(running.pid, "another-boot:" + starttime)
    assert not is_alive(running.pid, None)


def test_identity_with_spaces_and_parentheses_in_comm(tmp_path):
    weird = tmp_path / "a) b (c"
    weird.symlink_to("/bin/sleep" if os.path.exists("/bin/sleep") else "/usr/bin/sleep")
    plain = subprocess.Popen(["sleep", "1000"])
    child = subprocess.Popen([str(weird), "1000"])
    try:
        # Popen can return a moment before exec() has renamed the task.
        comm = Path(f"/proc/{child.pid}/comm")
        wait_for(lambda: comm.read_text().strip() == weird.name, what="exec to set comm")
        # Independent parse: count starttime (field 22) from the END of the line,
        # using a process with a plain comm to learn the number of fields.
        fields_total = len(Path(f"/proc/{plain.pid}/stat").read_text().split())
        from_end = fields_total - 21
        starttime = Path(f"/proc/{child.pid}/stat").read_text().split()[-from_end]
        identity = process_identity(child.pid)
        assert identity is not None and identity.endswith(":" + starttime)
        child.kill()
        wait_for(lambda: proc_state(child.pid) == "Z", what="the zombie")
        assert process_identity(child.pid) is None  # state parsed after the last ')'
    finally:
        for p in (plain, child):
            p.kill()
            p.wait()


# ------------------------------------------------- orphan cleanup and groups


def test_group_alive_basics(jobs):
    running = jobs.start(ProcessSpec(["sleep", "1000"], dict(ENV)))
    assert group_alive(running.pid)
    assert not group_alive(0) and not group_alive(1)  # never a job's group (and never signalled)
    running.terminate(0)
    running.wait()
    assert not group_alive(running.pid)


def test_group_of_only_a_zombie_is_not_alive():
    child = subprocess.Popen(["true"], start_new_session=True)
    try:
        wait_for(lambda: proc_state(child.pid) == "Z", what="the zombie")
        os.killpg(child.pid, 0)  # the kernel still has the group...
        assert not group_alive(child.pid)  # ...but nothing in it can run
    finally:
        child.wait()


def test_kill_group_on_an_orphan(jobs, tmp_path):
    pidfile = tmp_path / "grandchild"
    leader = spawn_orphan(jobs, 'sleep 1000 & echo $! > "$1.tmp"; mv "$1.tmp" "$1"; sleep 1000', str(pidfile))
    wait_for(pidfile.exists, what="the grandchild's pid")
    grandchild = int(pidfile.read_text())
    identity = process_identity(leader)
    assert identity is not None and group_alive(leader)
    t0 = time.monotonic()
    assert kill_group(leader, identity, grace=5)
    assert time.monotonic() - t0 < 2  # everything died on SIGTERM: no waiting for the grace
    assert not group_alive(leader)
    assert is_gone(leader) and is_gone(grandchild)
    assert not kill_group(leader, identity)  # nothing left to signal


def test_kill_group_escalates_to_sigkill(jobs, tmp_path):
    ready = tmp_path / "ready"
    leader = spawn_orphan(jobs, 'trap "" TERM; : > "$1"; sleep 1000', str(ready))
    wait_for(ready.exists, what="the orphan to ignore SIGTERM")
    t0 = time.monotonic()
    assert kill_group(leader, process_identity(leader), grace=0.5)
    assert 0.5 - 0.05 <= time.monotonic() - t0 <= 0.5 + 1.5
    assert not group_alive(leader) and is_gone(leader)


def test_kill_group_with_wrong_identity_does_nothing(jobs):
    leader = spawn_orphan(jobs, "sleep 1000 & sleep 1000")
    identity = process_identity(leader)
    assert identity is not None
    boot, _, starttime = identity.rpartition(":")
    assert not kill_group(leader, f"{boot}:{int(starttime) - 1}", grace=0)
    assert not kill_group(leader, None, grace=0)
    assert not kill_group(0, identity, grace=0) and not kill_group(1, identity, grace=0)
    assert process_identity(leader) == identity and group_alive(leader)
    # Cleanup (also done by the fixture, should this assertion fail).
    assert kill_group(leader, identity, grace=1)
    assert not group_alive(leader)


# ------------------------------------------------------------------- gates


def waiting_at_the_gate(gate) -> bool:
    """The held process has read everything sent to it and is blocked reading for more
    (so whatever it would do next, it has not done yet)."""
    import fcntl
    import termios

    try:
        buffered = fcntl.ioctl(gate._fd, termios.FIONREAD, b"\0\0\0\0")
        wchan = Path(f"/proc/{gate.running.pid}/wchan").read_text().strip()
    except OSError:
        return False
    if int.from_bytes(buffered, sys.byteorder):
        return False
    if wchan in ("", "0"):  # the kernel does not say where: asleep will do
        return proc_state(gate.running.pid) == "S"
    return "pipe" in wchan



def test_held_process_runs_the_job_only_when_opened(jobs, tmp_path):
    marker = tmp_path / "ran"
    gate = P.prepare(sh(f'echo "run=$RUN extra=$EXTRA"; : > {marker}', timeout=30))
    assert gate is not None
    jobs.started.append(gate.running)
    pid = gate.running.pid
    wait_for(lambda: waiting_at_the_gate(gate), what="the process to be held")  # held: nothing has run
    assert not marker.exists() and not gate.running.poll()
    t0 = time.monotonic()
    running = gate.open({"RUN": "7", "EXTRA": "a b=c 'd'"})
    assert running is gate.running and running.pid == pid  # the same process goes on
    outcome = jobs.finish(running)
    assert outcome.exit_code == 0 and outcome.output == b"run=7 extra=a b=c 'd'\n"
    assert marker.exists()
    assert outcome.duration <= time.monotonic() - t0  # counted from the opening
    assert gate.open({}) is None  # a gate opens once


def test_held_process_timeout_counts_from_the_opening(jobs):
    gate = P.prepare(ProcessSpec(["sleep", "10"], dict(ENV), timeout=0.3, kill_grace=0.2))
    jobs.started.append(gate.running)
    time.sleep(0.6)  # longer than the timeout: held time does not count
    assert not gate.running.poll()
    outcome = jobs.finish(gate.open({}))
    assert outcome.timed_out and outcome.signal == signal.SIGTERM
    assert 0.3 <= outcome.duration < 1.5


def test_cancelled_or_orphaned_held_process_never_runs_the_job(jobs, tmp_path):
    marker = tmp_path / "ran"
    gate = P.prepare(sh(f": > {marker}"))
    jobs.started.append(gate.running)
    gate.cancel()
    outcome = jobs.finish(gate.running)
    assert outcome.exit_code == 0 and not marker.exists()
    assert gate.open({}) is None

    # A runner that dies with processes held: they end without running anything.
    code = f"""
        import os, sys
        sys.path.insert(0, {str(REPO_ROOT)!r})
        from schedcli import process
        gate = process.prepare(process.ProcessSpec(["/bin/sh", "-c", ": > {marker}"], {{"PATH": "/usr/bin:/bin"}}))
        print(gate.running.pid, flush=True)
        os._exit(0)
    """
    done = subprocess.run([PY, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=30, check=True)
    held = int(done.stdout)
    jobs.pids.append(held)
    wait_for(lambda: is_gone(held), what="the orphaned held process to end")
    assert not marker.exists()


def test_prepare_declines_what_start_reports_as_an_error(tmp_path):
    assert P.prepare(ProcessSpec(["schedcli-no-such-command"], dict(ENV))) is None
    assert P.prepare(ProcessSpec(["true"], dict(ENV), cwd=str(tmp_path / "missing"))) is None
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\n")
    assert P.prepare(ProcessSpec([str(script)], dict(ENV))) is None


def test_open_refuses_values_a_line_cannot_carry(jobs):
    gate = P.prepare(ProcessSpec(["true"], dict(ENV)))
    jobs.started.append(gate.running)
    with pytest.raises(ValueError):
        gate.open({"X": "two\nlines"})
    gate.cancel()
    assert jobs.finish(gate.running).exit_code == 0


def test_loaded_held_process_waits_for_the_release(jobs, tmp_path):
    marker = tmp_path / "ran"
    gate = P.prepare(sh(f'echo "$RUN"; : > {marker}'))
    jobs.started.append(gate.running)
    assert gate.load({"RUN": "41"})
    wait_for(lambda: waiting_at_the_gate(gate), what="the loaded process to wait for the release")
    assert not marker.exists() and not gate.running.poll()  # loaded, still held
    assert not gate.load({"RUN": "42"})  # loaded once
    running = gate.release()
    assert jobs.finish(running).output == b"41\n" and marker.exists()

    # Cancelled after loading: still never runs.
    gate = P.prepare(sh(f": > {marker}.2"))
    jobs.started.append(gate.running)
    assert gate.load({})
    gate.cancel()
    assert gate.release() is None
    assert jobs.finish(gate.running).exit_code == 0 and not (tmp_path / "ran.2").exists()


def test_held_process_runs_the_argv_that_start_runs(jobs, tmp_path):
    spec = ProcessSpec(["sh", "-c", "tr '\\0' ' ' < /proc/$$/cmdline"], dict(ENV))
    plain = jobs.finish(start(spec)).output
    gate = P.prepare(spec)
    jobs.started.append(gate.running)
    held = jobs.finish(gate.open({})).output
    assert plain.startswith(b"sh -c ") and held == plain  # argv[0] as given, not /usr/bin/sh


def test_held_process_whose_program_went_away_is_not_used(jobs, tmp_path):
    program = tmp_path / "job.sh"
    program.write_text("#!/bin/sh\necho ran\n")
    program.chmod(0o755)
    gate = P.prepare(ProcessSpec([str(program)], dict(ENV)))
    jobs.started.append(gate.running)
    program.unlink()
    assert gate.open({}) is None  # start() then reports "command not found" as usual
    assert jobs.finish(gate.running).output == b""


def test_held_process_whose_directory_went_away_is_not_used(jobs, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    gate = P.prepare(ProcessSpec(["true"], dict(ENV), cwd=str(work)))
    jobs.started.append(gate.running)
    work.rmdir()
    assert gate.open({}) is None  # start() then reports the missing directory
    assert jobs.finish(gate.running).exit_code == 0


def test_a_finished_run_is_not_kept_in_memory_by_its_pending_timeout():
    import gc
    import weakref

    running = start(ProcessSpec(["sh", "-c", "head -c 100000 /dev/zero"], dict(ENV), timeout=3600))
    assert running.wait().total_bytes == 100000
    ref = weakref.ref(running)
    del running
    gc.collect()
    assert ref() is None  # its timer for an hour from now holds only a weak reference


FRESH_RUNNER = """
import ctypes, json, signal, sys
from schedcli.process import ProcessSpec, is_subreaper, start
signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
env = {"PATH": "/usr/bin:/bin"}
job = start(ProcessSpec(["/bin/sh", "-c", "sleep 1000 & echo $!; grep ^SigIgn /proc/self/status"], env, kill_grace=0.5))
outcome = job.wait()
leftover, ignored = outcome.output.decode().split("\\n")[:2]
libc = ctypes.CDLL(None)
flag = ctypes.c_int()
libc.prctl(37, ctypes.byref(flag), 0, 0, 0)  # PR_GET_CHILD_SUBREAPER
print(json.dumps({"leftover": int(leftover), "job_ignores": ignored.split()[1], "exit": outcome.exit_code,
                  "subreaper": flag.value, "is_subreaper": is_subreaper(),
                  "runner_ignores_hup": signal.getsignal(signal.SIGHUP) == signal.SIG_IGN}))
"""


def test_starting_a_job_changes_nothing_in_the_runner_and_needs_no_subreaper():
    # A program using the package directly, never made a subreaper: starting a job leaves
    # its signal dispositions and its subreaper status as they were, the job still starts
    # with default dispositions, and what it leaves behind is still ended (found by
    # scanning /proc instead of among adopted children).
    env = {"PATH": PATH, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([PY, "-c", FRESH_RUNNER], capture_output=True, text=True, env=env, timeout=60, check=True)
    report = json.loads(done.stdout)
    assert report["exit"] == 0
    assert report["subreaper"] == 0 and report["is_subreaper"] is False
    assert report["runner_ignores_hup"] is True
    assert int(report["job_ignores"], 16) == 0
    assert is_gone(report["leftover"])


def test_become_subreaper_is_explicit_and_reported():
    libc = ctypes.CDLL(None, use_errno=True)
    flag = ctypes.c_int()
    assert libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0) == 0
    assert flag.value == 1 and P.is_subreaper()  # made so by the module's fixture
    with not_a_subreaper():
        assert not P.is_subreaper()  # the kernel is asked, not a remembered flag
    assert P.is_subreaper()


# -- environments read while a process execs ---------------------------------------------


def _spin_until(condition, timeout: float = 10.0) -> None:
    """Poll without pausing: the instant right after ``condition`` holds is the point."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"


def test_the_environment_of_a_process_in_the_middle_of_an_exec_still_reads(tmp_path):
    """A daemon's last command is often ``exec sleep ...``: for the instant of the exec,
    /proc/PID/environ reads empty, and a runner looking for the run's mark right then
    would take the daemon for another's and leave it running."""
    from schedcli.process.procfs import read_environ

    misses = 0
    for i in range(200):
        pidfile = tmp_path / f"p{i}"
        child = subprocess.Popen(["sh", "-c", f"echo $$ > {pidfile}; exec sleep 30"],
                                 env={"MARK": "run-7", "PATH": "/usr/bin:/bin"})
        try:
            _spin_until(lambda: pidfile.exists() and pidfile.stat().st_size > 0)
            data = read_environ(child.pid)
            misses += data is None or b"MARK=run-7" not in data.split(b"\0")
        finally:
            child.kill()
            child.wait()
    assert misses == 0


def test_an_empty_environment_is_read_as_empty_after_a_short_settle():
    from schedcli.process.procfs import EXEC_SETTLE, read_environ

    child = subprocess.Popen(["env", "-i", "sleep", "30"])
    try:
        _spin_until(lambda: Path(f"/proc/{child.pid}/cmdline").read_bytes().startswith(b"sleep"))
        t0 = time.monotonic()
        assert read_environ(child.pid) == b""
        assert time.monotonic() - t0 < EXEC_SETTLE + 1.0  # bounded, never a hang
    finally:
        child.kill()
        child.wait()
    assert read_environ(child.pid) is None  # gone
