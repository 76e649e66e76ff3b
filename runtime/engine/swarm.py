"""Swarm calls of the engine client: the networking Docker offers across engines.

A mixin of `EngineClient`. capsule uses a swarm only for its attachable overlay
networks (containers on several engines reach each other's aliases); it runs no
swarm services. It must not decide which host manages or joins (runtime.hosts.swarm).
"""

from __future__ import annotations

from typing import Any

from runtime.engine.http import EngineHttp

# The engine's own join waits this long for the manager by default; ours is shorter and
# said in the message (runtime.hosts.swarm), so one unreachable manager costs a bound.
JOIN_READ_TIMEOUT = 30.0


class SwarmCalls:
    _http: EngineHttp

    async def swarm_inspect(self) -> dict[str, Any]:
        """The swarm as a manager sees it (join tokens included); a worker gets an error."""
        return await self._http.call_json("GET", "/swarm") or {}

    async def swarm_init(self, advertise_addr: str, listen_addr: str = "0.0.0.0:2377") -> str:
        """Make this engine the first manager of a new swarm; its node id."""
        body = {"AdvertiseAddr": advertise_addr, "ListenAddr": listen_addr}
        return str(await self._http.call_json("POST", "/swarm/init", json_body=body) or "")

    async def swarm_join(self, manager_addr: str, token: str, advertise_addr: str,
                         listen_addr: str = "0.0.0.0:2377") -> None:
        body = {"RemoteAddrs": [manager_addr], "JoinToken": token, "AdvertiseAddr": advertise_addr,
                "ListenAddr": listen_addr}
        await self._http.call("POST", "/swarm/join", json_body=body, read_timeout=JOIN_READ_TIMEOUT)

    async def swarm_leave(self, force: bool = False) -> None:
        await self._http.call("POST", "/swarm/leave", params={"force": force})

    async def inspect_task(self, task_id: str) -> dict[str, Any]:
        """One swarm task as the manager records it (a network attachment is a task too)."""
        return await self._http.call_json("GET", f"/tasks/{task_id}") or {}

    async def inspect_node(self, node_id: str) -> dict[str, Any]:
        """One node of the swarm as the manager records it (its hostname, its state)."""
        return await self._http.call_json("GET", f"/nodes/{node_id}") or {}
