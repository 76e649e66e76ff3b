"""gRPC probes (runtime.probes.run with runtime.probes.grpc_health) against a real health server.

The server is Google's reference implementation of grpc.health.v1 (grpcio), running in
the capsule's own network namespace: see tests/support/health_server.py for why that is
where a member's server would be. capsule's client is grpclib, so these tests are also
the check that the two implementations understand each other.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid as uuidlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions
from runtime.engine.client import EngineClient
from runtime.errors import NotReady
from runtime.observe.observed import ObservedCapsule
from runtime.probes.readiness import wait_ready
from runtime.probes.run import describe_probe, probe_from_dict, run_probe
from support.capsule_cli import remove_capsule_leftovers
from support.health_server import HealthServer, sandbox_pid, self_signed
from translate.secrets import SecretStore
from translate.spec import Capsule, Container, Port, Probe

BUSYBOX = "busybox:1.36"
GRPC_PORT = 9555
# A port that accepts connections and never answers (busybox nc, listening, fed nothing),
# and one that answers HTTP/1.1 (busybox httpd).
SILENT_PORT, HTTP_PORT = 9556, 8080
SILENT = ("sh", "-c", f"httpd -p {HTTP_PORT} -h /; sleep 3600 | nc -l -p {SILENT_PORT}")


def test_grpc_probes_read_back_from_the_spec_label() -> None:
    for probe in (Probe(grpc_port=9555), Probe(grpc_port=50051, grpc_service="hipstershop.CartService",
                                              timeout_seconds=3, failure_threshold=5)):
        assert probe_from_dict(probe.to_dict()) == probe
    assert probe_from_dict({"grpc": {"port": 9555, "service": ""}}) == Probe(grpc_port=9555)
    assert probe_from_dict({"grpc": {"port": 9555, "mode": "TLS"}}) == Probe(grpc_port=9555, grpc_tls=True)
    assert describe_probe(Probe(grpc_port=9555, grpc_tls=True)) == "grpc (TLS) :9555"
    assert describe_probe(Probe(grpc_port=9555, grpc_service="cart")) == "grpc :9555 service cart"
    assert Probe(grpc_port=9555).kind == "grpc"


def test_the_grpc_library_is_loaded_only_when_a_grpc_probe_runs() -> None:
    # (h2 is not in the list: httpcore loads it with httpx whenever it is installed.)
    code = ("import sys, runtime.probes.run, runtime.probes.readiness, runtime.watch.prober; "
            "print(sorted(m for m in ('grpclib', 'google.protobuf', 'multidict') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# ---------------------------------------------------------------- against a real engine


@pytest.fixture
def name(unique_name: str, docker_engine: Any) -> Iterator[str]:
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)


async def build(engine: EngineClient, capsule: Capsule) -> ObservedCapsule:
    return await build_capsule(engine, capsule, SecretStore(), host="local", uuid=uuidlib.uuid4().hex, revision=1,
                               options=BuildOptions())


def grpc_capsule(name: str, readiness: Probe | None = None) -> Capsule:
    member = Container("app", BUSYBOX, command=SILENT, ports=(Port(GRPC_PORT), Port(SILENT_PORT)),
                       readiness_probe=readiness)
    return Capsule(name, (member,))


async def test_grpc_probe_passes_on_serving_and_fails_with_the_reason_otherwise(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    built = await build(engine, grpc_capsule(name))
    app, ip = built.members[0], built.ip
    statuses = {"": "SERVING", "hipstershop.CartService": "SERVING"}
    with HealthServer(sandbox_pid(docker_engine.client, name), GRPC_PORT, statuses) as server:
        overall = await run_probe(engine, built, app, Probe(grpc_port=GRPC_PORT))
        assert overall.ok and overall.reason == f"grpc {ip}:{GRPC_PORT}: SERVING", overall
        cart = Probe(grpc_port=GRPC_PORT, grpc_service="hipstershop.CartService")
        assert (await run_probe(engine, built, app, cart)).ok
        server.set("hipstershop.CartService", "NOT_SERVING")
        sick = await run_probe(engine, built, app, cart)
        assert not sick.ok and sick.reason == (
            f"grpc {ip}:{GRPC_PORT} service hipstershop.CartService: answered NOT_SERVING (expected SERVING)")
        server.set("", "UNKNOWN")
        unknown = await run_probe(engine, built, app, Probe(grpc_port=GRPC_PORT))
        assert not unknown.ok and unknown.reason.endswith("answered UNKNOWN (expected SERVING)"), unknown
        missing = await run_probe(engine, built, app, Probe(grpc_port=GRPC_PORT, grpc_service="nope"))
        assert not missing.ok and missing.reason == (
            f"grpc {ip}:{GRPC_PORT} service nope: the server knows no service 'nope' (NOT_FOUND)")


async def test_grpc_probe_of_a_server_without_the_health_service_or_of_http_fails_with_the_reason(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    built = await build(engine, grpc_capsule(name))
    app, ip = built.members[0], built.ip
    with HealthServer(sandbox_pid(docker_engine.client, name), GRPC_PORT, {}, health=False):
        bare = await run_probe(engine, built, app, Probe(grpc_port=GRPC_PORT))
    assert not bare.ok and bare.reason == (
        f"grpc {ip}:{GRPC_PORT}: the server does not implement the gRPC health protocol (UNIMPLEMENTED)"), bare
    http = await run_probe(engine, built, app, Probe(grpc_port=HTTP_PORT))
    assert not http.ok and http.reason.startswith(f"grpc {ip}:{HTTP_PORT}: not a gRPC answer"), http


async def test_grpc_probe_where_nothing_listens_or_nothing_answers_fails_in_time(
    engine: EngineClient, name: str
) -> None:
    built = await build(engine, grpc_capsule(name))
    app, ip = built.members[0], built.ip
    refused = await run_probe(engine, built, app, Probe(grpc_port=GRPC_PORT))
    assert not refused.ok and refused.reason == (
        f"grpc {ip}:{GRPC_PORT}: connection refused: nothing listens on {ip}:{GRPC_PORT}"), refused
    deadline = time.monotonic() + 10
    while True:  # nc takes a moment to listen; until then the connection is refused
        silent = await run_probe(engine, built, app, Probe(grpc_port=SILENT_PORT, timeout_seconds=1))
        if "refused" not in silent.reason or time.monotonic() > deadline:
            break
    assert not silent.ok and silent.reason == f"grpc :{SILENT_PORT}: no answer within 1 s", silent
    assert silent.seconds < 2


async def test_wait_ready_follows_a_grpc_readiness_probe(engine: EngineClient, docker_engine: Any, name: str) -> None:
    built = await build(engine, grpc_capsule(name, readiness=Probe(grpc_port=GRPC_PORT, period_seconds=1)))
    with HealthServer(sandbox_pid(docker_engine.client, name), GRPC_PORT, {"": "NOT_SERVING"}) as server:
        with pytest.raises(NotReady, match="not ready within 3 s: .*answered NOT_SERVING"):
            await wait_ready(engine, built, timeout=3)
        server.set("", "SERVING")
        report = await wait_ready(engine, built, timeout=20)
        assert any(": SERVING" in line for line in report.probed), report.probed


async def test_grpc_probe_in_tls_mode_accepts_any_certificate_and_needs_tls(
    engine: EngineClient, docker_engine: Any, name: str, tmp_path: Path
) -> None:
    """Kubernetes' mode TLS: encrypted, the server's certificate not checked (here one no CA signed)."""
    built = await build(engine, grpc_capsule(name))
    app, ip = built.members[0], built.ip
    tls = Probe(grpc_port=GRPC_PORT, grpc_tls=True)
    with HealthServer(sandbox_pid(docker_engine.client, name), GRPC_PORT, {"": "SERVING"}, tls=self_signed(tmp_path)):
        passed = await run_probe(engine, built, app, tls)
        assert passed.ok and passed.reason == f"grpc (TLS) {ip}:{GRPC_PORT}: SERVING", passed
        plaintext = await run_probe(engine, built, app, Probe(grpc_port=GRPC_PORT))
        assert not plaintext.ok and plaintext.reason.startswith(f"grpc {ip}:{GRPC_PORT}: not a gRPC answer ("), plaintext
        assert plaintext.reason.endswith("); is this port a plaintext gRPC server?"), plaintext
    with HealthServer(sandbox_pid(docker_engine.client, name), GRPC_PORT, {"": "SERVING"}):
        no_tls = await run_probe(engine, built, app, tls)
        assert not no_tls.ok and no_tls.reason == (
            f"grpc (TLS) {ip}:{GRPC_PORT}: TLS handshake failed (WRONG_VERSION_NUMBER); does the server on this "
            "port speak TLS?"), no_tls
