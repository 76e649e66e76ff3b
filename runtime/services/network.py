"""A namespace's network on one host: made when its first capsule or Service arrives there,
removed when its last one goes.

A user-defined bridge: the engine's embedded DNS answers the aliases of everything on
it (the capsules' names, the Services' names), which the default bridge does not.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping

from runtime.engine.client import EngineClient
from runtime.engine.errors import Conflict, NetworkNotFound
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAMESPACE, MANAGED_BY
from runtime.services.names import network_name


async def ensure_network(engine: EngineClient, namespace: str, *, extra_labels: Mapping[str, str]) -> str:
    """The namespace's network on this host, made if missing; its name."""
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
        await engine.create_network(name, labels=labels)
    return name


async def remove_network_if_unused(engine: EngineClient, namespace: str) -> bool:
    """Remove the namespace's network when nothing is attached to it; True when removed.

    Only a network capsule made (its labels say so) is removed: a network of the
    same name that the user made stays.
    """
    name = network_name(namespace)
    try:
        data = await engine.inspect_network(name)
    except NetworkNotFound:
        return False
    labels = data.get("Labels") or {}
    if labels.get(LABEL_MANAGED_BY) != MANAGED_BY or data.get("Containers"):
        return False
    try:
        await engine.remove_network(name)
    except (Conflict, NetworkNotFound):  # something joined meanwhile, or another delete won
        return False
    return True
