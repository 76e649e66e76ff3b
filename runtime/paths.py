"""Where capsule keeps its files on this machine: the state database and the config.

`CAPSULE_HOME`, when set, holds everything (state.db, config.yaml, the host
inventory), which is how tests and scripts get a private, throw-away setup.
Otherwise the XDG directories are used: state under `$XDG_STATE_HOME/capsule`
(default `~/.local/state/capsule`), configuration under `$XDG_CONFIG_HOME/capsule`
(default `~/.config/capsule`).

Everything capsule writes in the state directory is private to the user: the
state database holds specs, inlined ConfigMap files and the event log. Every writer
makes its folder with `private_dir` (0700) and its files with `private_file` or
`private_opener` (0600), whatever the umask; a folder or file found more open is
tightened, with one warning naming it and both modes. Beyond that, this module only
computes paths: it reads and writes no file's contents.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600
_OTHERS = 0o077  # the group's and other users' bits

log = logging.getLogger("capsule")


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


# -- private files ------------------------------------------------------------------------


def private_dir(path: Path) -> Path:
    """Make the folder (missing parents as `mkdir -p` would) with mode 0700; tighten it if it is more open.

    A shared folder (sticky bit, as /tmp) or another user's is left as it is, with a
    warning: taking the other users' access away is not capsule's call there, and the
    files capsule writes in it are 0600 all the same.
    """
    try:
        path.mkdir(mode=PRIVATE_DIR_MODE, parents=True)
    except OSError:  # FileExistsError, or EACCES for a folder that exists in one we may not write
        if not path.is_dir():
            raise
        info = os.stat(path)
        if info.st_mode & _OTHERS:
            if info.st_mode & stat.S_ISVTX or info.st_uid != os.geteuid():
                log.warning("capsule: warning: %s is open to other users (mode %s) and is a shared or another "
                            "user's folder, so capsule leaves it as it is; the files capsule writes in it are %s; "
                            "set CAPSULE_HOME to a folder of your own", path, _mode(info.st_mode),
                            _mode(PRIVATE_FILE_MODE))
            else:
                _tighten(path, info.st_mode, lambda mode: os.chmod(path, mode))
    return path


def private_file(path: Path, *, create: bool = True) -> None:
    """Make the file with mode 0600 (`create=False`: only if it exists); tighten it if it is more open."""
    if not create:
        try:
            info = os.stat(path)
        except FileNotFoundError:
            return
        if info.st_mode & _OTHERS:
            _tighten(path, info.st_mode, lambda mode: os.chmod(path, mode))
        return
    os.close(private_opener(path, os.O_RDONLY | os.O_CREAT))


def private_opener(path: str | os.PathLike[str], flags: int) -> int:
    """An `opener` for open() (or call it as os.open): a file it creates is 0600 whatever the umask,
    and an existing one more open than that is tightened."""
    fd = os.open(path, flags | os.O_CLOEXEC, PRIVATE_FILE_MODE)
    try:
        mode = os.fstat(fd).st_mode
        if mode & _OTHERS and stat.S_ISREG(mode):
            _tighten(Path(path), mode, lambda new: os.fchmod(fd, new))
    except BaseException:
        os.close(fd)
        raise
    return fd


def _tighten(path: Path, mode: int, chmod: Callable[[int], object]) -> None:
    # Take the others' bits away and keep the owner's: a file the user made read-only stays so.
    new = stat.S_IMODE(mode) & ~_OTHERS
    chmod(new)
    log.warning("capsule: warning: %s was open to other users (mode %s); changed it to %s: capsule's state "
                "(specs, ConfigMap files, events) is for your user only", path, _mode(mode), _mode(new))


def _mode(mode: int) -> str:
    return f"{stat.S_IMODE(mode):04o}"
