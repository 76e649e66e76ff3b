"""Engine API create bodies for a capsule's containers: the spec, translated.

- the sandbox owns the network namespace (bridge or a named network, the hostname,
  every member's published ports, TCP and UDP) and a shareable IPC namespace, and
  with them the capsule's sysctls; it restarts `always`, because without it no member
  has a network;
- members and init containers join it (`container:<sandbox id>` for network and IPC,
  and PID when shareProcessNamespace is set) and carry the rest of their spec:
  Kubernetes command semantics, env with Secret references resolved and run-time
  variables (status.podIP, resourceFieldRef, ...) filled in and expanded, mounts,
  security context, resources and the restart policy.

Every container carries the contract labels (`runtime.observe.observed`), the capsule's own
labels, and `capsule.spec`, the normalized spec, which holds Secret references only.
Pure functions: no I/O. They raise BuildRefused for what the options forbid (privileged,
the capabilities that break isolation and an Unconfined seccomp profile, all without
--allow-privileged) or the host's API cannot do, and BuildFailed for Secret references
that do not resolve; the message names capsule, container and field, never a secret
value. Whether the image's own user is root (runAsNonRoot) needs the engine:
runtime/build/users.py checks that.
"""

from __future__ import annotations

import json
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from runtime.build.model import BuildOptions
from runtime.build.names import sandbox_hostname
from runtime.build.pod_facts import PodFacts, expand_run_time, run_time_values
from runtime.build.volume_plan import KIND_BIND, KIND_PERSISTENT, KIND_TMPFS, VolumePlan, check_relative_path
from runtime.errors import BuildFailed, BuildRefused
from runtime.labels import (
    LABEL_MANAGED_BY,
    LABEL_MEMBER,
    LABEL_NAME,
    LABEL_NAMESPACE,
    LABEL_REVISION,
    LABEL_ROLE,
    LABEL_SCOPE,
    LABEL_SPEC,
    LABEL_UUID,
    LABEL_VOLUME,
    MANAGED_BY,
    ROLE_FORWARDER,
    ROLE_INIT,
    ROLE_MEMBER,
    ROLE_SANDBOX,
    ROLE_SIDECAR,
    SCOPE_CAPSULE,
    SCOPE_PERSISTENT,
)
from translate.host_access import dangerous_capabilities
from translate.secrets import Secrets, SecretScope
from translate.spec import SECCOMP_UNCONFINED, Capsule, Container

# VolumeOptions.Subpath arrived with Engine API 1.45 (Docker 26).
SUBPATH_API = (1, 45)
RESTART_POLICIES = {"Always": "always", "OnFailure": "on-failure", "Never": "no"}
FORWARDER = "_ports"  # its member name: no container of a spec can be named so (DNS labels only)
SANDBOX_PLACEHOLDER_ID = "0" * 64  # stands in for the id when bodies are checked up front


@dataclass(frozen=True)
class BuildContext:
    """What every body of one capsule build needs besides the container itself."""

    capsule: Capsule
    uuid: str
    revision: int
    host: str
    options: BuildOptions
    volumes: dict[str, VolumePlan] = field(default_factory=dict)
    api_version: tuple[int, int] = (1, 41)
    # The capsule.spec label as it already is on the host (containers added later
    # keep their capsule's label); None: the normalized spec of `capsule`.
    spec_label: str | None = None
    # The image's own user (Config.User, without a group) of each container that sets
    # runAsGroup without runAsUser: it runs as that user in that group (runtime/build/users.py).
    image_users: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def spec_json(self) -> str:
        if self.spec_label is not None:
            return self.spec_label
        return json.dumps(self.capsule.to_dict(), sort_keys=True, separators=(",", ":"))


def capsule_labels(ctx: BuildContext, role: str, member: str = "") -> dict[str, str]:
    """The labels one container carries; the contract keys win over user labels."""
    labels = dict(ctx.options.extra_labels)
    labels.update(dict(ctx.capsule.labels))
    labels.update(
        {
            LABEL_MANAGED_BY: MANAGED_BY,
            LABEL_NAME: ctx.capsule.name,
            LABEL_UUID: ctx.uuid,
            LABEL_ROLE: role,
            LABEL_REVISION: str(ctx.revision),
            LABEL_SPEC: ctx.spec_json,
        }
    )
    if member:
        labels[LABEL_MEMBER] = member
    if ctx.capsule.namespace:
        labels[LABEL_NAMESPACE] = ctx.capsule.namespace
    return labels


