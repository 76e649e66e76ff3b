"""Security settings are honoured, not downgraded (issue 12, item 11): checked INSIDE the member.

A capsule built on the real engine runs `id`, reads /proc/self/status and /proc/sys and
writes to its root and its volumes; runAsNonRoot is checked against the image's own
user (busybox:1.36 sets none: root; tiny images made here from it set USER 1000 and
USER nobody). Whatever a test leaves is removed by label at its end; the images carry
the session's labels, so the session's clean-up removes them.
"""

from __future__ import annotations

import io
import uuid as uuidlib
from typing import Any

import pytest

from runtime.build.add_member import add_container
from runtime.build.builder import build_capsule
from runtime.build.model import BuildOptions, ProgressEvent
from runtime.engine.client import EngineClient
from runtime.errors import BuildRefused
from runtime.observe.discovery import observe_capsule
from runtime.observe.observed import ObservedCapsule
from translate.secrets import SecretStore
from translate.spec import (
    Capsule,
    ConfigMapVolume,
    Container,
    EmptyDirVolume,
    NamedVolume,
    PodSecurityContext,
    SecurityContext,
    Volume,
    VolumeMount,
)

BUSYBOX = "busybox:1.36"
SLEEP = ("sleep", "3600")

pytestmark = pytest.mark.docker


def leftovers(docker_engine: Any, capsule: str) -> tuple[list[str], list[str]]:
    client = docker_engine.client
    containers = client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={capsule}"})
    volumes = client.volumes.list(filters={"label": f"capsule.name={capsule}"})
    return [c.name for c in containers], [v.name for v in volumes]


async def build(engine: EngineClient, capsule: Capsule, *, on_progress: Any = None,
                **options: Any) -> ObservedCapsule:
    return await build_capsule(engine, capsule, SecretStore(), host="local", uuid=uuidlib.uuid4().hex,
                               revision=1, options=BuildOptions(**options), on_progress=on_progress)


def exec_in(docker_engine: Any, container: str, *command: str) -> tuple[int, str]:
    code, output = docker_engine.client.containers.get(container).exec_run(list(command))
    return code, output.decode("utf-8", errors="replace").strip()


def image_with_user(docker_engine: Any, session_labels: dict[str, str], user: str) -> str:
    """A busybox image whose USER is `user`, built here (no registry), labelled for the clean-up."""
    tag = f"capsule-test-user-{user.replace(':', '-')}:{session_labels['capsule.test-session']}".lower()
    dockerfile = f"FROM {BUSYBOX}\nUSER {user}\n".encode()
    docker_engine.client.images.build(fileobj=io.BytesIO(dockerfile), tag=tag, labels=session_labels,
                                      rm=True, pull=False)
    return tag


