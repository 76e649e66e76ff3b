"""The test-engine infrastructure itself, checked through real engines.

Everything is verified with the docker package (a client independent of the
runtime under test) and with real traffic: between containers sharing a
network namespace, from this machine to published ports, and to the extra
hosts over tcp and TLS.
"""

from __future__ import annotations

import io
import os
import re
import socket
import ssl
import subprocess
import sys
import tarfile
import time

import docker
import httpx
import pytest
import requests

from support import engines
from support.images import import_rootfs
from support.paths import REPO_ROOT
from support.requirements import require_root, require_tool, unavailable

APPLETS = ("sh", "sleep", "httpd", "wget", "nc", "ip", "cat", "echo", "ps", "seq")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get_with_retry(url: str, timeout: float = 10.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while True:
        try:
            return httpx.get(url, timeout=2.0, trust_env=False)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@pytest.fixture
def containers(docker_engine, session_labels):
    """Start containers on the local engine; all are removed after the test."""
    made = []

    def run(image: str, command=None, **kwargs):
        container = docker_engine.client.containers.run(
            image, command, detach=True, labels=dict(session_labels), **kwargs)
        made.append(container)
        return container

    yield run
    for container in made:
        try:
            container.remove(force=True)
        except docker.errors.NotFound:
            pass


# ---------------------------------------------------------------- images

def test_all_test_images_exist_with_the_right_config(docker_engine):
    api = docker_engine.client.api
    busybox = api.inspect_image(engines.BUSYBOX_IMAGE)
    for alias in engines.BUSYBOX_ALIASES:
        image = api.inspect_image(alias)
        if not image.get("RepoDigests"):  # a developer's pulled busybox may stand in
            assert image["Id"] == busybox["Id"], alias
    pause = api.inspect_image(engines.PAUSE_IMAGE)
    assert pause["Config"]["Entrypoint"] == ["/pause"]
    assert busybox["Config"]["Cmd"] == ["sh"]


def test_busybox_image_has_the_applets_and_a_real_binary(docker_engine):
    script = (
        "[ -f /bin/busybox ] && [ ! -L /bin/busybox ] || { echo busybox-is-a-link; exit 1; }; "
        + " ".join(f"command -v {a} >/dev/null || {{ echo missing-{a}; exit 1; }};" for a in APPLETS)
        + " echo all-there"
    )
    output = docker_engine.client.containers.run(
        "busybox:1.36", ["sh", "-c", script], remove=True)
    assert output.decode().strip() == "all-there"


def test_images_are_not_imported_again_when_present(docker_engine):
    assert engines.ensure_test_images(docker_engine.client) == []


# ---------------------------------------------------------------- containers

def test_member_reaches_httpd_over_the_shared_localhost(containers):
    sandbox = containers(engines.PAUSE_IMAGE)
    joined = f"container:{sandbox.id}"
    containers("busybox:1.36", ["sh", "-c",
               "mkdir -p /srv && echo hello-from-httpd > /srv/index.html && "
               "exec httpd -f -p 8080 -h /srv"], network_mode=joined)
    client = containers("busybox:1.36", ["sh", "-c",
                        "for i in $(seq 100); do wget -qO- http://127.0.0.1:8080/ && exit 0; "
                        "sleep 0.1; done; exit 1"], network_mode=joined)
    result = client.wait(timeout=30)
    assert result["StatusCode"] == 0, client.logs().decode()
    assert client.logs().decode().strip() == "hello-from-httpd"


def test_pause_sandbox_stops_at_once_on_docker_stop(containers):
    sandbox = containers(engines.PAUSE_IMAGE)
    start = time.monotonic()
    sandbox.stop(timeout=10)
    elapsed = time.monotonic() - start
    sandbox.reload()
    # Without its SIGTERM handler PID 1 ignores the signal and stop takes the full 10 s.
    assert elapsed < 2.0, f"docker stop took {elapsed:.1f} s"
    assert sandbox.attrs["State"]["ExitCode"] == 0


def test_pause_reaps_orphans_in_a_shared_pid_namespace(containers):
    sandbox = containers(engines.PAUSE_IMAGE)
    # The subshell exits at once, orphaning `sleep 0.2`, which the kernel hands
    # to the namespace's PID 1 (pause); unless pause reaps it, it stays a zombie.
    member = containers("busybox:1.36", ["sh", "-c", "(sleep 0.2 &); exec sleep 600"],
                        pid_mode=f"container:{sandbox.id}")
    # Wait for the orphan to be gone: a zombie left unreaped stays, and the deadline says so.
    # `sleep 600` is exec'd after the orphan started, so seeing it means the orphan was there.
    deadline = time.monotonic() + 10
    while True:
        code, output = member.exec_run(["ps", "-o", "pid,stat,args"])
        assert code == 0
        rows = output.decode().splitlines()[1:]
        zombies = [row for row in rows if row.split()[1].startswith("Z")]
        if any("sleep 600" in row for row in rows) and not zombies and not any("sleep 0.2" in row for row in rows):
            break
        assert time.monotonic() < deadline, f"the orphan was not reaped within 10 s: {rows}"
        time.sleep(0.1)  # the polling interval
    assert any(row.split()[-1] == "/pause" for row in rows), rows


def test_published_port_answers_on_loopback(containers):
    port = _free_port()
    containers("busybox:1.36", ["sh", "-c",
               "mkdir -p /srv && echo published > /srv/index.html && exec httpd -f -p 80 -h /srv"],
               ports={"80/tcp": ("127.0.0.1", port)})
    response = _get_with_retry(f"http://127.0.0.1:{port}/")
    assert response.status_code == 200
    assert response.text.strip() == "published"


# ---------------------------------------------------------------- fixtures and cleanup

def test_unique_name_is_dns_1123_and_carries_the_session_prefix(unique_name, session_labels):
    assert re.fullmatch(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?", unique_name)
    assert len(unique_name) <= 40
    assert unique_name.startswith(f"t-{session_labels['capsule.test-session']}-")


def test_capsule_home_is_fresh_and_hides_the_developers_docker_settings(capsule_home):
    assert os.environ["CAPSULE_HOME"] == str(capsule_home)
    assert capsule_home.is_dir() and not any(capsule_home.iterdir())
    assert "DOCKER_HOST" not in os.environ


def test_remove_test_objects_removes_only_what_the_labels_name(docker_engine, unique_name,
                                                               session_labels):
    client = docker_engine.client
    prefix, session = f"{unique_name}-", f"other{unique_name[-6:]}"
    by_name = client.containers.create("busybox:1.36", ["true"],
                                       labels={"capsule.name": f"{prefix}a"})
    by_session = client.containers.create("busybox:1.36", ["true"],
                                          labels={"capsule.test-session": session})
    # Looks alike but does not match: must survive (it has our real session label,
    # so the session-end cleanup removes it if this test fails).
    bystander = client.containers.create("busybox:1.36", ["true"], labels={
        "capsule.name": f"x{prefix}b", **session_labels})
    volume = client.volumes.create(labels={"capsule.name": f"{prefix}v"})
    kept_volume = client.volumes.create(labels={"capsule.name": f"x{prefix}v", **session_labels})
    # Images go by the session label alone; one of another session stays.
    rootfs = io.BytesIO()
    with tarfile.open(fileobj=rootfs, mode="w") as tar:
        info = tarfile.TarInfo("hello")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"hi\n"))
    image = import_rootfs(client, rootfs.getvalue(), f"capsule-test/sweep:{unique_name}-a",
                          {"capsule.test-session": session})
    kept_image = import_rootfs(client, rootfs.getvalue(), f"capsule-test/sweep:{unique_name}-b", session_labels)
    try:
        removed = engines.remove_test_objects(client, prefix, session)
        assert sorted(removed) == sorted([f"container {by_name.name}",
                                          f"container {by_session.name}",
                                          f"volume {volume.name}",
                                          f"image capsule-test/sweep:{unique_name}-a"])
        for gone in (by_name, by_session):
            with pytest.raises(docker.errors.NotFound):
                client.containers.get(gone.id)
        with pytest.raises(docker.errors.NotFound):
            client.volumes.get(volume.name)
        with pytest.raises(docker.errors.ImageNotFound):
            client.images.get(image)  # by id: gone, not merely untagged
        client.containers.get(bystander.id)
        client.volumes.get(kept_volume.name)
        client.images.get(kept_image)
    finally:
        bystander.remove(force=True)
        kept_volume.remove(force=True)
        client.images.remove(kept_image)


