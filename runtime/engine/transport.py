"""How to reach one Docker host: turn a host URL into a pooled httpx.AsyncClient.

Accepted URLs: `unix:///path/to/docker.sock`, `tcp://host:port` (plain, or TLS when
a `TlsConfig` is given), `http://` / `https://` for engines behind a proxy, and
`ssh://[user@]host[:port][/path/to/docker.sock]` (runtime/engine/ssh: one SSH
connection per client, each HTTP connection a channel to the remote socket).
Every client gets connect/read/write/pool timeouts; the `transport=` argument is
the seam through which tests and benchmarks put an in-process fake engine (any
`httpx.AsyncBaseTransport`, e.g. `httpx.MockTransport`) under the real client.

This module must not make calls to the engine or interpret its answers, and it
does not decide which hosts are allowed (refusing plain tcp to a non-loopback
address is the host inventory's policy, not the transport's).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from types import EllipsisType
from urllib.parse import urlsplit

import httpx

from runtime.engine.errors import HostConfigError
from runtime.engine.ssh.keep import KeptBackend, KeptTransport, SshKeep
from runtime.engine.ssh.target import SshTarget, parse_ssh_url, ssh_url_problem

DEFAULT_CONNECT_TIMEOUT = 3.0
DEFAULT_READ_TIMEOUT = 30.0

# Parallel member creation plus one follower per member (logs, events) must fit;
# beyond that, waiting for a free connection is better than flooding one engine.
_POOL_LIMITS = httpx.Limits(max_connections=64, max_keepalive_connections=16, keepalive_expiry=30.0)

# Host header and base URL for engines reached over a unix socket, where the
# authority is meaningless but HTTP/1.1 still needs one.
_UNIX_BASE_URL = "http://docker.sock"


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait for each phase of a call; None waits forever.

    `read` applies to ordinary calls; streaming calls (follow logs, events, pulls)
    replace it with None because silence there is normal.
    """

    connect: float = DEFAULT_CONNECT_TIMEOUT
    read: float | None = DEFAULT_READ_TIMEOUT
    write: float | None = DEFAULT_READ_TIMEOUT
    pool: float | None = 10.0

    def to_httpx(self, *, read: float | None | EllipsisType = ...) -> httpx.Timeout:
        """The httpx form, optionally with another read timeout (`...` keeps ours)."""
        read_timeout = self.read if read is ... else read
        return httpx.Timeout(connect=self.connect, read=read_timeout, write=self.write, pool=self.pool)


@dataclass(frozen=True)
class TlsConfig:
    """Mutual TLS for a tcp host: the CA that signed the engine's certificate, and ours.

    The server is always verified against `ca_cert` (hostname included); a client
    certificate and key are sent when given, which a `--tlsverify` engine requires.
    """

    ca_cert: str | Path | None = None
    client_cert: str | Path | None = None
    client_key: str | Path | None = None

    def ssl_context(self, host: str = "") -> ssl.SSLContext:
        """Build the SSL context, naming the file and host when a file is unusable."""
        for label, path in (("CA certificate", self.ca_cert), ("client certificate", self.client_cert),
                            ("client key", self.client_key)):
            if path is not None and not Path(path).is_file():
                raise HostConfigError(
                    f"TLS {label} {str(path)!r} for host {host!r} does not exist or is not a file; "
                    f"give the path of a PEM file.",
                    host=host,
                )
        if (self.client_cert is None) != (self.client_key is None):
            raise HostConfigError(
                f"host {host!r}: a TLS client certificate and its key must be given together.", host=host
            )
        try:
            context = ssl.create_default_context(
                cafile=str(self.ca_cert) if self.ca_cert is not None else None
            )
            if self.client_cert is not None:
                context.load_cert_chain(str(self.client_cert), str(self.client_key))
        except (ssl.SSLError, OSError) as exc:
            raise HostConfigError(
                f"host {host!r}: cannot load its TLS files ({exc}); check that the CA, certificate "
                f"and key are PEM files and that the key belongs to the certificate.",
                host=host,
            ) from exc
        return context


@dataclass(frozen=True)
class Endpoint:
    """Where a host's engine listens, resolved from its URL."""

    url: str  # as the user gave it, for messages
    base_url: str  # what httpx sends requests to
    uds: str | None = None  # unix socket path, when there is one
    uses_tls: bool = False
    ssh: SshTarget | None = None  # for ssh:// URLs: who logs in where, and the remote socket