def sandbox_body(ctx: BuildContext) -> dict[str, Any]:
    capsule = ctx.capsule
    exposed: dict[str, dict[str, Any]] = {}
    bindings: dict[str, list[dict[str, str]]] = {}
    for container in capsule.containers:
        for port in container.ports:
            key = f"{port.container_port}/{port.protocol.lower()}"
            exposed[key] = {}
            if port.host_port is not None:
                bindings.setdefault(key, []).append({"HostIp": "", "HostPort": str(port.host_port)})
    network = ctx.options.network or "bridge"
    body: dict[str, Any] = {
        "Image": ctx.options.sandbox_image,
        "Hostname": capsule.hostname or sandbox_hostname(capsule.name),
        "Labels": capsule_labels(ctx, ROLE_SANDBOX),
        "ExposedPorts": exposed,
        "HostConfig": {
            "NetworkMode": network,
            "IpcMode": "shareable",  # members cannot join a private IPC namespace
            "PortBindings": bindings,
            "RestartPolicy": {"Name": "always"},
        },
    }
    sysctls = ctx.capsule.security_context.sysctls
    if sysctls:
        # The sandbox owns the network and IPC namespaces these belong to; the engine
        # refuses net.* sysctls on a container that joins another's network.
        body["HostConfig"]["Sysctls"] = dict(sysctls)
    if ctx.options.network:
        # On a named network other containers reach the capsule by its name.
        aliases = list(dict.fromkeys([capsule.name, *ctx.options.aliases]))
        body["NetworkingConfig"] = {"EndpointsConfig": {network: {"Aliases": aliases}}}
    return body


def member_body(
    ctx: BuildContext, container: Container, *, sandbox_id: str, secrets: Secrets, role: str = ROLE_MEMBER,
    facts: PodFacts | None = None,
) -> dict[str, Any]:
    """The create body of a member (or, with role init, an init container).

    `facts`: what the running sandbox knows (runtime/build/pod_facts.py), for the run-time
    variables; None while the bodies are checked before the sandbox exists.
    """
    secrets = secrets.of(ctx.capsule.namespace)  # as Kubernetes: the capsule's namespace's Secrets
    where = f"capsule {ctx.capsule.name}, container {container.name}"
    run_time = run_time_values(facts or PodFacts(), ctx.capsule, container, where)
    joined = f"container:{sandbox_id}"
    host_config: dict[str, Any] = {
        "NetworkMode": joined,
        "IpcMode": joined,
        "Mounts": [_mount(ctx, container, m, where) for m in container.volume_mounts],
        "RestartPolicy": {
            "Name": "no" if role == ROLE_INIT
            else "always" if role == ROLE_SIDECAR else RESTART_POLICIES[ctx.capsule.restart_policy]
        },
    }
    if ctx.capsule.share_process_namespace:
        host_config["PidMode"] = joined
    host_config.update(_security(ctx, container, where))
    host_config.update(_resources(container))
    labels = capsule_labels(ctx, role, container.name)
    body: dict[str, Any] = {
        "Image": container.image,
        "Env": [f"{name}={value}" for name, value in _env(ctx, container, secrets, where, run_time)],
        # Container labels first, so the contract labels always win.
        "Labels": {**dict(container.labels), **labels},
        "OpenStdin": container.stdin,
        "StdinOnce": False,
        "Tty": container.tty,
        "HostConfig": host_config,
    }
    # Kubernetes: command replaces the entrypoint (and with it the image's cmd);
    # args alone replace only the cmd and keep the image's entrypoint.
    if container.command:
        body["Entrypoint"] = [expand_run_time(word, run_time) for word in container.command]
    if container.args:
        body["Cmd"] = [expand_run_time(word, run_time) for word in container.args]
    if container.work_dir:
        body["WorkingDir"] = container.work_dir
    user = _user(ctx, container, where)
    if user:
        body["User"] = user
    return body


