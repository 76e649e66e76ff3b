"""Where capsule keeps its files on this machine: the state database and the config.

`CAPSULE_HOME`, when set, holds everything (state.db, config.yaml, the host
inventory), which is how tests and scripts get a private, throw-away setup.
Otherwise the XDG directories are used: state under `$XDG_STATE_HOME/capsule`
(default `~/.local/state/capsule`), configuration under `$XDG_CONFIG_HOME/capsule`
(default `~/.config/capsule`).

This module only computes paths; it must not create files or read them.
"""

from __future__ import annotations

import os
from pathlib import Path


def _home_override() -> Path | None:
    value = os.environ.get("CAPSULE_HOME")
    return Path(value).expanduser() if value else None


def state_dir() -> Path:
    """The folder of the state database (created by the store when it opens)."""
    override = _home_override()
    if override is not None:
        return override
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base).expanduser() / "capsule"


def config_dir() -> Path:
    """The folder of config.yaml and the host inventory."""
    override = _home_override()
    if override is not None:
        return override
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "capsule"


def state_db_path() -> Path:
    return state_dir() / "state.db"


def config_file_path() -> Path:
    return config_dir() / "config.yaml"
