"""``schedcli metrics``: the scheduler's state in the Prometheus text exposition format.

One read of the database (:mod:`schedcli.store.metrics`, a fixed number of grouped
queries) becomes metric families in :class:`SchedulerCollector`; ``prometheus_client``
formats them (``generate_latest`` on a registry of our own, never the global one), and
escapes label values. :func:`write_textfile` replaces a file for node_exporter's
textfile collector atomically; :class:`TextfileUpdater` keeps one up to date beside
``watch``, in a thread and on a connection of its own.

Importing this module loads ``prometheus_client`` (about 0.1 s): only ``metrics`` and
runners configured with ``metrics_textfile`` do.

Time is an argument (``now``, epoch seconds) or the clock object given to the updater.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from prometheus_client.exposition import generate_latest
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from schedcli import process
from schedcli.clock import SystemClock
from schedcli.errors import SchedError
from schedcli.model import JobGauge, LatestRun, StatusCount
from schedcli.store import Store
from schedcli.store import metrics as queries

PREFIX = "schedcli"
# Every status a finished run can have: each job gets a counter for each, from 0, so that
# increase() sees a job's first failure.
RUN_STATUSES = ("success", "warning", "error", "timeout", "interrupted", "skipped", "missed")
FAILED = ("error", "timeout", "interrupted")
TEXTFILE_SUFFIX = ".prom"  # the only files node_exporter's textfile collector reads
TEXTFILE_MODE = 0o644  # node_exporter usually runs as another user


class MetricsError(SchedError):
    """The metrics textfile cannot be written (exit 1)."""


@dataclass(frozen=True)
class Heartbeat:
    kind: str
    pid: int
    at: float


@dataclass
class Snapshot:
    """Everything one exposition shows, read in one transaction."""

    now: float
    jobs: list[JobGauge]
    latest: dict[int, LatestRun]
    succeeded_at: dict[int, float]
    counts: list[StatusCount]
    running: dict[int, int]  # job id -> runs in progress (their runner alive)
    heartbeats: list[Heartbeat] = field(default_factory=list)  # live watch runners
    last_tick_at: float | None = None


def read_snapshot(store: Store, now: float) -> Snapshot:
    from schedcli.services.status import parse_tick

    with store.read():
        jobs = queries.metric_jobs(store)
        latest = queries.latest_real_runs(store)
        succeeded_at = queries.latest_success_times(store)
        counts = queries.run_counts(store)
        running_runs = store.running_runs()
        runners = store.open_runners()
        last_tick = parse_tick(store.get_state("last_tick"))
    running: dict[int, int] = {}
    for r in running_runs:
        if process.owner_alive(r.runner_pid, r.runner_identity):
            running[r.job_id] = running.get(r.job_id, 0) + 1
    heartbeats = [Heartbeat(r.kind, r.pid, r.heartbeat_at) for r in runners
                  if process.owner_alive(r.pid, r.identity)]
    return Snapshot(now, jobs, latest, succeeded_at, counts, running, heartbeats, last_tick)


def _gauge(name: str, doc: str, labels: list[str] | None = None, unit: str = "") -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=["job"] if labels is None else labels, unit=unit)


def families(snap: Snapshot) -> Iterator[Metric]:
    """The metric families of one snapshot (per job, labelled ``job``; per runner)."""
    names = {j.job_id: j.job for j in snap.jobs}
    enabled = _gauge("job_enabled", "1 when the job is enabled, 0 when it is disabled.")
    next_run = _gauge("job_next_run_timestamp_seconds", "When the job runs next (Unix time); "
                      "absent for a disabled or finished job.")
    running = _gauge("job_running", "How many runs of the job are in progress.")
    for j in snap.jobs:
        enabled.add_metric([j.job], 1 if j.enabled else 0)
        if j.enabled and j.next_run_at is not None:
            next_run.add_metric([j.job], j.next_run_at)
        running.add_metric([j.job], snap.running.get(j.job_id, 0))
    yield from (enabled, next_run, running)

    last_run = _gauge("job_last_run_timestamp_seconds", "When the job's latest finished run started (Unix time).")
    last_duration = _gauge("job_last_duration_seconds", "How long the job's latest finished run took.")
    last_exit = _gauge("job_last_exit_code", "The exit code of the job's latest finished run "
                       "(absent when it had none: killed by a signal, or not started).")
    failing = _gauge("job_failing", "1 when the job's latest finished run ended error, timeout or interrupted.")
    for job_id, run in sorted(snap.latest.items(), key=lambda item: names.get(item[0], "")):
        name = names.get(job_id)
        if name is None:
            continue
        if run.started_at is not None:
            last_run.add_metric([name], run.started_at)
        if run.duration_s is not None:
            last_duration.add_metric([name], run.duration_s)
        if run.exit_code is not None:
            last_exit.add_metric([name], run.exit_code)
        failing.add_metric([name], 1 if run.status in FAILED else 0)
    yield from (last_run, last_duration, last_exit, failing)

    last_ok = _gauge("job_last_success_timestamp_seconds",
                     "When the job's latest run that ended success or warning finished (Unix time).")
    for job_id, at in sorted(snap.succeeded_at.items(), key=lambda item: names.get(item[0], "")):
        if job_id in names:
            last_ok.add_metric([names[job_id]], at)
    yield last_ok

    runs = CounterMetricFamily(f"{PREFIX}_job_runs", "Runs of the job by how they ended, in the history kept "
                               "(pruning lowers it, which Prometheus reads as a counter reset).",
                               labels=["job", "status"])
    counted: dict[int, dict[str, int]] = {}
    for c in snap.counts:
        counted.setdefault(c.job_id, {})[c.status] = c.count
    for j in snap.jobs:
        mine = counted.get(j.job_id, {})
        for status in RUN_STATUSES:
            runs.add_metric([j.job, status], mine.get(status, 0))
    yield runs

    labels = ["kind", "pid"]
    beat_at = _gauge("runner_heartbeat_timestamp_seconds", "When a live watch last recorded a heartbeat "
                     "(Unix time).", labels)
    beat_age = _gauge("runner_heartbeat_age_seconds", "Seconds since a live watch last recorded a heartbeat, "
                      "when the metrics were written.", labels)
    for h in snap.heartbeats:
        beat_at.add_metric([h.kind, str(h.pid)], h.at)
        beat_age.add_metric([h.kind, str(h.pid)], max(0.0, snap.now - h.at))
    yield from (beat_at, beat_age)

    tick_at = _gauge("last_tick_timestamp_seconds", "When a runner (run-due or watch) last looked for due "
                     "work (Unix time).", [])
    tick_age = _gauge("last_tick_age_seconds", "Seconds since a runner last looked for due work, "
                      "when the metrics were written.", [])
    if snap.last_tick_at is not None:
        tick_at.add_metric([], snap.last_tick_at)
        tick_age.add_metric([], max(0.0, snap.now - snap.last_tick_at))
    yield from (tick_at, tick_age)


class SchedulerCollector(Collector):
    """A ``prometheus_client`` collector over one database: each ``collect`` is one read."""

    def __init__(self, store: Store, now: float) -> None:
        self.store = store
        self.now = now

    def collect(self) -> Iterator[Metric]:
        yield from families(read_snapshot(self.store, self.now))


def exposition(store: Store, now: float) -> bytes:
    """The text exposition (format 0.0.4) of the database's jobs and runners at ``now``."""
    registry = CollectorRegistry(auto_describe=False)  # ours alone: nothing global
    registry.register(SchedulerCollector(store, now))
    return generate_latest(registry)


