"""A namespace's network: made when its first capsule or Service arrives, removed when its
last one goes.

A user-defined bridge on one host, or an attachable overlay across the hosts of a swarm:
either way the engine's embedded DNS answers the aliases of everything on it (the
capsules' names, the Services' names), which the default bridge does not.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping

from runtime.engine.client import EngineClient
from runtime.engine.errors import Conflict, NetworkNotFound
from runtime.errors import CapsuleError
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAMESPACE, MANAGED_BY
from runtime.services.names import network_name

# How long a removal waits for the last endpoints to go. A bridge's go with their containers;
# an overlay's are the swarm manager's record of each container on each host, which a host
# reports only once it is connected again (after a cut, some seconds after it is back).
_REMOVE_WITHIN = {"bridge": 1.5, "overlay": 15.0}
_REMOVE_PAUSE, _REMOVE_PAUSE_MOST = 0.25, 1.0


class NetworkKept(CapsuleError):
    """An overlay its swarm manager still refused to remove when the removal's bound ran out."""

    def __init__(self, network: str, refusal: str) -> None:
        super().__init__(f"network {network} is still in use: {refusal}")
        self.network, self.refusal = network, refusal


async def ensure_network(engine: EngineClient, namespace: str, *, extra_labels: Mapping[str, str],
                         overlay: bool = False) -> str:
    """The namespace's network on this host, made if missing; its name.

    `overlay`: an attachable overlay network, made on a swarm manager, that containers on
    every host of the swarm join by name (a bridge is local to its host).
    """
    name = network_name(namespace)
    try:
        await engine.inspect_network(name)
        return name
    except NetworkNotFound:
        pass
    labels = {**extra_labels, LABEL_MANAGED_BY: MANAGED_BY, LABEL_NAMESPACE: namespace}
    # Two creates racing for a new namespace: the engine refuses the second name
    # (CheckDuplicate), and the loser uses the winner's network.
    with contextlib.suppress(Conflict):
        await engine.create_network(name, labels=labels, driver="overlay" if overlay else "bridge",
                                    attachable=overlay)
    return name


async def remove_network_if_unused(engine: EngineClient, namespace: str) -> bool:
    """Remove the namespace's network when nothing is attached to it; True when removed.

    Only a network capsule made (its labels say so) is removed: a network of the
    same name that the user made stays. An endpoint goes a moment after its container:
    a few short looks, bounded, before leaving it for the next delete or `capsule gc`.
    An overlay the manager still holds for a container of another host gets longer,
    since that host may only now be reporting its containers gone; still refused after
    that, it is NetworkKept (the manager's refusal names what holds it).
    """
    name = network_name(namespace)
    loop = asyncio.get_running_loop()
    began = loop.time()
    deadline = began + _REMOVE_WITHIN["bridge"]
    pause = _REMOVE_PAUSE
    refused: Conflict | None = None
    while True:
        try:
            data = await engine.inspect_network(name)
        except NetworkNotFound:  # gone, or another delete won
            return False
        if (data.get("Labels") or {}).get(LABEL_MANAGED_BY) != MANAGED_BY:
            return False
        if not data.get("Containers"):
            try:
                await engine.remove_network(name)
                return True
            except NetworkNotFound:
                return False
            except Conflict as exc:  # an endpoint not yet gone, or something joined meanwhile
                if data.get("Driver") == "overlay":
                    deadline, refused = began + _REMOVE_WITHIN["overlay"], exc
        if loop.time() + pause > deadline:
            if refused is not None:  # the caller asks the manager what holds it (network_holders)
                raise NetworkKept(name, refused.engine_message or str(refused))
            return False
        await asyncio.sleep(pause)
        pause = min(pause * 2, _REMOVE_PAUSE_MOST)
