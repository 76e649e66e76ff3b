"""Clients for a test engine URL: a quick ping, a raw httpx client, a docker.DockerClient.

unix:///path and tcp://host:port, with TLS when client files are given. Proxy
settings from the environment are ignored on purpose: test traffic goes only to
127.0.0.0/8 and to the test namespaces, never through a proxy.
Must not: import pytest, or start anything.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

from .certs import TLSFiles
from .errors import EngineUnavailable


def engine_http_client(url: str, tls: TLSFiles | None = None, timeout: float = 10.0) -> httpx.Client:
    """A plain httpx client for an engine URL (unix:// or tcp://, TLS when `tls` is given)."""
    if url.startswith("unix://"):
        transport = httpx.HTTPTransport(uds=url[len("unix://"):])
        return httpx.Client(transport=transport, base_url="http://docker", timeout=timeout,
                            trust_env=False)
    if not url.startswith("tcp://"):
        raise ValueError(f"unsupported engine URL {url!r}: use unix:///path or tcp://host:port")
    address = url[len("tcp://"):]
    if tls is None:
        return httpx.Client(base_url=f"http://{address}", timeout=timeout, trust_env=False)
    context = ssl.create_default_context(cafile=str(tls.ca))
    context.load_cert_chain(str(tls.cert), str(tls.key))
    return httpx.Client(base_url=f"https://{address}", verify=context, timeout=timeout,
                        trust_env=False)


def ping(url: str, tls: TLSFiles | None = None, timeout: float = 1.0) -> bool:
    """True when the engine at `url` answers GET /_ping with 200 within `timeout`."""
    try:
        with engine_http_client(url, tls, timeout) as client:
            return client.get("/_ping").status_code == 200
    except (httpx.HTTPError, OSError, ssl.SSLError):
        return False


def docker_client(url: str, tls: TLSFiles | None = None, timeout: int = 60) -> Any:
    """A docker.DockerClient (the tests' independent second client) for an engine URL."""
    import docker

    tls_config: Any = False
    if tls is not None:
        tls_config = docker.tls.TLSConfig(client_cert=(str(tls.cert), str(tls.key)),
                                          ca_cert=str(tls.ca), verify=True)
    # The version is asked for here, not by docker-py's "auto": its first request
    # would run with requests' trust_env on, where REQUESTS_CA_BUNDLE replaces our
    # CA and a configured proxy would get the test traffic.
    try:
        with engine_http_client(url, tls, timeout=float(timeout)) as http:
            version = http.get("/version").json()["ApiVersion"]
    except (httpx.HTTPError, OSError, ssl.SSLError, ValueError, KeyError) as exc:
        raise EngineUnavailable(f"the engine at {url} does not answer /version: {exc}") from exc
    client = docker.DockerClient(base_url=url, tls=tls_config, timeout=timeout, version=version)
    client.api.trust_env = False
    return client
