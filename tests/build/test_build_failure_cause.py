"""A failed build keeps the engine's error as its cause (create_flow relies on it).

`capsule create` tells a lost race for a name from other failures by the Conflict
(the engine's 409) behind the BuildFailed, so the builder must raise the failure
with that cause intact, never as its own cause.
"""

from __future__ import annotations

import asyncio
import uuid as uuidlib

import pytest

from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions
from runtime.create_flow import _name_conflict
from runtime.engine.errors import Conflict
from runtime.errors import BuildFailed
from runtime.hosts.connect import connect_engine
from runtime.hosts.settings import local_host
from translate.secrets import SecretStore
from translate.spec import Capsule, Container

pytestmark = pytest.mark.docker


def test_a_name_conflict_is_the_cause_of_the_build_failure(docker_engine, unique_name, session_labels) -> None:  # type: ignore[no-untyped-def]
    squatter = docker_engine.client.containers.create("busybox:1.36", ["true"], name=unique_name,
                                                      labels=session_labels)
    capsule = Capsule(unique_name, containers=(Container("main", "busybox:1.36", command=("sleep", "30")),))

    async def build() -> BuildFailed:
        engine = await connect_engine(local_host())
        async with engine:
            with pytest.raises(BuildFailed) as caught:
                await build_capsule(engine, capsule, SecretStore(), host="local", uuid=str(uuidlib.uuid4()),
                                    revision=1, options=BuildOptions())
            return caught.value

    try:
        failure = asyncio.run(build())
    finally:
        squatter.remove(force=True)
    assert failure.__cause__ is not failure
    assert isinstance(failure.__cause__, Conflict)
    assert f"a container named {unique_name} already exists on host local" in failure.reason
    assert _name_conflict(failure)
    assert not _name_conflict(BuildFailed("image foo:1 not found on host local"))
    # Nothing of the capsule was left behind (only the squatter had the name, and it is gone now).
    assert not docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={unique_name}"})