# ---------------------------------------------------------------- extra hosts

@pytest.mark.multihost
def test_each_extra_host_answers_version_over_tcp_as_a_separate_machine(extra_hosts):
    assert len(extra_hosts) >= 2
    ids = set()
    for host in extra_hosts:
        assert host.url.startswith("tcp://10.213.")
        with engines.engine_http_client(host.url, host.tls) as http:
            response = http.get("/version")
        assert response.status_code == 200
        assert response.json()["ApiVersion"]
        info = host.client.info()
        assert info["Name"] == host.name
        ids.add(info["ID"])
    assert len(ids) == len(extra_hosts), "hosts must not share an engine ID"


@pytest.mark.multihost
def test_extra_host_runs_test_images_and_publishes_on_its_own_address(extra_hosts, session_labels):
    host = next(h for h in extra_hosts if h.tls is None)
    for name in engines.TEST_IMAGES:
        host.client.images.get(name)
    container = host.client.containers.run(
        "busybox:1.36", ["sh", "-c", "mkdir -p /srv && echo from-" + host.name +
                         " > /srv/index.html && exec httpd -f -p 80 -h /srv"],
        detach=True, ports={"80/tcp": 18080}, labels=session_labels)
    try:
        response = _get_with_retry(f"http://{host.address}:18080/")
        assert response.text.strip() == f"from-{host.name}"
    finally:
        container.remove(force=True)


