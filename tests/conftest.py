"""Shared fixtures: real Docker engines, offline test images, per-test names and homes.

The engines come from tests/support/engines.py. Where no engine can be had the
tests that need one are skipped with the reason, unless CAPSULE_REQUIRE_DOCKER=1
(set by .ci/run), which turns that into a failure. Tests marked `docker` or
`multihost` get their engines without naming the fixture; tests that use the
fixtures get the markers, so `-m "not docker"` selects the engine-free tests.

Cleanup is by label: at session end, containers, volumes and networks whose
`capsule.name` starts with this session's prefix (see `unique_name`) or that
carry `capsule.test-session=<session id>` (see `session_labels`) are removed;
nothing else on the engine is touched.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from support import engines
from support.errors import HostSetupError
from support.ssh_server import SshServer
from support.ssh_server import home as ssh_home_folder

SESSION_ID = secrets.token_hex(2)
NAME_PREFIX = f"t-{SESSION_ID}-"
_names = itertools.count(1)


def _required() -> bool:
    return os.environ.get("CAPSULE_REQUIRE_DOCKER") == "1"


def _unavailable(reason: str) -> None:
    if _required():
        pytest.fail(f"{reason}\n(CAPSULE_REQUIRE_DOCKER=1: a missing engine fails the run)",
                    pytrace=False)
    pytest.skip(reason)


def pytest_configure(config: pytest.Config) -> None:
    # Also declared in pyproject.toml; repeated so the fixtures work without it.
    config.addinivalue_line("markers", "docker: needs a real Docker engine (started by the test setup)")
    config.addinivalue_line("markers", "multihost: needs the extra Docker engines in network namespaces")


def pytest_report_header(config: pytest.Config) -> str:
    required = "required" if _required() else "optional (tests skip without one)"
    return f"capsule test session {SESSION_ID} (names {NAME_PREFIX}*); Docker engine {required}"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = getattr(item, "fixturenames", ())
        if "extra_hosts" in names:
            item.add_marker(pytest.mark.multihost)
        if "docker_engine" in names or "extra_hosts" in names:
            item.add_marker(pytest.mark.docker)


# ---------------------------------------------------------------- engines

@pytest.fixture(scope="session")
def docker_engine() -> Iterator[engines.LocalEngine]:
    """The local engine (started if needed) with the test images imported."""
    try:
        engine = engines.ensure_local_engine()
    except engines.EngineError as exc:
        _unavailable(f"no Docker engine for the tests: {exc}")
    try:
        engines.ensure_test_images(engine.client)
    except Exception as exc:
        engine.stop()
        if isinstance(exc, engines.EngineError):
            _unavailable(f"test images could not be made: {exc}")
        raise
    yield engine
    try:
        engines.remove_test_objects(engine.client, NAME_PREFIX, SESSION_ID)
    finally:
        if os.environ.get("CAPSULE_TEST_KEEP_ENGINE") == "1":
            engine.started_by_us = False  # leave it running for the next run
        engine.stop()


@pytest.fixture
async def engine(docker_engine: engines.LocalEngine) -> AsyncIterator[Any]:
    """capsule's own Engine API client (runtime.engine.client) to the local test engine."""
    from runtime.engine.client import EngineClient

    async with await EngineClient.connect(docker_engine.url, name="local") as client:
        yield client


@pytest.fixture(scope="session")
def extra_hosts() -> Iterator[engines.ExtraHosts]:
    """Extra engines as separate hosts in network namespaces (the last one TLS-only).

    A list of ExtraHost: name, url, address, tls_ca/tls_cert/tls_key (TLS host
    only; untrusted_tls is a client cert it must refuse), veth, client,
    local_client (unix socket, works while cut), cut()/restore()/kill()/revive().
    $CAPSULE_TEST_EXTRA_HOSTS sets how many (default 3).
    """
    count = int(os.environ.get("CAPSULE_TEST_EXTRA_HOSTS") or 3)
    try:
        hosts = engines.start_extra_hosts(count)
    except engines.EngineError as exc:
        _unavailable(f"no extra test hosts: {exc}")
    try:
        yield hosts
    finally:
        hosts.close()  # removes the engines with everything on them


@pytest.fixture(scope="session")
def ssh_server(extra_hosts: engines.ExtraHosts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """sshd in the first extra host's namespace, in front of that host's engine (tests/support/ssh_server.py)."""
    try:
        server = SshServer.start(extra_hosts[0], tmp_path_factory.mktemp("sshd"))
    except (HostSetupError, OSError, subprocess.CalledProcessError) as exc:
        _unavailable(f"no SSH server for the ssh:// tests: {exc}")
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def ssh_home(ssh_server: SshServer, capsule_home: Path, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """HOME with the test's SSH key and known_hosts; the developer's agent and ~/.ssh are out of reach."""
    home = ssh_home_folder(tmp_path / "home", ssh_server)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    yield home
    ssh_server.ensure_running()  # undo a test's pause() or stop()


@pytest.fixture(autouse=True)
def _engines_for_markers(request: pytest.FixtureRequest) -> Iterator[None]:
    """Give marked tests their engines; afterwards undo a test's cut() or kill()."""
    hosts = None
    if request.node.get_closest_marker("multihost"):
        hosts = request.getfixturevalue("extra_hosts")
    if request.node.get_closest_marker("docker"):
        request.getfixturevalue("docker_engine")
    yield
    for host in hosts or ():
        host.heal()


# ---------------------------------------------------------------- per test

@pytest.fixture
def unique_name(request: pytest.FixtureRequest) -> str:
    """A short DNS-1123 name unique to this test: t-<session>-<test>-<n>."""
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    slug = slug.removeprefix("test-")[:12].strip("-") or "x"
    return f"{NAME_PREFIX}{slug}-{next(_names)}"


@pytest.fixture(scope="session")
def session_labels() -> dict[str, str]:
    """Labels for containers/volumes/networks a test creates directly (removed at session end)."""
    return {"capsule.test-session": SESSION_ID}


@pytest.fixture
def capsule_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh CAPSULE_HOME; Docker client settings of the developer are hidden too."""
    home = tmp_path / "capsule-home"
    home.mkdir(mode=0o700)  # as capsule makes it: a more open one is tightened, with a warning
    monkeypatch.setenv("CAPSULE_HOME", str(home))
    # Hermetic: the developer's DOCKER_HOST, context or credentials must not
    # change which engine or registry login the code under test uses.
    for var in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
                "CAPSULE_SANDBOX_IMAGE"):
        monkeypatch.delenv(var, raising=False)
    docker_config = tmp_path / "docker-config"
    docker_config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(docker_config))
    # No ssh:// connection kept between commands (a keeper process per host, which would
    # outlive the test by its idle time and log in beside the test's own counts);
    # tests/ssh/test_ssh_keep.py turns it on for its commands.
    monkeypatch.setenv("CAPSULE_SSH_KEEP", "0")
    return home


@pytest.fixture(scope="module")
def swarm_hosts(extra_hosts: engines.ExtraHosts) -> Iterator[engines.ExtraHosts]:
    """The extra hosts able to reach each other, as a swarm's machines must; left again after the module.

    The test forms the swarm itself (`capsule hosts swarm`); here each host leaves
    whatever swarm it is in, before (a module that failed midway must not decide this
    one) and after, and the routes and the forwarding rule go.
    """
    extra_hosts.leave_swarms()
    extra_hosts.interconnect()
    try:
        yield extra_hosts
    finally:
        try:
            extra_hosts.leave_swarms()
        finally:
            extra_hosts.separate()
