"""The refusals of issue 15, through the real `capsule create -f FILE` on a real engine.

Five things reach past a member's container into the host: a hostPath volume, a named
volume whose local-driver options bind a host folder, `privileged`, a capability that
breaks isolation, and a member without a seccomp filter (seccompProfile Unconfined). For each, `capsule create` without its flag exits 2 with the
refusal and makes nothing: no container, no volume, not even for a moment (the
engine's own event log has no event of the capsule). With the flag the capsule runs
and the member really has the thing, seen from inside with `capsule exec`.

Checks go through independent paths: the docker package (`docker_engine.client`) for
what exists and what happened on the engine, the member's own /proc and mount for what
it may do. Host folders are the test's own temporary folders, never the host's /etc.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker.errors
import pytest

from support.capsule_cli import capsule_containers, cli, remove_capsule_leftovers

pytestmark = pytest.mark.docker

IMAGE = "busybox:1.36"
MEMBER = "box"
PROOF = "proof.txt"
CAP_SYS_ADMIN = 21  # the bit of CAP_SYS_ADMIN in /proc/PID/status CapEff (linux/capability.h)


@dataclass(frozen=True)
class Refusal:
    """One thing create refuses without `flag`: the spec lines that ask for it, and the message."""

    flag: str
    member_lines: str  # under the member, indented as its fields
    volume_lines: str  # under spec.volumes, indented as its items; "" for none
    message: Callable[[str, Path], str]  # (capsule, host folder) -> the refusal, as create prints it


HOST_FOLDER_MOUNT = """
      volumeMounts:
        - name: host
          mountPath: /host"""

REFUSALS = {
    "hostPath": Refusal(
        "--allow-host-path",
        HOST_FOLDER_MOUNT,
        """
    - name: host
      hostPath: {{path: {folder}}}""",
        lambda name, folder: (
            f"capsule {name}, volume host: hostPath {folder} is refused because it exposes the host's files; "
            f"pass --allow-host-path to allow it, or use a named volume"
        ),
    ),
    "local-driver bind": Refusal(
        "--allow-host-path",
        HOST_FOLDER_MOUNT,
        """
    - name: host
      driver: local
      driverOptions: {{type: none, o: bind, device: {folder}}}""",
        lambda name, folder: (
            f"capsule {name}, volume host: the local driver options type=none,o=bind,device={folder} "
            f"bind-mount the host path {folder}, which is refused because it exposes the host's files or "
            f"devices; pass --allow-host-path to allow it, or leave out driverOptions for a volume the engine "
            f"manages"
        ),
    ),
    "privileged": Refusal(
        "--allow-privileged",
        """
      securityContext:
        privileged: true""",
        "",
        lambda name, _: (
            f"capsule {name}, container {MEMBER}: securityContext.privileged is refused because a privileged "
            f"container controls the host; pass --allow-privileged to allow it, or add only the capabilities "
            f"it needs"
        ),
    ),
    "capability": Refusal(
        "--allow-privileged",
        """
      securityContext:
        capabilities:
          add: [cap_sys_admin]""",  # Docker's spelling rules: any case, CAP_ prefix or not
        "",
        lambda name, _: (
            f"capsule {name}, container {MEMBER}: securityContext.capabilities.add SYS_ADMIN is refused "
            f"because this capability breaks the container's isolation from the host; pass --allow-privileged "
            f"to allow it, or remove it"
        ),
    ),
    "seccomp unconfined": Refusal(
        "--allow-privileged",
        """
      securityContext:
        seccompProfile: {type: Unconfined}""",
        "",
        lambda name, _: (
            f"capsule {name}, container {MEMBER}: securityContext.seccompProfile Unconfined is refused because "
            f"a container without a seccomp filter can make every system call of the host's kernel; pass "
            f"--allow-privileged to allow it, or use RuntimeDefault"
        ),
    ),
}


def capsule_file(folder: Path, name: str, refusal: Refusal, host_folder: Path) -> Path:
    volumes = f"\n  volumes:{refusal.volume_lines.format(folder=host_folder)}" if refusal.volume_lines else ""
    text = f"""\
apiVersion: beta
kind: capsule
metadata:
  name: {name}
spec:
  containers:
    - name: {MEMBER}
      image: {IMAGE}
      command: ["sleep", "3600"]{refusal.member_lines}{volumes}
"""
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)


@pytest.fixture
def host_folder(tmp_path: Path) -> Path:
    """A folder of the host with a file only this test knows, for the member to find."""
    folder = tmp_path / "host-folder"
    folder.mkdir()
    (folder / PROOF).write_text(f"written on the host for {tmp_path.name}\n")
    return folder


@pytest.fixture(scope="module")
def engine_runs_privileged(docker_engine: Any, session_labels: dict[str, str]) -> bool:
    """Whether this engine can start a privileged container at all.

    An engine that itself runs in an unprivileged container (as on these machines)
    cannot: runc fails to apply the capabilities. That is the engine's refusal, not
    capsule's, and the privileged case then checks that create got past its own.
    """
    try:
        docker_engine.client.containers.run(IMAGE, ["true"], privileged=True, remove=True, labels=session_labels)
    except docker.errors.APIError:
        return False
    return True


def listed(name: str) -> dict | None:
    result = cli("list", "-o", "json")
    assert result.returncode == 0, result.stderr
    rows = [row for row in json.loads(result.stdout)["items"] if row["name"] == name]
    return rows[0] if rows else None


def engine_events(client: Any, name: str, since: float) -> list[dict]:
    """Everything the engine did to containers labelled with the capsule's name since `since`."""
    until = int(time.time()) + 1  # whole seconds: the engine reads a fraction as nanoseconds
    events = client.events(since=int(since) - 1, until=until, decode=True,
                           filters={"type": "container", "label": f"capsule.name={name}"})
    return list(events)


