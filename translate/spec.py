"""The internal capsule spec: the one shape every reader produces and every consumer uses.

Both readers (capsule YAML and Kubernetes manifests) build these objects; the runtime
runs them, the writers print them. `to_dict()` gives the *normalized capsule* document
(capsule-format field names, defaults filled in, CPU in cores, memory in bytes), which
is itself valid capsule input: reading it again yields an equal spec.

Secret values never live in a spec. Env vars and volumes keep references to Secrets
(`SecretKeyRef`, `SecretVolume`); the values travel beside the spec in
`translate.secrets.SecretStore` and are resolved only by the runtime when it builds
containers. ConfigMap contents are not secret and are inlined when known; a ConfigMap
that is not in the input stays a reference (`ConfigMapKeyRef`, `EnvFromRef`, an
unresolved `ConfigMapVolume`) until `create` resolves it (translate/references.py).

This module must not import anything outside the standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from translate.quantity import GPU_RESOURCE

API_VERSION = "beta"
KIND = "capsule"
SERVICE_KIND = "service"
DEFAULT_NAMESPACE = "default"
SERVICE_TYPES: tuple[str, ...] = ("ClusterIP", "NodePort", "LoadBalancer")


RESTART_POLICIES: tuple[str, ...] = ("Always", "OnFailure", "Never")
PULL_POLICIES: tuple[str, ...] = ("Always", "IfNotPresent", "Never")
PROTOCOLS: tuple[str, ...] = ("TCP", "UDP")


def default_pull_policy(image: str) -> str:
    """Kubernetes' default: Always for ':latest' or no tag, else IfNotPresent."""
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    tag = last.split(":", 1)[1] if ":" in last else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _drop_empty(mapping: dict[str, Any]) -> dict[str, Any]:
    """Leave out optional fields that carry nothing, so output stays readable."""
    return {k: v for k, v in mapping.items() if v is not None and v != {} and v != []}


# --- env ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SecretKeyRef:
    """A reference to one key of a Secret; the value itself is never stored here."""

    secret: str
    key: str
    optional: bool = False

    def to_dict(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"name": self.secret, "key": self.key}
        if self.optional:
            ref["optional"] = True
        return {"secretKeyRef": ref}


@dataclass(frozen=True)
class FieldRef:
    """A pod field that only the runtime knows (translate/pod_fields.py): status.podIP, ..."""

    field_path: str

    def to_dict(self) -> dict[str, Any]:
        return {"fieldRef": {"fieldPath": self.field_path}}


@dataclass(frozen=True)
class ResourceFieldRef:
    """A container's limit or request (`limits.memory`, ...) divided by `divisor`, rounded up.

    `container` None: the container the variable belongs to.
    """

    resource: str
    divisor: str = "1"
    container: str | None = None

    def to_dict(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"resource": self.resource, "divisor": self.divisor}
        if self.container is not None:
            ref = {"containerName": self.container, **ref}
        return {"resourceFieldRef": ref}


@dataclass(frozen=True)
class ConfigMapKeyRef:
    """A key of a ConfigMap that was not in the input: resolved by `create` from stored ones."""

    config_map: str
    key: str
    optional: bool = False

    def to_dict(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"name": self.config_map, "key": self.key}
        if self.optional:
            ref["optional"] = True
        return {"configMapKeyRef": ref}


@dataclass(frozen=True)
class EnvFromRef:
    """An envFrom entry whose ConfigMap or Secret was not in the input, so its keys are unknown."""

    kind: str  # "ConfigMap" or "Secret"
    name: str
    prefix: str = ""
    optional: bool = False

    def to_dict(self) -> dict[str, Any]:
        ref: dict[str, Any] = {"name": self.name}
        if self.optional:
            ref["optional"] = True
        body: dict[str, Any] = {"configMapRef" if self.kind == "ConfigMap" else "secretRef": ref}
        if self.prefix:
            body["prefix"] = self.prefix
        return body


