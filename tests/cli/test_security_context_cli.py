"""A Kubernetes pod's securityContext through the real `capsule create -f FILE` (issue 12, item 11).

The settings are checked from inside the running member with `capsule exec` (its `id`,
/proc/self/status, /proc/sys, a write to / and to its volume); what exists on the
engine is checked with the docker package.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_containers, cli, remove_capsule_leftovers

pytestmark = pytest.mark.docker

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  securityContext:
{pod}
  containers:
    - name: app
      image: busybox:1.36
      command: [sleep, "3600"]
      volumeMounts: [{{name: work, mountPath: /work}}]
{container}
  volumes: [{{name: work, emptyDir: {{}}}}]
"""


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)


def manifest(folder: Path, name: str, pod: str, container: str = "") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(POD.format(name=name, pod=pod, container=container))
    return path


def in_member(name: str, script: str) -> str:
    result = cli("exec", name, "-c", "app", "--", "sh", "-c", script)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_the_pods_security_context_holds_inside_the_member(name: str, tmp_path: Path) -> None:
    pod = """\
    runAsUser: 1000
    runAsGroup: 1000
    runAsNonRoot: true
    fsGroup: 2000
    supplementalGroups: [3000]
    seccompProfile: {type: RuntimeDefault}
    sysctls: [{name: net.ipv4.ping_group_range, value: "0 2000"}]"""
    container = """\
      securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}"""
    created = cli("create", "-f", str(manifest(tmp_path, name, pod, container)), "--strict")
    assert created.returncode == 0, created.stderr
    assert in_member(name, "id -u; id -g") == "1000\n1000"
    assert {"1000", "2000", "3000"} <= set(in_member(name, "id -G").split())
    assert in_member(name, "grep NoNewPrivs /proc/self/status").split() == ["NoNewPrivs:", "1"]
    assert in_member(name, "touch /written 2>&1; echo $?").splitlines()[-1] != "0"
    assert in_member(name, "echo kept > /work/f && cat /work/f && stat -c %g /work/f") == "kept\n2000"
    assert in_member(name, "cat /proc/sys/net/ipv4/ping_group_range").split() == ["0", "2000"]


def test_run_as_non_root_with_a_root_image_is_refused_and_makes_nothing(
    name: str, tmp_path: Path, docker_engine: Any
) -> None:
    created = cli("create", "-f", str(manifest(tmp_path, name, "    runAsNonRoot: true")))
    assert created.returncode == 2, created.stderr
    assert (f"capsule create: error: capsule {name}, container app: securityContext.runAsNonRoot is set, but "
            f"image busybox:1.36 runs as root (it sets no USER); set runAsUser to a non-zero user id, or remove "
            f"runAsNonRoot\n") in created.stderr
    client = docker_engine.client
    assert capsule_containers(client, name) == []
    assert client.volumes.list(filters={"label": f"capsule.name={name}"}) == []
