"""The builder masks the secret values it was given in everything it reports, on its own.

A failed init container's last output becomes the build failure's reason, and the
output may print a value from a Secret; the builder knows the values (it resolves the
references into the containers' environment), so it masks them before the reason
leaves it: in the BuildFailed and in every progress event. The create flow and the
service mask again; this test holds the builder to it without them.
"""

from __future__ import annotations

import asyncio
import uuid as uuidlib

import pytest

from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions, ProgressEvent
from runtime.errors import BuildFailed
from runtime.hosts.connect import connect_engine
from runtime.hosts.settings import local_host
from translate.secrets import MASK, SecretStore
from translate.spec import Capsule, Container, EnvVar, SecretKeyRef

pytestmark = pytest.mark.docker

SECRET = "correct-horse-battery-staple"


def test_a_failed_init_containers_output_is_masked_in_the_failure_and_the_progress(docker_engine, unique_name):
    secrets = SecretStore()
    secrets.add("db", {"password": SECRET.encode()})
    printing = Container("setup", "busybox:1.36", command=("sh", "-c", "echo using $PASSWORD; exit 3"),
                         env=(EnvVar("PASSWORD", secret_ref=SecretKeyRef("db", "password")),))
    capsule = Capsule(unique_name, restart_policy="Never", init_containers=(printing,),
                      containers=(Container("app", "busybox:1.36", command=("sleep", "30")),))
    progress: list[ProgressEvent] = []

    async def build() -> BuildFailed:
        async with await connect_engine(local_host()) as engine:
            with pytest.raises(BuildFailed) as caught:
                await build_capsule(engine, capsule, secrets, host="local", uuid=str(uuidlib.uuid4()), revision=1,
                                    options=BuildOptions(), on_progress=progress.append)
            return caught.value

    failure = asyncio.run(build())
    assert "exited with code 3" in failure.reason and f"using {MASK}" in failure.reason, failure.reason
    assert SECRET not in failure.reason and SECRET not in str(failure) and SECRET not in repr(failure.args)
    assert progress and all(SECRET not in event.text for event in progress)
    assert not docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={unique_name}"})
