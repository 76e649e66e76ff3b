"""An ssh:// engine URL, taken apart: who logs in where, and which socket is the engine's.

`ssh://[user@]host[:port][/path/to/docker.sock]`, as `DOCKER_HOST` and docker contexts
write it, plus an optional path (the docker CLI always uses the remote default socket).
A user or port left out comes from ~/.ssh/config, then the defaults (the local user, 22),
as ssh itself does; `host` may be an alias from ~/.ssh/config.
Pure parsing; must not open connections or files.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

DEFAULT_REMOTE_SOCKET = "/var/run/docker.sock"


@dataclass(frozen=True)
class SshTarget:
    host: str
    user: str | None = None  # None: ~/.ssh/config's User, else the local user
    port: int | None = None  # None: ~/.ssh/config's Port, else 22
    socket: str = DEFAULT_REMOTE_SOCKET

    @property
    def where(self) -> str:
        """user@host:port as far as it is known, for messages."""
        user = f"{self.user}@" if self.user else ""
        port = f":{self.port}" if self.port else ""
        return f"{user}{self.host}{port}"

    @property
    def ssh_command(self) -> str:
        """The ssh command line that reaches the same place, for a user to try."""
        port = f"-p {self.port} " if self.port else ""
        user = f"{self.user}@" if self.user else ""
        return f"ssh {port}{user}{self.host}"


def ssh_url_problem(url: str) -> str | None:
    """What is wrong with an ssh:// URL, or None."""
    parts = urlsplit(url)
    if not parts.hostname:
        return f"ssh URL {url!r} names no host; write ssh://USER@HOST"
    try:
        port = parts.port
    except ValueError:
        return f"ssh URL {url!r} has a bad port (ports are 1-65535)"
    if port == 0:
        return f"ssh URL {url!r} has port 0 (ports are 1-65535)"
    if parts.password is not None:
        return f"ssh URL {url!r} carries a password; capsule signs in with keys or an agent only"
    if parts.query or parts.fragment:
        return f"ssh URL {url!r} has a query or fragment; write ssh://USER@HOST[:PORT][/path/to/docker.sock]"
    return None


def parse_ssh_url(url: str) -> SshTarget:
    """The target of a URL that ssh_url_problem() accepted (ValueError otherwise)."""
    problem = ssh_url_problem(url)
    if problem is not None:
        raise ValueError(problem)
    parts = urlsplit(url)
    path = unquote(parts.path) if parts.path not in ("", "/") else DEFAULT_REMOTE_SOCKET
    return SshTarget(host=str(parts.hostname), user=unquote(parts.username) if parts.username else None,
                     port=parts.port, socket=path)
