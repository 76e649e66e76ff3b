"""`capsule create` (with --wait, the default) waits for readiness when a member has probes.

The real `capsule` command runs as a subprocess against the real engine; what the
capsule serves is checked with HTTP to its published host port on 127.0.0.1, what
the engine holds with the docker package. Each test removes what it made by label.
"""

from __future__ import annotations

import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_command, cli, free_port, remove_capsule_leftovers
from support.capsule_cli import capsule_containers as containers
from support.health_server import HealthServer, sandbox_pid

pytestmark = pytest.mark.docker

# Serves only after ~3 s: Running at once, ready (the page answers) 3 s later.
LATE_HTTPD = "sleep 3; mkdir -p /www; echo ok > /www/index.html; exec httpd -f -p 8080 -h /www"


def capsule_file(folder: Path, name: str, port: int, probe_path: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
spec:
  containers:
    - name: web
      image: busybox:1.36
      command: ["sh", "-c", "{LATE_HTTPD}"]
      ports:
        - containerPort: 8080
          hostPort: {port}
      readinessProbe:
        httpGet: {{path: {probe_path}, port: 8080}}
        periodSeconds: 1
""")
    return path


def fetch_once(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=2) as response:
            return response.read().decode().strip()
    except (urllib.error.URLError, OSError):
        return None


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)


def test_create_returns_once_the_readiness_probe_passes(name: str, docker_engine: Any, tmp_path: Path) -> None:
    port = free_port()
    began = time.monotonic()
    result = cli("create", "-f", str(capsule_file(tmp_path, name, port, "/index.html")), "--timeout", "60")
    took = time.monotonic() - began
    assert result.returncode == 0, result.stdout + result.stderr
    # At once, no retry: create returned only when the page answered.
    assert fetch_once(port) == "ok"
    assert took >= 3  # the member sleeps 3 s before it serves (Running comes well before that)


def test_create_whose_readiness_probe_never_passes_fails_and_leaves_the_capsule(
    name: str, docker_engine: Any, tmp_path: Path
) -> None:
    port = free_port()
    began = time.monotonic()
    result = cli("create", "-f", str(capsule_file(tmp_path, name, port, "/missing")), "--timeout", "8")
    took = time.monotonic() - began
    assert result.returncode == 1, result.stdout + result.stderr
    assert "readiness probe" in result.stderr and "/missing" in result.stderr, result.stderr
    assert "not ready within 8 s" in result.stderr and f"capsule describe {name}" in result.stderr, result.stderr
    assert took < 30
    # Left in place, as after create's timeout: running, and describe says why.
    running = [c for c in containers(docker_engine.client, name) if c.status == "running"]
    assert len(running) == 2, [(c.name, c.status) for c in containers(docker_engine.client, name)]
    described = cli("describe", name)
    assert described.returncode == 0 and "Running" in described.stdout, described.stdout + described.stderr
    assert "readiness probe" in described.stdout and "/missing" in described.stdout, described.stdout


def test_create_waits_for_a_grpc_readiness_probe_of_a_kubernetes_pod(
    name: str, docker_engine: Any, tmp_path: Path
) -> None:
    """The Pod's member declares a gRPC port; its health server (tests/support/health_server.py,
    in the capsule's network namespace) says NOT_SERVING first, SERVING 3 s later."""
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(f"""\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
    - name: cart
      image: busybox:1.36
      command: ["sleep", "3600"]
      ports: [{{containerPort: 9555}}]
      readinessProbe:
        grpc: {{port: 9555, service: hipstershop.CartService}}
        periodSeconds: 1
""")
    began = time.monotonic()
    create = subprocess.Popen(capsule_command() + ["create", "-f", str(manifest), "--timeout", "60"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        pid = 0
        while not pid:  # the sandbox runs before its members: the server goes into its namespace
            assert create.poll() is None and time.monotonic() - began < 60, create.communicate()
            sandbox = [c for c in containers(docker_engine.client, name) if c.name == name and c.status == "running"]
            pid = sandbox_pid(docker_engine.client, name) if sandbox else 0
            time.sleep(0.2)
        with HealthServer(pid, 9555, {"hipstershop.CartService": "NOT_SERVING"}) as server:
            time.sleep(3)
            assert create.poll() is None, create.communicate()  # not ready: create still waits
            server.set("hipstershop.CartService", "SERVING")
            out, err = create.communicate(timeout=60)
            assert create.returncode == 0, out + err
        assert "waiting for the readiness probes" in err and err.rstrip().endswith(": ready"), err
    finally:
        if create.poll() is None:
            create.kill()
            create.communicate()
