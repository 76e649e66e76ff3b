"""Every runnable sample really runs: created with the real `capsule create -f`, checked
from outside, deleted, and nothing of it left on the engine.

Each sample is translated with `capsule translate -o json`; the test renames the
capsule to its `unique_name` and moves every hostPort to a free port in that
normalized JSON (which is valid input), so runs never collide with each other or with
a developer's own capsules. What each sample promises is checked through paths
independent of the code under test where one exists: HTTP to 127.0.0.1 for published
ports, the docker package (`docker_engine.client`) for limits and for what remains
after delete. Secret values are checked with `test -n` inside the container and never
printed.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from support.capsule_cli import cli, free_port
from support.paths import SAMPLES
from support.samples import RUNNABLE

pytestmark = pytest.mark.docker


def wait_for(check: Callable[[], Any], timeout: float = 20, interval: float = 0.3) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def page(port: int, path: str = "/") -> str:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as response:
            return response.read().decode()
    except OSError:
        return ""


def leftovers(client: Any, name: str) -> tuple[list[str], list[str]]:
    label = {"label": f"capsule.name={name}"}
    return ([c.name for c in client.containers.list(ignore_removed=True, all=True, filters=label)],
            [v.name for v in client.volumes.list(filters=label)])


def prepared(sample: str, name: str, folder: Path) -> tuple[list[str], dict[str, Any], dict[int, int]]:
    """The sample as normalized JSON under `name`, hostPorts moved to free ports.

    Returns the files to create from, the document, and {original hostPort: new one}.
    A Secret the sample defines is passed as its own file beside the JSON: normalized
    output keeps only references to Secrets, never their values.
    """
    translated = cli("translate", "-o", "json", str(SAMPLES / sample))
    assert translated.returncode == 0, translated.stderr
    document = json.loads(translated.stdout)
    assert isinstance(document, dict), "a runnable sample holds one capsule"
    document["metadata"]["name"] = name
    moved: dict[int, int] = {}
    for container in document["spec"]["containers"]:
        for port in container.get("ports", []):
            if "hostPort" in port:
                moved[port["hostPort"]] = port["hostPort"] = free_port()
    path = folder / f"{name}.json"
    path.write_text(json.dumps(document))
    files = [str(path)]
    secrets = [d for d in yaml.safe_load_all((SAMPLES / sample).read_text()) if d and d.get("kind") == "Secret"]
    if secrets:
        secret_file = folder / "secrets.yaml"
        secret_file.write_text(yaml.safe_dump_all(secrets))
        files.append(str(secret_file))
    return files, document, moved


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    yield unique_name
    client = docker_engine.client  # a failed test still leaves nothing behind
    label = {"label": f"capsule.name={unique_name}"}
    for container in client.containers.list(ignore_removed=True, all=True, filters=label):
        container.remove(force=True)
    for volume in client.volumes.list(filters=label):
        volume.remove(force=True)


def exec_ok(name: str, member: str, script: str) -> bool:
    result = cli("exec", name, "-c", member, "--", "sh", "-c", script)
    return result.returncode == 0


def check_web_sidecar(name: str, client: Any, ports: dict[int, int]) -> None:
    port = ports[18080]
    text = wait_for(lambda: page(port) if "written by the sidecar at" in page(port) else "", 20)
    assert "<h1>written by the sidecar at " in text


def check_init_containers(name: str, client: Any, ports: dict[int, int]) -> None:
    def shown() -> str:
        logs = cli("logs", name, "-c", "show")
        return logs.stdout if "the second one ran at" in logs.stdout else ""

    logs = wait_for(shown, 15)
    # Both init steps ran, in order, before the member printed the file.
    assert logs.splitlines()[0] == "hello from the first init container"
    assert logs.splitlines()[1].startswith("the second one ran at ")
    served = wait_for(lambda: page(ports[18081], "/message.txt"), 15)
    assert served.startswith("hello from the first init container\nthe second one ran at ")
    inits = [c for c in client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={name}"})
             if c.labels.get("capsule.role") == "init"]
    assert len(inits) == 2 and all(c.attrs["State"]["ExitCode"] == 0 for c in inits)


def check_resources(name: str, client: Any, ports: dict[int, int]) -> None:
    worker = client.containers.get(f"{name}.worker").attrs["HostConfig"]
    assert worker["NanoCpus"] == 500_000_000  # limits.cpu 0.5
    assert worker["Memory"] == 128_000_000  # limits.memory 128MB
    assert exec_ok(name, "helper", "true")


def check_deployment(name: str, client: Any, ports: dict[int, int]) -> None:
    # ConfigMap values through envFrom (prefix APP_), and its file in the configMap volume.
    assert exec_ok(name, "httpd", 'test "$APP_GREETING" = "hello from a ConfigMap" && test "$APP_LOG_LEVEL" = info')
    assert exec_ok(name, "httpd", 'test "$TIER" = frontend')
    assert exec_ok(name, "httpd", "grep -q '<h1>capsule</h1>' /www/index.html")
    # The Secret reached the container's environment; its value is never printed.
    assert exec_ok(name, "httpd", 'test -n "$PASSWORD"')
    assert "<h1>capsule</h1>" in wait_for(lambda: page(ports[18082]), 15)


def check_job(name: str, client: Any, ports: dict[int, int]) -> None:
    logs = cli("logs", name, "-c", "count")
    assert logs.returncode == 0, logs.stderr
    assert logs.stdout.strip() == "9"  # the words the init container wrote
    count = client.containers.get(f"{name}.count").attrs["State"]
    assert (count["Status"], count["ExitCode"]) == ("exited", 0)


CHECKS: dict[str, tuple[str, Callable[[str, Any, dict[int, int]], None]]] = {
    "web-sidecar.yaml": ("Running", check_web_sidecar),
    "init-containers.yaml": ("Running", check_init_containers),
    "resources.yaml": ("Running", check_resources),
    "deployment.yaml": ("Running", check_deployment),
    "job.yaml": ("Finished", check_job),
}


def test_every_runnable_sample_has_a_run_check() -> None:
    assert sorted(CHECKS) == sorted(RUNNABLE)


def finished_status(name: str, timeout: float = 30.0) -> str:
    """The capsule's status once it has left Running (or Running after `timeout`)."""
    deadline = time.monotonic() + timeout
    status = "Running"
    while time.monotonic() < deadline:
        listed = cli("list", "-o", "json")
        assert listed.returncode == 0, listed.stderr
        rows = [r for r in json.loads(listed.stdout)["items"] if r["name"] == name]
        status = rows[0]["status"] if rows else "missing"
        if status != "Running":
            return status
        time.sleep(0.5)
    return status


