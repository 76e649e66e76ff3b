"""A whole application from Kubernetes manifests, through the `capsule` command, on the local engine.

samples/application.yaml (Deployments with their Services, a LoadBalancer, a headless
Service for a StatefulSet, a client Pod), put in a namespace of the test's own and its
names prefixed with the test's (capsule names are one space per host): create,
every name answering from the client, the service variables, scale up and down, an apply
that rolls the frontend to a new template while a client keeps asking it (not one request
may fail), and delete by file leaving nothing on the engine.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from support.applications import free_port, http_get
from support.capsule_cli import cli
from support.capsule_cli import cli_ok as ok
from support.samples import APPLICATIONS

pytestmark = pytest.mark.docker

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "application.yaml"
GET = 'printf "GET / HTTP/1.0\\r\\n\\r\\n" | timeout 10 nc -w 5 {host} {port} | tail -n 1'


def manifest(folder: Path, namespace: str, lb_port: int, *, version: str = "") -> Path:
    """The sample in the test's namespace (which prefixes its names too), its LoadBalancer on a free
    port, and with `version` the frontend's answer prefixed by it."""
    documents = list(yaml.safe_load_all(SAMPLE.read_text()))
    for document in documents:
        name = document["metadata"]["name"]
        document["metadata"]["namespace"] = namespace
        document["metadata"]["name"] = f"{namespace}-{name}"
        if document["kind"] == "StatefulSet":
            document["spec"]["serviceName"] = f"{namespace}-{document['spec']['serviceName']}"
        if document["kind"] == "Service" and name == "frontend-public":
            document["spec"]["ports"][0]["port"] = lb_port
        if document["kind"] == "Deployment" and name == "frontend" and version:
            container = document["spec"]["template"]["spec"]["containers"][0]
            container["command"][2] = container["command"][2].replace("hostname >", f"echo {version} $(hostname) >")
    path = folder / f"app{version}.yaml"
    path.write_text(yaml.safe_dump_all(documents))
    return path


def ask(namespace: str, host: str, port: int) -> str:
    return ok("exec", f"{namespace}-client", "--", "sh", "-c", GET.format(host=host, port=port)).strip()


def frontends(namespace: str) -> set[str]:
    items = json.loads(ok("list", "-n", namespace, "-o", "json"))["items"]
    return {i["name"] for i in items if i["workload"] == f"Deployment/{namespace}-frontend"}


@pytest.fixture
def namespace(unique_name: str, docker_engine, capsule_home) -> str:  # type: ignore[no-untyped-def]
    from support.engines import remove_test_objects
    yield unique_name
    remove_test_objects(docker_engine.client, name_prefix=unique_name)


def test_an_application_from_manifests_runs_scales_rolls_and_goes(namespace, docker_engine, tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = namespace  # the prefix of every name, too
    lb_port = free_port()
    ok("create", "-f", str(manifest(tmp_path, namespace, lb_port)))

    services = {s["name"]: s for s in json.loads(ok("services", "-n", namespace, "-o", "json"))["items"]}
    assert {n: (s["ready"], s["total"]) for n, s in services.items()} == {
        f"{p}-frontend": (2, 2), f"{p}-frontend-public": (2, 2), f"{p}-api": (1, 1), f"{p}-store": (2, 2)}
    web = frontends(namespace)
    assert len(web) == 2
    # Both replicas, through 80 -> the port named http; and by the Service's longest name.
    assert {ask(p, f"{p}-frontend", 80) for _ in range(16)} == web
    assert {ask(p, f"{p}-frontend.{namespace}.svc.cluster.local", 80) for _ in range(4)} <= web
    assert ask(p, f"{p}-api", 7070).startswith(f"{p}-api-")  # 7070 -> the port named grpc-ish (9090)
    assert ask(p, f"{p}-store-1.{p}-store", 5432) == f"{p}-store-1"  # a StatefulSet member by POD.SERVICE
    assert http_get("127.0.0.1", lb_port) in web  # the LoadBalancer, on the host
    env = ok("exec", f"{p}-client", "--", "env")
    proxy = docker_engine.client.containers.get(f"capsule_svc_{namespace}_{p}-frontend")
    address = proxy.attrs["NetworkSettings"]["Networks"][f"capsule-ns-{namespace}"]["IPAddress"]
    key = f"{p}-frontend".upper().replace("-", "_")
    assert f"{key}_SERVICE_HOST={address}" in env and f"{key}_SERVICE_PORT_HTTP=80" in env

    ok("scale", f"deployment/{p}-frontend", "--replicas", "3", "-n", namespace)
    web = frontends(namespace)
    assert len(web) == 3
    assert {ask(p, f"{p}-frontend", 80) for _ in range(24)} == web
    ok("scale", f"statefulset/{p}-store", "--replicas", "1", "-n", namespace)
    assert docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"name": f"^{p}-store-1$"}) == []

    # Roll the frontend to a new template while the client keeps asking it, every 0.2 s.
    probe = (f"while true; do out=$({GET.format(host=f'{p}-frontend', port=80)}); "
             "echo \"[$out]\" >> /tmp/answers; sleep 0.2; done")
    client = docker_engine.client.containers.get(f"{p}-client.client")
    client.exec_run(["sh", "-c", probe], detach=True)
    time.sleep(1)
    ok("apply", "-f", str(manifest(tmp_path, namespace, lb_port, version="v2")))
    time.sleep(1)
    lines = client.exec_run(["cat", "/tmp/answers"]).output.decode().split("\n")
    lines = [line for line in lines if line]
    assert len(lines) >= 10, lines
    assert all(line.startswith((f"[{p}-frontend-", "[v2 ")) for line in lines), lines  # no request failed
    assert lines[-1].startswith("[v2 ")
    web = frontends(namespace)
    assert len(web) == 2 and {ask(p, f"{p}-frontend", 80) for _ in range(16)} == {f"v2 {n}" for n in web}
    assert ask(p, f"{p}-store-1.{p}-store", 5432) == f"{p}-store-1"  # apply brought the StatefulSet back to 2

    ok("delete", "-f", str(manifest(tmp_path, namespace, lb_port, version="v2")))
    assert docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.namespace={namespace}"}) == []
    assert docker_engine.client.networks.list(names=[f"capsule-ns-{namespace}"]) == []
    assert json.loads(ok("services", "-n", namespace, "-o", "json"))["items"] == []