@dataclass(frozen=True)
class EnvVar:
    """A plain value, or a reference: a Secret's key (resolved at run time), a pod field or a
    resource (given by the runtime), a key of a ConfigMap not in the input (resolved by
    create); at most one is set."""

    name: str
    value: str | None = None
    secret_ref: SecretKeyRef | None = None
    field_ref: FieldRef | None = None
    resource_ref: ResourceFieldRef | None = None
    config_ref: ConfigMapKeyRef | None = None

    @property
    def run_time(self) -> bool:
        """Whether the runtime gives the value (from the pod or its resources), not the spec."""
        return self.field_ref is not None or self.resource_ref is not None

    def to_dict(self) -> dict[str, Any]:
        ref = self.secret_ref or self.field_ref or self.resource_ref or self.config_ref
        if ref is not None:
            return {"name": self.name, "valueFrom": ref.to_dict()}
        return {"name": self.name, "value": self.value if self.value is not None else ""}


# --- ports, mounts, resources --------------------------------------------------------


@dataclass(frozen=True)
class Port:
    container_port: int
    host_port: int | None = None
    protocol: str = "TCP"
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "name": self.name,
                "containerPort": self.container_port,
                "hostPort": self.host_port,
                "protocol": self.protocol,
            }
        )


@dataclass(frozen=True)
class VolumeMount:
    name: str
    mount_path: str
    read_only: bool = False
    sub_path: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "name": self.name,
                "mountPath": self.mount_path,
                "readOnly": self.read_only,
                "subPath": self.sub_path,
            }
        )


@dataclass(frozen=True)
class ResourceAmounts:
    cpu: float | None = None  # cores
    memory: int | None = None  # bytes
    gpu: int | None = None  # whole NVIDIA GPUs (GPU_RESOURCE)

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty({"cpu": self.cpu, "memory": self.memory, GPU_RESOURCE: self.gpu})

    @property
    def empty(self) -> bool:
        return self.cpu is None and self.memory is None and self.gpu is None


@dataclass(frozen=True)
class Resources:
    requests: ResourceAmounts = field(default_factory=ResourceAmounts)
    limits: ResourceAmounts = field(default_factory=ResourceAmounts)

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {"requests": self.requests.to_dict(), "limits": self.limits.to_dict()}
        )

    @property
    def placement_cpu(self) -> float:
        """What the scheduler counts: the request, else the limit (as Kubernetes does)."""
        return self.requests.cpu if self.requests.cpu is not None else (self.limits.cpu or 0.0)

    @property
    def placement_memory(self) -> int:
        if self.requests.memory is not None:
            return self.requests.memory
        return self.limits.memory or 0

    @property
    def gpus(self) -> int:
        """GPUs the container gets: the limit (an extended resource's request equals its limit)."""
        return self.limits.gpu or 0


# --- probes and security -------------------------------------------------------------


@dataclass(frozen=True)
class Probe:
    """A liveness/readiness/startup probe; exactly one of exec/http/tcp/grpc is set.

    Named ports are resolved to numbers by the readers, so the runtime needs no lookup.
    """

    exec_command: tuple[str, ...] | None = None
    http_path: str | None = None
    http_port: int | None = None
    http_host: str | None = None
    http_scheme: str = "HTTP"
    http_headers: tuple[tuple[str, str], ...] = ()
    tcp_port: int | None = None
    grpc_port: int | None = None
    grpc_service: str | None = None  # None or "": the server's overall health, as Kubernetes asks
    grpc_tls: bool = False  # Kubernetes' grpc.mode TLS: TLS without checking the certificate
    initial_delay_seconds: int = 0
    period_seconds: int = 10
    timeout_seconds: int = 1
    success_threshold: int = 1
    failure_threshold: int = 3

    @property
    def kind(self) -> str:
        if self.exec_command is not None:
            return "exec"
        if self.grpc_port is not None:
            return "grpc"
        return "httpGet" if self.http_port is not None else "tcpSocket"

    def to_dict(self) -> dict[str, Any]:
        action: dict[str, Any]
        if self.exec_command is not None:
            action = {"exec": {"command": list(self.exec_command)}}
        elif self.http_port is not None:
            http = _drop_empty(
                {
                    "path": self.http_path or "/",
                    "port": self.http_port,
                    "host": self.http_host,
                    "scheme": self.http_scheme,
                    "httpHeaders": [
                        {"name": n, "value": v} for n, v in self.http_headers
                    ],
                }
            )
            action = {"httpGet": http}
        elif self.grpc_port is not None:
            grpc = {"port": self.grpc_port, "service": self.grpc_service, "mode": "TLS" if self.grpc_tls else None}
            action = {"grpc": _drop_empty(grpc)}
        else:
            action = {"tcpSocket": {"port": self.tcp_port}}
        return {
            **action,
            "initialDelaySeconds": self.initial_delay_seconds,
            "periodSeconds": self.period_seconds,
            "timeoutSeconds": self.timeout_seconds,
            "successThreshold": self.success_threshold,
            "failureThreshold": self.failure_threshold,
        }


