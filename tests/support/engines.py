"""Real Docker engines for the tests and benchmarks: find or start them, give clients.

The entry points (imported by tests/conftest.py and by bench scripts):
- `ensure_local_engine()`: the engine on unix:///var/run/docker.sock; starts
  `dockerd` in the background when nothing answers and we are root, and
  remembers that it did so that `stop()` stops only an engine we started.
- `ensure_test_images(client)`: the offline test images (see runtime/build/images.py).
- `start_extra_hosts(n)`: extra engines in network namespaces (see runtime/hosts/settings.py).
- `remove_test_objects(client, ...)`: remove what a test session made, by label.
Must not: import pytest at module level, stop an engine it did not start,
touch containers that do not carry the test session's labels, or send traffic
anywhere but 127.0.0.0/8 and the test namespaces.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .certs import TLSFiles
from .clients import docker_client, engine_http_client, ping
from .daemon import PREFIX, daemon_env, find_dockerd, state_root
from .errors import EngineError, EngineUnavailable, HostSetupError, ImageBuildError
from .host_cleanup import ADDRESS_RANGE, cleanup_leftovers, describe_extra_hosts
from .hosts import ExtraHost, ExtraHosts, start_extra_hosts
from .images import (
    BUSYBOX_ALIASES,
    BUSYBOX_IMAGE,
    PAUSE_IMAGE,
    TEST_IMAGES,
    build_test_images,
    default_cache_dir,
    ensure_test_images,
)
from .procs import ProcessRef, command_name, tail, wait_gone

__all__ = [
    "ADDRESS_RANGE", "BUSYBOX_ALIASES", "BUSYBOX_IMAGE", "PAUSE_IMAGE", "PREFIX", "TEST_IMAGES",
    "EngineError", "EngineUnavailable", "HostSetupError", "ImageBuildError",
    "ExtraHost", "ExtraHosts", "LocalEngine", "TLSFiles",
    "build_test_images", "cleanup_leftovers", "default_cache_dir", "describe_extra_hosts",
    "docker_client", "engine_http_client", "ensure_local_engine", "ensure_test_images",
    "find_dockerd", "ping", "recorded_local_engine", "remove_test_objects", "start_extra_hosts",
    "state_root", "stop_recorded_local_engine",
]

LOCAL_SOCKET = Path("/var/run/docker.sock")
LOCAL_PIDFILE = Path("/var/run/docker.pid")
LOCAL_CONTAINERD_PIDFILE = Path("/var/run/docker/containerd/containerd.pid")


# ---------------------------------------------------------------- the local engine

@dataclass
class LocalEngine:
    """The engine on the local unix socket, and whether this process started it."""

    url: str
    socket_path: Path
    started_by_us: bool
    process: ProcessRef | None = None
    log_path: Path | None = None
    _popen: subprocess.Popen | None = field(default=None, repr=False)
    _client: Any = field(default=None, repr=False)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    @property
    def client(self) -> Any:
        """docker.DockerClient for this engine (created on first use)."""
        if self._client is None:
            self._client = docker_client(self.url)
        return self._client

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the engine if (and only if) we started it; a no-op otherwise."""
        if self._client is not None:
            self._client.close()
            self._client = None
        if not self.started_by_us or self.process is None:
            return
        self.process.stop(timeout, self._popen)
        _record_path().unlink(missing_ok=True)


def _record_path() -> Path:
    return state_root() / "local" / "dockerd.pid"


def _is_live_dockerd(pid: int) -> bool:
    # A zombie still shows its name; ProcessRef.of() treats it as gone.
    return ProcessRef.of(pid) is not None and command_name(pid) == "dockerd"


def _clear_stale_local_state(socket_path: Path, pidfile: Path, timeout: float) -> None:
    """Deal with what a crashed earlier engine left: a pidfile, a dead socket."""
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        pid = None
    if pid is not None and _is_live_dockerd(pid):
        # An engine is running but did not answer: it may still be starting.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ping(f"unix://{socket_path}"):
                return
            if not _is_live_dockerd(pid):
                break
            time.sleep(0.25)
        else:
            raise EngineUnavailable(
                f"dockerd (pid {pid}, from {pidfile}) is running but does not answer on "
                f"{socket_path}; it was not started by the tests, so they leave it alone. "
                "Look at its log, or stop it and run the tests again.")
    # No live dockerd behind the pidfile: dockerd refuses to start while it exists
    # if the pid was reused, so remove it; the socket has no listener either.
    pidfile.unlink(missing_ok=True)
    if socket_path.is_socket():
        socket_path.unlink(missing_ok=True)
    _settle_orphaned_containerd(LOCAL_CONTAINERD_PIDFILE)


def _settle_orphaned_containerd(pidfile: Path) -> None:
    """Make a crashed engine's containerd pidfile safe for the next dockerd.

    dockerd reuses whatever runs under that pid without checking what it is:
    a recycled pid makes it wait for a containerd that never answers, and so
    does a containerd still dying from its parent's crash. We wait for the
    latter and forget a recycled pid; we never signal either.
    """
    try:
        pid = int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return
    process = ProcessRef.of(pid)
    if process is not None and command_name(pid) == "containerd":
        if wait_gone(process, 10.0):
            pidfile.unlink(missing_ok=True)
        return  # still running: dockerd will take it over
    pidfile.unlink(missing_ok=True)


