"""How long a namespace's network removal waits for its last endpoints, without an engine.

The swarm manager keeps an overlay "in use by task" until the host that ran the task
reports it gone, which after a cut is some seconds after the host is back (seen in CI:
a delete right after a host came back left the overlay behind). A bridge's endpoints
go with their containers, so a bridge still in use is left after a short wait; an
overlay still refused after its longer wait is NetworkKept, with the manager's words.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from runtime.engine.errors import Conflict, NetworkNotFound
from runtime.labels import LABEL_MANAGED_BY, MANAGED_BY
from runtime.services import network
from runtime.services.names import network_name


@pytest.fixture(autouse=True)
def short_bounds(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same shape as the real bounds (an overlay waits longer than a bridge), a tenth as long."""
    monkeypatch.setattr(network, "_REMOVE_WITHIN", {"bridge": 0.4, "overlay": 2.0})
    monkeypatch.setattr(network, "_REMOVE_PAUSE_MOST", 0.2)


class Engine:
    """The two calls the removal makes; in use (Conflict) until `free_at` on the loop's clock."""

    def __init__(self, driver: str, in_use_for: float, labels: dict[str, str] | None = None) -> None:
        self.driver, self.in_use_for = driver, in_use_for
        self.labels = {LABEL_MANAGED_BY: MANAGED_BY} if labels is None else labels
        self.free_at = asyncio.get_running_loop().time() + in_use_for
        self.removed: list[str] = []
        self.tries = 0

    async def inspect_network(self, name: str) -> dict[str, Any]:
        if self.removed:
            raise NetworkNotFound(f"network {name} not found")
        return {"Name": name, "Driver": self.driver, "Labels": self.labels, "Containers": {}}

    async def remove_network(self, name: str) -> None:
        self.tries += 1
        if asyncio.get_running_loop().time() < self.free_at:
            raise Conflict(f"network {name} is in use by task t1")
        self.removed.append(name)


async def test_an_overlay_in_use_by_another_hosts_task_for_seconds_is_still_removed() -> None:
    engine = Engine("overlay", in_use_for=1.0)  # longer than a bridge waits
    assert await network.remove_network_if_unused(engine, "shop") is True  # type: ignore[arg-type]
    assert engine.removed == [network_name("shop")] and engine.tries > 1


async def test_an_overlay_that_stays_in_use_is_kept_within_the_bound_with_the_managers_words() -> None:
    engine = Engine("overlay", in_use_for=3600.0)
    began = asyncio.get_running_loop().time()
    with pytest.raises(network.NetworkKept) as kept:
        await network.remove_network_if_unused(engine, "shop")  # type: ignore[arg-type]
    took = asyncio.get_running_loop().time() - began
    assert engine.removed == [] and took <= network._REMOVE_WITHIN["overlay"] + 1.0
    assert kept.value.network == network_name("shop") and "in use by task t1" in kept.value.refusal


async def test_a_bridge_in_use_is_left_after_a_short_wait() -> None:
    engine = Engine("bridge", in_use_for=3600.0)
    began = asyncio.get_running_loop().time()
    assert await network.remove_network_if_unused(engine, "shop") is False  # type: ignore[arg-type]
    assert asyncio.get_running_loop().time() - began <= network._REMOVE_WITHIN["bridge"] + 0.3
    assert engine.tries >= 2


async def test_a_network_the_user_made_under_that_name_is_never_removed() -> None:
    engine = Engine("bridge", in_use_for=0.0, labels={})
    assert await network.remove_network_if_unused(engine, "shop") is False  # type: ignore[arg-type]
    assert engine.tries == 0
