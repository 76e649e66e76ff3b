"""A volume the engine creates for a mount (because the build's own was removed meanwhile, by a
delete racing the create) carries the capsule's labels: nothing capsule makes is ever unlabelled.

Checked on the real engine with the very mount body the build sends: the volume is absent,
a container that mounts it is created, and the docker package (an independent client)
reads the labels of the volume the engine made.
"""

from __future__ import annotations

import asyncio
import uuid as uuidlib

import pytest

from runtime.build.container_config import BuildContext, member_body
from runtime.build.model import BuildOptions
from runtime.build.volume_plan import plan_volumes
from runtime.hosts.connect import connect_engine
from runtime.hosts.settings import local_host
from translate.secrets import SecretStore
from translate.spec import Capsule, Container, NamedVolume, Volume, VolumeMount

pytestmark = pytest.mark.docker


def test_a_volume_the_engine_makes_for_a_mount_is_labelled_as_the_capsules(docker_engine, unique_name):
    uuid = uuidlib.uuid4().hex
    capsule = Capsule(unique_name, containers=(Container("app", "busybox:1.36", command=("true",),
                                                         volume_mounts=(VolumeMount("data", "/data"),)),),
                      volumes=(Volume("data", NamedVolume()),))
    options = BuildOptions()
    plans = plan_volumes(capsule, SecretStore(), uuid=uuid, options=options)
    context = BuildContext(capsule, uuid, 1, "local", options, plans, (1, 41))
    body = member_body(context, capsule.containers[0], sandbox_id="none", secrets=SecretStore())
    body["HostConfig"].pop("NetworkMode", None)  # on its own here: no sandbox to join
    body["HostConfig"].pop("IpcMode", None)
    body["HostConfig"].pop("PidMode", None)
    client = docker_engine.client
    volume_name = plans["data"].source
    assert not client.volumes.list(filters={"name": volume_name})

    async def create() -> str:
        async with await connect_engine(local_host()) as engine:
            return await engine.create_container(body, f"{unique_name}-probe")

    container_id = asyncio.run(create())
    try:
        labels = client.volumes.get(volume_name).attrs["Labels"]
        assert labels["capsule.name"] == unique_name and labels["capsule.uuid"] == uuid
        assert labels["capsule.managed-by"] == "capsule" and labels["capsule.scope"] == "capsule"
    finally:
        client.containers.get(container_id).remove(force=True)
        for volume in client.volumes.list(filters={"label": f"capsule.uuid={uuid}"}):
            volume.remove(force=True)
