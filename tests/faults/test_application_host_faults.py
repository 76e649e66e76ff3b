"""A host of an application lost in the middle of its create: a swarm of two test hosts, one cut.

The application spans both hosts (an overlay network per namespace). Once a replica's
init container runs on the first host, the second host's link is cut: the create ends within its timeout, saying
which capsules could not be made there; the first host's capsules and Services stand.
With the link back, `capsule delete -f` leaves nothing of the namespace on either host
(containers, volumes, the overlay network), read through each host's own unix socket,
and the swarm capsule made is left again.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.capsule_cli import capsule_command, cli
from support.waiting import wait_until

pytestmark = pytest.mark.multihost


def manifest(folder: Path, name: str) -> Path:
    labels = {"app": f"{name}-web"}
    serve = "mkdir -p /w && hostname > /w/index.html && exec httpd -f -p 8080 -h /w"
    documents = [
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"{name}-web", "namespace": name},
         "spec": {"replicas": 4, "selector": {"matchLabels": labels}, "template": {
             "metadata": {"labels": labels}, "spec": {
                 "initContainers": [{"name": "wait", "image": "busybox:1.36", "command": ["sleep", "3"]}],
                 "containers": [{"name": "web", "image": "busybox:1.36", "command": ["sh", "-c", serve],
                                 "ports": [{"containerPort": 8080}]}]}}}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"{name}-web", "namespace": name},
         "spec": {"selector": labels, "ports": [{"port": 80, "targetPort": 8080}]}},
    ]
    path = folder / "app.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    return path


def of_namespace(client: Any, namespace: str) -> dict[str, list[str]]:
    labelled = {"label": f"capsule.namespace={namespace}"}
    return {
        "containers": sorted(c["Names"][0].lstrip("/") for c in client.api.containers(all=True, filters=labelled)),
        "volumes": sorted(v["Name"] for v in client.api.volumes(filters=labelled).get("Volumes") or []),
        "networks": sorted(n["Name"] for n in client.api.networks(filters={"name": f"capsule-ns-{namespace}"})),
    }


def ok(*args: str) -> str:
    done = cli(*args)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


@pytest.mark.fault("a host of an application cut during its create", "a replica's init container")
def test_a_host_cut_during_an_application_create_ends_in_time_and_delete_by_file_cleans_both(
        swarm_hosts, capsule_home, unique_name, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first, second = swarm_hosts[0], swarm_hosts[1]
    for host in (first, second):
        args = ["hosts", "add", host.name, host.url, "--no-check"]
        args += (["--tls-ca", str(host.tls_ca), "--tls-cert", str(host.tls_cert), "--tls-key", str(host.tls_key)]
                 if host.tls else ["--insecure"])
        ok(*args)
    ok("hosts", "remove", "local")
    ok("hosts", "swarm")
    name, path = unique_name, manifest(tmp_path, unique_name)
    create = subprocess.Popen(capsule_command() + ["create", "-f", str(path), "--timeout", "30"], text=True,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    began = None
    try:
        def a_replica_begun() -> bool:  # its init container exists on the first host
            return any(c.endswith(".wait") for c in of_namespace(first.local_client, name)["containers"])
        reached = wait_until(lambda: a_replica_begun() or create.poll() is not None)
        assert reached and create.poll() is None, f"never saw a replica begun: {create.communicate(timeout=60)}"
        second.cut()
        began = time.monotonic()
        out, err = create.communicate(timeout=120)
        took = time.monotonic() - began
    finally:
        if create.poll() is None:
            create.kill()
        if began is not None:
            second.restore()
    assert create.returncode == 1, (out, err)
    assert "Traceback" not in err
    assert second.name in err and took < 60, (took, err)  # said which host, within the create's bound
    assert any(c.startswith(f"{name}-web-") for c in of_namespace(first.local_client, name)["containers"])

    deleted = cli("delete", "-f", str(path))
    assert "Traceback" not in deleted.stderr, deleted.stderr
    for host in (first, second):
        assert of_namespace(host.local_client, name) == {"containers": [], "volumes": [], "networks": []}, \
            (host.name, deleted.stdout, deleted.stderr)
    assert "left the swarm" in ok("hosts", "swarm", "--leave", "--force")
