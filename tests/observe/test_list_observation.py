"""`capsule list`'s cheaper view of a host (discovery.observe_host_listed) against the full one.

Real engine: the list view must agree with the inspect-everything view on what it
reports (states, exit codes, the sandbox's address), inspect what the list entry
cannot tell (stopped or just-started containers, containers never seen), and take
the restart count of a settled running container from what was known before.
"""

from __future__ import annotations

import asyncio
import uuid as uuidlib

import pytest

from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions
from runtime.build.teardown import remove_capsule
from runtime.hosts.connect import connect_engine
from runtime.hosts.settings import local_host
from runtime.observe import discovery
from runtime.observe.discovery import observe_host, observe_host_listed
from translate.secrets import SecretStore
from translate.spec import Capsule, Container

pytestmark = pytest.mark.docker


def _capsule(name: str, command: tuple[str, ...], policy: str) -> Capsule:
    return Capsule(name, containers=(Container("main", "busybox:1.36", command=command),), restart_policy=policy)


def _by_name(capsules, names):  # type: ignore[no-untyped-def]
    return {c.name: c for c in capsules if c.name in names}


def _facts(capsule):  # type: ignore[no-untyped-def]
    return (capsule.uuid, capsule.ip, sorted((c.id, c.role, c.state, c.exit_code, c.image) for c in capsule.containers))


def test_the_list_view_agrees_with_the_full_view(docker_engine, unique_name, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    running, stopped = f"{unique_name}-r", f"{unique_name}-s"
    names = {running, stopped}
    inspected: list[str] = []
    real_inspect = discovery._inspect

    async def counting(engine, container):  # type: ignore[no-untyped-def]
        inspected.append(container)
        return await real_inspect(engine, container)

    async def scenario() -> None:
        engine = await connect_engine(local_host())
        async with engine:
            try:
                for capsule in (_capsule(running, ("sleep", "600"), "Always"),
                                _capsule(stopped, ("sh", "-c", "exit 3"), "Never")):
                    await build_capsule(engine, capsule, SecretStore(), host="local", uuid=str(uuidlib.uuid4()),
                                        revision=1, options=BuildOptions())
                for _ in range(50):  # the Never member exits by itself
                    full = _by_name(await observe_host(engine, "local"), names)
                    if any(c.state == "exited" for c in full[stopped].members):
                        break
                    await asyncio.sleep(0.1)
                member_of_stopped = full[stopped].members[0]
                assert (member_of_stopped.state, member_of_stopped.exit_code) == ("exited", 3)
                ids = {c.id for capsule in full.values() for c in capsule.containers}

                monkeypatch.setattr(discovery, "_inspect", counting)
                # Never seen before: everything of ours is inspected, and the views agree.
                listed = _by_name(await observe_host_listed(engine, "local", known_restarts={}), names)
                assert {n: _facts(c) for n, c in listed.items()} == {n: _facts(c) for n, c in full.items()}
                assert full[running].ip and listed[running].ip == full[running].ip
                assert ids <= set(inspected)

                # Known and just started (< 1 minute): still inspected, so a fresh restart is seen.
                inspected.clear()
                stale = {c.id: 7 for capsule in full.values() for c in capsule.containers}
                listed = _by_name(await observe_host_listed(engine, "local", known_restarts=stale), names)
                assert all(c.restart_count == 0 for capsule in listed.values() for c in capsule.containers)
                assert ids <= set(inspected)

                # Known and settled: a running container is not inspected; its known count is kept.
                # Stopped ones are inspected all the same (exit code, OOM).
                inspected.clear()
                monkeypatch.setattr(discovery, "_JUST_STARTED", discovery.re.compile(r"(?!)"))
                listed = _by_name(await observe_host_listed(engine, "local", known_restarts=stale), names)
                assert {n: _facts(c) for n, c in listed.items()} == {n: _facts(c) for n, c in full.items()}
                running_ids = {c.id for capsule in full.values() for c in capsule.containers if c.state == "running"}
                assert running_ids and not (running_ids & set(inspected))
                assert member_of_stopped.id in inspected
                assert all(c.restart_count == 7 for capsule in listed.values() for c in capsule.containers
                           if c.id in running_ids)
            finally:
                for name in names:
                    await remove_capsule(engine, host="local", name=name)

    asyncio.run(scenario())
    assert not docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={running}"})
