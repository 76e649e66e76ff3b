"""Why the engine's socket could not be opened on the far side of an SSH connection.

The SSH server only says that forwarding to the socket failed. Whether the socket
is missing (no engine there, or another path) or there but not ours to use (the
user is not in the socket's group) is asked over SFTP, which needs no shell on the
far side; when SFTP is not offered, the message names both causes.
"""

from __future__ import annotations

import asyncio
import stat
from typing import Any

from runtime.engine.ssh.library import asyncssh
from runtime.engine.ssh.login import SshLogin

_OPEN_ADMINISTRATIVELY_PROHIBITED = 1


async def socket_failure(connection: Any, exc: Any, login: SshLogin) -> str:
    """The message for a channel to the login's socket that the server would not open."""
    path, user, where, label = login.target.socket, login.user, login.target.where, login.label
    if getattr(exc, "code", None) == _OPEN_ADMINISTRATIVELY_PROHIBITED:
        return (f"host {label}: the SSH server at {where} does not allow forwarding to unix sockets "
                f"({exc.reason}); set AllowStreamLocalForwarding yes in its sshd_config, or use a user it "
                f"allows.")
    try:
        async with asyncio.timeout(5):
            async with connection.start_sftp_client() as sftp:
                try:
                    attrs = await sftp.stat(path)
                except asyncssh.SFTPNoSuchFile:
                    return (f"host {label}: there is no Docker engine socket at {path} on {where}; is Docker "
                            f"installed and running there? Give another path as ssh://{where}/path/to/docker.sock.")
    except (TimeoutError, OSError, asyncssh.Error):
        return (f"host {label}: {where} could not open the Docker engine socket {path} "
                f"({exc.reason or 'refused'}): either no engine listens there, or user {user or '(default)'} "
                f"may not use it (add them to the socket's group, usually docker).")
    if attrs.permissions is not None and not stat.S_ISSOCK(attrs.permissions):
        return f"host {label}: {path} on {where} is not a socket; give the Docker engine's socket path."
    mode = f"{stat.S_IMODE(attrs.permissions):04o}" if attrs.permissions is not None else "?"
    return (f"host {label}: user {user or '(default)'} cannot use the Docker engine socket {path} on {where} "
            f"(owner uid {attrs.uid}, group gid {attrs.gid}, mode {mode}): add the user to the socket's group "
            f"(usually docker: sudo usermod -aG docker {user or 'USER'}, then log in again), or connect as a "
            f"user who may; if the permissions are right, the engine behind the socket is not running.")