SECCOMP_DEFAULT = "RuntimeDefault"  # the engine's default profile
SECCOMP_UNCONFINED = "Unconfined"  # no profile: refused without --allow-privileged

# Kubernetes' safe sysctls (the kubelet allows no other without a flag): namespaced,
# and isolated from the host and from other pods. All of them belong to the network
# or IPC namespace, which the sandbox owns, so the build sets them there.
SAFE_SYSCTLS = (
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
)


@dataclass(frozen=True)
class SecurityContext:
    privileged: bool = False
    capabilities_add: tuple[str, ...] = ()
    capabilities_drop: tuple[str, ...] = ()
    run_as_user: int | None = None
    run_as_group: int | None = None
    read_only_root_filesystem: bool = False
    run_as_non_root: bool = False  # the build refuses a member that would run as root
    allow_privilege_escalation: bool = True  # False: the engine's no-new-privileges
    seccomp_profile: str = SECCOMP_DEFAULT  # or SECCOMP_UNCONFINED

    def to_dict(self) -> dict[str, Any]:
        caps = _drop_empty(
            {"add": list(self.capabilities_add), "drop": list(self.capabilities_drop)}
        )
        seccomp = None if self.seccomp_profile == SECCOMP_DEFAULT else {"type": self.seccomp_profile}
        return _drop_empty(
            {
                "privileged": self.privileged or None,
                "capabilities": caps,
                "runAsUser": self.run_as_user,
                "runAsGroup": self.run_as_group,
                "runAsNonRoot": self.run_as_non_root or None,
                "allowPrivilegeEscalation": None if self.allow_privilege_escalation else False,
                "readOnlyRootFilesystem": self.read_only_root_filesystem or None,
                "seccompProfile": seccomp,
            }
        )

    @property
    def empty(self) -> bool:
        return self.to_dict() == {}


@dataclass(frozen=True)
class PodSecurityContext:
    """The capsule-wide settings of Kubernetes' pod securityContext.

    The settings a container can also have (runAsUser, runAsGroup, runAsNonRoot,
    seccompProfile) are merged into each container's SecurityContext by the readers.
    """

    supplemental_groups: tuple[int, ...] = ()  # every member's extra groups
    fs_group: int | None = None  # owns the capsule's volumes; every member gets it
    sysctls: tuple[tuple[str, str], ...] = ()  # set on the sandbox (SAFE_SYSCTLS only)

    @property
    def groups(self) -> tuple[int, ...]:
        """The groups every member gets besides its own, each once."""
        extra = (self.fs_group,) if self.fs_group is not None else ()
        return tuple(dict.fromkeys(self.supplemental_groups + extra))

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "fsGroup": self.fs_group,
                "supplementalGroups": list(self.supplemental_groups),
                "sysctls": [{"name": n, "value": v} for n, v in self.sysctls],
            }
        )


# --- containers ----------------------------------------------------------------------


