"""The event log against a real engine: one event per change, in causal order, and none
made up from a delete's half-removed containers.

Each defect is brought about on purpose, not left to timing: a reconcile writes a view
taken before a member's exit after the engine-event follower recorded it; another
process reconciles while the create is still building (the member already exited); and
another process reconciles while the delete has removed the members but not yet the
sandbox. The events are read back from the store in order; the containers are watched
and removed through the docker package.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import runtime.service as service_module
from runtime.event_follow import record_engine_event
from runtime.hosts.settings import local_host
from runtime.observe.discovery import observe_capsule
from runtime.service import CapsuleService
from runtime.state.reconcile import update_capsule
from support.capsule_cli import remove_capsule_leftovers
from support.webhook_receiver import Receiver
from translate.secrets import SecretStore
from translate.spec import Capsule, Container
from translate.translation import Translation

BUSYBOX = "busybox:1.36"
SLEEPER = ("sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait")


@pytest.fixture
def name(unique_name: str, capsule_home: Any, docker_engine: Any) -> Iterator[str]:
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)


def capsule(name: str, quick: str) -> Capsule:
    """A member that sleeps and one that runs `quick` and exits 3; never restarted."""
    return Capsule(name=name, restart_policy="Never", containers=(
        Container(name="main", image=BUSYBOX, command=SLEEPER),
        Container(name="quick", image=BUSYBOX, command=("sh", "-c", quick)),
    ))


def translation(c: Capsule) -> Translation:
    return Translation(capsules=[c], secrets=SecretStore())


def kinds(service: CapsuleService, name: str) -> list[tuple[str, str]]:
    return [(e.kind, e.message) for e in service.ctx.store.events(name)]


async def until(check: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.1)


def exited(docker_engine: Any, container: str) -> bool:
    return docker_engine.client.containers.get(container).status == "exited"


def die_event(docker_engine: Any, container: str) -> dict[str, Any]:
    """The engine's own `die` event of the container, as the follower gets it."""
    found = docker_engine.client.containers.get(container)
    since = int(time.time()) - 120
    for raw in docker_engine.client.events(since=since, until=int(time.time()) + 1, decode=True,
                                           filters={"container": found.id, "event": "die"}):
        return raw
    raise AssertionError(f"the engine reported no die event for {container}")


async def test_a_member_exit_is_recorded_once_though_a_stale_view_is_written_over_it(
        name, docker_engine, monkeypatch) -> None:
    with Receiver() as receiver:
        monkeypatch.setenv("CAPSULE_WEBHOOK_URL", receiver.url)  # the notification sink gets what the log keeps
        service = CapsuleService([local_host()])
        try:
            await service.create(translation(capsule(name, "sleep 3; exit 3")), timeout=60)
            record = service.ctx.store.find(name)[0]
            engine = await service.ctx.engine(local_host())
            stale = await observe_capsule(engine, "local", uuid=record.uuid)  # quick still running
            assert stale is not None and {c.member: c.state for c in stale.members}["quick"] == "running"
            await until(lambda: exited(docker_engine, f"{name}.quick"), "quick to exit")
            # The follower records the exit; then a reconcile that looked before the exit writes its view
            # (quick running) over the row; then the next look sees the exit again.
            await record_engine_event(service.ctx, "local", engine, die_event(docker_engine, f"{name}.quick"))
            update_capsule(service.ctx.store, record.uuid, stale)
            await service.refresh()
            await service.refresh()
            exits = [m for k, m in kinds(service, name) if k == "member_exited"]
            assert exits == ["member quick exited with code 3"]
            logged = [(e.id, e.kind) for e in service.ctx.store.events(name)]
        finally:
            await service.aclose()  # waits for the webhook's deliveries
    sent = [(b["id"], b["kind"]) for b in receiver.bodies if b["capsule"] == name]
    assert sent == logged


async def test_created_comes_before_the_exit_of_a_member_that_ends_during_the_build(name, docker_engine) -> None:
    service = CapsuleService([local_host()])
    other = CapsuleService([local_host()])  # another process's view of the same store (a `capsule list`)
    looked: list[str] = []

    async def progress(_capsule: str, event: Any) -> None:
        # Once quick started, the other process looks at the host (quick running), and after quick
        # exited its follower gets the engine's `die`: all while the create has not recorded anything yet.
        if event.container.endswith("quick") and not looked:
            looked.append("yes")
            await other.refresh()
            await until(lambda: exited(docker_engine, f"{name}.quick"), "quick to exit")
            await record_engine_event(other.ctx, "local", await other.ctx.engine(local_host()),
                                      die_event(docker_engine, f"{name}.quick"))

    try:
        with pytest.raises(Exception, match="quick exited with code 3"):
            await service.create(translation(capsule(name, "sleep 1; exit 3")), timeout=60,
                                     on_progress=progress)
        assert looked, "the progress hook never ran: the test did not look during the build"
        events = kinds(service, name)
        order = [k for k, _ in events]
        assert order[0] == "created", events
        assert order.count("member_exited") == 1, events
        assert order.index("created") < order.index("member_exited") < order.index("failed"), events
    finally:
        await other.aclose()
        await service.aclose()


async def test_a_delete_records_no_transition_made_by_observing_its_half_removed_containers(
        name, docker_engine, monkeypatch) -> None:
    service = CapsuleService([local_host()])
    other = CapsuleService([local_host()])
    real_remove = service_module.remove_capsule
    looked: list[str] = []

    async def remove_members_first(engine: Any, **where: Any) -> Any:
        # What removing does, one step at a time: members gone, the sandbox not yet. Meanwhile the
        # other process reconciles and its follower hears the members die.
        for member in ("main", "quick"):
            docker_engine.client.containers.get(f"{name}.{member}").remove(force=True)
        await other.refresh()
        looked.append("yes")
        return await real_remove(engine, **where)

    monkeypatch.setattr(service_module, "remove_capsule", remove_members_first)
    try:
        await service.create(translation(capsule(name, "sleep 3600")), timeout=60)
        before = len(kinds(service, name))
        [result] = await service.delete([name])
        assert result.error is None and looked
        after = kinds(service, name)[before:]
        assert [k for k, _ in after] == ["deleted"], after
        assert not [e for e in docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"name": name})]
    finally:
        await other.aclose()
        await service.aclose()
