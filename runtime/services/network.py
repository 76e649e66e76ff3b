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
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAMESPACE, MANAGED_BY
from runtime.services.names import network_name

_REMOVE_TRIES, _REMOVE_PAUSE = 6, 0.25


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
    same name that the user made stays. An endpoint goes a moment after its container
    (on an overlay more so): a few short looks, bounded, before leaving it for the next
    delete.
    """
    name = network_name(namespace)
    for attempt in range(_REMOVE_TRIES):
        if attempt:
            await asyncio.sleep(_REMOVE_PAUSE)
        try:
            data = await engine.inspect_network(name)
        except NetworkNotFound:  # gone, or another delete won
            return False
        if (data.get("Labels") or {}).get(LABEL_MANAGED_BY) != MANAGED_BY:
            return False
        if data.get("Containers"):
            continue
        try:
            await engine.remove_network(name)
            return True
        except NetworkNotFound:
            return False
        except Conflict:  # an endpoint not yet gone, or something joined meanwhile
            continue
    return False