def parse_host_url(url: str, *, tls: TlsConfig | ssl.SSLContext | None = None, host: str = "") -> Endpoint:
    """Resolve a host URL; a URL that cannot work raises HostConfigError saying why."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "unix":
        path = (parts.netloc + parts.path) if parts.netloc else parts.path
        if not path.startswith("/"):
            raise HostConfigError(
                f"host {host!r}: unix socket URL {url!r} needs an absolute path, "
                f"e.g. unix:///var/run/docker.sock.",
                host=host, url=url,
            )
        return Endpoint(url=url, base_url=_UNIX_BASE_URL, uds=path)
    if scheme == "ssh":
        problem = ssh_url_problem(url)
        if problem is not None:
            raise HostConfigError(f"host {host!r}: {problem}.", host=host, url=url)
        if tls is not None:
            raise HostConfigError(f"host {host!r}: TLS settings apply to tcp URLs only; SSH encrypts and "
                                  f"authenticates {url!r} by itself.", host=host, url=url)
        return Endpoint(url=url, base_url=_UNIX_BASE_URL, ssh=parse_ssh_url(url))
    if scheme in ("tcp", "http", "https"):
        if not parts.hostname:
            raise HostConfigError(
                f"host {host!r}: URL {url!r} names no host; write it as tcp://HOST:PORT.", host=host, url=url
            )
        secure = scheme == "https" or (scheme == "tcp" and tls is not None)
        try:
            port = parts.port or (2376 if secure else 2375)
        except ValueError as exc:
            raise HostConfigError(f"host {host!r}: URL {url!r} has a bad port ({exc}).", host=host, url=url) from exc
        netloc = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        prefix = parts.path.rstrip("/")
        return Endpoint(
            url=url, base_url=f"{'https' if secure else 'http'}://{netloc}:{port}{prefix}", uses_tls=secure
        )
    raise HostConfigError(
        f"host {host!r}: unsupported engine URL {url!r}; use unix:///path/to/docker.sock, "
        f"tcp://HOST:PORT (with TLS files for an encrypted engine), ssh://USER@HOST, http:// or https://.",
        host=host, url=url,
    )


def build_client(
    url: str,
    *,
    name: str = "",
    tls: TlsConfig | ssl.SSLContext | None = None,
    timeouts: Timeouts = Timeouts(),
    transport: httpx.AsyncBaseTransport | None = None,
    ssh_keep: SshKeep | None = None,
) -> tuple[httpx.AsyncClient, Endpoint]:
    """The pooled client for one host, and the endpoint it resolved to.

    With `transport` given, the URL still decides the base URL (so a fake engine
    sees the same paths) but no socket is ever opened by this module. With `ssh_keep`,
    an ssh:// host is reached through its keeper when one runs, and one is started for
    later commands (runtime/engine/ssh/keep.py).
    """
    endpoint = parse_host_url(url, tls=tls, host=name)
    if transport is None and endpoint.ssh is not None and ssh_keep is not None:
        transport = KeptTransport(KeptBackend(ssh_keep, endpoint.ssh, name=name, url=url), _POOL_LIMITS)
    if transport is None and endpoint.ssh is not None:
        # Imported here: asyncssh is paid for only by those who use an ssh:// host.
        from runtime.engine.ssh.login import SshLogin
        from runtime.engine.ssh.stream import SshTransport

        transport = SshTransport(SshLogin(endpoint.ssh, name=name, url=url), _POOL_LIMITS)
    if transport is None:
        # Without TLS (unix, plain tcp) no context is ever used, and building httpx's
        # default one (the CA bundle) costs tens of milliseconds per host per command.
        verify: ssl.SSLContext | bool = endpoint.uses_tls
        if isinstance(tls, ssl.SSLContext):
            verify = tls
        elif tls is not None:
            verify = tls.ssl_context(name)
        transport = httpx.AsyncHTTPTransport(
            uds=endpoint.uds,
            verify=verify,
            limits=_POOL_LIMITS,
            # No connect retries: a dead host must fail within one connect timeout
            # (a host list has to come back in bounded time).
            retries=0,
        )
    client = httpx.AsyncClient(
        base_url=endpoint.base_url,
        transport=transport,
        timeout=timeouts.to_httpx(),
        # Docker API clients identify themselves; proxies from the environment
        # must never see engine traffic (it is root on that machine).
        headers={"User-Agent": "capsule"},
        trust_env=False,
    )
    return client, endpoint