@pytest.mark.multihost
def test_tls_host_accepts_only_the_right_client_certificate(extra_hosts):
    host = extra_hosts.tls_host
    assert host is not None and host.url.endswith(":2376")
    with engines.engine_http_client(host.url, host.tls) as http:
        assert http.get("/version").status_code == 200

    # Plain http to the TLS port: the engine answers only with a TLS error page.
    plain = httpx.get(f"http://{host.address}:2376/version", timeout=5, trust_env=False)
    assert plain.status_code == 400

    # TLS that trusts the server but presents no client certificate.
    context = ssl.create_default_context(cafile=str(host.tls_ca))
    with pytest.raises((httpx.TransportError, ssl.SSLError)):
        with httpx.Client(verify=context, timeout=5, trust_env=False) as http:
            http.get(f"https://{host.address}:2376/version")

    # A client certificate from a CA the engine does not trust.
    with pytest.raises((httpx.TransportError, ssl.SSLError)):
        with engines.engine_http_client(host.url, host.untrusted_tls, timeout=5) as http:
            http.get("/version")

    # And the docker package with the untrusted cert fails the same way.
    untrusted = host.untrusted_tls
    tls = docker.tls.TLSConfig(client_cert=(str(untrusted.cert), str(untrusted.key)),
                               ca_cert=str(untrusted.ca), verify=True)
    client = docker.DockerClient(base_url=host.url, tls=tls, version="1.41", timeout=5)
    client.api.trust_env = False  # else REQUESTS_CA_BUNDLE would replace the CA
    with pytest.raises(requests.exceptions.SSLError):
        client.version()
    client.close()


@pytest.mark.multihost
def test_cut_makes_a_host_unreachable_and_restore_brings_it_back(extra_hosts):
    host, other = extra_hosts[0], extra_hosts[1]
    host.cut()
    start = time.monotonic()
    assert not engines.ping(host.url, host.tls, timeout=1.0)
    # Dropped, not refused: the client waits for its timeout, like a vanished machine.
    assert time.monotonic() - start >= 0.9
    assert engines.ping(other.url, other.tls), "cutting one host must not affect another"
    assert engines.ping(host.unix_url), "the engine itself keeps running while cut off"
    host.restore()
    assert engines.ping(host.url, host.tls)
    assert host.client.version()["ApiVersion"]


@pytest.mark.multihost
def test_kill_stops_a_hosts_engine_and_revive_brings_it_back(extra_hosts):
    host = extra_hosts[0]
    pid = host.pid
    host.kill()
    assert not engines.ping(host.url, host.tls, timeout=1.0)
    assert not engines.ping(host.unix_url)
    host.revive()
    assert host.pid != pid
    assert host.client.images.get(engines.BUSYBOX_IMAGE)


# ---------------------------------------------------------------- no engine at all

@pytest.mark.parametrize("required", [False, True], ids=["skips", "fails-when-required"])
def test_without_any_engine_tests_skip_with_the_reason_or_fail_when_required(required, tmp_path):
    """A machine with no engine and no dockerd, simulated in a private mount namespace."""
    why = "hiding the engine in a private mount namespace"
    require_root(why)
    require_tool("unshare", why)
    dockerd = engines.find_dockerd()
    if dockerd is None:
        unavailable(f"dockerd is not installed ({why} covers it up; scripts/setup installs docker.io)")
    repo = REPO_ROOT
    # No third-party plugins: they only slow the start of this inner run.
    env = {**os.environ, "CAPSULE_TEST_STATE": str(tmp_path / "state"),
           "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
           "CAPSULE_REQUIRE_DOCKER": "1" if required else "0"}
    # An empty /run hides the engine's socket; /dev/null over dockerd makes it
    # "not installed" (not executable), so nothing can be started either.
    script = ('mount -t tmpfs none /run && mount --bind /dev/null "$1" && shift && exec "$@"')
    result = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh",
         dockerd, sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "tests/infra/test_engine_infra.py::test_published_port_answers_on_loopback"],
        cwd=repo, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    output = result.stdout + result.stderr
    assert "dockerd is not installed" in output, output
    if required:
        assert result.returncode == 1, output
        assert "CAPSULE_REQUIRE_DOCKER=1" in output and "1 error" in output, output
    else:
        assert result.returncode == 0, output
        assert "1 skipped" in output, output