async def test_users_groups_privileges_root_filesystem_volumes_and_sysctls_inside_the_member(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    shared = VolumeMount("shm", "/shm")
    mounts = (VolumeMount("work", "/work"), VolumeMount("data", "/data"), VolumeMount("conf", "/etc/app"), shared)
    security = SecurityContext(run_as_user=1000, run_as_group=1000, run_as_non_root=True,
                               allow_privilege_escalation=False, read_only_root_filesystem=True)
    capsule = Capsule(
        name,
        (Container("main", BUSYBOX, command=SLEEP, volume_mounts=mounts, security_context=security),
         Container("peer", BUSYBOX, command=SLEEP, volume_mounts=(shared,))),
        volumes=(
            Volume("work", EmptyDirVolume()),
            Volume("data", NamedVolume()),
            Volume("conf", ConfigMapVolume("conf", (("app.conf", "color=blue\n"),), default_mode=0o640)),
            Volume("shm", EmptyDirVolume("Memory", 1 << 20)),  # shared: a tmpfs-backed volume
        ),
        security_context=PodSecurityContext(
            supplemental_groups=(3000,), fs_group=2000,
            sysctls=(("net.ipv4.ip_unprivileged_port_start", "1024"), ("kernel.shm_rmid_forced", "1")),
        ),
    )
    await build(engine, capsule)
    main = f"{name}.main"
    assert exec_in(docker_engine, main, "id", "-u") == (0, "1000")
    assert exec_in(docker_engine, main, "id", "-g") == (0, "1000")
    code, groups = exec_in(docker_engine, main, "id", "-G")
    assert code == 0 and {"1000", "2000", "3000"} <= set(groups.split())
    assert exec_in(docker_engine, main, "grep", "NoNewPrivs", "/proc/self/status")[1].split() == ["NoNewPrivs:", "1"]
    # The root filesystem is read-only: even the user's own file there cannot be made.
    code, said = exec_in(docker_engine, main, "touch", "/written")
    assert code != 0 and "Read-only file system" in said
    # The capsule's volumes belong to the fsGroup: a non-root member writes to them...
    for volume in ("/work", "/data"):
        assert exec_in(docker_engine, main, "stat", "-c", "%g %A", volume) == (0, "2000 drwxrwsr-x")
        assert exec_in(docker_engine, main, "sh", "-c", f"echo hi > {volume}/f && cat {volume}/f") == (0, "hi")
        assert exec_in(docker_engine, main, "stat", "-c", "%g", f"{volume}/f") == (0, "2000")
    # A shared memory emptyDir is the group's from its mount options.
    assert exec_in(docker_engine, main, "stat", "-c", "%g", "/shm") == (0, "2000")
    assert exec_in(docker_engine, main, "sh", "-c", "echo hi > /shm/f && cat /shm/f") == (0, "hi")
    # ...and reads a configMap file that only its owner (root) and the group may read.
    assert exec_in(docker_engine, main, "stat", "-c", "%g %a", "/etc/app/app.conf") == (0, "2000 660")
    assert exec_in(docker_engine, main, "cat", "/etc/app/app.conf") == (0, "color=blue")
    # The sysctls, set on the sandbox that owns the network and IPC namespaces.
    assert exec_in(docker_engine, main, "cat", "/proc/sys/net/ipv4/ip_unprivileged_port_start") == (0, "1024")
    assert exec_in(docker_engine, main, "cat", "/proc/sys/kernel/shm_rmid_forced") == (0, "1")


async def test_run_as_non_root_with_the_root_image_is_refused_and_leaves_nothing(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    capsule = Capsule(
        name,
        (Container("app", BUSYBOX, command=SLEEP, volume_mounts=(VolumeMount("work", "/work"),),
                   security_context=SecurityContext(run_as_non_root=True)),),
        volumes=(Volume("work", EmptyDirVolume()),),
    )
    progress: list[ProgressEvent] = []
    with pytest.raises(BuildRefused) as refused:
        await build(engine, capsule, on_progress=progress.append)
    assert refused.value.reason == (
        f"capsule {name}, container app: securityContext.runAsNonRoot is set, but image busybox:1.36 runs "
        f"as root (it sets no USER); set runAsUser to a non-zero user id, or remove runAsNonRoot")
    assert leftovers(docker_engine, name) == ([], [])
    assert not any(event.kind in ("volume", "sandbox", "member") for event in progress)


async def test_run_as_non_root_starts_with_run_as_user_or_a_numeric_image_user_and_refuses_a_named_one(
    engine: EngineClient, docker_engine: Any, name: str, session_labels: dict[str, str]
) -> None:
    non_root = SecurityContext(run_as_non_root=True)
    numeric, named = (image_with_user(docker_engine, session_labels, user) for user in ("1000", "nobody"))
    capsule = Capsule(name, (
        Container("given", BUSYBOX, command=SLEEP, security_context=SecurityContext(run_as_user=1000,
                                                                                    run_as_non_root=True)),
        Container("image", numeric, command=SLEEP, security_context=non_root),
    ))
    await build(engine, capsule)
    assert exec_in(docker_engine, f"{name}.given", "id", "-u") == (0, "1000")
    assert exec_in(docker_engine, f"{name}.image", "id", "-u") == (0, "1000")

    other = f"{name}-named"
    try:
        with pytest.raises(BuildRefused, match=r"image capsule-test-user-nobody:\S+ has the non-numeric user "
                           r"'nobody', so capsule cannot verify the user is not root; set runAsUser"):
            await build(engine, Capsule(other, (Container("app", named, command=SLEEP, security_context=non_root),)))
        assert leftovers(docker_engine, other) == ([], [])
    finally:
        for container in docker_engine.client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={other}"}):
            container.remove(force=True)


async def test_a_member_added_later_gets_the_capsules_groups_and_its_user_is_checked(
    engine: EngineClient, docker_engine: Any, name: str
) -> None:
    pod = PodSecurityContext(supplemental_groups=(3000,), fs_group=2000)
    await build(engine, Capsule(name, (Container("main", BUSYBOX, command=SLEEP),), security_context=pod))
    observed = await observe_capsule(engine, "local", name=name)
    assert observed is not None
    root = Container("root", BUSYBOX, command=SLEEP, security_context=SecurityContext(run_as_non_root=True))
    with pytest.raises(BuildRefused, match="runs as root"):
        await add_container(engine, observed, root, options=BuildOptions())
    assert f"{name}.root" not in leftovers(docker_engine, name)[0]
    extra = Container("extra", BUSYBOX, command=SLEEP, security_context=SecurityContext(run_as_user=1000))
    await add_container(engine, observed, extra, options=BuildOptions())
    assert {"2000", "3000"} <= set(exec_in(docker_engine, f"{name}.extra", "id", "-G")[1].split())


async def test_run_as_group_alone_runs_as_the_images_user_in_that_group(
    engine: EngineClient, docker_engine: Any, name: str, session_labels: dict[str, str]
) -> None:
    """As Kubernetes: runAsGroup without runAsUser keeps the image's user (root for busybox, 1000 for
    an image whose USER is 1000:1000) and makes the group its primary one; a member added later too."""
    numeric = image_with_user(docker_engine, session_labels, "1000:1000")
    grouped = SecurityContext(run_as_group=4321)
    await build(engine, Capsule(name, (Container("root", BUSYBOX, command=SLEEP, security_context=grouped),
                                       Container("user", numeric, command=SLEEP, security_context=grouped))))
    assert exec_in(docker_engine, f"{name}.root", "id", "-u") == (0, "0")
    assert exec_in(docker_engine, f"{name}.root", "id", "-g") == (0, "4321")
    assert exec_in(docker_engine, f"{name}.user", "id", "-u") == (0, "1000")
    assert exec_in(docker_engine, f"{name}.user", "id", "-g") == (0, "4321")
    observed = await observe_capsule(engine, "local", name=name)
    assert observed is not None
    await add_container(engine, observed, Container("later", numeric, command=SLEEP, security_context=grouped),
                        options=BuildOptions())
    assert exec_in(docker_engine, f"{name}.later", "id", "-u") == (0, "1000")
    assert exec_in(docker_engine, f"{name}.later", "id", "-g") == (0, "4321")
