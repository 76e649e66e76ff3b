"""Run-time pod fields against a real engine: fieldRef status.podIP, spec.nodeName,
metadata.uid, ... and resourceFieldRef get real values, and `$(VAR)` of them is expanded.

A Kubernetes Pod is translated as `capsule create` does, built, and its member prints its
environment; the values are checked against what the `docker` package (a second client)
says of the sandbox and the member.
"""

from __future__ import annotations

import time
import uuid as uuidlib
from collections.abc import Iterator
from typing import Any

import pytest

from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions
from runtime.build.teardown import remove_capsule
from runtime.engine.client import EngineClient
from translate.secrets import SecretStore
from translate.translation import translate_text

pytestmark = pytest.mark.docker

POD = """
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: team}}
spec:
  serviceAccountName: robot
  restartPolicy: Never
  initContainers:
  - name: prep
    image: busybox:1.36
    command: ["sh", "-c", "test -n \\"$(POD_IP)\\" && test \\"$POD_IP\\" = \\"$(POD_IP)\\""]
    env:
    - {{name: POD_IP, valueFrom: {{fieldRef: {{fieldPath: status.podIP}}}}}}
  containers:
  - name: main
    image: busybox:1.36
    command: ["sh", "-c"]
    args: ["env; echo 'arg=$(POD_IP) literal=$$(POD_IP)'; exec sleep 3600"]
    resources:
      requests: {{cpu: 100m, memory: 16Mi}}
      limits: {{cpu: 250m, memory: 64Mi}}
    env:
    - {{name: POD_IP, valueFrom: {{fieldRef: {{fieldPath: status.podIP}}}}}}
    - {{name: POD_IPS, valueFrom: {{fieldRef: {{fieldPath: status.podIPs}}}}}}
    - {{name: HOST_IP, valueFrom: {{fieldRef: {{fieldPath: status.hostIP}}}}}}
    - {{name: NODE_NAME, valueFrom: {{fieldRef: {{fieldPath: spec.nodeName}}}}}}
    - {{name: POD_UID, valueFrom: {{fieldRef: {{fieldPath: metadata.uid}}}}}}
    - {{name: POD_NAMESPACE, valueFrom: {{fieldRef: {{fieldPath: metadata.namespace}}}}}}
    - {{name: SERVICE_ACCOUNT, valueFrom: {{fieldRef: {{fieldPath: spec.serviceAccountName}}}}}}
    - {{name: MEMORY_LIMIT, valueFrom: {{resourceFieldRef: {{resource: limits.memory}}}}}}
    - {{name: MEMORY_LIMIT_MI, valueFrom: {{resourceFieldRef: {{resource: limits.memory, divisor: 1Mi}}}}}}
    - {{name: CPU_LIMIT_M, valueFrom: {{resourceFieldRef: {{resource: limits.cpu, divisor: 1m}}}}}}
    - {{name: CPU_LIMIT, valueFrom: {{resourceFieldRef: {{resource: limits.cpu}}}}}}
    - {{name: MEMORY_REQUEST, valueFrom: {{resourceFieldRef: {{resource: requests.memory, divisor: 1Ki}}}}}}
    - {{name: PREP_MEMORY, valueFrom: {{resourceFieldRef: {{containerName: prep, resource: limits.memory}}}}}}
    - {{name: URL, value: "http://$(POD_IP):8080/"}}
"""


@pytest.fixture
def name(unique_name: str, docker_engine: Any) -> Iterator[str]:
    yield unique_name
    client = docker_engine.client
    for container in client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={unique_name}"}):
        container.remove(force=True)


def printed(container: Any, deadline: float) -> dict[str, str]:
    """The member's `env` output once its last line is there (waited for until `deadline`)."""
    while True:
        text = container.logs().decode()
        if "arg=" in text or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "arg=" in text, f"the member printed no environment in time: {text!r}"
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)


async def test_run_time_fields_get_the_values_of_the_running_capsule(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    capsule = translate_text(POD.format(name=name), file="pod.yaml").capsules[0]
    uid = uuidlib.uuid4().hex
    await build_capsule(engine, capsule, SecretStore(), host="local", uuid=uid, revision=1,
                        options=BuildOptions(deadline=time.monotonic() + 60, timeout=60))
    client = docker_engine.client
    try:
        sandbox = client.containers.get(name)
        member = client.containers.get(f"{name}.main")
        env = printed(member, time.monotonic() + 20)
        bridge = sandbox.attrs["NetworkSettings"]["Networks"]["bridge"]
        assert bridge["IPAddress"]
        assert env["POD_IP"] == bridge["IPAddress"]
        assert env["POD_IPS"].split(",")[0] == bridge["IPAddress"]
        assert env["HOST_IP"] == bridge["Gateway"]
        assert env["NODE_NAME"] == "local"
        assert env["POD_UID"] == uid == sandbox.labels["capsule.uuid"]
        assert env["POD_NAMESPACE"] == "team"
        assert env["SERVICE_ACCOUNT"] == "robot"
        limits = member.attrs["HostConfig"]
        assert int(env["MEMORY_LIMIT"]) == limits["Memory"] == 64 * 1024 * 1024
        assert env["MEMORY_LIMIT_MI"] == "64"
        assert int(env["CPU_LIMIT_M"]) * 1_000_000 == limits["NanoCpus"] == 250_000_000
        assert env["CPU_LIMIT"] == "1"  # 0.25 cores, rounded up as the kubelet does
        assert env["MEMORY_REQUEST"] == str(16 * 1024)
        # prep has no limit: the host's memory, as the kubelet gives the node's allocatable
        assert int(env["PREP_MEMORY"]) == client.info()["MemTotal"]
        assert env["URL"] == f"http://{bridge['IPAddress']}:8080/"
        assert env["arg"] == f"{bridge['IPAddress']} literal=$(POD_IP)"  # $$ keeps it as written
        # The spec on the containers keeps the references, not the values.
        assert "status.podIP" in member.labels["capsule.spec"]
        assert bridge["IPAddress"] not in member.labels["capsule.spec"]
    finally:
        await remove_capsule(engine, host="local", name=name, uuid=uid)