@pytest.mark.parametrize("sample", sorted(APPLICATIONS))
def test_every_application_sample_runs_with_all_its_backends_and_goes(sample, namespace, docker_engine,
                                                                     tmp_path) -> None:  # type: ignore[no-untyped-def]
    documents = list(yaml.safe_load_all((SAMPLE.parent / sample).read_text()))
    for document in documents:  # the test's namespace, and its names prefixed (one space of names per host)
        document["metadata"]["namespace"] = namespace
        document["metadata"]["name"] = f"{namespace}-{document['metadata']['name']}"
        if document["kind"] == "StatefulSet":
            document["spec"]["serviceName"] = f"{namespace}-{document['spec']['serviceName']}"
        for port in document["spec"].get("ports", []) if document["kind"] == "Service" else []:
            if document["spec"].get("type") == "LoadBalancer":
                port["port"] = free_port()
    path = tmp_path / sample
    path.write_text(yaml.safe_dump_all(documents))
    ok("create", "-f", str(path))
    services = json.loads(ok("services", "-n", namespace, "-o", "json"))["items"]
    assert len(services) == sum(d["kind"] == "Service" for d in documents)
    assert all(s["total"] > 0 and s["ready"] == s["total"] for s in services), services
    time.sleep(2)  # a member that crashes at start has done so by now
    capsules = json.loads(ok("list", "-n", namespace, "-o", "json"))["items"]
    assert capsules and all((c["status"], c["restarts"]) == ("Running", 0) for c in capsules), capsules
    # A scale adds a replica that is its own pod: its name where the manifest asked for the
    # pod's name (samples/shop.yaml's POD_NAME), not the replica it was made from.
    workload = next(c["workload"] for c in capsules if c["workload"] and c["workload"].startswith("Deployment/"))
    ok("scale", workload.lower(), "--replicas", "3", "-n", namespace)
    capsules = json.loads(ok("list", "-n", namespace, "-o", "json"))["items"]
    for replica in (c["name"] for c in capsules if c["workload"] == workload):
        assert ok("exec", replica, "--", "sh", "-c", "echo ${POD_NAME:-$(hostname)}").strip() == replica
    # One workload by KIND/NAME: all its replicas, nothing else.
    gone = ok("delete", workload.lower(), "-n", namespace)
    replicas = {c["name"] for c in capsules if c["workload"] == workload}
    assert {line.split()[1] for line in gone.splitlines()} == replicas
    left = {c["name"] for c in json.loads(ok("list", "-n", namespace, "-o", "json"))["items"]}
    assert left == {c["name"] for c in capsules} - replicas
    # The file's delete removes the rest, and says the workload already gone was not found.
    deleted = cli("delete", "-f", str(path))
    assert deleted.returncode == 1 and f"{workload}' not found" in deleted.stderr, deleted.stderr
    assert docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.namespace={namespace}"}) == []
    assert docker_engine.client.networks.list(names=[f"capsule-ns-{namespace}"]) == []
