"""One SQLite connection to one schedcli database file.

Opening (the file is created 0600 in directories created 0700), the safety checks
that refuse files others could change, the pragmas and the busy timeout, the
translation of SQLite errors into typed exceptions (:mod:`schedcli.errors`), and the
two kinds of transaction: :meth:`Connection.write` (``BEGIN IMMEDIATE``) and
:meth:`Connection.read` (one snapshot). Bringing the schema up to date is
:mod:`schedcli.store.migrations`' job, loaded only when a file needs it.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

from schedcli.errors import DatabaseBusy, DatabaseError, InvalidValue, UnsafeDatabase

SCHEMA_VERSION = 10  # number of migrations in schedcli.store.migrations (PRAGMA user_version)
DEFAULT_BUSY_TIMEOUT = 10.0


def busy_timeout_from_env() -> float:
    value = os.environ.get("SCHEDCLI_BUSY_TIMEOUT")
    if value:
        try:
            seconds = float(value)
            if seconds >= 0:
                return seconds
        except ValueError:
            pass
    return DEFAULT_BUSY_TIMEOUT


def check_safety(path: Path) -> None:
    """Refuse files that others could change, as cron refuses unsafe crontabs.

    The database holds commands that run as this user: it (and its -wal/-shm
    files) must be a regular file, not a symlink, owned by us, and not writable
    by group or others; its directory must not be writable by others.
    """
    uid = os.geteuid()
    for candidate in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            st = os.lstat(candidate)
        except FileNotFoundError:
            continue
        except OSError as exc:
            raise DatabaseError(f"cannot read {candidate}: {exc.strerror}") from None
        if stat.S_ISLNK(st.st_mode):
            raise UnsafeDatabase(
                f"refusing to use {candidate}: it is a symbolic link; "
                f"point --db at the real file ({os.path.realpath(candidate)})"
            )
        if not stat.S_ISREG(st.st_mode):
            raise UnsafeDatabase(f"refusing to use {candidate}: it is not a regular file")
        if st.st_uid != uid:
            raise UnsafeDatabase(
                f"refusing to use {candidate}: it is owned by uid {st.st_uid}, not by you "
                f"(uid {uid}); run: chown {uid} {candidate}"
            )
        if st.st_mode & 0o022:
            raise UnsafeDatabase(
                f"refusing to use {candidate}: it is writable by group or others "
                f"(mode {stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {candidate}"
            )
    parent = path.parent
    try:
        st = os.stat(parent)
    except OSError as exc:
        raise DatabaseError(f"cannot read directory {parent}: {exc.strerror}") from None
    if st.st_mode & 0o002:
        raise UnsafeDatabase(
            f"refusing to use {path}: its directory {parent} is writable by others "
            f"(mode {stat.S_IMODE(st.st_mode):04o}); move the database to a private "
            f"directory or run: chmod o-w {parent}"
        )


def create_file(path: Path) -> None:
    """Create the database file (0600) and any missing directories (0700); an existing file is kept."""
    missing = []
    parent = path.parent
    while not parent.exists():
        missing.append(parent)
        parent = parent.parent
    for directory in reversed(missing):
        try:
            os.mkdir(directory, 0o700)
        except FileExistsError:
            pass
        except OSError as exc:
            raise DatabaseError(f"cannot create directory {directory}: {exc.strerror}") from None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseError(f"cannot create database {path}: {exc.strerror}") from None
    os.close(fd)


def read_only_reason(path: Path) -> str | None:
    """Why this process cannot write the existing database ``path`` (then it is opened
    read-only), or None when it can: the file system is mounted read-only, the file
    is not writable by us, or its directory is not (SQLite must create the -wal,
    -shm or -journal files next to it to write, and, for a database in WAL mode, to
    read unless they exist already)."""
    parent = path.parent
    try:
        if os.statvfs(parent).f_flag & os.ST_RDONLY:
            return f"{parent} is on a read-only file system"
    except OSError:
        pass
    if not os.access(path, os.W_OK):
        return f"{path} is not writable"
    if not os.access(parent, os.W_OK):
        return f"its directory {parent} is not writable"
    return None


def open_target(path: Path, read_only: str | None) -> str:
    """What ``sqlite3.connect`` opens: the path, or, for a database this process cannot
    write, a read-only URI (``mode=ro``).  Where the directory cannot be written and
    no -wal file exists, the file is also opened ``immutable=1``: nobody can be
    writing it then (a writer would have to create a -wal or -journal file there), and
    SQLite does not need the -shm file, which it could not create.  When a -wal file
    exists it is read too (SQLite can when the -shm exists as well)."""
    if read_only is None:
        return str(path)
    from urllib.parse import quote

    uri = f"file:{quote(str(path))}?mode=ro"
    directory_locked = not os.access(path.parent, os.W_OK)
    leftovers = any(os.path.lexists(f"{path}{suffix}") for suffix in ("-wal", "-journal"))
    if directory_locked and not leftovers:
        uri += "&immutable=1"
    return uri


def translate(exc: sqlite3.Error, path: Path, read_only: str | None = None) -> Exception:
    """The typed exception (one readable line) for an SQLite error on ``path``;
    ``read_only``: why the file was opened read-only, if it was."""
    text = str(exc)
    if read_only is not None and ("readonly" in text or "read-only" in text or "unable to open" in text):
        return DatabaseError(f"database {path} is read-only ({read_only}): nothing can be recorded")
    if "locked" in text or "busy" in text:
        return DatabaseBusy(
            f"database is busy: another process held {path} locked for too long; "
            "nothing was changed, try again"
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseError(f"database {path} is read-only: nothing can be recorded ({text})")
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseError(
            f"{path} is not a schedcli database or is corrupt ({text}); the file was left untouched"
        )
    if "unable to open" in text:
        return DatabaseError(f"cannot open database {path} ({text})")
    return DatabaseError(f"database error on {path}: {text}")


def named_rows(cursor: sqlite3.Cursor) -> Iterator[dict[str, Any]]:
    """A query's rows as {column name: value}, whatever the connection's row factory."""
    names = [d[0] for d in cursor.description]
    for row in cursor:
        yield dict(zip(names, row))


class Connection:
    """One open schedcli database: the connection, its transactions and its errors."""

    def __init__(self, path: Path | str, *, busy_timeout: float | None = None, create: bool = True):
        self.path = Path(os.path.abspath(Path(path).expanduser()))
        self.busy_timeout = busy_timeout_from_env() if busy_timeout is None else busy_timeout
        self._lock = threading.RLock()
        if not self.path.exists() and not self.path.is_symlink():
            if not create:
                raise DatabaseError(f"database {self.path} does not exist")
            create_file(self.path)
        check_safety(self.path)
        self.read_only = read_only_reason(self.path)
        try:
            self.conn = sqlite3.connect(
                open_target(self.path, self.read_only),
                timeout=self.busy_timeout,
                isolation_level=None,
                check_same_thread=False,
                uri=self.read_only is not None,
            )
        except sqlite3.Error as exc:
            raise translate(exc, self.path, self.read_only) from None
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self.conn.close()
            raise translate(exc, self.path, self.read_only) from None

    @classmethod
    def empty(cls, path: Path | str):
        """A migrated, empty in-memory database standing in for a file that does not exist yet
        (so that reading commands never create files)."""
        self = cls.__new__(cls)
        self.path = Path(os.path.abspath(Path(path).expanduser()))
        self.read_only = None
        self.busy_timeout = 0.0
        self._lock = threading.RLock()
        self.conn = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        self._prepare()
        return self

    def _prepare(self) -> None:
        c = self.conn
        c.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
        c.execute("PRAGMA foreign_keys = ON")
        version = c.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"{self.path} was written by a newer schedcli (schema {version}, "
                f"this version knows {SCHEMA_VERSION}); upgrade schedcli"
            )
        if version < SCHEMA_VERSION:
            from schedcli.store.migrations import upgrade

            upgrade(self)
        c.execute("PRAGMA synchronous = NORMAL")

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` takes the write lock up front."""
        with self._lock:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise translate(exc, self.path, self.read_only) from None
            try:
                yield self.conn
            except BaseException:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise
            try:
                self.conn.execute("COMMIT")
            except sqlite3.Error as exc:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")
                raise translate(exc, self.path, self.read_only) from None

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A read transaction: one consistent snapshot."""
        with self._lock:
            try:
                self.conn.execute("BEGIN")
                yield self.conn
            except sqlite3.Error as exc:
                raise translate(exc, self.path, self.read_only) from None
            finally:
                if self.conn.in_transaction:
                    self.conn.execute("ROLLBACK")

    def data_version(self) -> int:
        """Changes when another connection commits (cheap change detection for ``watch``)."""
        with self._lock:
            return self.conn.execute("PRAGMA data_version").fetchone()[0]

    def _q(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        """Run one statement; SQLite errors other than constraint failures become typed errors."""
        with self._lock:
            try:
                return self.conn.execute(sql, params)
            except sqlite3.IntegrityError:
                raise
            except sqlite3.Error as exc:
                raise translate(exc, self.path, self.read_only) from None
            except OverflowError:
                raise too_large(params) from None

    def _q_many(self, sql: str, rows: Iterable[Any]) -> None:
        """Run one statement for each parameter row (``executemany``)."""
        with self._lock:
            try:
                self.conn.executemany(sql, rows)
            except sqlite3.Error as exc:
                raise translate(exc, self.path, self.read_only) from None

    def _named(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """A query's rows as {column name: value}."""
        cursor = self._q(sql, params)
        with self._lock:
            return list(named_rows(cursor))


SQLITE_INT_MAX = 2**63 - 1


def too_large(params: Any) -> InvalidValue:
    """A number given on the command line that no SQLite INTEGER can hold (exit code 2)."""
    values = params.values() if isinstance(params, dict) else params
    big = next((v for v in values if isinstance(v, int) and not -SQLITE_INT_MAX - 1 <= v <= SQLITE_INT_MAX), None)
    shown = f"{big}" if big is not None else "a number"
    return InvalidValue(f"{shown} is too large a number (at most {SQLITE_INT_MAX})")

