"""Where schedcli keeps its files (XDG base directories)."""

from __future__ import annotations

import os
from pathlib import Path


def data_home() -> Path:
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    return Path.home() / ".local" / "share"


def config_home() -> Path:
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg and os.path.isabs(xdg):
        return Path(xdg)
    return Path.home() / ".config"


def config_file() -> Path:
    """The configuration file: ``$SCHEDCLI_CONFIG``, else ``$XDG_CONFIG_HOME/schedcli/config.toml``."""
    value = os.environ.get("SCHEDCLI_CONFIG")
    return Path(value).expanduser() if value else config_home() / "schedcli" / "config.toml"


def default_db_path() -> Path:
    return data_home() / "schedcli" / "schedcli.db"


def resolve_db_path(option: str | None) -> Path:
    """``--db``, else ``$SCHEDCLI_DB``, else the XDG default."""
    value = option or os.environ.get("SCHEDCLI_DB")
    if value:
        return Path(value).expanduser()
    return default_db_path()