@dataclass(frozen=True)
class Container:
    name: str
    image: str
    image_pull_policy: str = "IfNotPresent"
    command: tuple[str, ...] = ()  # replaces the image's entrypoint when non-empty
    args: tuple[str, ...] = ()  # replaces the image's cmd when non-empty
    work_dir: str | None = None
    env: tuple[EnvVar, ...] = ()
    # envFrom entries whose source was not in the input (the others are in env already):
    # `create` expands them ahead of env, which takes precedence as in Kubernetes.
    env_from: tuple[EnvFromRef, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    ports: tuple[Port, ...] = ()
    volume_mounts: tuple[VolumeMount, ...] = ()
    resources: Resources = field(default_factory=Resources)
    liveness_probe: Probe | None = None
    readiness_probe: Probe | None = None
    startup_probe: Probe | None = None
    security_context: SecurityContext = field(default_factory=SecurityContext)
    stdin: bool = False
    tty: bool = False
    # A native sidecar (an init container with restartPolicy Always): started in its
    # place among the init containers, not waited for, kept running, stopped last.
    sidecar: bool = False

    @property
    def run_time_names(self) -> frozenset[str]:
        """Variables whose value the runtime gives; `$(NAME)` of them is expanded at run time."""
        return frozenset(e.name for e in self.env if e.run_time)

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "name": self.name,
                "image": self.image,
                "restartPolicy": "Always" if self.sidecar else None,
                "imagePullPolicy": self.image_pull_policy,
                "command": list(self.command),
                "args": list(self.args),
                "workDir": self.work_dir,
                "labels": dict(self.labels),
                "envFrom": [e.to_dict() for e in self.env_from],
                "env": [e.to_dict() for e in self.env],
                "ports": [p.to_dict() for p in self.ports],
                "volumeMounts": [m.to_dict() for m in self.volume_mounts],
                "resources": self.resources.to_dict(),
                "livenessProbe": self.liveness_probe.to_dict() if self.liveness_probe else None,
                "readinessProbe": self.readiness_probe.to_dict() if self.readiness_probe else None,
                "startupProbe": self.startup_probe.to_dict() if self.startup_probe else None,
                "securityContext": self.security_context.to_dict(),
                "stdin": self.stdin or None,
                "tty": self.tty or None,
            }
        )


# --- volumes -------------------------------------------------------------------------


@dataclass(frozen=True)
class NamedVolume:
    """A Docker volume made for the capsule and removed with it."""

    driver: str = "local"
    driver_options: tuple[tuple[str, str], ...] = ()
    size: int | None = None  # bytes; passed as a driver option where the driver takes one

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {"driver": self.driver, "driverOptions": dict(self.driver_options), "size": self.size}
        )


@dataclass(frozen=True)
class EmptyDirVolume:
    medium: str = ""  # "" (disk) or "Memory" (tmpfs)
    size_limit: int | None = None

    def to_dict(self) -> dict[str, Any]:
        body = _drop_empty({"medium": self.medium or None, "sizeLimit": self.size_limit})
        return {"emptyDir": body}


@dataclass(frozen=True)
class HostPathVolume:
    path: str
    type: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"hostPath": _drop_empty({"path": self.path, "type": self.type or None})}


@dataclass(frozen=True)
class ConfigMapVolume:
    """ConfigMap contents, inlined: `files` maps a relative path to its text.

    Unresolved (a ConfigMap that was not in the input): no files yet, but the `items`
    (key -> path; all keys if empty) and `optional` that `create` resolves it with.
    """

    config_map: str
    files: tuple[tuple[str, str], ...] = ()
    default_mode: int = 0o644
    resolved: bool = True
    items: tuple[tuple[str, str], ...] = ()
    optional: bool = False

    def to_dict(self) -> dict[str, Any]:
        if not self.resolved:
            body: dict[str, Any] = {"name": self.config_map, "defaultMode": self.default_mode}
            if self.items:
                body["items"] = [{"key": k, "path": p} for k, p in self.items]
            if self.optional:
                body["optional"] = True
            return {"configMap": body}
        return {
            "configMap": {
                "name": self.config_map,
                "files": dict(self.files),
                "defaultMode": self.default_mode,
            }
        }