def check_textfile(path: Path) -> Path:
    """A textfile path as given (``~`` expanded): it must end in ``.prom``."""
    from schedcli.errors import InvalidValue

    path = Path(os.path.expanduser(str(path)))
    if not path.name.endswith(TEXTFILE_SUFFIX) or path.name == TEXTFILE_SUFFIX:
        raise InvalidValue(f"invalid metrics textfile {str(path)!r}: node_exporter's textfile collector "
                           f"reads only files whose name ends in {TEXTFILE_SUFFIX}, e.g. schedcli.prom")
    return path


def write_textfile(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (:func:`schedcli.files.write_atomic`: a
    temporary file in the same directory, whose name does not end in ``.prom``, renamed
    over it), mode 0644: node_exporter sees the old file or the new one, never half."""
    from schedcli.files import write_atomic

    try:
        write_atomic(path, data.decode("utf-8"), TEXTFILE_MODE)
    except OSError as exc:
        where = f" (in directory {path.parent})" if exc.filename != str(path) else ""
        raise MetricsError(f"cannot write metrics to {path}: {exc.strerror}{where}") from None


def refresh_textfile(store: Store, path: Path, now: float) -> None:
    """Write the exposition of ``store`` at ``now`` to ``path`` (see :func:`write_textfile`)."""
    write_textfile(path, exposition(store, now))


class TextfileUpdater:
    """Keeps a metrics textfile up to date beside a long-running ``watch``.

    :meth:`request` (cheap, from any thread) asks for a rewrite; a thread of this object
    does it, on a connection of its own (so that the loop's own queries never wait for
    it), several requests made during one write becoming one more write. After a write
    it rests as long as the write took, so that with many jobs and runs finishing all
    the time it takes at most half of a CPU. A failure is reported through
    ``on_warning`` when its message is new; the scheduler goes on. :meth:`close` writes
    a last time and stops the thread.
    """

    def __init__(self, db_path: Path, textfile: Path, clock: SystemClock,
                 on_warning: Callable[[str], None]) -> None:
        self.db_path = db_path
        self.textfile = textfile
        self.clock = clock
        self.on_warning = on_warning
        self._wanted = threading.Event()
        self._closed = threading.Event()
        self._last_error: str | None = None
        self._thread = threading.Thread(target=self._loop, name="schedcli-metrics", daemon=True)

    def start(self) -> "TextfileUpdater":
        self._thread.start()
        self.request()
        return self

    def request(self) -> None:
        self._wanted.set()

    def close(self) -> None:
        self._closed.set()
        self._wanted.set()
        self._thread.join()

    def _loop(self) -> None:
        store = None
        try:
            while True:
                self._wanted.wait()
                self._wanted.clear()
                closing = self._closed.is_set()
                if store is None:
                    store = self._open()
                if store is not None:
                    started = self.clock.monotonic()
                    self._write(store)
                    if not closing:
                        self.clock.sleep(self.clock.monotonic() - started, self._closed)
                if closing:
                    return
        finally:
            if store is not None:
                store.close()

    def _open(self) -> Store | None:
        try:
            return Store(self.db_path, create=False)
        except SchedError as exc:
            self._report(exc.message)
            return None

    def _write(self, store: Store) -> None:
        try:
            refresh_textfile(store, self.textfile, self.clock.now().timestamp())
        except SchedError as exc:
            self._report(exc.message)
        else:
            self._last_error = None

    def _report(self, message: str) -> None:
        if message != self._last_error:
            self._last_error = message
            try:
                self.on_warning(message)
            except Exception:
                pass