@pytest.mark.parametrize("sample", sorted(RUNNABLE))
def test_sample_runs_and_deletes_cleanly(sample: str, name: str, docker_engine: Any, tmp_path: Path) -> None:
    client = docker_engine.client
    files, document, ports = prepared(sample, name, tmp_path)
    status, check = CHECKS[sample]

    created = cli("create", *[arg for f in files for arg in ("-f", f)], "-o", "json")
    assert created.returncode == 0, created.stderr
    [result] = json.loads(created.stdout)
    assert result["name"] == name, result
    if status == "Finished" and result["status"] == "Running":
        # `create` returns once the capsule runs; a short Job may still be running then.
        result["status"] = finished_status(name)
    assert result["status"] == status, result

    containers, volumes = leftovers(client, name)
    expected = [name] + [f"{name}.{c['name']}" for c in
                         document["spec"]["initContainers"] + document["spec"]["containers"]]
    assert sorted(containers) == sorted(expected)
    # Docker volumes made for the capsule (named and emptyDir ones): there, so that
    # their absence after delete means something.
    scoped = [v for v in document["spec"]["volumes"]
              if "driver" in v or ("emptyDir" in v and v["emptyDir"].get("medium") != "Memory")]
    assert len(volumes) >= len(scoped), volumes
    check(name, client, ports)

    deleted = cli("delete", name)
    assert deleted.returncode == 0, deleted.stderr
    assert leftovers(client, name) == ([], [])