@dataclass(frozen=True)
class SecretVolume:
    """A reference to a Secret; `items` maps a key to a relative path (all keys if empty)."""

    secret: str
    items: tuple[tuple[str, str], ...] = ()
    default_mode: int = 0o644
    optional: bool = False

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"secretName": self.secret, "defaultMode": self.default_mode}
        if self.items:
            body["items"] = [{"key": k, "path": p} for k, p in self.items]
        if self.optional:
            body["optional"] = True
        return {"secret": body}


@dataclass(frozen=True)
class PersistentVolume:
    """A persistentVolumeClaim: a named Docker volume that outlives the capsule."""

    claim_name: str
    read_only: bool = False

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"claimName": self.claim_name}
        if self.read_only:
            body["readOnly"] = True
        return {"persistentVolumeClaim": body}


VolumeSource = (
    NamedVolume
    | EmptyDirVolume
    | HostPathVolume
    | ConfigMapVolume
    | SecretVolume
    | PersistentVolume
)


@dataclass(frozen=True)
class Volume:
    name: str
    source: VolumeSource = field(default_factory=NamedVolume)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **self.source.to_dict()}


# --- the capsule ---------------------------------------------------------------------


@dataclass(frozen=True)
class Capsule:
    name: str
    containers: tuple[Container, ...]
    init_containers: tuple[Container, ...] = ()
    volumes: tuple[Volume, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()
    annotations: tuple[tuple[str, str], ...] = ()
    restart_policy: str = "Always"
    host_selector: str | None = None
    host_labels: tuple[tuple[str, str], ...] = ()
    hostname: str | None = None
    share_process_namespace: bool = False
    # The application the capsule belongs to, as a Kubernetes namespace: capsules of one
    # namespace share a network where its Services resolve. None: no application (the
    # engine's default bridge, as a plain capsule has always had).
    namespace: str | None = None
    # The workload that made it ("Deployment/web", "StatefulSet/db"): list, scale,
    # delete and apply act on a workload's replicas together. None: a capsule of its own.
    workload: str | None = None
    # Kubernetes' pod subdomain (a StatefulSet's serviceName): the capsule also answers
    # to HOSTNAME.SUBDOMAIN in its namespace.
    subdomain: str | None = None
    # Kubernetes' service variables (NAME_SERVICE_HOST, ...) for the namespace's Services.
    enable_service_links: bool = True
    security_context: PodSecurityContext = field(default_factory=PodSecurityContext)

    @property
    def all_containers(self) -> tuple[Container, ...]:
        return self.init_containers + self.containers

    @property
    def cpu_request(self) -> float:
        """Cores the scheduler reserves: the members' sum, or the largest init container's.

        Init containers run one at a time before the members, so a capsule needs the
        larger of the two, as Kubernetes computes a pod's effective request.
        """
        members = sum(c.resources.placement_cpu for c in self.containers)
        inits = max((c.resources.placement_cpu for c in self.init_containers), default=0.0)
        return max(members, inits)

    @property
    def memory_request(self) -> int:
        members = sum(c.resources.placement_memory for c in self.containers)
        inits = max((c.resources.placement_memory for c in self.init_containers), default=0)
        return max(members, inits)

    @property
    def gpu_request(self) -> int:
        """Whole GPUs the host must offer, computed as cpu_request is."""
        members = sum(c.resources.gpus for c in self.containers)
        inits = max((c.resources.gpus for c in self.init_containers), default=0)
        return max(members, inits)

    @property
    def host_ports(self) -> tuple[tuple[int, str], ...]:
        """(hostPort, protocol) pairs published on the sandbox."""
        return tuple(
            (p.host_port, p.protocol)
            for c in self.containers
            for p in c.ports
            if p.host_port is not None
        )

    @property
    def secret_names(self) -> frozenset[str]:
        """Every Secret the capsule refers to, for the runtime to resolve."""
        names = {
            e.secret_ref.secret
            for c in self.all_containers
            for e in c.env
            if e.secret_ref is not None
        }
        names |= {v.source.secret for v in self.volumes if isinstance(v.source, SecretVolume)}
        names |= {r.name for c in self.all_containers for r in c.env_from if r.kind == "Secret"}
        return frozenset(names)

    def to_dict(self) -> dict[str, Any]:
        """The normalized capsule document."""
        spec: dict[str, Any] = {
            "restartPolicy": self.restart_policy,
            "hostSelector": self.host_selector,
            "hostLabels": dict(self.host_labels),
            "hostname": self.hostname,
            "subdomain": self.subdomain,
            "shareProcessNamespace": self.share_process_namespace,
            "securityContext": self.security_context.to_dict() or None,
            "initContainers": [c.to_dict() for c in self.init_containers],
            "containers": [c.to_dict() for c in self.containers],
            "volumes": [v.to_dict() for v in self.volumes],
        }
        # Keep the always-meaningful fields even when empty; drop unset optional ones.
        if not self.enable_service_links:
            spec["enableServiceLinks"] = False
        spec = {k: v for k, v in spec.items() if v is not None}
        metadata: dict[str, Any] = {"name": self.name}
        if self.namespace is not None:
            metadata["namespace"] = self.namespace
        if self.workload is not None:
            metadata["workload"] = self.workload
        metadata["labels"] = dict(self.labels)
        metadata["annotations"] = dict(self.annotations)
        return {"apiVersion": API_VERSION, "kind": KIND, "metadata": metadata, "spec": spec}


# --- services ------------------------------------------------------------------------


@dataclass(frozen=True)
class ServicePort:
    """One port of a Service: connections to `port` on the Service's name reach
    `target_port` of a backend: a number, or the name of a backend's container port."""

    port: int
    target_port: int | str
    protocol: str = "TCP"
    name: str | None = None
    node_port: int | None = None  # NodePort/LoadBalancer: published on the backends' hosts

    def to_dict(self) -> dict[str, Any]:
        return _drop_empty(
            {
                "name": self.name,
                "port": self.port,
                "targetPort": self.target_port,
                "protocol": self.protocol,
                "nodePort": self.node_port,
            }
        )


@dataclass(frozen=True)
class Service:
    """A name for the capsules whose labels its selector matches, in one namespace.

    `headless` (Kubernetes' `clusterIP: None`): the name resolves to the backends' own
    addresses and ports are not remapped. `type` NodePort/LoadBalancer also publishes
    each port on the hosts that run a backend (`node_port`, or `port` for a
    LoadBalancer without one).
    """

    name: str
    namespace: str = DEFAULT_NAMESPACE
    selector: tuple[tuple[str, str], ...] = ()
    ports: tuple[ServicePort, ...] = ()
    type: str = "ClusterIP"
    headless: bool = False
    labels: tuple[tuple[str, str], ...] = ()

    def selects(self, labels: dict[str, str]) -> bool:
        """Kubernetes' rule: every selector pair matches; an empty selector selects nothing."""
        return bool(self.selector) and all(labels.get(k) == v for k, v in self.selector)

    @property
    def published_ports(self) -> tuple[tuple[int, str], ...]:
        """(host port, protocol) a NodePort or LoadBalancer Service takes on a backend's host."""
        if self.type == "ClusterIP" or self.headless:
            return ()
        return tuple(
            (p.node_port if p.node_port is not None else p.port, p.protocol)
            for p in self.ports
            if p.node_port is not None or self.type == "LoadBalancer"
        )

    def to_dict(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "type": self.type,
            "selector": dict(self.selector),
            "ports": [p.to_dict() for p in self.ports],
        }
        if self.headless:
            spec["clusterIP"] = "None"
        return {
            "apiVersion": API_VERSION,
            "kind": SERVICE_KIND,
            "metadata": {"name": self.name, "namespace": self.namespace, "labels": dict(self.labels)},
            "spec": spec,
        }
