"""The "scale" section of bench/run.py: the commands people type, on 10k jobs (cron and
interval schedules, three zones) and 1M history rows, each against its reference in the
same interleaved rounds (see docs/performance.md, "Commands on 10k jobs and 1M runs").
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import fixtures
import scale_fixture

if TYPE_CHECKING:
    from run import Bench, Sample

HERE = Path(__file__).resolve().parent
REFS = HERE / "scale_refs.py"
JOBS, RUNS = 10_000, 1_000_000
TYPER_REF = "minimal Typer app (--name --limit --json)"


def _file_bytes(db: Path) -> int:
    conn = sqlite3.connect(str(db))
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()


def sec_scale(b: "Bench") -> None:
    from run import PY, ms, med, mib

    quick = b.quick
    runs = 200_000 if quick else RUNS
    path, took = scale_fixture.cached(JOBS, runs)
    print(f"  (fixture: {JOBS} jobs, {runs} runs: {'built in %.1f s' % took if took else 'cached'}: {path})", flush=True)
    db = b.work_copy(path, "scale")
    sc = lambda *a: b.sc(db, *a)  # noqa: E731
    typer_ref = [PY, REFS, "typer-app", "--name", "x", "--limit", "5", "--json"]
    sqlite_utils = PY.parent / "sqlite-utils"
    job = scale_fixture.LOGS_JOB
    load = os.getloadavg()
    b.raw.setdefault("scale", {})["loadavg_start"] = load

    def case(argv: list, name: str, expect: tuple[int, ...] = (0,), env: dict | None = None,
             timeout: float = 300) -> Callable[[], "Sample"]:
        return lambda: b.run(argv, name=name, expect=expect, timeout=timeout, env=env)

    def rss(name: str) -> float:
        return med(b.rss.get(name, [])) if b.rss.get(name) else float("nan")

    def report(what: str, t: float, ref_t: float, limit: float, ref_name: str, rss_name: str | None = None,
               rss_limit: float | None = None) -> None:
        ratio = t / ref_t
        b.row("scale", what, ms(t), ref=f"{ms(ref_t)} ({ref_name})", ratio=f"{ratio:.2f}x",
              target=f"<= {limit:.1f}x", ok=ratio <= limit)
        if rss_name is not None and rss_limit is not None:
            peak = rss(rss_name)
            b.row("scale", f"{what}: peak RSS", mib(peak), target=f"<= {rss_limit:.0f} MiB",
                  ok=peak <= rss_limit * 1024)

    # -- list: the table against sqlite-utils, --json against sqlite3 + json.dumps ----------------
    cols80 = {**b.env, "COLUMNS": "80"}
    cases = {
        "list (table, piped)": case(sc("list"), "list (table, piped)"),
        "list (table, COLUMNS=80)": case(sc("list"), "list (table, COLUMNS=80)", env=cols80),
        "sqlite-utils rows DB jobs --table": case([sqlite_utils, "rows", db, "jobs", "--table"],
                                                  "sqlite-utils rows DB jobs --table"),
        "list --json": case(sc("list", "--json"), "list --json"),
        "sqlite3 + json.dumps of the jobs": case([PY, REFS, "sqlite-json", db], "sqlite3 + json.dumps of the jobs"),
    }
    reps = 2 if quick else 5
    print(f"  (list: {len(cases)} commands x {reps} interleaved repetitions; load {load[0]:.2f})", flush=True)
    res = b.interleave(cases, reps)
    t = {k: med([s.wall_s for s in v]) for k, v in res.items()}
    su = t["sqlite-utils rows DB jobs --table"]
    report("list (table, 10k jobs, piped)", t["list (table, piped)"], su, 1.0, "sqlite-utils --table",
           "list (table, piped)", 48)
    report("list (table, 10k jobs, COLUMNS=80)", t["list (table, COLUMNS=80)"], su, 1.0, "sqlite-utils --table")
    report("list --json (10k jobs)", t["list --json"], t["sqlite3 + json.dumps of the jobs"], 2.0,
           "sqlite3 + json.dumps", "list --json", 48)

    # -- stats of all jobs ----------------------------------------------------------------------
    cases = {
        "stats (table, all jobs)": case(sc("stats"), "stats (table, all jobs)"),
        "stats --json (all jobs)": case(sc("stats", "--json"), "stats --json (all jobs)"),
        TYPER_REF: case(typer_ref, TYPER_REF),
    }
    print(f"  (stats: {len(cases)} commands x {reps} interleaved repetitions)", flush=True)
    res = b.interleave(cases, reps)
    t = {k: med([s.wall_s for s in v]) for k, v in res.items()}
    for k in ("stats (table, all jobs)", "stats --json (all jobs)"):
        report(f"{k}, 10k jobs, {runs // 1000}k runs", t[k], t[TYPER_REF], 8.0, "Typer app", k, 64)

    # -- next and the everyday commands ---------------------------------------------------------
    cases = {
        TYPER_REF: case(typer_ref, TYPER_REF),
        "next (the next 10 of all jobs)": case(sc("next"), "next (the next 10 of all jobs)"),
        "next --count 5 --json": case(sc("next", "--count", "5", "--json"), "next --count 5 --json"),
        "history": case(sc("history"), "history"),
        "history NAME": case(sc("history", job), "history NAME"),
        "show NAME": case(sc("show", job), "show NAME"),
        "status": case(sc("status"), "status"),
        "health": case(sc("health"), "health", expect=(0, 1)),
        "logs NAME": case(sc("logs", job), "logs NAME"),
    }
    reps_fast = 5 if quick else 15
    print(f"  (everyday: {len(cases)} commands x {reps_fast} interleaved repetitions)", flush=True)
    res = b.interleave(cases, reps_fast, warmup=2)
    t = {k: med([s.wall_s for s in v]) for k, v in res.items()}
    ref = t[TYPER_REF]
    b.row("scale", TYPER_REF, ms(ref), ref="", ratio="", target="(ref)")
    report("next (no name: the next 10 runs of all jobs)", t["next (the next 10 of all jobs)"], ref, 2.0, "Typer app")
    report("next --count 5 --json", t["next --count 5 --json"], ref, 2.0, "Typer app")
    for k in ("history", "history NAME", "show NAME", "status", "health", "logs NAME"):
        report(k, t[k], ref, 1.3, "Typer app", k if k.startswith("history") else None,
               48 if k.startswith("history") else None)

    # -- stored output: 300 kB of repetitive output ---------------------------------------------
    small = b.fresh("output")
    fixtures.open_store(small).close()
    line = "rsync: copied /var/backups/db/part-0001.tar (1048576 bytes) ok\n"
    count = 300_000 // len(line) + 1
    script = f"import sys; sys.stdout.write({line!r} * {count})"
    b.run(b.sc(small, "add", "big", "--every", "1d", "--", str(PY), "-c", script), name="add big")
    before = _file_bytes(small)
    b.run(b.sc(small, "run", "big"), name="run big (300 kB of output)")
    grown = _file_bytes(small) - before
    out = subprocess.run(b.sc(small, "logs", "big"), capture_output=True, env=b.env, check=True).stdout
    expected = (line * count).encode()
    exact = out == expected
    zsize = len(zlib.compress(expected))
    conn = sqlite3.connect(str(small))
    stored, encoding = conn.execute("SELECT length(output), encoding FROM run_output").fetchone()
    conn.close()
    b.row("scale", f"300 kB of repetitive output ({len(expected)} bytes): stored", f"{stored / 1024:.1f} KiB ({encoding})",
          ref=f"zlib alone: {zsize / 1024:.1f} KiB", target="<= 2 KiB", ok=stored <= 2048)
    b.row("scale", "  the database file grew by (whole pages, free space reused)", f"{grown / 1024:.1f} KiB",
          target="<= 16 KiB", ok=grown <= 16384)
    b.row("scale", "logs of that run is byte-exact", "yes" if exact else "NO", target="byte-exact", ok=exact)

    # -- stretch: 1,000 due jobs in one run-due against a sequential spawn loop -----------------
    due = b.due_db(1000)
    probe = HERE / "probe.py"

    def rundue() -> "Sample":
        work = b.work_copy(due, "scale-due")
        fixtures.make_due(work)
        return b.run(b.sc(work, "run-due"), name="run-due, 1,000 due", timeout=300)

    cases = {
        "run-due, 1,000 due": rundue,
        "spawn loop of 1,000 true": case([PY, probe, "spawn", "1000"], "spawn loop of 1,000 true"),
    }
    reps_due = 2 if quick else 4
    res = b.interleave(cases, reps_due, rss_reps=0)
    t = {k: med([s.wall_s for s in v]) for k, v in res.items()}
    report("run-due with 1,000 due jobs (stretch)", t["run-due, 1,000 due"], t["spawn loop of 1,000 true"], 1.5,
           "spawn loop")
    b.raw["scale"]["loadavg_end"] = os.getloadavg()