def _env(
    ctx: BuildContext, container: Container, secrets: SecretScope, where: str, run_time: dict[str, str]
) -> list[tuple[str, str]]:
    own = {var.name for var in container.env}
    pairs: list[tuple[str, str]] = [(k, v) for k, v in ctx.options.service_env if k not in own]
    for var in container.env:
        if var.name in run_time:
            pairs.append((var.name, run_time[var.name]))
            continue
        ref = var.secret_ref
        if ref is None:
            pairs.append((var.name, expand_run_time(var.value or "", run_time)))
            continue
        if not secrets.has(ref.secret) or ref.key not in secrets.keys(ref.secret):
            if ref.optional:
                continue
            missing = "that secret" if not secrets.has(ref.secret) else "that key"
            raise BuildFailed(
                f"{where}: env var {var.name} refers to key {ref.key!r} of secret "
                f"'{secrets.namespace}/{ref.secret}', but {missing} "
                f"is not given; include the Secret in the input or mark the reference optional",
                capsule=ctx.capsule.name,
                host=ctx.host,
            )
        try:
            value = secrets.value(ref.secret, ref.key).decode("utf-8")
        except UnicodeDecodeError:
            raise BuildFailed(
                f"{where}: env var {var.name} takes key {ref.key!r} of secret "
                f"'{secrets.namespace}/{ref.secret}', which is not "
                f"UTF-8 text; an environment variable cannot hold it, mount the secret as a volume instead",
                capsule=ctx.capsule.name,
                host=ctx.host,
            ) from None
        pairs.append((var.name, value))
    return pairs


def volume_labels(ctx: BuildContext, plan: VolumePlan, scope: str) -> dict[str, str]:
    """A capsule volume's labels: on the volume the build creates, and on any the engine makes for it."""
    labels = dict(ctx.options.extra_labels)
    labels.update(
        {
            LABEL_MANAGED_BY: MANAGED_BY,
            LABEL_NAME: ctx.capsule.name,
            LABEL_UUID: ctx.uuid,
            LABEL_VOLUME: plan.name,
            LABEL_SCOPE: scope,
        }
    )
    return labels


def _mount(ctx: BuildContext, container: Container, mount: Any, where: str) -> dict[str, Any]:
    plan = ctx.volumes.get(mount.name)
    if plan is None:
        raise BuildRefused(
            f"{where}: volumeMount {mount.name!r} names no volume of the capsule; add it under volumes",
            capsule=ctx.capsule.name,
        )
    read_only = bool(mount.read_only or plan.read_only)
    sub_path = check_relative_path(mount.sub_path, f"{where}: subPath") if mount.sub_path else ""
    if plan.kind == KIND_TMPFS:
        tmpfs: dict[str, Any] = {"Type": "tmpfs", "Target": mount.mount_path, "ReadOnly": read_only}
        if plan.tmpfs_size:
            tmpfs["TmpfsOptions"] = {"SizeBytes": plan.tmpfs_size}
        return tmpfs
    if plan.kind == KIND_BIND:
        source = posixpath.join(plan.source, sub_path) if sub_path else plan.source
        return {"Type": "bind", "Source": source, "Target": mount.mount_path, "ReadOnly": read_only}
    body: dict[str, Any] = {"Type": "volume", "Source": plan.source, "Target": mount.mount_path, "ReadOnly": read_only}
    # The engine creates a volume a mount names when it does not exist (a delete racing the
    # build removed it): these labels make such a volume the capsule's, found and removed
    # with it, never an unlabelled one nobody can tell apart.
    scope = SCOPE_PERSISTENT if plan.kind == KIND_PERSISTENT else SCOPE_CAPSULE
    body["VolumeOptions"] = {"Labels": volume_labels(ctx, plan, scope)}
    if sub_path:
        if ctx.api_version < SUBPATH_API:
            raise BuildRefused(
                f"{where}: the mount of volume {mount.name} uses subPath {mount.sub_path!r}, which needs Docker "
                f"Engine API {SUBPATH_API[0]}.{SUBPATH_API[1]} (Docker 26) or newer; host {ctx.host} speaks "
                f"{ctx.api_version[0]}.{ctx.api_version[1]}. Mount the whole volume, or upgrade Docker there",
                capsule=ctx.capsule.name,
                host=ctx.host,
            )
        body["VolumeOptions"]["Subpath"] = sub_path
    return body