def in_member(name: str, script: str) -> str:
    result = cli("exec", name, "--", "sh", "-c", script)
    assert result.returncode == 0, result.stderr
    return result.stdout


def effective_capabilities(name: str) -> int:
    status = in_member(name, "cat /proc/self/status")
    line = next(line for line in status.splitlines() if line.startswith("CapEff:"))
    return int(line.split()[1], 16)


# -- without the flag: refused, nothing made ---------------------------------------------------


@pytest.mark.parametrize("case", list(REFUSALS))
def test_create_without_the_flag_is_refused_and_makes_nothing(
    case: str, name: str, docker_engine: Any, tmp_path: Path, host_folder: Path
) -> None:
    refusal = REFUSALS[case]
    path = capsule_file(tmp_path, name, refusal, host_folder)
    started = time.time()
    created = cli("create", "-f", str(path))
    assert created.returncode == 2, created.stderr
    assert f"capsule create: error: {refusal.message(name, host_folder)}\n" in created.stderr

    client = docker_engine.client
    assert capsule_containers(client, name) == []
    assert client.volumes.list(filters={"label": f"capsule.name={name}"}) == []
    # Not made and removed again: never made. The engine logged nothing of the capsule.
    assert engine_events(client, name, started) == []
    # Bad input, like a translation error: the error says it all, the list keeps no row.
    assert listed(name) is None
    assert (host_folder / PROOF).exists()


def test_translate_warns_where_create_will_refuse(tmp_path: Path, host_folder: Path) -> None:
    for case in ("local-driver bind", "capability", "seccomp unconfined"):
        refusal = REFUSALS[case]
        path = capsule_file(tmp_path, "warned", refusal, host_folder)
        translated = cli("translate", str(path))
        assert translated.returncode == 0, translated.stderr
        warning = next(line for line in translated.stderr.splitlines() if refusal.flag in line)
        assert warning.startswith(f"{path}:") and ": warning: spec." in warning, warning
        assert f"capsule create and update refuse this without {refusal.flag}" in warning


# -- with the flag: the member really has it ---------------------------------------------------


@pytest.mark.parametrize("case", ["hostPath", "local-driver bind"])
def test_allow_host_path_mounts_the_host_folder(
    case: str, name: str, docker_engine: Any, tmp_path: Path, host_folder: Path
) -> None:
    path = capsule_file(tmp_path, name, REFUSALS[case], host_folder)
    created = cli("create", "-f", str(path), "--allow-host-path")
    assert created.returncode == 0, created.stderr
    assert in_member(name, f"cat /host/{PROOF}") == (host_folder / PROOF).read_text()
    in_member(name, "echo from-the-member > /host/back.txt")
    assert (host_folder / "back.txt").read_text() == "from-the-member\n"  # the host's folder, read-write

    deleted = cli("delete", name)
    assert deleted.returncode == 0, deleted.stderr
    assert capsule_containers(docker_engine.client, name) == []
    assert docker_engine.client.volumes.list(filters={"label": f"capsule.name={name}"}) == []
    assert (host_folder / PROOF).exists()  # removing the volume unmounts the folder, it keeps its files


def test_allow_privileged_grants_the_capability(name: str, docker_engine: Any, tmp_path: Path,
                                                host_folder: Path) -> None:
    path = capsule_file(tmp_path, name, REFUSALS["capability"], host_folder)
    created = cli("create", "-f", str(path), "--allow-privileged")
    assert created.returncode == 0, created.stderr
    assert effective_capabilities(name) >> CAP_SYS_ADMIN & 1
    # What SYS_ADMIN is refused for: a member that may mount.
    assert in_member(name, "mkdir -p /m && mount -t tmpfs none /m && echo mounted") == "mounted\n"

    deleted = cli("delete", name)
    assert deleted.returncode == 0, deleted.stderr
    assert capsule_containers(docker_engine.client, name) == []


def test_allow_privileged_makes_a_privileged_member(
    name: str, docker_engine: Any, tmp_path: Path, host_folder: Path, engine_runs_privileged: bool
) -> None:
    path = capsule_file(tmp_path, name, REFUSALS["privileged"], host_folder)
    started = time.time()
    created = cli("create", "-f", str(path), "--allow-privileged")
    client = docker_engine.client
    if engine_runs_privileged:
        assert created.returncode == 0, created.stderr
        last_cap = int(in_member(name, "cat /proc/sys/kernel/cap_last_cap"))
        assert effective_capabilities(name) == (1 << (last_cap + 1)) - 1  # every capability there is
        deleted = cli("delete", name)
        assert deleted.returncode == 0, deleted.stderr
    else:
        # Past capsule's refusal, the engine made the member and could not start it.
        assert created.returncode == 1, created.stderr
        assert f"starting member {MEMBER} of capsule {name} on host local failed" in created.stderr
        assert "is refused" not in created.stderr
        made = [e for e in engine_events(client, name, started) if e.get("Action") == "create"]
        assert f"{name}.{MEMBER}" in [e["Actor"]["Attributes"].get("name") for e in made]
    assert capsule_containers(client, name) == []
