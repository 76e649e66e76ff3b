"""The values a capsule build takes and gives: options, progress events, outcomes, errors.

`BuildOptions` is what the caller decides per host and per command (sandbox image,
network, what is allowed); `ProgressEvent` is what a build reports while it works;
`BuildFailed` (and its kinds) is how it fails: always with a one-line `reason` that
names the thing and the host ("port 8080 is already allocated on host local"),
because that line becomes the capsule's status reason in the store and the UI.

This module holds plain values only: no I/O, no engine client, no spec logic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from runtime.hosts.settings import DEFAULT_SANDBOX_IMAGE

DEFAULT_PULL_TIMEOUT = 600.0


@dataclass(frozen=True)
class BuildOptions:
    """How to build on one host; the defaults are the safe ones."""

    sandbox_image: str = DEFAULT_SANDBOX_IMAGE
    network: str | None = None  # None: the engine's default bridge network
    # What the sandbox also answers to on `network` besides the capsule's name
    # (runtime.services.names.capsule_aliases), and the namespace's service variables
    # (runtime.services.env_links) that every member gets unless it sets them itself.
    aliases: tuple[str, ...] = ()
    service_env: tuple[tuple[str, str], ...] = ()
    # (port, targetPort) pairs relayed inside the capsule, and the image that relays them:
    # a capsule named like the Service that selects it is found under that name too, by
    # the engine's DNS (a container's name), so it must answer on the Service's ports.
    port_forwards: tuple[tuple[int, int], ...] = ()
    forwarder_image: str = "busybox:1.36"
    allow_privileged: bool = False
    allow_host_path: bool = False
    pull_timeout: float = DEFAULT_PULL_TIMEOUT  # seconds for all pulls of one build
    extra_labels: Mapping[str, str] = field(default_factory=dict)
    # Init containers under Always/OnFailure: attempts in all, and the pause before
    # the second attempt, doubling up to the cap (bounded, so a broken init fails
    # the build in seconds instead of crash-looping forever).
    init_attempts: int = 3
    init_backoff: float = 1.0
    init_backoff_cap: float = 4.0
    # The caller's deadline (time.monotonic()) for the init containers to be done, and the
    # seconds it was given as (for the message): a create's --timeout bounds them too.
    deadline: float | None = None
    timeout: float | None = None


@dataclass(frozen=True)
class ProgressEvent:
    """One step of a build, for the CLI and the UI to show.

    `kind` is one of the KIND_* constants; `container` names the member, init
    container, volume or image the event is about ("" for the capsule itself).
    """

    kind: str
    container: str
    text: str


KIND_PULL = "pull"
KIND_VOLUME = "volume"
KIND_SANDBOX = "sandbox"
KIND_INIT = "init"
KIND_MEMBER = "member"
KIND_CLEANUP = "cleanup"
KIND_READY = "ready"

ProgressCallback = Callable[[ProgressEvent], "None | Awaitable[None]"]


@dataclass
class RemovalSummary:
    """What `remove_capsule` did: Docker names removed, and persistent volumes kept."""

    host: str
    name: str = ""
    uuid: str = ""
    containers: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    kept_volumes: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return bool(self.containers or self.volumes or self.kept_volumes)


async def emit(on_progress: ProgressCallback | None, event: ProgressEvent) -> None:
    """Report one event; a callback may be plain or async. Its failures never fail a build."""
    if on_progress is None:
        return
    try:
        result = on_progress(event)
        if result is not None and hasattr(result, "__await__"):
            await result
    except Exception:  # noqa: BLE001 - a broken progress display must not break the build
        pass
