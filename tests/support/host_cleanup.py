"""Finding and removing what the extra test hosts leave behind, and their lock.

Everything of ours is named capsule-t<digits> (namespaces, cgroups, root-side
links with an h suffix, the sink capsule-t0) and lives under the state folder,
so a crashed run's leftovers can be found by name. Processes are killed only
when they run inside one of those namespaces or cgroups, by pid. The lock file
makes sure that only one test session at a time owns those names; the kernel
frees it when its holder dies, so a free lock means anything left is stale.
Must not: touch names that merely look alike, or import pytest.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

from .daemon import PREFIX, state_root
from .errors import HostSetupError
from .procs import kill_pids

ADDRESS_RANGE = "10.213.0.0/16"
SINK = f"{PREFIX}0"
# Exactly the names we make (capsule-t0 .. capsule-tN, links with h/n suffix), so
# that cleanup never takes a look-alike such as a developer's "capsule-test".
_OURS = re.compile(rf"^{re.escape(PREFIX)}\d+[hn]?$")
_CGROUP_ROOT = Path("/sys/fs/cgroup")


def run(args: list[str], check: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        raise HostSetupError(f"`{' '.join(args)}` failed: {result.stderr.strip()}")
    return result


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return run(["ip", *args], check=check)


# Lets the test hosts reach each other through the root namespace (a swarm's traffic):
# the local engine sets the FORWARD policy to DROP; DOCKER-USER is its chain for ours.
FORWARD_RULE = ["DOCKER-USER", "-s", ADDRESS_RANGE, "-d", ADDRESS_RANGE, "-j", "ACCEPT"]


def connect_hosts() -> None:
    """Let the test hosts' namespaces reach each other (only within the test range)."""
    if run(["iptables", "-w", "-C", *FORWARD_RULE], check=False).returncode != 0:
        run(["iptables", "-w", "-I", *FORWARD_RULE])


def disconnect_hosts() -> bool:
    """Remove our forwarding rule (every copy of it); True when one was there."""
    removed = False
    for _ in range(10):
        if run(["iptables", "-w", "-D", *FORWARD_RULE], check=False).returncode != 0:
            break
        removed = True
    return removed


def acquire_lock(root: Path, timeout: float = 120.0) -> int:
    """Hold state_root/hosts.lock for the hosts' lifetime; the kernel frees it if we crash."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / "hosts.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                owner = path.read_text().strip() or "?"
                os.close(fd)
                raise HostSetupError(
                    f"another test session (pid {owner}) is using the extra test hosts "
                    f"({path}); wait for it to finish.") from None
            time.sleep(0.5)
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def _list_netns() -> list[str]:
    out = ip("netns", "list", check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


def _netns_pids(name: str) -> set[int]:
    out = ip("netns", "pids", name, check=False).stdout
    return {int(pid) for pid in out.split() if pid.isdigit()}


def _our_cgroups() -> list[Path]:
    """Top-level cgroups named with our prefix, in every hierarchy (v1 and v2)."""
    found = list(_CGROUP_ROOT.glob(f"{PREFIX}*")) + list(_CGROUP_ROOT.glob(f"*/{PREFIX}*"))
    return [path for path in found if path.is_dir() and _OURS.match(path.name)]


def _cgroup_pids(cgroups: list[Path]) -> set[int]:
    pids: set[int] = set()
    for top in cgroups:
        for folder, _, _ in os.walk(top):
            try:
                text = (Path(folder) / "cgroup.procs").read_text()
            except OSError:
                continue
            pids.update(int(pid) for pid in text.split() if pid.isdigit())
    return pids


def _remove_cgroups(cgroups: list[Path]) -> None:
    for top in cgroups:
        for folder, _, _ in sorted(os.walk(top), key=lambda entry: -len(entry[0])):
            for _ in range(20):  # a killed process leaves its cgroup a moment later
                try:
                    os.rmdir(folder)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.05)


def _mounts_under(path: Path) -> list[str]:
    prefix = str(path).rstrip("/") + "/"
    mounts = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        point = line.split()[4].encode().decode("unicode_escape")
        if point.startswith(prefix) or point == prefix.rstrip("/"):
            mounts.append(point)
    return mounts


def _unmount_under(path: Path) -> list[str]:
    libc = ctypes.CDLL(None, use_errno=True)
    mnt_detach = 2
    for _ in range(5):
        mounts = _mounts_under(path)
        if not mounts:
            return []
        for point in sorted(mounts, key=len, reverse=True):
            libc.umount2(point.encode(), mnt_detach)
    return _mounts_under(path)


def _root_links() -> list[str]:
    out = ip("-o", "link", "show", check=False).stdout
    return [line.split(":")[1].strip().split("@")[0] for line in out.splitlines()
            if line.count(":") >= 2]


_cleanup_lock = threading.Lock()


def remove_all_of_ours(root: Path) -> list[str]:
    """Remove every namespace, link, cgroup, mount and folder of ours. Caller holds the lock."""
    with _cleanup_lock:
        done: list[str] = []
        namespaces = [ns for ns in _list_netns() if _OURS.match(ns)]
        cgroups = _our_cgroups()
        pids: set[int] = set()
        for ns in namespaces:
            pids |= _netns_pids(ns)
        pids |= _cgroup_pids(cgroups)
        pids.discard(os.getpid())
        if pids:
            kill_pids(sorted(pids))
            done.append(f"killed leftover processes {sorted(pids)}")
        hosts_dir = root / "hosts"
        stuck = _unmount_under(hosts_dir)
        _remove_cgroups(cgroups)
        if stuck:
            done.append(f"could not unmount {stuck}; left {hosts_dir} in place")
        elif hosts_dir.exists():
            shutil.rmtree(hosts_dir, ignore_errors=True)
            done.append(f"removed {hosts_dir}")
        for ns in namespaces:
            ip("netns", "del", ns, check=False)
            done.append(f"removed namespace {ns}")
        for link in _root_links():
            if _OURS.match(link):
                ip("link", "del", link, check=False)
                done.append(f"removed link {link}")
        if ip("route", "del", "unreachable", ADDRESS_RANGE, check=False).returncode == 0:
            done.append(f"removed route {ADDRESS_RANGE}")
        if disconnect_hosts():
            done.append(f"removed the forwarding rule between the test hosts ({ADDRESS_RANGE})")
        return done


def cleanup_leftovers(root: Path | None = None) -> list[str]:
    """Remove what a crashed earlier run left (names with our prefix). Returns what it did."""
    root = root or state_root()
    if not any(map(_OURS.match, _list_netns())) and not (root / "hosts").exists() \
            and not any(map(_OURS.match, _root_links())):
        return []
    fd = acquire_lock(root, timeout=5.0)
    try:
        return remove_all_of_ours(root)
    finally:
        os.close(fd)


def describe_extra_hosts() -> list[str]:
    """One line on the extra hosts that exist now, and which process holds them."""
    namespaces = sorted(ns for ns in _list_netns() if _OURS.match(ns) and ns != SINK)
    if not namespaces:
        return ["extra hosts: none"]
    path = state_root() / "hosts.lock"
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        fd = None
    try:
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            held = False  # we could take it: nobody holds it
        else:
            held = False
    except BlockingIOError:
        held = True
    finally:
        if fd is not None:
            os.close(fd)
    if held:
        owner = path.read_text().strip() or "?"
        return [f"extra hosts: {', '.join(namespaces)} (in use by pid {owner})"]
    return [f"extra hosts: {', '.join(namespaces)} (left over from a crashed run; "
            "`python -m tests.support cleanup` removes them)"]
