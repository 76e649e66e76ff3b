"""Which host keys are trusted, and what to tell the user when the presented one is not.

Trusted keys come from the known_hosts files the user's ~/.ssh/config names
(UserKnownHostsFile, GlobalKnownHostsFile), else ~/.ssh/known_hosts and
/etc/ssh/ssh_known_hosts, as OpenSSH reads them. What ssh would accept without
asking is not accepted here: `UserKnownHostsFile none` (or /dev/null) and
`StrictHostKeyChecking no|accept-new` do not turn verification off; a key that is
not in those files is refused with its fingerprint, and a capsule command never adds
one (it cannot ask: it may run in a script, or under the TUI).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

_DEFAULT_USER_FILE = "~/.ssh/known_hosts"
_DEFAULT_GLOBAL_FILE = "/etc/ssh/ssh_known_hosts"


def trusted_files(configured: Any) -> list[str]:
    """The known_hosts files to trust, from what the SSH config resolved to (asyncssh's
    `known_hosts` option: None when the config says `none`, else a list of paths)."""
    paths = [str(p) for p in configured] if isinstance(configured, (list, tuple)) else []
    paths = [p for p in paths if p not in ("none", "/dev/null")]
    if not paths:
        paths = [_DEFAULT_USER_FILE, _DEFAULT_GLOBAL_FILE]
    expanded = [str(Path(p).expanduser()) for p in paths]
    return [p for p in expanded if Path(p).is_file()]


@dataclass
class PresentedKey:
    """The key a server presented that no trusted file vouched for (set by the login's client)."""

    host: str
    address: str
    port: int
    key: Any  # asyncssh.SSHKey


def refusal(presented: PresentedKey | None, files: list[str], *, label: str, user: str = "") -> str:
    """Why the host's key was refused, its fingerprint, and how to accept it deliberately."""
    if presented is None:
        return (f"host {label}: its SSH host key could not be verified against "
                f"{', '.join(files) or '~/.ssh/known_hosts (missing)'}; connect once with ssh to check and "
                f"accept the key, then try again.")
    from runtime.engine.ssh.library import asyncssh

    key = presented.key
    fingerprint = f"{key.get_algorithm()} {key.get_fingerprint()}"
    target = presented.host if presented.port == 22 else f"[{presented.host}]:{presented.port}"
    port = "" if presented.port == 22 else f"-p {presented.port} "
    login = f"{user}@{presented.host}" if user else presented.host
    known: list[Any] = []
    for path in files:
        try:
            known += list(asyncssh.match_known_hosts(path, presented.host, presented.address,
                                                     None if presented.port == 22 else presented.port)[0])
        except (OSError, ValueError):
            continue
    if known:
        return (f"host {label}: the SSH host key of {target} has CHANGED: it presented {fingerprint}, which is "
                f"not the key recorded in {', '.join(files)}. Someone may be intercepting the connection, or "
                f"the machine was reinstalled. Only if you know why, remove the old key with "
                f"`ssh-keygen -R '{target}'` and connect once with `ssh {port}{login}` to accept the new one.")
    return (f"host {label}: the SSH host key of {target} is not known ({fingerprint}; looked in "
            f"{', '.join(files) or '~/.ssh/known_hosts, which does not exist'}). Check the fingerprint with the "
            f"machine's administrator, then accept it by connecting once with `ssh {port}{login}` "
            f"and answering yes; capsule never accepts a host key by itself.")
