"""Reading the file to import, guessing a format from a file name, and writing exports
(atomically, 0600)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from schedcli.files import write_atomic
from schedcli.transfer.records import TransferError


def guess_import_format(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix == ".toml":
        return "toml"
    if suffix == ".json":
        return "json"
    return "crontab"


def guess_export_format(path: Optional[str]) -> str:
    if not path or path == "-":
        return "toml"
    suffix = Path(path).suffix.lower()
    return {".json": "json", ".yaml": "k8s", ".yml": "k8s", ".crontab": "crontab", ".cron": "crontab"}.get(
        suffix, "toml"
    )


def read_text(path: str, stdin: Any = None) -> str:
    """The text of ``path`` (``-``: ``stdin``), as UTF-8; unreadable -> TransferError."""
    if path == "-":
        import sys

        stream = stdin if stdin is not None else sys.stdin
        try:
            data = stream.read()
        except (OSError, UnicodeDecodeError) as exc:
            raise TransferError(f"cannot read standard input: {exc}") from None
        if isinstance(data, bytes):
            return _decode(data, "standard input")
        return data
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except IsADirectoryError:
        raise TransferError(f"cannot read {path}: it is a directory") from None
    except OSError as exc:
        raise TransferError(f"cannot read {path}: {exc.strerror or exc}") from None
    return _decode(data, path)


def _decode(data: bytes, what: str) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TransferError(f"cannot read {what}: not UTF-8 text (byte {exc.start})") from None
    return text[1:] if text.startswith("\ufeff") else text


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, the file created 0600."""
    if path.is_dir():
        raise TransferError(f"cannot write {path}: it is a directory")
    try:
        write_atomic(path, text, 0o600)
    except OSError as exc:
        raise TransferError(f"cannot write {path}: {exc.strerror or exc}") from None


def write_unit_dir(directory: Path, files: list[tuple[str, str]]) -> list[Path]:
    """Write unit files into ``directory`` (created 0700 when missing), each 0600."""
    if directory.exists() and not directory.is_dir():
        raise TransferError(f"--output {directory}: for --format systemd it must be a directory")
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise TransferError(f"cannot create directory {directory}: {exc.strerror or exc}") from None
    written = []
    for name, text in files:
        target = directory / name
        write_private(target, text)
        written.append(target)
    return written
