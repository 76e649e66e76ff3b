"""What a swarm manager says holds an overlay, turned into words a user can act on, without an engine.

The manager's records are those of Docker 20.10 after the fault suite's host cut: a
network attachment task left "starting" for a container its node's engine removed
(runtime.services.network_holders says how it leaks). A task that runs, or a refusal
that names no task, is a network in use for real: nothing to report.
"""

from __future__ import annotations

from typing import Any

from runtime.engine.errors import NotFound
from runtime.services.network_holders import holder_of

REFUSAL = "rpc error: code = FailedPrecondition desc = network jd6hn is in use by task i6j3sphe0clxhww2qfew32ksf"
CONTAINER = "f4b8ed559d3da469d563e9c8749a54bf42fb9033487de8a0d0a6b138b176d466"


class Manager:
    """The two records the lookup reads, as the manager answered them."""

    def __init__(self, state: str = "starting", attachment: bool = True, node_known: bool = True) -> None:
        self.task = {"ID": "i6j3sphe0clxhww2qfew32ksf", "NodeID": "5zhvh", "Status": {"State": state},
                     "Spec": {"NetworkAttachmentSpec": {"ContainerID": CONTAINER}} if attachment else {}}
        self.node_known = node_known
        self.asked: list[str] = []

    async def inspect_task(self, task_id: str) -> dict[str, Any]:
        self.asked.append(task_id)
        return self.task

    async def inspect_node(self, node_id: str) -> dict[str, Any]:
        if not self.node_known:
            raise NotFound(f"node {node_id} not found")
        return {"ID": node_id, "Description": {"Hostname": "capsule-t2"}}


def existence(answer: bool | None):  # type: ignore[no-untyped-def]
    async def exists(node_id: str, container: str) -> bool | None:
        assert (node_id, container) == ("5zhvh", CONTAINER)
        return answer
    return exists


async def test_a_stuck_attachment_of_a_container_gone_names_task_container_node_and_the_fix() -> None:
    manager = Manager()
    holder = await holder_of(manager, REFUSAL, container_exists=existence(False))  # type: ignore[arg-type]
    assert holder is not None and holder.stuck and manager.asked == ["i6j3sphe0clxhww2qfew32ksf"]
    said = holder.describe()
    for part in ("f4b8ed559d3d", "capsule-t2", "i6j3sphe0clx", "starting", "no longer exists",
                 "restart the Docker engine on capsule-t2", "capsule gc"):
        assert part in said, (part, said)


async def test_when_the_nodes_engine_cannot_be_asked_the_fix_is_said_with_an_if() -> None:
    holder = await holder_of(Manager(), REFUSAL, container_exists=existence(None))  # type: ignore[arg-type]
    assert holder is not None and holder.stuck
    assert "if no container f4b8ed559d3d exists on capsule-t2" in holder.describe()


async def test_an_attachment_whose_container_still_exists_is_a_network_in_use() -> None:
    holder = await holder_of(Manager(), REFUSAL, container_exists=existence(True))  # type: ignore[arg-type]
    assert holder is not None and not holder.stuck and "restart" not in holder.describe()


async def test_a_running_attachment_is_a_network_in_use() -> None:
    holder = await holder_of(Manager(state="running"), REFUSAL)  # type: ignore[arg-type]
    assert holder is not None and not holder.stuck and holder.state == "running"


async def test_a_service_task_is_no_stuck_attachment_and_an_unknown_node_is_named_by_its_id() -> None:
    holder = await holder_of(Manager(attachment=False, node_known=False), REFUSAL)  # type: ignore[arg-type]
    assert holder is not None and not holder.stuck and "node 5zhvh" in holder.describe()


async def test_a_refusal_that_names_no_task_has_no_holder() -> None:
    manager = Manager()
    assert await holder_of(manager, "network x has active endpoints") is None  # type: ignore[arg-type]
    assert manager.asked == []


class RefusingManager(Manager):
    """A manager that refuses to remove the overlay, as after the leak, and names the stuck task."""

    def __init__(self, state: str = "starting") -> None:
        super().__init__(state=state)
        self.removals: list[str] = []

    async def remove_network(self, name: str) -> None:
        from runtime.engine.errors import Conflict

        self.removals.append(name)
        raise Conflict(f"host capsule-t1: {REFUSAL}", engine_message=REFUSAL)


async def test_gc_names_an_overlay_a_stuck_attachment_holds_and_does_not_count_it_removed() -> None:
    from runtime.service import CapsuleService, SweptHost

    swept = SweptHost("capsule-t1", networks=["capsule-ns-shop"])
    manager = RefusingManager()
    removed = await CapsuleService._removed_network(manager, "capsule-ns-shop", swept)  # type: ignore[arg-type]
    assert removed is False and manager.removals == ["capsule-ns-shop"]
    assert len(swept.kept) == 1 and swept.kept[0].startswith("network capsule-ns-shop: the swarm still counts")
    assert "if no container f4b8ed559d3d exists on capsule-t2" in swept.kept[0]


async def test_gc_says_nothing_of_an_overlay_a_running_container_of_another_host_uses() -> None:
    from runtime.service import CapsuleService, SweptHost

    swept = SweptHost("capsule-t1")
    removed = await CapsuleService._removed_network(RefusingManager(state="running"), "capsule-ns-shop", swept)  # type: ignore[arg-type]
    assert removed is False and swept.kept == []
