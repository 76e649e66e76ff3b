"""The Docker hosts capsule runs on, and how to reach each one.

The configured hosts are the host inventory (`runtime.hosts.inventory.load_hosts()`:
the inventory file, then `DOCKER_HOST`, then docker contexts); with no inventory it
is the local engine alone (`local_host()`: `DOCKER_HOST` when set, else the default
unix socket), named "local". Everything above takes a list of `HostSettings` and
never assumes there is only one.

The sandbox image is a per-host setting: the flag `--sandbox-image` wins, then the
host's own setting; a host without one uses `CAPSULE_SANDBOX_IMAGE`, else the
default pause image.

Plain values: this module must not talk to engines (runtime.hosts.connect does).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from runtime.errors import UnknownHost

DEFAULT_SANDBOX_IMAGE = "registry.k8s.io/pause:3.10"
DEFAULT_LOCAL_URL = "unix:///var/run/docker.sock"
LOCAL_HOST_NAME = "local"
# A dead host must not hold a command up for longer than this (issue 4: bounded list).
DEFAULT_CONNECT_TIMEOUT = 3.0


@dataclass(frozen=True)
class HostSettings:
    name: str
    url: str
    labels: dict[str, str] = field(default_factory=dict, hash=False, compare=True)
    sandbox_image: str | None = None  # None: CAPSULE_SANDBOX_IMAGE, else the default
    tls_ca: str | None = None
    tls_cert: str | None = None
    tls_key: str | None = None
    insecure: bool = False
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT

    @property
    def uses_tls(self) -> bool:
        return any((self.tls_ca, self.tls_cert, self.tls_key))


def default_sandbox_image() -> str:
    return os.environ.get("CAPSULE_SANDBOX_IMAGE") or DEFAULT_SANDBOX_IMAGE


def sandbox_image_for(host: HostSettings, override: str | None = None) -> str:
    """The sandbox image to use on `host`: flag, then host setting, then env/default."""
    return override or host.sandbox_image or default_sandbox_image()


def local_host() -> HostSettings:
    """The engine of this machine: DOCKER_HOST when set, else the default socket."""
    url = os.environ.get("DOCKER_HOST") or DEFAULT_LOCAL_URL
    tls_dir = os.environ.get("DOCKER_CERT_PATH")
    verify = os.environ.get("DOCKER_TLS_VERIFY") not in (None, "", "0")
    if url.startswith("tcp://") and verify and tls_dir:
        return HostSettings(
            LOCAL_HOST_NAME,
            url,
            tls_ca=os.path.join(tls_dir, "ca.pem"),
            tls_cert=os.path.join(tls_dir, "cert.pem"),
            tls_key=os.path.join(tls_dir, "key.pem"),
        )
    return HostSettings(LOCAL_HOST_NAME, url)


def find_host(hosts: list[HostSettings], name: str) -> HostSettings:
    for host in hosts:
        if host.name == name:
            return host
    raise UnknownHost(name, [h.name for h in hosts])