def _security(ctx: BuildContext, container: Container, where: str) -> dict[str, Any]:
    security = container.security_context
    out: dict[str, Any] = {}
    if security.privileged:
        if not ctx.options.allow_privileged:
            raise BuildRefused(
                f"{where}: securityContext.privileged is refused because a privileged container controls "
                f"the host; pass --allow-privileged to allow it, or add only the capabilities it needs",
                capsule=ctx.capsule.name,
                host=ctx.host,
            )
        out["Privileged"] = True
    _check_capabilities(ctx, security.capabilities_add, where)
    if security.capabilities_add:
        out["CapAdd"] = list(security.capabilities_add)
    if security.capabilities_drop:
        out["CapDrop"] = list(security.capabilities_drop)
    if security.read_only_root_filesystem:
        out["ReadonlyRootfs"] = True
    options = []
    if not security.allow_privilege_escalation:
        options.append("no-new-privileges:true")
    if security.seccomp_profile == SECCOMP_UNCONFINED:
        if not ctx.options.allow_privileged:
            raise BuildRefused(
                f"{where}: securityContext.seccompProfile Unconfined is refused because a container "
                f"without a seccomp filter can make every system call of the host's kernel; pass "
                f"--allow-privileged to allow it, or use RuntimeDefault",
                capsule=ctx.capsule.name,
                host=ctx.host,
            )
        options.append("seccomp=unconfined")
    if options:
        out["SecurityOpt"] = options
    groups = ctx.capsule.security_context.groups
    if groups:
        out["GroupAdd"] = [str(g) for g in groups]
    return out


def _check_capabilities(ctx: BuildContext, added: tuple[str, ...], where: str) -> None:
    """Capabilities that break isolation (translate.host_access.DANGEROUS_CAPABILITIES,
    the one list, shared with the translate-time warning) need the flag that privileged needs."""
    dangerous = dangerous_capabilities(added)
    if dangerous and not ctx.options.allow_privileged:
        raise BuildRefused(
            f"{where}: securityContext.capabilities.add {', '.join(dangerous)} is refused because "
            f"{'these capabilities break' if len(dangerous) > 1 else 'this capability breaks'} the "
            f"container's isolation from the host; pass --allow-privileged to allow it, or remove "
            f"{'them' if len(dangerous) > 1 else 'it'}",
            capsule=ctx.capsule.name,
            host=ctx.host,
        )


def _user(ctx: BuildContext, container: Container, where: str) -> str:
    security = container.security_context
    if security.run_as_group is not None and security.run_as_user is None:
        # As Kubernetes: the image's user, in that group. Docker takes a group only with a
        # user; before the image is read (the up-front check of every body) root stands in.
        return f"{ctx.image_users.get(container.name) or '0'}:{security.run_as_group}"
    if security.run_as_non_root and security.run_as_user == 0:
        raise BuildRefused(
            f"{where}: securityContext.runAsNonRoot is set, but runAsUser is 0 (root); set runAsUser "
            f"to a non-zero user id, or remove runAsNonRoot",
            capsule=ctx.capsule.name,
        )
    if security.run_as_user is None:
        return ""
    if security.run_as_group is None:
        return str(security.run_as_user)
    return f"{security.run_as_user}:{security.run_as_group}"


def _resources(container: Container) -> dict[str, Any]:
    """Limits cap the container; without a limit, the request is the cap (the original design)."""
    resources = container.resources
    cpu = resources.limits.cpu if resources.limits.cpu is not None else resources.requests.cpu
    memory = resources.limits.memory if resources.limits.memory is not None else resources.requests.memory
    out: dict[str, Any] = {}
    if cpu:
        out["NanoCpus"] = int(round(cpu * 1e9))
    if memory:
        out["Memory"] = int(memory)
    if resources.gpus:
        # What `docker run --gpus N` sends: the engine's nvidia driver (the NVIDIA Container
        # Toolkit) picks N free GPUs; an engine without it refuses at start, naming the driver.
        out["DeviceRequests"] = [{"Driver": "nvidia", "Count": resources.gpus, "Capabilities": [["gpu"]]}]
    return out


def forwarder_body(ctx: BuildContext, *, sandbox_id: str) -> dict[str, Any]:
    """The capsule's port forwarder: each Service port relayed to its targetPort on localhost."""
    pairs = " ".join(f"{port}:{target}" for port, target in ctx.options.port_forwards)
    script = (f'for pair in {pairs}; do nc -ll -p "${{pair%:*}}" -e nc 127.0.0.1 "${{pair#*:}}" & done; wait')
    joined = f"container:{sandbox_id}"
    return {
        "Image": ctx.options.forwarder_image,
        "Entrypoint": ["sh", "-c"],
        "Cmd": [script],
        "Labels": capsule_labels(ctx, ROLE_FORWARDER, FORWARDER),
        "HostConfig": {"NetworkMode": joined, "RestartPolicy": {"Name": "always"}, "Init": True},
    }
