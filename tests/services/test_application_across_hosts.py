"""An application across real hosts: one swarm of the test engines, an overlay per namespace.

`capsule hosts swarm` forms the swarm (the test only lets the hosts' namespaces reach
each other, as machines on one network do); the application of
tests/support/applications.py is created through the service as `capsule create` does,
and then checked through the engines' own clients: where each capsule runs (spread
over the hosts), the overlay network, every Service name answering from a client on
another host than its backends, the LoadBalancer on each backend's host, a replica
removed behind capsule's back dropping out, and nothing left on any host after delete,
the network included. `capsule hosts swarm --leave` undoes the swarm.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from runtime.service import CapsuleService
from runtime.services.names import network_name
from support.applications import application, fetch, free_port, http_get
from support.capsule_cli import add_test_hosts
from support.paths import SAMPLES

pytestmark = pytest.mark.multihost


def capsule_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "capsule_tui.cli", *args], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=120, stdin=subprocess.DEVNULL)


def ok(*args: str) -> str:
    done = capsule_cli(*args)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def docker_cli(host) -> list[str]:  # type: ignore[no-untyped-def]
    """The docker command line aimed at one test host (a second client, independent of capsule)."""
    if host.tls:
        return ["docker", "--tlsverify", "-H", host.url, "--tlscacert",
                str(host.tls_ca), "--tlscert", str(host.tls_cert), "--tlskey", str(host.tls_key)]
    return ["docker", "-H", host.url]


def test_an_application_spans_a_swarm_of_hosts_and_leaves_nothing(
        swarm_hosts, capsule_home, unique_name) -> None:  # type: ignore[no-untyped-def]
    first, second = swarm_hosts[0], swarm_hosts[1]
    add_test_hosts((first, second))
    said = ok("hosts", "swarm")
    assert f"host {first.name}: started a swarm" in said and f"host {second.name}: joined" in said
    assert first.client.info()["Swarm"]["LocalNodeState"] == "active"
    assert second.client.info()["Swarm"]["LocalNodeState"] == "active"

    prefix, namespace = unique_name, f"{unique_name}-ns"
    translation = application(prefix, namespace)
    lb_port = translation.services[3].ports[0].port

    async def create() -> list:
        async with CapsuleService() as service:
            return await service.create(translation, wait=True, timeout=90)

    try:
        results = asyncio.run(create())
        where = {r.name: r.host for r in results}
        capsules = [c.name for c in translation.capsules]
        assert {where[n] for n in capsules} == {first.name, second.name}  # spread over both
        for name in capsules:  # each runs where capsule says, and only there (the engines' view)
            here = swarm_hosts.by_name(where[name]).client
            assert here.containers.get(name).status == "running"
            other = second if where[name] == first.name else first
            assert other.client.containers.list(ignore_removed=True, all=True, filters={"name": f"^{name}$"}) == []
        overlay = first.client.networks.get(network_name(namespace))
        assert overlay.attrs["Driver"] == "overlay" and overlay.attrs["Attachable"]

        client_host = swarm_hosts.by_name(where[f"{prefix}-client"])
        me, docker = f"{prefix}-client.main", docker_cli(client_host)
        for spelling in (f"{prefix}-web", f"{prefix}-web.{namespace}", f"{prefix}-web.{namespace}.svc",
                         f"{prefix}-web.{namespace}.svc.cluster.local"):
            assert fetch(me, spelling, 80, docker) in (f"{prefix}-web-a", f"{prefix}-web-b"), spelling
        assert {fetch(me, f"{prefix}-web", 80, docker) for _ in range(16)} == {f"{prefix}-web-a", f"{prefix}-web-b"}
        assert {fetch(me, f"{prefix}-api", 7070, docker) for _ in range(6)} == {f"{prefix}-api"}
        assert fetch(me, f"{prefix}-db-0.{prefix}-db", 5432, docker) == f"{prefix}-db-0"
        assert fetch(me, f"{prefix}-db", 5432, docker) in (f"{prefix}-db-0", f"{prefix}-db-1")
        # The LoadBalancer answers on every host that runs a frontend replica.
        for replica in (f"{prefix}-web-a", f"{prefix}-web-b"):
            address = swarm_hosts.by_name(where[replica]).address
            assert http_get(address, lb_port) in (f"{prefix}-web-a", f"{prefix}-web-b")

        # A replica removed behind capsule's back: the name still answers, from the other one.
        gone = swarm_hosts.by_name(where[f"{prefix}-web-a"]).client
        for container in (f"{prefix}-web-a.main", f"{prefix}-web-a"):
            gone.containers.get(container).remove(force=True)
        assert {fetch(me, f"{prefix}-web", 80, docker) for _ in range(6)} == {f"{prefix}-web-b"}

        listing = ok("services", "-n", namespace, "-o", "wide")
        assert f"{prefix}-web" in listing and f"{prefix}-web-b" in listing
    finally:
        async def delete() -> None:
            async with CapsuleService() as service:
                await service.delete([c.name for c in translation.capsules if c.name != f"{prefix}-web-a"])
                await service.delete_services([(s.namespace, s.name) for s in translation.services])

        asyncio.run(delete())
    for host in (first, second):
        assert host.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.namespace={namespace}"}) == []
        assert host.client.networks.list(names=[network_name(namespace)]) == []

    # The same through the command, from Kubernetes manifests: replicas spread, a scale adds
    # one that answers, delete by file leaves nothing on either host.
    manifests = manifest_across(capsule_home.parent, namespace, free_port())
    ok("create", "-f", str(manifests))
    items = json.loads(ok("list", "-n", namespace, "-o", "json"))["items"]
    web = {i["name"]: i["host"] for i in items if i["workload"] == f"Deployment/{namespace}-frontend"}
    assert len(web) == 2 and set(web.values()) == {first.name, second.name}
    client = next(i for i in items if i["name"] == f"{namespace}-client")
    client_host = swarm_hosts.by_name(client["host"])
    me, docker = f"{namespace}-client.client", docker_cli(client_host)
    assert {fetch(me, f"{namespace}-frontend", 80, docker) for _ in range(16)} == set(web)
    ok("scale", f"deployment/{namespace}-frontend", "--replicas", "3", "-n", namespace)
    items = json.loads(ok("list", "-n", namespace, "-o", "json"))["items"]
    web = {i["name"] for i in items if i["workload"] == f"Deployment/{namespace}-frontend"}
    assert len(web) == 3 and {fetch(me, f"{namespace}-frontend", 80, docker) for _ in range(30)} == web
    ok("delete", "-f", str(manifests))
    for host in (first, second):
        assert host.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.namespace={namespace}"}) == []
        assert host.client.networks.list(names=[network_name(namespace)]) == []
    assert "left the swarm" in ok("hosts", "swarm", "--leave")
    assert first.client.info()["Swarm"]["LocalNodeState"] == "inactive"
    assert second.client.info()["Swarm"]["LocalNodeState"] == "inactive"


def manifest_across(folder: Path, namespace: str, lb_port: int) -> Path:
    """samples/application.yaml in the test's namespace, its names prefixed with it."""
    documents = list(yaml.safe_load_all((SAMPLES / "application.yaml").read_text()))
    for document in documents:
        name = document["metadata"]["name"]
        document["metadata"]["namespace"] = namespace
        document["metadata"]["name"] = f"{namespace}-{name}"
        if document["kind"] == "StatefulSet":
            document["spec"]["serviceName"] = f"{namespace}-{document['spec']['serviceName']}"
        if document["kind"] == "Service" and name == "frontend-public":
            document["spec"]["ports"][0]["port"] = lb_port
    path = folder / "app-across.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    return path
