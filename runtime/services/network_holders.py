"""What holds a namespace's overlay network that nothing of capsule uses any more.

A swarm manager refuses to remove an overlay "in use by task T" while any task it
records on it is wanted running and not yet past running. A capsule container on
another host joins an attachable overlay through such a task (a network attachment),
which that host's engine gives back when the container goes.

One way it is never given back (reproduced with Docker 20.10 in the fault suite): a
worker cut from its manager while starting a container waits for the attachment,
fails the start when its own deadline passes, and then asks the manager to drop the
attachment with that same, expired deadline, so the request is never sent. The task
stays "starting" on the manager for good, for a container that no longer exists. A
restart of that worker's engine releases it (the fault test applies it), as does
removing the node from the swarm; the worker cannot even leave the swarm before (its
agent waits on the stuck attachment). capsule cannot remove a task through the Engine
API, so it names the task, the container and the node, and says how to release it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from runtime.engine.client import EngineClient
from runtime.engine.errors import EngineError

_IN_USE_BY_TASK = re.compile(r"in use by task (\w+)")
# Task states up to running, in the swarm's order: one of these, wanted running, holds a network.
_NOT_YET_RUNNING = ("new", "pending", "assigned", "accepted", "preparing", "ready", "starting")


@dataclass(frozen=True)
class Holder:
    """The swarm task a manager named as holding a network."""

    task: str
    container: str = ""  # the attachment's container, when the task is an attachment
    node_id: str = ""
    node: str = ""  # the node's hostname, or its id when the manager could not say
    state: str = ""
    container_gone: bool | None = None  # asked of the node's engine; None when it could not be

    @property
    def stuck(self) -> bool:
        """An attachment that never got past starting (the leak above), unless its container exists."""
        return bool(self.container) and self.state in _NOT_YET_RUNNING and self.container_gone is not False

    def describe(self) -> str:
        node = self.node or "?"
        if not self.container:
            return f"the swarm counts task {self.task[:12]} on node {node} ({self.state or '?'}) as using it"
        what = (f"the swarm still counts the network attachment of container {self.container[:12]} on node "
                f"{node} (task {self.task[:12]}, {self.state or '?'})")
        if not self.stuck:
            return what
        fix = f"restart the Docker engine on {node} to release it, then `capsule gc` removes the network"
        if self.container_gone:
            return (f"{what}, a container that no longer exists: {node}'s engine did not give the attachment "
                    f"back after losing its manager while starting it; {fix}")
        return f"{what}; if no container {self.container[:12]} exists on {node}, {fix}"


ContainerExists = Callable[[str, str], Awaitable["bool | None"]]


async def holder_of(engine: EngineClient, refusal: str, *, container_exists: ContainerExists | None = None
                    ) -> Holder | None:
    """The task a manager's refusal ("... is in use by task T") names, looked up on that manager;
    None when the refusal names no task. What the manager cannot tell is left blank.

    `container_exists(node_id, container_id)`: asks the node's own engine, when the caller
    can reach it, whether the attachment's container is still there (None: cannot tell).
    """
    found = _IN_USE_BY_TASK.search(refusal)
    if found is None:
        return None
    task_id = found.group(1)
    task: dict = {}
    with contextlib.suppress(EngineError):
        task = await engine.inspect_task(task_id)
    node_id = str(task.get("NodeID") or "")
    node = node_id
    if node_id:
        with contextlib.suppress(EngineError):
            described = (await engine.inspect_node(node_id)).get("Description") or {}
            node = str(described.get("Hostname") or node_id)
    container = str(((task.get("Spec") or {}).get("NetworkAttachmentSpec") or {}).get("ContainerID") or "")
    exists = await container_exists(node_id, container) if container and node_id and container_exists else None
    return Holder(task_id, container=container, node_id=node_id, node=node,
                  state=str((task.get("Status") or {}).get("State") or ""),
                  container_gone=None if exists is None else not exists)
