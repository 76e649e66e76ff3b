"""Extra Docker engines as separate "remote hosts", each in its own network namespace.

Address plan (documented in the README): the range 10.213.0.0/16 is used only for
these test hosts. Host N (1, 2, ...) is the network namespace `capsule-tN`, joined
to the root namespace by a veth pair: `capsule-tNh` (root side, 10.213.N.1/24)
and `capsule-tNn` (inside, 10.213.N.2/24). Its engine listens on
tcp://10.213.N.2:2375, or 2376 with --tlsverify for a TLS host, and on a unix
socket in its folder. Each engine has its own data-root, exec-root, pidfile,
config file and cgroup parent (`/capsule-tN`), and is started with
`nsenter --net=...` (`ip netns exec` remounts /sys and breaks dockerd), inside
its own UTS and mount namespaces so that it has its own hostname and engine ID.
Only one test session at a time holds the extra hosts (a lock file under the
state folder); the next one waits for it.

Cutting a host off sets `capsule-tNh` down. The kernel then drops the /24 route,
so a catch-all route for 10.213.0.0/16 into the sink link `capsule-t0` (a veth
whose other end sits alone in namespace `capsule-t0`) swallows the packets: a cut
host looks like a vanished machine (connections time out) and no packet to it
ever leaves this machine by the default route.

Must not: create anything not named with the `capsule-t` prefix, signal any
process outside our namespaces and cgroups, or import pytest.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .certs import TestPKI, TLSFiles, make_test_pki
from .clients import docker_client, ping
from .daemon import PREFIX, daemon_env, find_dockerd, state_root
from .errors import HostSetupError
from .host_cleanup import ADDRESS_RANGE, SINK, acquire_lock, connect_hosts, disconnect_hosts, ip, remove_all_of_ours
from .images import ImageSpec, build_test_images, ensure_test_images
from .procs import ProcessRef, tail, wait_gone

_NET = "10.213"
PLAIN_PORT = 2375
TLS_PORT = 2376
_NETNS_DIR = Path("/var/run/netns")


def _read_pid(path: Path) -> ProcessRef | None:
    try:
        return ProcessRef.of(int(path.read_text().strip()))
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- one host

@dataclass
class ExtraHost:
    """One extra engine: where it listens, its TLS files, and how to cut or kill it."""

    name: str
    index: int
    folder: Path
    pki: TestPKI | None = None
    _process: ProcessRef | None = field(default=None, repr=False)
    _popen: subprocess.Popen | None = field(default=None, repr=False)
    _client: Any = field(default=None, repr=False)
    _local_client: Any = field(default=None, repr=False)
    _cut: bool = field(default=False, repr=False)

    # -- addresses and files
    @property
    def address(self) -> str:
        return f"{_NET}.{self.index}.2"

    @property
    def gateway(self) -> str:
        """The root-namespace side of the link (where this machine reaches the host from)."""
        return f"{_NET}.{self.index}.1"

    @property
    def port(self) -> int:
        return TLS_PORT if self.pki else PLAIN_PORT

    @property
    def url(self) -> str:
        return f"tcp://{self.address}:{self.port}"

    @property
    def netns(self) -> str:
        return self.name

    @property
    def veth(self) -> str:
        """Host-side (root namespace) end of the veth pair; down = host cut off."""
        return f"{self.name}h"

    @property
    def socket_path(self) -> Path:
        return self.folder / "docker.sock"

    @property
    def unix_url(self) -> str:
        """The same engine over its unix socket: reachable even while the host is cut."""
        return f"unix://{self.socket_path}"

    @property
    def pidfile(self) -> Path:
        return self.folder / "docker.pid"

    @property
    def log_path(self) -> Path:
        return self.folder / "dockerd.log"

    @property
    def tls(self) -> TLSFiles | None:
        """Client files the engine trusts (None for a plain-tcp host)."""
        return self.pki.client if self.pki else None

    @property
    def untrusted_tls(self) -> TLSFiles | None:
        """A client certificate signed by a CA the engine does not trust."""
        return self.pki.untrusted_client if self.pki else None

    @property
    def tls_ca(self) -> Path | None:
        return self.tls.ca if self.tls else None

    @property
    def tls_cert(self) -> Path | None:
        return self.tls.cert if self.tls else None

    @property
    def tls_key(self) -> Path | None:
        return self.tls.key if self.tls else None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def docker_env(self) -> dict[str, str]:
        """DOCKER_HOST (and TLS variables) that point the docker CLI at this host."""
        env = {"DOCKER_HOST": self.url}
        if self.tls:
            env.update(DOCKER_TLS_VERIFY="1", DOCKER_CERT_PATH=str(self.tls.folder))
        return env

    # -- clients
    @property
    def client(self) -> Any:
        """docker.DockerClient over the host's tcp address (TLS where it has TLS)."""
        if self._client is None:
            self._client = docker_client(self.url, self.tls, timeout=20)
        return self._client

    @property
    def local_client(self) -> Any:
        """docker.DockerClient over the unix socket, for checks that must work while cut."""
        if self._local_client is None:
            self._local_client = docker_client(self.unix_url, timeout=30)
        return self._local_client

    def _drop_clients(self) -> None:
        for client in (self._client, self._local_client):
            if client is not None:
                client.close()
        self._client = self._local_client = None

    # -- network
    @property
    def is_cut(self) -> bool:
        return self._cut

    def cut(self) -> None:
        """Take the host off the network (its link down): connections to it time out."""
        ip("link", "set", self.veth, "down")
        self._cut = True

    def restore(self) -> None:
        """Bring the host's link back up and wait until its engine answers over tcp."""
        ip("link", "set", self.veth, "up")
        self._cut = False
        self.wait_reachable(timeout=10.0)

    def wait_reachable(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ping(self.url, self.tls, timeout=0.5):
                return
            time.sleep(0.1)
        raise HostSetupError(f"{self.name} does not answer on {self.url} within {timeout:.0f} s")

    # -- the engine process
    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.alive()

    def kill(self, signo: int = signal.SIGKILL) -> None:
        """Kill the host's dockerd (SIGKILL by default: a crash, not a shutdown)."""
        if self._process is not None:
            self._process.signal(signo)
            wait_gone(self._process, 15.0, self._popen)
            # The engine's containerd dies with it (parent-death signal), but not at
            # once; a revive() that found it still alive would try to reuse it.
            pidfile = self.folder / "exec" / "containerd" / "containerd.pid"
            containerd = _read_pid(pidfile)
            if containerd is not None:
                wait_gone(containerd, 15.0)
            # dockerd trusts that pid without checking what runs under it now, and
            # pids wrap around quickly on a busy test machine.
            pidfile.unlink(missing_ok=True)
        self._drop_clients()

    def revive(self, timeout: float = 60.0) -> None:
        """Start the host's dockerd again on the same data (after kill())."""
        if self.alive:
            return
        self._drop_clients()
        self.pidfile.unlink(missing_ok=True)
        dockerd = find_dockerd()
        if dockerd is None:
            raise HostSetupError("dockerd is gone: cannot revive the extra host")
        self._launch(dockerd)
        self._wait_started(time.monotonic() + timeout)

    def heal(self) -> None:
        """Undo cut() and kill() so the next test finds the host as it was."""
        if not self.alive:
            self.revive()
        if self._cut:
            self.restore()

    def _command(self, dockerd: str) -> list[str]:
        engine = [
            dockerd,
            "--data-root", str(self.folder / "data"),
            "--exec-root", str(self.folder / "exec"),
            "--pidfile", str(self.pidfile),
            "--config-file", str(self.folder / "daemon.json"),
            "-H", self.unix_url,
            "-H", f"tcp://{self.address}:{self.port}",
            # Container processes land under this cgroup, so that a crashed run's
            # leftovers can be found and killed by it, and by nothing broader.
            "--cgroup-parent", f"/{self.name}",
            "--shutdown-timeout", "2",
        ]
        if self.pki:
            engine += ["--tlsverify", "--tlscacert", str(self.pki.ca_cert),
                       "--tlscert", str(self.pki.server_cert), "--tlskey", str(self.pki.server_key)]
        else:
            # Saying so explicitly skips Engine 20.10's 16 s "insecure tcp" start delay.
            engine += ["--tls=false"]
        # Like a separate machine: its own hostname (UTS namespace) and its own
        # /etc/docker, where Engine 20.10 keeps the key.json its engine ID comes
        # from (otherwise every test host would report the local engine's ID).
        # The private mount namespace also means all of the engine's mounts vanish
        # with its processes, so a crashed run leaves none behind.
        # nsenter, unshare and sh each exec the next, so the pid is dockerd's.
        setup = ('mkdir -p /etc/docker && mount --bind "$1" /etc/docker && '
                 'echo "$2" > /proc/sys/kernel/hostname && shift 2 && exec "$@"')
        return ["nsenter", f"--net={_NETNS_DIR / self.netns}", "--",
                "unshare", "--uts", "--mount", "--propagation", "private", "--",
                "sh", "-c", setup, "sh", str(self.folder / "etc-docker"), self.name, *engine]

    def _launch(self, dockerd: str) -> None:
        with self.log_path.open("ab") as log:
            self._popen = subprocess.Popen(
                self._command(dockerd), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True, env=daemon_env(),
                close_fds=True)
        # nsenter execs dockerd in place, so this pid is the engine itself.
        self._process = ProcessRef.of(self._popen.pid) or ProcessRef(self._popen.pid, 0)

    def _wait_started(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            if ping(self.unix_url, timeout=0.5):
                self.wait_reachable(max(1.0, deadline - time.monotonic()))
                return
            if self._popen is not None and self._popen.poll() is not None:
                raise HostSetupError(
                    f"dockerd of {self.name} exited with code {self._popen.returncode}; "
                    f"last lines of {self.log_path}:\n{tail(self.log_path)}")
            time.sleep(0.1)
        raise HostSetupError(f"dockerd of {self.name} did not answer in time; "
                             f"last lines of {self.log_path}:\n{tail(self.log_path)}")

    def _stop(self, timeout: float) -> None:
        self._drop_clients()
        if self._process is not None:
            self._process.stop(timeout, self._popen)


# ---------------------------------------------------------------- the group

class ExtraHosts(list):
    """The started hosts (a list of ExtraHost) plus the lock that makes them ours."""

    def __init__(self, hosts: list[ExtraHost], lock_fd: int, root: Path) -> None:
        super().__init__(hosts)
        self._lock_fd: int | None = lock_fd
        self._root = root

    def by_name(self, name: str) -> ExtraHost:
        for host in self:
            if host.name == name:
                return host
        raise KeyError(name)

    @property
    def tls_host(self) -> ExtraHost | None:
        return next((host for host in self if host.pki), None)

    def interconnect(self) -> None:
        """Let the hosts reach each other, as the machines of a swarm must (undone by `separate`).

        Each namespace gets a route to the whole test range through the root namespace,
        where one forwarding rule lets traffic between the test hosts through, and only it.
        """
        for host in self:
            ip("-n", host.netns, "route", "replace", ADDRESS_RANGE, "via", host.gateway)
        connect_hosts()

    def leave_swarms(self, within: float = 90.0) -> None:
        """Take every host out of whatever swarm it is in: workers first, then managers.

        Through each host's unix socket, so a host still reconnecting after a cut leaves
        too; checked and retried until the deadline, since one host left in an old swarm
        (a worker whose manager is gone) makes the next module's `capsule hosts swarm`
        refuse it. A host that stays raises HostSetupError naming it.
        """
        deadline = time.monotonic() + within
        failures: dict[str, str] = {}
        while True:
            joined = [(host, swarm) for host in self
                      if (swarm := host.local_client.info().get("Swarm") or {}).get("LocalNodeState")
                      not in ("inactive", None)]
            if not joined:
                return
            if time.monotonic() > deadline:
                raise HostSetupError("; ".join(f"host {host.name} stays in its swarm ({swarm.get('LocalNodeState')}: "
                                               f"{failures.get(host.name, 'no error')})" for host, swarm in joined))
            for host, _ in sorted(joined, key=lambda pair: bool(pair[1].get("ControlAvailable"))):
                try:
                    host.local_client.swarm.leave(force=True)
                except Exception as exc:  # noqa: BLE001 - retried until the deadline, then named
                    failures[host.name] = str(exc)
            time.sleep(1.0)

    def separate(self) -> None:
        for host in self:
            ip("-n", host.netns, "route", "del", ADDRESS_RANGE, check=False)
        disconnect_hosts()

    def close(self) -> None:
        """Stop our engines, remove namespaces, links and folders, release the lock."""
        if self._lock_fd is None:
            return
        try:
            for host in self:
                if host._process is not None:
                    host._process.signal(signal.SIGTERM)
            for host in self:
                host._stop(timeout=20.0)
            remove_all_of_ours(self._root)
        finally:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> ExtraHosts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------- starting

def _check_prerequisites() -> str:
    if os.geteuid() != 0:
        raise HostSetupError(
            f"the extra test hosts need root for network namespaces (running as uid "
            f"{os.geteuid()}); run scripts/test as root.")
    missing = [tool for tool in ("ip", "nsenter", "unshare", "openssl") if shutil.which(tool) is None]
    if missing:
        raise HostSetupError(
            f"the extra test hosts need {', '.join(missing)}: apt-get install iproute2 "
            "util-linux openssl (scripts/test installs them when run as root).")
    dockerd = find_dockerd()
    if dockerd is None:
        raise HostSetupError("dockerd is not installed: apt-get install docker.io")
    return dockerd


def _make_sink() -> None:
    """Route the whole test range into a link that drops everything (see module doc)."""
    try:
        ip("netns", "add", SINK)
        ip("link", "add", SINK, "type", "veth", "peer", "name", "sink", "netns", SINK)
        ip("link", "set", SINK, "arp", "off", "up")
        ip("-n", SINK, "link", "set", "sink", "up")
        ip("route", "add", ADDRESS_RANGE, "dev", SINK)
    except HostSetupError:
        # Still never let test traffic take the default route; cut hosts then fail
        # fast ("no route to host") instead of timing out.
        ip("route", "replace", "unreachable", ADDRESS_RANGE)


def _make_host_network(host: ExtraHost) -> None:
    ns_side = f"{host.name}n"
    ip("netns", "add", host.netns)
    ip("link", "add", host.veth, "type", "veth", "peer", "name", ns_side, "netns", host.netns)
    ip("addr", "add", f"{host.gateway}/24", "dev", host.veth)
    ip("link", "set", host.veth, "up")
    ip("-n", host.netns, "addr", "add", f"{host.address}/24", "dev", ns_side)
    ip("-n", host.netns, "link", "set", ns_side, "up")
    ip("-n", host.netns, "link", "set", "lo", "up")


def _prepare_host(root: Path, index: int, tls: bool) -> ExtraHost:
    name = f"{PREFIX}{index}"
    folder = root / "hosts" / name
    folder.mkdir(parents=True)
    # An empty config of its own: a developer's /etc/docker/daemon.json (hosts,
    # data-root, ...) must not leak into the test engines.
    (folder / "daemon.json").write_text(json.dumps({}))
    (folder / "etc-docker").mkdir()
    host = ExtraHost(name=name, index=index, folder=folder)
    if tls:
        host.pki = make_test_pki(folder / "certs", host.address, name)
    _make_host_network(host)
    return host


def start_extra_hosts(count: int = 3, tls_indexes: tuple[int, ...] | None = None,
                      start_timeout: float = 90.0, cache_dir: Path | None = None,
                      images: list[ImageSpec] | None = None) -> ExtraHosts:
    """Start `count` extra engines in parallel, each with the test images.

    Hosts are numbered from 1; `tls_indexes` says which are TLS-only (default:
    the last one when count >= 2). Cleans a crashed earlier run's leftovers
    first. Call close() on the result (or use it as a context manager).
    """
    if count < 1 or count > 250:
        raise ValueError("count must be between 1 and 250")
    if tls_indexes is None:
        tls_indexes = (count,) if count >= 2 else ()
    dockerd = _check_prerequisites()
    root = state_root()
    lock_fd = acquire_lock(root)
    group = ExtraHosts([], lock_fd, root)
    try:
        remove_all_of_ours(root)  # we hold the lock: anything with our prefix is a leftover
        specs = images or build_test_images(cache_dir)
        _make_sink()
        for index in range(1, count + 1):
            group.append(_prepare_host(root, index, index in tls_indexes))
        for host in group:
            host._launch(dockerd)
        deadline = time.monotonic() + start_timeout
        for host in group:
            host._wait_started(deadline)
        with ThreadPoolExecutor(max_workers=count) as pool:
            list(pool.map(lambda h: ensure_test_images(h.local_client, specs=specs), group))
        return group
    except BaseException:
        group.close()
        raise
