"""Unit tests of the builder's pure parts: create bodies, volume plans, archives, reasons.

No engine here: these check the Engine API bodies the builder would send, and the
decisions taken before anything is created (refusals, Secret resolution).
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import tarfile

import pytest

from runtime.build.builder import as_build_failed, engine_reason
from runtime.build.container_config import BuildContext, member_body, sandbox_body
from runtime.build.images import wanted_images
from runtime.build.model import BuildOptions
from runtime.build.users import image_user_problem
from runtime.build.volume_plan import KIND_BIND, KIND_PERSISTENT, KIND_TMPFS, KIND_VOLUME, plan_volumes, volume_files
from runtime.build.volumes import build_archive
from runtime.concurrently import all_or_nothing
from runtime.engine.errors import Conflict, EngineServerError, ImageNotFound, NetworkNotFound
from runtime.errors import BuildCancelled, BuildFailed, BuildRefused
from runtime.labels import (
    LABEL_MANAGED_BY,
    LABEL_MEMBER,
    LABEL_NAME,
    LABEL_REVISION,
    LABEL_ROLE,
    LABEL_SPEC,
    LABEL_UUID,
    ROLE_INIT,
)
from runtime.ops.lifecycle import _started_at
from translate.host_access import DANGEROUS_CAPABILITIES
from translate.secrets import SecretStore
from translate.spec import (
    Capsule,
    ConfigMapVolume,
    Container,
    EmptyDirVolume,
    EnvVar,
    HostPathVolume,
    NamedVolume,
    PersistentVolume,
    PodSecurityContext,
    Port,
    ResourceAmounts,
    Resources,
    SecretKeyRef,
    SecretVolume,
    SecurityContext,
    Volume,
    VolumeMount,
)

UUID = "0123456789abcdef0123456789abcdef"
SANDBOX = "f" * 64


def box(name: str = "web", **fields) -> Container:
    return Container(name=name, image="busybox:1.36", **fields)


def context(capsule: Capsule, secrets: SecretStore | None = None, *, api=(1, 41), **options) -> BuildContext:
    opts = BuildOptions(**options)
    plans = plan_volumes(capsule, secrets or SecretStore(), uuid=UUID, options=opts)
    return BuildContext(capsule, UUID, 3, "local", opts, plans, api)


def member(capsule: Capsule, container: Container, secrets: SecretStore | None = None, **kw) -> dict:
    ctx = context(capsule, secrets, **kw)
    return member_body(ctx, container, sandbox_id=SANDBOX, secrets=secrets or SecretStore())


# ---------------------------------------------------------------- sandbox


def test_sandbox_publishes_every_members_host_ports_tcp_and_udp() -> None:
    capsule = Capsule(
        "shop",
        (
            box("web", ports=(Port(8080, 18080), Port(9090))),
            box("dns", ports=(Port(53, 1053, "UDP"), Port(53, 1053, "TCP"))),
        ),
        labels=(("app", "shop"),),
    )
    body = sandbox_body(context(capsule, sandbox_image="pause:test"))
    assert body["Image"] == "pause:test"
    assert body["Hostname"] == "shop"
    assert body["ExposedPorts"] == {"8080/tcp": {}, "9090/tcp": {}, "53/udp": {}, "53/tcp": {}}
    bindings = body["HostConfig"]["PortBindings"]
    assert bindings == {
        "8080/tcp": [{"HostIp": "", "HostPort": "18080"}],
        "53/udp": [{"HostIp": "", "HostPort": "1053"}],
        "53/tcp": [{"HostIp": "", "HostPort": "1053"}],
    }
    host = body["HostConfig"]
    assert host["NetworkMode"] == "bridge" and host["IpcMode"] == "shareable"
    assert host["RestartPolicy"] == {"Name": "always"}
    assert "PidMode" not in host and "NetworkingConfig" not in body


def test_sandbox_labels_carry_the_contract_and_the_normalized_spec() -> None:
    capsule = Capsule("shop", (box(),), labels=(("app", "shop"), (LABEL_NAME, "spoof")), hostname="front")
    body = sandbox_body(context(capsule, extra_labels={"team": "a"}))
    labels = body["Labels"]
    assert labels[LABEL_MANAGED_BY] == "capsule"
    assert labels[LABEL_NAME] == "shop"  # a user label cannot spoof the contract
    assert labels[LABEL_UUID] == UUID and labels[LABEL_ROLE] == "sandbox"
    assert labels[LABEL_REVISION] == "3" and labels["app"] == "shop" and labels["team"] == "a"
    assert LABEL_MEMBER not in labels
    assert json.loads(labels[LABEL_SPEC]) == capsule.to_dict()
    assert body["Hostname"] == "front"


def test_sandbox_on_a_named_network_is_reachable_by_the_capsule_name() -> None:
    body = sandbox_body(context(Capsule("shop", (box(),)), network="backend"))
    assert body["HostConfig"]["NetworkMode"] == "backend"
    assert body["NetworkingConfig"] == {"EndpointsConfig": {"backend": {"Aliases": ["shop"]}}}


# ---------------------------------------------------------------- members


def test_member_joins_the_sandbox_namespaces() -> None:
    capsule = Capsule("shop", (box(),))
    host = member(capsule, capsule.containers[0])["HostConfig"]
    assert host["NetworkMode"] == f"container:{SANDBOX}"
    assert host["IpcMode"] == f"container:{SANDBOX}"
    assert "PidMode" not in host
    shared = Capsule("shop", (box(),), share_process_namespace=True)
    assert member(shared, shared.containers[0])["HostConfig"]["PidMode"] == f"container:{SANDBOX}"


def test_member_never_sets_hostname_or_ports_which_the_engine_refuses_when_joined() -> None:
    capsule = Capsule("shop", (box(ports=(Port(80, 8080),)),))
    body = member(capsule, capsule.containers[0])
    assert "Hostname" not in body and "ExposedPorts" not in body
    assert "PortBindings" not in body["HostConfig"]


@pytest.mark.parametrize(
    ("command", "args", "entrypoint", "cmd"),
    [
        ((), (), None, None),  # the image decides both
        (("sh", "-c"), ("echo hi",), ["sh", "-c"], ["echo hi"]),
        (("httpd",), (), ["httpd"], None),  # command alone: the image's cmd goes with its entrypoint
        ((), ("-f", "-p", "80"), None, ["-f", "-p", "80"]),  # args alone keep the image's entrypoint
    ],
)
def test_kubernetes_command_semantics(command, args, entrypoint, cmd) -> None:
    container = box(command=command, args=args)
    body = member(Capsule("shop", (container,)), container)
    assert body.get("Entrypoint") == entrypoint
    assert body.get("Cmd") == cmd


def test_member_fields_workdir_stdin_tty_labels_and_role() -> None:
    container = box(work_dir="/srv", stdin=True, tty=True, labels=(("tier", "web"), (LABEL_ROLE, "x")))
    capsule = Capsule("shop", (container,), labels=(("app", "shop"),))
    body = member(capsule, container)
    assert body["WorkingDir"] == "/srv" and body["OpenStdin"] is True and body["Tty"] is True
    labels = body["Labels"]
    assert labels["tier"] == "web" and labels["app"] == "shop"
    assert labels[LABEL_ROLE] == "member" and labels[LABEL_MEMBER] == "web"
    ctx = context(capsule)
    init = member_body(ctx, container, sandbox_id=SANDBOX, secrets=SecretStore(), role="init")
    assert init["Labels"][LABEL_ROLE] == "init"
    assert init["HostConfig"]["RestartPolicy"] == {"Name": "no"}


@pytest.mark.parametrize(("policy", "engine"), [("Always", "always"), ("OnFailure", "on-failure"), ("Never", "no")])
def test_restart_policy_mapping(policy: str, engine: str) -> None:
    capsule = Capsule("shop", (box(),), restart_policy=policy)
    assert member(capsule, capsule.containers[0])["HostConfig"]["RestartPolicy"] == {"Name": engine}


def test_env_resolves_secret_refs_at_build_time_and_keeps_them_out_of_labels() -> None:
    secrets = SecretStore()
    secrets.add("db", {"password": b"s3cr3t-value"})
    container = box(
        env=(
            EnvVar("PLAIN", "1"),
            EnvVar("DB_PASSWORD", secret_ref=SecretKeyRef("db", "password")),
            EnvVar("OPTIONAL", secret_ref=SecretKeyRef("absent", "k", optional=True)),
        )
    )
    capsule = Capsule("shop", (container,))
    body = member(capsule, container, secrets)
    assert body["Env"] == ["PLAIN=1", "DB_PASSWORD=s3cr3t-value"]
    assert "s3cr3t-value" not in json.dumps(body["Labels"])
    assert "s3cr3t-value" not in json.dumps(sandbox_body(context(capsule, secrets)))


@pytest.mark.parametrize("store", [{}, {"db": {"user": b"user-value-xyz"}}])
def test_missing_secret_or_key_names_everything_but_the_value(store: dict) -> None:
    secrets = SecretStore()
    for name, data in store.items():
        secrets.add(name, data)
    container = box(env=(EnvVar("DB_PASSWORD", secret_ref=SecretKeyRef("db", "password")),))
    with pytest.raises(BuildFailed) as caught:
        member(Capsule("shop", (container,)), container, secrets)
    reason = caught.value.reason
    for word in ("shop", "web", "DB_PASSWORD", "'default/db'", "'password'"):
        assert word in reason
    assert "\n" not in reason and "user-value-xyz" not in reason


def test_security_context_maps_and_privileged_is_refused_without_the_option() -> None:
    security = SecurityContext(
        privileged=True,
        capabilities_add=("NET_ADMIN",),
        capabilities_drop=("ALL",),
        run_as_user=1000,
        run_as_group=2000,
        read_only_root_filesystem=True,
    )
    container = box(security_context=security)
    capsule = Capsule("shop", (container,))
    with pytest.raises(BuildRefused, match="--allow-privileged"):
        member(capsule, container)
    body = member(capsule, container, allow_privileged=True)
    host = body["HostConfig"]
    assert host["Privileged"] is True and host["CapAdd"] == ["NET_ADMIN"] and host["CapDrop"] == ["ALL"]
    assert host["ReadonlyRootfs"] is True and body["User"] == "1000:2000"
    only_user = box(security_context=SecurityContext(run_as_user=7))
    assert member(Capsule("shop", (only_user,)), only_user)["User"] == "7"
    only_group = box(security_context=SecurityContext(run_as_group=7))
    # The image's user in that group; root stands in until the image is read (tests/build/test_security_settings.py).
    assert member(Capsule("shop", (only_group,)), only_group)["User"] == "0:7"


def test_no_new_privileges_groups_and_sysctls_on_the_sandbox() -> None:
    container = box(security_context=SecurityContext(allow_privilege_escalation=False))
    pod = PodSecurityContext(supplemental_groups=(3000, 2000), fs_group=2000,
                             sysctls=(("net.ipv4.ip_unprivileged_port_start", "80"),))
    capsule = Capsule("shop", (container,), security_context=pod)
    host = member(capsule, container)["HostConfig"]
    assert host["SecurityOpt"] == ["no-new-privileges:true"] and host["GroupAdd"] == ["3000", "2000"]
    # The sandbox owns the network namespace: the engine refuses net.* on a member that joins it.
    assert "Sysctls" not in host
    assert sandbox_body(context(capsule))["HostConfig"]["Sysctls"] == {"net.ipv4.ip_unprivileged_port_start": "80"}
    plain = box()
    assert not {"SecurityOpt", "GroupAdd"} & set(member(Capsule("shop", (plain,)), plain)["HostConfig"])
    assert "Sysctls" not in sandbox_body(context(Capsule("shop", (plain,))))["HostConfig"]


def test_an_unconfined_seccomp_profile_is_refused_without_allow_privileged() -> None:
    container = box(security_context=SecurityContext(seccomp_profile="Unconfined"))
    capsule = Capsule("shop", (container,))
    with pytest.raises(BuildRefused) as refused:
        member(capsule, container)
    assert refused.value.reason == (
        "capsule shop, container web: securityContext.seccompProfile Unconfined is refused because a container "
        "without a seccomp filter can make every system call of the host's kernel; pass --allow-privileged to "
        "allow it, or use RuntimeDefault")
    assert member(capsule, container, allow_privileged=True)["HostConfig"]["SecurityOpt"] == ["seccomp=unconfined"]


def test_run_as_non_root_with_run_as_user_0_is_refused_before_the_image_is_asked() -> None:
    container = box(security_context=SecurityContext(run_as_user=0, run_as_non_root=True))
    with pytest.raises(BuildRefused, match="runAsNonRoot is set, but runAsUser is 0"):
        member(Capsule("shop", (container,)), container)


@pytest.mark.parametrize(("user", "problem"), [
    ("", "runs as root (it sets no USER)"),
    ("root", "runs as root"),
    ("0", "runs as root"),
    ("0:1000", "runs as root"),
    ("00", "runs as root"),
    ("nginx", "has the non-numeric user 'nginx', so capsule cannot verify the user is not root"),
    ("1000", None),
    ("1000:0", None),
])
def test_an_images_user_breaks_run_as_non_root_as_the_kubelet_judges_it(user: str, problem: str | None) -> None:
    assert image_user_problem(user) == problem


@pytest.mark.parametrize("written", DANGEROUS_CAPABILITIES)
def test_every_dangerous_capability_is_refused_without_allow_privileged(written: str) -> None:
    container = box(security_context=SecurityContext(capabilities_add=(written,)))
    capsule = Capsule("shop", (container,))
    with pytest.raises(BuildRefused) as caught:
        member(capsule, container)
    assert caught.value.reason == (
        f"capsule shop, container web: securityContext.capabilities.add {written} is refused because this "
        f"capability breaks the container's isolation from the host; pass --allow-privileged to allow it, "
        f"or remove it")
    assert caught.value.exit_code == 2 and caught.value.capsule == "shop"
    assert member(capsule, container, allow_privileged=True)["HostConfig"]["CapAdd"] == [written]


def test_capabilities_are_named_as_docker_reads_them_and_all_are_listed() -> None:
    # Docker takes any case, with or without CAP_; the message names each once, as Docker does.
    written = ("cap_sys_admin", "CHOWN", "Net_Admin", "CAP_NET_ADMIN", "net_bind_service")
    container = box(security_context=SecurityContext(capabilities_add=written))
    capsule = Capsule("shop", (container,))
    with pytest.raises(BuildRefused, match=r"capabilities.add SYS_ADMIN, NET_ADMIN is refused because these "
                                           r"capabilities break .*; pass --allow-privileged .* or remove them$"):
        member(capsule, container)
    assert member(capsule, container, allow_privileged=True)["HostConfig"]["CapAdd"] == list(written)


def test_an_init_container_is_refused_its_dangerous_capability_too() -> None:
    init = box("setup", security_context=SecurityContext(capabilities_add=("SYS_PTRACE",)))
    capsule = Capsule("shop", (box(),), init_containers=(init,))
    with pytest.raises(BuildRefused, match="container setup: securityContext.capabilities.add SYS_PTRACE"):
        member_body(context(capsule), init, sandbox_id=SANDBOX, secrets=SecretStore(), role=ROLE_INIT)


def test_docker_default_capabilities_and_dropping_need_no_flag() -> None:
    # Docker's default set (moby oci/caps/defaults.go): adding one back after a drop of ALL is safe.
    defaults = ("CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID", "SETFCAP",
                "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE")
    assert not set(defaults) & set(DANGEROUS_CAPABILITIES)
    container = box(security_context=SecurityContext(capabilities_add=defaults, capabilities_drop=("ALL", "SYS_ADMIN")))
    host = member(Capsule("shop", (container,)), container)["HostConfig"]
    assert host["CapAdd"] == list(defaults) and host["CapDrop"] == ["ALL", "SYS_ADMIN"]


def test_resources_limits_win_and_requests_cap_where_no_limit() -> None:
    both = box(resources=Resources(ResourceAmounts(0.25, 64 << 20), ResourceAmounts(0.5, 128 << 20)))
    only_requests = box("side", resources=Resources(requests=ResourceAmounts(0.1, 32 << 20)))
    nothing = box("bare")
    capsule = Capsule("shop", (both, only_requests, nothing))
    assert member(capsule, both)["HostConfig"]["NanoCpus"] == 500_000_000
    assert member(capsule, both)["HostConfig"]["Memory"] == 128 << 20
    assert member(capsule, only_requests)["HostConfig"]["NanoCpus"] == 100_000_000
    assert member(capsule, only_requests)["HostConfig"]["Memory"] == 32 << 20
    assert "NanoCpus" not in member(capsule, nothing)["HostConfig"]
    assert "Memory" not in member(capsule, nothing)["HostConfig"]


# ---------------------------------------------------------------- volumes and mounts


def test_mounts_per_volume_kind() -> None:
    mounts = (
        VolumeMount("data", "/data", read_only=True),
        VolumeMount("scratch", "/scratch"),
        VolumeMount("fast", "/fast"),
        VolumeMount("conf", "/etc/app"),
        VolumeMount("claim", "/db"),
        VolumeMount("host", "/host", sub_path="logs"),
    )
    capsule = Capsule(
        "shop",
        (box(volume_mounts=mounts),),
        volumes=(
            Volume("data", NamedVolume()),
            Volume("scratch", EmptyDirVolume()),
            Volume("fast", EmptyDirVolume("Memory", 1 << 20)),
            Volume("conf", ConfigMapVolume("conf", (("a.conf", "x"),))),
            Volume("claim", PersistentVolume("pgdata")),
            Volume("host", HostPathVolume("/srv/app")),
        ),
    )
    plans = plan_volumes(capsule, SecretStore(), uuid=UUID, options=BuildOptions(allow_host_path=True))
    assert plans["fast"].kind == KIND_TMPFS  # one user only: a plain tmpfs mount, no volume
    body = member(capsule, capsule.containers[0], allow_host_path=True)
    by_target = {m["Target"]: m for m in body["HostConfig"]["Mounts"]}
    data_labels = {"capsule.managed-by": "capsule", "capsule.name": "shop", "capsule.uuid": UUID,
                   "capsule.volume": "data", "capsule.scope": "capsule"}
    # The labels go with the mount: a volume the engine makes for it (a delete raced the build
    # and removed the one the build made) is the capsule's too, found and removed with it.
    assert by_target["/data"] == {"Type": "volume", "Source": "shop.data.01234567", "Target": "/data",
                                  "ReadOnly": True, "VolumeOptions": {"Labels": data_labels}}
    assert by_target["/db"]["VolumeOptions"]["Labels"]["capsule.scope"] == "persistent"
    assert by_target["/scratch"]["Source"] == "shop.scratch.01234567" and not by_target["/scratch"]["ReadOnly"]
    assert by_target["/fast"] == {"Type": "tmpfs", "Target": "/fast", "ReadOnly": False,
                                  "TmpfsOptions": {"SizeBytes": 1 << 20}}
    assert by_target["/etc/app"]["ReadOnly"] is True  # configMap volumes are read-only, as in Kubernetes
    assert by_target["/db"]["Source"] == "pgdata"
    assert by_target["/host"] == {"Type": "bind", "Source": "/srv/app/logs", "Target": "/host", "ReadOnly": False}


def test_memory_empty_dir_shared_by_two_containers_becomes_a_tmpfs_volume() -> None:
    shared = VolumeMount("cache", "/cache")
    capsule = Capsule(
        "shop",
        (box("a", volume_mounts=(shared,)), box("b", volume_mounts=(shared,))),
        volumes=(Volume("cache", EmptyDirVolume("Memory", 1 << 20)),),
    )
    plan = plan_volumes(capsule, SecretStore(), uuid=UUID, options=BuildOptions())["cache"]
    assert plan.kind == KIND_VOLUME
    assert dict(plan.driver_options) == {"type": "tmpfs", "device": "tmpfs", "o": f"size={1 << 20}"}
    # With an fsGroup the tmpfs is the group's from its mount: each use mounts a fresh one.
    grouped = dataclasses.replace(capsule, security_context=PodSecurityContext(fs_group=2000))
    plan = plan_volumes(grouped, SecretStore(), uuid=UUID, options=BuildOptions())["cache"]
    assert dict(plan.driver_options)["o"] == f"size={1 << 20},gid=2000"


def test_host_path_refused_without_the_option_naming_the_flag() -> None:
    capsule = Capsule("shop", (box(),), volumes=(Volume("host", HostPathVolume("/etc")),))
    with pytest.raises(BuildRefused) as caught:
        plan_volumes(capsule, SecretStore(), uuid=UUID, options=BuildOptions())
    assert "--allow-host-path" in caught.value.reason and "volume host" in caught.value.reason
    plan = plan_volumes(capsule, SecretStore(), uuid=UUID, options=BuildOptions(allow_host_path=True))["host"]
    assert plan.kind == KIND_BIND and plan.source == "/etc"


def named(*options: tuple[str, str], driver: str = "local") -> Capsule:
    return Capsule("shop", (box(),), volumes=(Volume("root", NamedVolume(driver, options)),))


@pytest.mark.parametrize("options, reached", [
    ((("type", "none"), ("o", "bind"), ("device", "/etc")), "bind-mount the host path /etc"),
    ((("type", "none"), ("o", "ro,rbind"), ("device", "/")), "bind-mount the host path /"),
    ((("o", "BIND"), ("device", "/etc")), "bind-mount the host path /etc"),  # values in any case
    ((("type", "bind"), ("device", "/etc")), "bind-mount the host path /etc"),
    ((("type", "ext4"), ("device", "/dev/sda1")), "mount the host's /dev/sda1 as ext4"),
    ((("device", "/dev/sda1"),), "mount the host's /dev/sda1"),
    ((("type", "proc"), ("device", "proc")), "mount a filesystem of type proc on the host"),
    ((("type", "overlay"), ("device", "overlay"), ("o", "lowerdir=/etc,upperdir=/u,workdir=/w")),
     "mount a filesystem of type overlay on the host"),
])
def test_local_driver_options_that_reach_the_host_are_refused_like_a_host_path(options, reached) -> None:
    capsule = named(*options)
    with pytest.raises(BuildRefused) as caught:
        plan_volumes(capsule, SecretStore(), uuid=UUID, options=BuildOptions())
    shown = ",".join(f"{key}={value}" for key, value in options)
    assert caught.value.reason == (
        f"capsule shop, volume root: the local driver options {shown} {reached}, which is refused because it "
        f"exposes the host's files or devices; pass --allow-host-path to allow it, or leave out driverOptions "
        f"for a volume the engine manages")
    assert caught.value.exit_code == 2 and caught.value.capsule == "shop"
    plan = plan_volumes(capsule, SecretStore(), uuid=UUID, options=BuildOptions(allow_host_path=True))["root"]
    assert plan.kind == KIND_VOLUME and plan.driver_options == options  # passed as written


@pytest.mark.parametrize("options", [
    (),  # a volume the engine manages in its own folder
    (("type", "tmpfs"), ("device", "tmpfs"), ("o", "size=64m,uid=1000")),  # memory
    (("type", "nfs"), ("o", "addr=10.0.0.9,rw,nfsvers=4"), ("device", ":/exports/data")),  # a network mount
    (("type", "cifs"), ("o", "addr=10.0.0.9,username=u"), ("device", "//10.0.0.9/share")),
    (("o", "size=64m"),),  # options without a type or a device mount nothing
])
def test_local_driver_options_that_stay_off_the_host_need_no_flag(options) -> None:
    plan = plan_volumes(named(*options), SecretStore(), uuid=UUID, options=BuildOptions())["root"]
    assert plan.kind == KIND_VOLUME and plan.driver_options == options


def test_a_network_mount_that_asks_for_a_bind_is_still_refused() -> None:
    with pytest.raises(BuildRefused, match="--allow-host-path"):
        plan_volumes(named(("type", "nfs"), ("o", "addr=10.0.0.9,bind"), ("device", "/etc")), SecretStore(),
                     uuid=UUID, options=BuildOptions())


def test_a_plugin_drivers_options_are_its_admins_business() -> None:
    plan = plan_volumes(named(("device", "/srv/data"), driver="rexray"), SecretStore(), uuid=UUID,
                        options=BuildOptions())["root"]
    assert plan.driver == "rexray" and plan.driver_options == (("device", "/srv/data"),)


def test_volume_size_refused_for_local_driver_and_passed_for_others() -> None:
    local = Capsule("shop", (box(),), volumes=(Volume("data", NamedVolume(size=10 << 30)),))
    with pytest.raises(BuildRefused, match="local volume driver takes no size"):
        plan_volumes(local, SecretStore(), uuid=UUID, options=BuildOptions())
    other = Capsule("shop", (box(),), volumes=(Volume("data", NamedVolume("zfs", (("compression", "on"),), 1024)),))
    plan = plan_volumes(other, SecretStore(), uuid=UUID, options=BuildOptions())["data"]
    assert plan.driver == "zfs" and dict(plan.driver_options) == {"compression": "on", "size": "1024"}


def test_persistent_claims_keep_their_name_and_read_only() -> None:
    capsule = Capsule("shop", (box(),), volumes=(Volume("db", PersistentVolume("pgdata", read_only=True)),))
    plan = plan_volumes(capsule, SecretStore(), uuid=UUID, options=BuildOptions())["db"]
    assert (plan.kind, plan.source, plan.read_only) == (KIND_PERSISTENT, "pgdata", True)


def test_sub_path_refused_on_old_engines_and_used_on_new_ones() -> None:
    container = box(volume_mounts=(VolumeMount("data", "/data", sub_path="sub/dir"),))
    capsule = Capsule("shop", (container,), volumes=(Volume("data", NamedVolume()),))
    with pytest.raises(BuildRefused) as caught:
        member(capsule, container, api=(1, 41))
    assert "subPath" in caught.value.reason and "1.45" in caught.value.reason and "1.41" in caught.value.reason
    mount = member(capsule, container, api=(1, 45))["HostConfig"]["Mounts"][0]
    assert mount["VolumeOptions"]["Subpath"] == "sub/dir"
    escaping = box(volume_mounts=(VolumeMount("data", "/data", sub_path="../etc"),))
    with pytest.raises(BuildRefused, match="without '..'"):
        member(Capsule("shop", (escaping,), volumes=capsule.volumes), escaping, api=(1, 45))


def test_mount_of_unknown_volume_is_refused() -> None:
    container = box(volume_mounts=(VolumeMount("nope", "/x"),))
    with pytest.raises(BuildRefused, match="names no volume"):
        member(Capsule("shop", (container,)), container)


def test_secret_volume_files_and_missing_secret_refusal() -> None:
    secrets = SecretStore()
    secrets.add("tls", {"crt": b"CERT", "key": b"KEY"})
    capsule = Capsule("shop", (box(),), volumes=(Volume("tls", SecretVolume("tls", default_mode=0o400)),))
    plan = plan_volumes(capsule, secrets, uuid=UUID, options=BuildOptions())["tls"]
    default = secrets.of(None)  # volume_files reads the capsule's namespace's: the build scopes it
    assert plan.read_only and sorted(volume_files(plan, default)) == [("crt", b"CERT", 0o400), ("key", b"KEY", 0o400)]
    picked = Capsule("shop", (box(),), volumes=(Volume("tls", SecretVolume("tls", (("crt", "certs/tls.crt"),))),))
    plan = plan_volumes(picked, secrets, uuid=UUID, options=BuildOptions())["tls"]
    assert volume_files(plan, default) == [("certs/tls.crt", b"CERT", 0o644)]
    with pytest.raises(BuildRefused, match="secret 'default/other' is not given"):
        plan_volumes(Capsule("shop", (box(),), volumes=(Volume("s", SecretVolume("other")),)), secrets,
                     uuid=UUID, options=BuildOptions())
    with pytest.raises(BuildRefused, match="has no key 'nokey'"):
        plan_volumes(Capsule("shop", (box(),), volumes=(Volume("s", SecretVolume("tls", (("nokey", "p"),))),)),
                     secrets, uuid=UUID, options=BuildOptions())
    optional = Capsule("shop", (box(),), volumes=(Volume("s", SecretVolume("other", optional=True)),))
    plan = plan_volumes(optional, secrets, uuid=UUID, options=BuildOptions())["s"]
    assert volume_files(plan, default) == []


def test_a_capsule_reads_the_secrets_of_its_own_namespace_only() -> None:
    secrets = SecretStore()
    secrets.add("db", {"password": b"value-of-a"}, "a")
    secrets.add("db", {"password": b"value-of-b"}, "b")
    container = box(env=(EnvVar("PW", secret_ref=SecretKeyRef("db", "password")),),
                    volume_mounts=(VolumeMount("creds", "/creds"),))
    volumes = (Volume("creds", SecretVolume("db")),)
    for namespace in ("a", "b"):
        capsule = Capsule("shop", (container,), volumes=volumes, namespace=namespace)
        assert f"PW=value-of-{namespace}" in member(capsule, container, secrets)["Env"]
        plan = plan_volumes(capsule, secrets, uuid=UUID, options=BuildOptions())["creds"]
        assert volume_files(plan, secrets.of(namespace)) == [("password", f"value-of-{namespace}".encode(), 0o644)]
    elsewhere = Capsule("shop", (container,), volumes=volumes, namespace="c")
    plain = box(env=container.env)
    with pytest.raises(BuildFailed, match="secret 'c/db', but that secret is not given"):
        member_body(context(Capsule("shop", (plain,), namespace="c")), plain, sandbox_id=SANDBOX, secrets=secrets)
    with pytest.raises(BuildRefused, match="secret 'c/db' is not given"):
        plan_volumes(elsewhere, secrets, uuid=UUID, options=BuildOptions())


def test_archive_holds_files_with_modes_and_parent_directories() -> None:
    data = build_archive([("a/b/c.txt", b"hello", 0o640), ("top", b"x", 0o400)])
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar.getmembers()}
        assert set(members) == {"a", "a/b", "a/b/c.txt", "top"}
        assert members["a"].isdir() and members["a/b/c.txt"].mode == 0o640 and members["top"].mode == 0o400
        assert tar.extractfile("a/b/c.txt").read() == b"hello"


def test_archive_with_an_fs_group_gives_the_volume_root_and_every_entry_to_the_group() -> None:
    data = build_archive([("a/c.txt", b"hello", 0o600), ("top", b"x", 0o400)], 2000, "capsule-volume")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        modes = {m.name: (m.gid, m.mode) for m in tar.getmembers()}
    assert modes == {
        "capsule-volume": (2000, 0o2775),
        "capsule-volume/a": (2000, 0o2775),
        "capsule-volume/a/c.txt": (2000, 0o660),
        "capsule-volume/top": (2000, 0o440),
    }


# ---------------------------------------------------------------- images, reasons, helpers


def test_wanted_images_take_the_strongest_policy_and_sandbox_if_not_present() -> None:
    capsule = Capsule(
        "shop",
        (box("a", image_pull_policy="Never"), box("b", image_pull_policy="Always")),
        init_containers=(Container("i", "init:1", image_pull_policy="Never"),),
    )
    assert wanted_images(capsule, "pause:3.10") == {
        "pause:3.10": "IfNotPresent",
        "busybox:1.36": "Always",
        "init:1": "Never",
    }


def test_engine_reasons_are_one_line_and_name_the_host() -> None:
    ctx = context(Capsule("shop", (box(),)), network="backend")
    port = EngineServerError(
        "x",
        engine_message="driver failed programming external connectivity on endpoint shop (abc): "
        "Bind for 0.0.0.0:18080 failed: port is already allocated",
    )
    assert engine_reason(port, "starting the sandbox", ctx) == "port 18080 is already allocated on host local"
    missing = ImageNotFound("x", engine_message="No such image: foo:1")
    assert engine_reason(missing, "creating member web", ctx, image="foo:1") == "image foo:1 not found on host local"
    no_network = NetworkNotFound("x", engine_message="network backend not found")
    assert "network backend not found on host local" in engine_reason(no_network, "creating the sandbox", ctx)
    taken = engine_reason(Conflict("x", engine_message="name in use"), "creating the sandbox", ctx)
    assert "already exists on host local" in taken and "capsule delete shop" in taken
    other = engine_reason(EngineServerError("x", engine_message="boom\nbang"), "starting member web", ctx)
    assert other == "starting member web of capsule shop on host local failed: boom bang"


def test_cancellation_becomes_build_cancelled_that_asyncio_still_sees() -> None:
    ctx = context(Capsule("shop", (box(),)))
    failure = as_build_failed(asyncio.CancelledError(), ctx)
    assert isinstance(failure, BuildCancelled) and isinstance(failure, BuildFailed)
    assert isinstance(failure, asyncio.CancelledError)
    assert "interrupted" in failure.reason and failure.host == "local" and failure.capsule == "shop"


def test_started_at_parses_engine_nanoseconds() -> None:
    early = _started_at({"State": {"StartedAt": "2024-05-01T10:00:00Z"}})
    late = _started_at({"State": {"StartedAt": "2024-05-01T10:00:00.100000001Z"}})
    assert early is not None and late is not None and early < late
    assert _started_at({"State": {"StartedAt": "0001-01-01T00:00:00Z"}}) is None


async def test_all_or_nothing_cancels_the_rest_and_raises_the_first_cause() -> None:
    finished: list[str] = []

    async def slow() -> None:
        await asyncio.sleep(5)
        finished.append("slow")

    async def bad() -> None:
        await asyncio.sleep(0.01)
        raise ValueError("first")

    with pytest.raises(ValueError, match="first"):
        await all_or_nothing([slow(), bad()])
    assert finished == []
    assert await all_or_nothing([asyncio.sleep(0, result=1), asyncio.sleep(0, result=2)]) == [1, 2]
