"""A failed build's clean-up has a deadline of its own.

A host cut off mid-build can answer nothing to the clean-up's calls, each up to its read
timeout on a kept-alive connection (in the fault suite under load, a create with
--timeout 30 whose clean-up on the cut host failed ended after 68 s). Here, on a real engine, the member's create fails and every removal the
clean-up asks for hangs: the build must fail within the (shortened) bound, say that the
clean-up did not finish and how to remove the rest, and that way must work (the docker
package, a second client, then finds nothing of the capsule).
"""

from __future__ import annotations

import asyncio
import time
import uuid as uuidlib
from typing import Any

import pytest

from runtime.build import builder
from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions
from runtime.build.teardown import remove_capsule
from runtime.engine.errors import EngineTimeout
from runtime.errors import BuildFailed
from runtime.labels import LABEL_ROLE, ROLE_MEMBER
from translate.secrets import SecretStore
from translate.spec import Capsule, Container

pytestmark = pytest.mark.docker


def of_capsule(docker_engine: Any, name: str) -> list[str]:
    found = docker_engine.client.containers.list(ignore_removed=True, all=True,
                                                 filters={"label": f"capsule.name={name}"})
    return sorted(c.name for c in found)


async def test_a_clean_up_that_hangs_ends_within_its_bound_and_delete_removes_the_rest(
        engine, docker_engine, name, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(builder, "UNDO_WITHIN", 1.0)
    capsule = Capsule(name, (Container("app", "busybox:1.36", command=("sleep", "3600")),))
    real_create, real_remove = engine.create_container, engine.remove

    async def member_unanswered(body: dict, container_name: str) -> str:
        if body.get("Labels", {}).get(LABEL_ROLE) == ROLE_MEMBER:
            raise EngineTimeout(f"host 'local' did not answer creating {container_name}")
        return await real_create(body, container_name)

    async def removal_hangs(container: str, **kwargs: Any) -> None:
        await asyncio.sleep(3600)

    monkeypatch.setattr(engine, "create_container", member_unanswered)
    monkeypatch.setattr(engine, "remove", removal_hangs)
    began = time.monotonic()
    with pytest.raises(BuildFailed) as failed:
        await build_capsule(engine, capsule, SecretStore(), host="local", uuid=uuidlib.uuid4().hex, revision=1,
                            options=BuildOptions())
    took = time.monotonic() - began
    reason = str(failed.value)
    assert "did not answer creating" in reason  # the build's own failure comes first
    assert "removing what was made failed too (host local did not finish it within 1 s)" in reason, reason
    assert f"capsule delete {name} removes the rest" in reason
    assert took < 10, took
    assert of_capsule(docker_engine, name) == [name]  # the sandbox was made and stays: the clean-up hung

    monkeypatch.setattr(engine, "remove", real_remove)
    await remove_capsule(engine, host="local", name=name)  # what `capsule delete NAME` does on the host
    assert of_capsule(docker_engine, name) == []


async def test_an_init_container_past_the_deadline_fails_at_once_though_its_host_answers_nothing_more(
        engine, docker_engine, name, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # After the deadline the failure's reason asks for the init container's last output: on a host
    # cut off meanwhile that read waited out its read timeout (30 s) before the build could fail.
    monkeypatch.setattr(builder, "LAST_OUTPUT_WITHIN", 0.5)
    capsule = Capsule(name, (Container("app", "busybox:1.36", command=("sleep", "3600")),),
                      init_containers=(Container("wait", "busybox:1.36", command=("sleep", "3600")),))

    def logs_hang(container: str, **kwargs: Any):  # type: ignore[no-untyped-def]
        async def lines():  # type: ignore[no-untyped-def]
            await asyncio.sleep(3600)
            yield None
        return lines()

    monkeypatch.setattr(engine, "logs", logs_hang)
    began = time.monotonic()
    with pytest.raises(BuildFailed) as failed:
        await build_capsule(engine, capsule, SecretStore(), host="local", uuid=uuidlib.uuid4().hex, revision=1,
                            options=BuildOptions(deadline=time.monotonic() + 2.0, timeout=2.0))
    took = time.monotonic() - began
    assert "init container wait of capsule" in str(failed.value) and "did not finish within 2 s" in str(failed.value)
    assert took < 10, took
    assert of_capsule(docker_engine, name) == []  # its clean-up, bounded too, still removed everything
