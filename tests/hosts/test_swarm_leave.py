"""Leaving the swarm, without an engine: workers first, and a worker that cannot leave stops it there.

An engine that leaked a network attachment (runtime/services/network_holders.py) answers a
leave with "context deadline exceeded" (seen in the host-cut fault test): the managers must
stay, so that the worker can leave after its engine's restart, and the message says so.
"""

from __future__ import annotations

from typing import Any

import pytest

from runtime.engine.errors import EngineError
from runtime.errors import CapsuleError
from runtime.hosts.settings import HostSettings
from runtime.hosts.swarm import leave


class Engine:
    def __init__(self, name: str, manager: bool, refuses: str = "") -> None:
        self.name, self.manager, self.refuses = name, manager, refuses
        self.left = False

    async def info(self) -> dict[str, Any]:
        return {"Swarm": {"LocalNodeState": "active", "NodeID": self.name, "ControlAvailable": self.manager,
                          "RemoteManagers": [{"NodeID": "m1"}]}}

    async def swarm_leave(self, force: bool = False) -> None:
        if self.refuses:
            raise EngineError(f"host '{self.name}' (tcp://10.0.0.2:2375): {self.refuses}")
        self.left = True


def hosts(*engines: Engine) -> list[tuple[HostSettings, Engine]]:
    return [(HostSettings(e.name, f"tcp://{e.name}:2375"), e) for e in engines]


async def test_workers_leave_before_their_manager() -> None:
    manager, worker = Engine("m1", manager=True), Engine("w1", manager=False)
    said = await leave(hosts(manager, worker))  # type: ignore[arg-type]
    assert said == ["host w1: left the swarm", "host m1: left the swarm"] and manager.left and worker.left


async def test_a_worker_stuck_on_a_leaked_attachment_stops_the_leave_and_its_manager_stays() -> None:
    manager = Engine("m1", manager=True)
    stuck = Engine("w2", manager=False, refuses="context deadline exceeded")
    with pytest.raises(CapsuleError) as failed:
        await leave(hosts(manager, Engine("w1", manager=False), stuck))  # type: ignore[arg-type]
    said = str(failed.value)
    assert said.startswith("host w2 did not leave the swarm: ") and "restart the Docker engine on w2" in said
    assert "host w1: left the swarm" in said and not manager.left


async def test_another_refusal_has_no_restart_hint() -> None:
    with pytest.raises(CapsuleError) as failed:
        await leave(hosts(Engine("m1", manager=True), Engine("w1", manager=False, refuses="permission denied")))  # type: ignore[arg-type]
    assert "permission denied" in str(failed.value) and "restart" not in str(failed.value)
