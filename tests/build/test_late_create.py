"""The late-create sweep: a container the engine makes after the client gave up on the call.

A create request can reach the engine while its answer never reaches capsule (a read
timeout, Ctrl-C mid-call): the build fails, the ledger has no id for it, and the
engine may finish making it after the clean-up's first sweep by uuid. The builder
sweeps once more after a grace when a create went unanswered. Here the engine's
create of the volume-filling helper really runs, but only once the first sweep is
done, and the docker package (a second client) must then find nothing of the capsule.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any

import pytest

from runtime.build import teardown
from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions
from runtime.engine.errors import EngineTimeout
from runtime.errors import BuildFailed
from runtime.labels import LABEL_ROLE, ROLE_HELPER
from translate.secrets import SecretStore
from translate.spec import Capsule, ConfigMapVolume, Container, Volume, VolumeMount

pytestmark = pytest.mark.docker


async def test_a_helper_the_engine_makes_after_the_client_gave_up_is_removed(engine, docker_engine, name,
                                                                             monkeypatch) -> None:
    # The ConfigMap's upload helper (item 8b of the crash-safety issue): its create is the
    # one left unanswered. Its body needs only its volume, which the clean-up removes last.
    capsule = Capsule(
        name, (Container("app", "busybox:1.36", command=("sleep", "3600"),
                         volume_mounts=(VolumeMount("conf", "/conf"),)),),
        volumes=(Volume("conf", ConfigMapVolume("conf", (("app.conf", "color=blue\n"),))),),
    )
    real_create, real_sweep = engine.create_container, teardown._sweep
    unanswered: list[tuple[dict, str]] = []
    made: list[str] = []
    sweeps = 0

    async def create_unanswered(body: dict, container_name: str) -> str:
        if body.get("Labels", {}).get(LABEL_ROLE) == ROLE_HELPER and not unanswered:
            # The request reached the engine; its answer never reaches capsule.
            unanswered.append((body, container_name))
            raise EngineTimeout(f"host 'local' did not answer creating {container_name}")
        return await real_create(body, container_name)

    async def sweep_then_the_engine_finishes(client: Any, uuid: str) -> None:
        nonlocal sweeps
        await real_sweep(client, uuid)
        sweeps += 1
        if sweeps == 1 and unanswered:  # the engine finishes that create just after the first sweep
            made.append(await real_create(*unanswered[0]))

    monkeypatch.setattr(engine, "create_container", create_unanswered)
    monkeypatch.setattr(teardown, "_sweep", sweep_then_the_engine_finishes)
    with pytest.raises(BuildFailed, match="did not answer") as failed:
        await build_capsule(engine, capsule, SecretStore(), host="local", uuid=uuidlib.uuid4().hex, revision=1,
                            options=BuildOptions())
    assert made, f"the late helper was never made: this test would prove nothing ({failed.value})"
    leftover = docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={name}"})
    assert [c.name for c in leftover] == []
    assert docker_engine.client.volumes.list(filters={"label": f"capsule.name={name}"}) == []