def ensure_local_engine(socket_path: Path = LOCAL_SOCKET, start_timeout: float = 30.0) -> LocalEngine:
    """Return the local engine, starting dockerd in the background if none answers."""
    url = f"unix://{socket_path}"
    if ping(url):
        return LocalEngine(url, socket_path, started_by_us=False)
    if os.geteuid() != 0:
        raise EngineUnavailable(
            f"no Docker engine answers on {url}, and starting dockerd needs root "
            f"(running as uid {os.geteuid()}). Start an engine, or run scripts/test as root.")
    dockerd = find_dockerd()
    if dockerd is None:
        raise EngineUnavailable(
            f"no Docker engine answers on {url} and dockerd is not installed: "
            "apt-get install docker.io (scripts/test installs it when run as root).")
    _clear_stale_local_state(socket_path, LOCAL_PIDFILE, start_timeout)
    if ping(url):
        return LocalEngine(url, socket_path, started_by_us=False)

    log_path = state_root() / "local" / "dockerd.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    args = [dockerd]
    if socket_path != LOCAL_SOCKET:
        args += ["-H", url]
    with log_path.open("ab") as log:
        log.write(f"--- capsule tests start {args} at {time.ctime()}\n".encode())
        log.flush()
        # Its own session: a Ctrl-C aimed at pytest must not kill the engine mid-teardown.
        popen = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True,
                                 env=daemon_env(), close_fds=True)
    process = ProcessRef.of(popen.pid) or ProcessRef(popen.pid, 0)
    _record_path().write_text(process.dump())
    engine = LocalEngine(url, socket_path, started_by_us=True, process=process,
                         log_path=log_path, _popen=popen)

    deadline = time.monotonic() + start_timeout
    while time.monotonic() < deadline:
        if ping(url, timeout=0.5):
            return engine
        if popen.poll() is not None:
            _record_path().unlink(missing_ok=True)
            raise EngineUnavailable(
                f"dockerd exited with code {popen.returncode} while starting; "
                f"last lines of {log_path}:\n{tail(log_path)}")
        time.sleep(0.1)
    engine.stop()
    raise EngineUnavailable(
        f"dockerd did not answer on {url} within {start_timeout:.0f} s; "
        f"last lines of {log_path}:\n{tail(log_path)}")


def stop_recorded_local_engine(timeout: float = 30.0) -> int | None:
    """Stop a local dockerd that an earlier run of this code started and left running.

    Acts only on the pid (and start time) recorded when we started it. Returns
    the pid stopped, or None when there was nothing of ours to stop.
    """
    record = _record_path()
    try:
        process = ProcessRef.parse(record.read_text())
    except OSError:
        return None
    if process is None or not process.alive() or not _is_live_dockerd(process.pid):
        record.unlink(missing_ok=True)
        return None
    process.stop(timeout)
    wait_gone(process, 5.0)
    record.unlink(missing_ok=True)
    return process.pid


def recorded_local_engine() -> ProcessRef | None:
    """The local dockerd this code started and left running, if it still runs."""
    try:
        process = ProcessRef.parse(_record_path().read_text())
    except OSError:
        return None
    return process if process is not None and process.alive() else None


# ---------------------------------------------------------------- cleanup by label

def remove_test_objects(client: Any, name_prefix: str | None = None,
                        session_id: str | None = None) -> list[str]:
    """Remove containers, volumes, networks and images a test session made; return their names.

    Matches containers, volumes and networks whose `capsule.name` or `capsule.namespace`
    label (an application's Services and network) starts with `name_prefix`, and anything labeled `capsule.test-session=<session_id>`
    (images: only that label; they go last, once no container of the session uses
    them, by id, so that none is left behind untagged). Nothing else is touched.
    """
    import docker.errors

    def mine(labels: dict | None) -> bool:
        labels = labels or {}
        if session_id and labels.get("capsule.test-session") == session_id:
            return True
        return bool(name_prefix) and any(str(labels.get(key, "")).startswith(name_prefix)
                                         for key in ("capsule.name", "capsule.namespace"))

    label_filters = []
    if name_prefix:
        label_filters += ["capsule.name", "capsule.namespace"]
    if session_id:
        label_filters.append(f"capsule.test-session={session_id}")

    removed: list[str] = []
    seen: set[str] = set()
    for label in label_filters:
        # The engine's own list answer (client.api), not the docker package's list, which
        # inspects every entry and fails when another session removes one in between.
        for entry in client.api.containers(all=True, filters={"label": label}):
            if entry["Id"] in seen or not mine(entry.get("Labels")):
                continue
            seen.add(entry["Id"])
            try:
                client.api.remove_container(entry["Id"], force=True, v=True)
                removed.append(f"container {entry['Names'][0].lstrip('/')}")
            except docker.errors.NotFound:
                pass
    for label in label_filters:
        for volume in client.volumes.list(filters={"label": label}):
            if volume.id in seen or not mine(volume.attrs.get("Labels")):
                continue
            seen.add(volume.id)
            try:
                volume.remove(force=True)
                removed.append(f"volume {volume.name}")
            except docker.errors.NotFound:
                pass
        for network in client.networks.list(filters={"label": label}):
            if network.id in seen or not mine(network.attrs.get("Labels")):
                continue
            seen.add(network.id)
            try:
                network.remove()
                removed.append(f"network {network.name}")
            except docker.errors.NotFound:
                pass
    if session_id:
        for image in client.images.list(filters={"label": f"capsule.test-session={session_id}"}):
            if image.id in seen or not mine(image.labels):
                continue
            seen.add(image.id)
            try:
                client.images.remove(image.id, force=True)  # force: every tag it has goes with it
                removed.append(f"image {', '.join(image.tags) or image.short_id}")
            except docker.errors.NotFound:
                pass
    return removed
