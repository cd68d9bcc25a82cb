"""A run's output is stored compressed (zlib) and read back byte for byte; rows stored raw
(before compression, or while a run is going on) still read."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

from schedcli.store import Store

from old_databases import database_before, insert_job, insert_run


def _file_size(path) -> int:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()


def test_300_kb_of_repetitive_output_adds_little_and_logs_is_byte_exact(db_path, sh):
    # 300 kB of repetitive lines, a few bytes that are not UTF-8, and no newline at the end
    script = "import sys; sys.stdout.buffer.write(b'copying file 0123456789 ok\\n' * 11000 + b'\\xff\\xfe end')"
    assert sh("add", "big", "--every", "1h", "--", sys.executable, "-c", script).exit_code == 0
    assert sh("add", "small", "--every", "1h", "--", "echo hi").exit_code == 0
    assert sh("run", "small").exit_code == 0
    before = _file_size(db_path)
    run = [sys.executable, "-m", "schedcli", "--db", str(db_path), "run", "big"]
    assert subprocess.run(run, capture_output=True).returncode == 0
    grown = _file_size(db_path) - before
    expected = b"copying file 0123456789 ok\n" * 11000 + b"\xff\xfe end"
    assert len(expected) > 290_000
    assert grown <= 16 * 1024, grown  # a few pages: the run's row and its compressed output
    argv = [sys.executable, "-m", "schedcli", "--db", str(db_path), "logs", "big"]
    assert subprocess.run(argv, capture_output=True, check=True).stdout == expected
    with Store(db_path) as store:
        encodings = dict(store.conn.execute(
            "SELECT r.job, o.encoding FROM run_output o JOIN runs r ON r.id = o.run_id").fetchall())
    assert encodings == {"big": "zlib", "small": None}  # 3 bytes are not worth compressing
    small = subprocess.run([*argv[:-1], "small"], capture_output=True, check=True).stdout
    assert small == b"hi\n"


def test_raw_output_of_an_older_database_still_reads(db_path, sh):
    raw = b"x\x00\x01 raw bytes from before\n" * 10
    with database_before(db_path, "m007_output_compression") as conn:
        insert_job(conn)
        insert_run(conn)
        conn.execute("INSERT INTO run_output (run_id, output, truncated, total_bytes) VALUES (1, ?, 0, ?)",
                     (raw, len(raw)))
    argv = [sys.executable, "-m", "schedcli", "--db", str(db_path), "logs", "old"]
    assert subprocess.run(argv, capture_output=True, check=True).stdout == raw
    with Store(db_path) as store:  # upgraded: the row is marked raw
        assert store.conn.execute("SELECT encoding FROM run_output").fetchone() == (None,)
        assert store.get_output(1) == (raw, False, len(raw))
        # a raw row written by a writer that does not name the column (live output) reads too
        store.conn.execute("UPDATE run_output SET output = ? WHERE run_id = 1", (b"partial",))
        assert store.get_output(1)[0] == b"partial"


def test_damaged_compressed_output_is_one_error_line(db_path, sh):
    assert sh("add", "j", "--every", "1h", "--", "seq 1 2000").exit_code == 0
    assert sh("run", "j").exit_code == 0
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE run_output SET output = X'0102030405'")
    conn.commit()
    conn.close()
    r = sh("logs", "j")
    assert r.exit_code == 1 and r.stderr.startswith("Error: ") and "damaged" in r.stderr
    assert "Traceback" not in r.stderr
