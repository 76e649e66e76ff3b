"""The Docker hosts capsule runs on, and how to reach each one.

`configured_hosts()` is the host inventory (`runtime.hosts.inventory.load_hosts()`: the
inventory file, then `DOCKER_HOST`, then docker contexts); with no inventory it is
the local engine alone (`DOCKER_HOST` when set, else the default unix socket),
named "local". A broken inventory file raises `runtime.hosts.inventory.InventoryFileError`
(every problem with file:line), which commands turn into exit code 2. Everything
above takes a list of `HostSettings` and never assumes there is only one.

The sandbox image is a per-host setting: the flag `--sandbox-image` wins, then the
host's own setting; a host without one uses `CAPSULE_SANDBOX_IMAGE`, else the
default pause image.

This module must not talk to engines itself except through `connect_engine`, which
imports the engine client lazily so that reading settings stays cheap.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runtime.engine.client import EngineClient
    from runtime.placement.scheduler import Reserve

DEFAULT_SANDBOX_IMAGE = "registry.k8s.io/pause:3.10"
DEFAULT_LOCAL_URL = "unix:///var/run/docker.sock"
LOCAL_HOST_NAME = "local"
# A dead host must not hold a command up for longer than this (issue 4: bounded list).
DEFAULT_CONNECT_TIMEOUT = 3.0


class UnknownHost(ValueError):
    """A host name that is not among the configured hosts."""

    def __init__(self, name: str, known: list[str]) -> None:
        listed = ", ".join(known) or "none"
        super().__init__(f"host {name!r} is not configured; known hosts: {listed}")
        self.name = name
        self.known = known


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


def configured_hosts() -> list[HostSettings]:
    """Every usable host the user has; with no inventory, the local engine alone.

    Raises runtime.hosts.inventory.InventoryFileError when the inventory file is broken.
    """
    # Imported here: inventory imports this module (HostSettings, local_host).
    from runtime.hosts.inventory import load_hosts

    return load_hosts()


def configured_reserve() -> "Reserve":
    """What the scheduler keeps free on every host (`reserve:` in the inventory)."""
    from runtime.hosts.inventory import load_reserve

    return load_reserve()


def find_host(hosts: list[HostSettings], name: str) -> HostSettings:
    for host in hosts:
        if host.name == name:
            return host
    raise UnknownHost(name, [h.name for h in hosts])


async def connect_engine(host: HostSettings, *, api_version: tuple[int, int] | None = None) -> "EngineClient":
    """An engine client for `host`; raises the engine client's EngineError subclasses.

    `api_version`: speak it without asking the host first (see EngineClient.connect).
    """
    from runtime.engine.client import EngineClient
    from runtime.engine.transport import Timeouts, TlsConfig

    tls = TlsConfig(host.tls_ca, host.tls_cert, host.tls_key) if host.uses_tls else None
    return await EngineClient.connect(
        host.url, name=host.name, tls=tls, timeout=Timeouts(connect=host.connect_timeout), api_version=api_version
    )
