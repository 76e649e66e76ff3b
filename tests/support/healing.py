"""Building a capsule straight with the builder, and telling from outside that its members are healed.

What the watcher's tests share (tests/watch/test_watch.py, and the terminal UI's, which
runs the watcher: tests/tui/test_tui_watcher.py): a web member and a client member; a
member is in the sandbox's current network namespace when it has the sandbox's address;
healed means both are, the client reaches the web member over localhost, and the host
port answers. Read through the docker package (exec) and HTTP from the host.
"""

from __future__ import annotations

import urllib.request
import uuid as uuidlib
from typing import Any

import docker.errors

from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions
from runtime.engine.client import EngineClient
from runtime.observe.observed import ObservedCapsule
from translate.secrets import SecretStore
from translate.spec import Capsule

BUSYBOX = "busybox:1.36"
HTTPD = ("sh", "-c", "mkdir -p /www && echo hello-from-web > /www/index.html && exec httpd -f -p 8080 -h /www")
# PID 1 in a shell ignores SIGTERM; the trap lets the member stop at once when asked.
SLEEPER = ("sh", "-c", "trap 'exit 0' TERM; rm -f /tmp/sick; sleep 3600 & wait")
FETCH = ["timeout", "2", "wget", "-qO-", "http://127.0.0.1:8080/"]


async def build(engine: EngineClient, capsule: Capsule) -> ObservedCapsule:
    return await build_capsule(engine, capsule, SecretStore(), host="local", uuid=uuidlib.uuid4().hex, revision=1,
                               options=BuildOptions())


def run_in(docker_engine: Any, container: str, command: list[str]) -> tuple[int, str]:
    """Exit code and output; -1 while the container is (re)starting and cannot exec."""
    try:
        code, output = docker_engine.client.containers.get(container).exec_run(command)
    except docker.errors.APIError as exc:
        return -1, str(exc)
    return code, output.decode("utf-8", "replace")


def fetch(docker_engine: Any, container: str) -> tuple[int, str]:
    return run_in(docker_engine, container, FETCH)


def healed(docker_engine: Any, capsule: str, port: int) -> bool:
    """Both members in the sandbox's current namespace, talking over localhost and reached from the host."""
    return (in_current_namespace(docker_engine, capsule, "client") and in_current_namespace(docker_engine, capsule, "web")
            and fetch(docker_engine, f"{capsule}.client") == (0, "hello-from-web\n")
            and host_port_answer(port) == "hello-from-web\n")


def in_current_namespace(docker_engine: Any, capsule: str, member: str) -> bool:
    address = docker_engine.client.containers.get(capsule).attrs["NetworkSettings"]["IPAddress"]
    code, output = run_in(docker_engine, f"{capsule}.{member}", ["ip", "-4", "addr"])
    return bool(address) and code == 0 and f"inet {address}/" in output


def host_port_answer(port: int) -> str | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as answer:
            return answer.read().decode()
    except OSError:
        return None
