"""`--to pod`: capsules and Services → Kubernetes manifests that `kubectl apply` accepts.

The manifests are built with the kubernetes package's models (V1Pod, V1Container, ...)
and serialized by its ApiClient, so field names and types are the API's own. The
package is imported inside `build_pods` only: it costs about half a second, and
nothing else on the translate path needs it.

What a Pod has no field for travels in `capsule.dev/` annotations
(translate/kubernetes/pod_annotations.py): named volumes (as emptyDir volumes of the same name
plus their driver, options and size), container labels, configMap volumes with no
files, and the names of the Secrets the capsule refers to. Inline configMap files
become ConfigMap documents, written before the Pods: one per ConfigMap name, holding
the files of every volume that names it (a file path that is not a valid key, or a
key that two volumes fill differently, gets its own key), and each volume lists its
files under `items`. Reading the output back with the Kubernetes reader gives the
same normalized capsules; a capsule that a Pod cannot express (the capsule format is
more lenient in a few places) is refused with the reader's message. Secrets stay
references (secretKeyRef, secret volumes): their values are never written. Services
become v1 Service documents, after the Pods.

Kubernetes expands `$(VAR)` in command, args and env values; literal text is escaped
(translate/kubernetes/variable_expansion.py) so that it reaches the container unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Literal

from translate.diagnostics import Diagnostic, Report, TranslationError
from translate.kubernetes import pod_annotations
from translate.kubernetes.variable_expansion import escape
from translate.output import dump_documents
from translate.quantity import format_cpu
from translate.source import Document
from translate.spec import (
    GPU_RESOURCE,
    SECCOMP_DEFAULT,
    Capsule,
    ConfigMapVolume,
    Container,
    EmptyDirVolume,
    EnvFromRef,
    EnvVar,
    HostPathVolume,
    NamedVolume,
    PersistentVolume,
    Probe,
    ResourceAmounts,
    SecretVolume,
    Service,
    Volume,
)

_NOT_KEY = re.compile(r"[^-._a-zA-Z0-9]")


class PodWriteError(TranslationError):
    """Capsules that cannot be written as Pods; each diagnostic names the capsule and field."""


def build_pods(capsules: Sequence[Capsule], services: Sequence[Service] = ()) -> list[dict[str, Any]]:
    """The ConfigMap documents for inline configMap files, then one Pod per capsule, then
    one v1 Service per Service."""
    from kubernetes.client import ApiClient

    plan = _ConfigMapPlan(capsules)
    objects = (plan.config_maps() + [_pod(capsule, plan) for capsule in capsules]
               + [_service(service) for service in services])
    api = ApiClient()
    documents = [_readable(api.sanitize_for_serialization(obj)) for obj in objects]
    _check_reads_back(documents)
    return documents


def write_pods(capsules: Sequence[Capsule], fmt: Literal["yaml", "json"] = "yaml",
               services: Sequence[Service] = ()) -> str:
    """YAML documents (as translate/output.py writes them), or JSON: one object, or a v1
    List when there are several."""
    documents = build_pods(capsules, services)
    if fmt == "json" and len(documents) > 1:
        # kubectl reads a List, not a bare JSON array.
        documents = [{"apiVersion": "v1", "kind": "List", "items": documents}]
    return dump_documents(documents, fmt)


def format_memory(size: int) -> str:
    """Bytes in Kubernetes' shortest exact spelling: 67108864 -> '64Mi', 10**9 -> '1G'."""
    for suffix, factor in (
        ("Ei", 2**60), ("Pi", 2**50), ("Ti", 2**40), ("Gi", 2**30), ("Mi", 2**20), ("Ki", 2**10),
        ("E", 10**18), ("P", 10**15), ("T", 10**12), ("G", 10**9), ("M", 10**6), ("k", 10**3),
    ):
        if size >= factor and size % factor == 0:
            return f"{size // factor}{suffix}"
    return str(size)


def _check_reads_back(documents: list[dict[str, Any]]) -> None:
    """Refuse what Kubernetes would refuse: read the output back as `capsule translate` would.

    The capsule format accepts a few things a Pod may not have (a probe on an init
    container, a port name with capitals, ...). Writing them would give a manifest that
    kubectl rejects and that does not translate back, so the Kubernetes reader's errors
    are raised here instead, naming the capsule and the field.
    """
    from translate.kubernetes.format import read_kubernetes

    docs = [
        Document(file=f"{d['kind']} '{d['metadata']['name']}'", index=i, data=d, start_line=0)
        for i, d in enumerate(documents)
    ]
    report = Report()
    read_kubernetes(docs, report)
    if report.errors:
        raise PodWriteError(
            Diagnostic("error", d.file.replace("Pod '", "capsule '", 1), None, None, d.path,
                       f"cannot be written as a {d.file.partition(' ')[0]}: {d.message}", d.hint)
            for d in report.errors
        )


def _readable(value: Any) -> Any:
    """apiVersion, kind, metadata and name first, as people write manifests; the rest as is."""
    if isinstance(value, list):
        return [_readable(v) for v in value]
    if not isinstance(value, dict):
        return value
    first = [k for k in _FIRST_KEYS if k in value]
    rest = [k for k in value if k not in _FIRST_KEYS]
    return {k: _readable(value[k]) for k in first + rest}


_FIRST_KEYS = ("apiVersion", "kind", "metadata", "name")


# --- ConfigMaps --------------------------------------------------------------------------


class _ConfigMapPlan:
    """Which ConfigMap documents to write, and which keys each volume's files took.

    A ConfigMap goes in its capsule's namespace (None: none written, which reads as
    "default"): a pod refers to the ConfigMaps of its own namespace.
    """

    def __init__(self, capsules: Sequence[Capsule]):
        self.data: dict[tuple[str | None, str], dict[str, str]] = {}
        self.items: dict[tuple[str, str], list[tuple[str, str]]] = {}
        for capsule in capsules:
            for volume in capsule.volumes:
                if isinstance(volume.source, ConfigMapVolume) and volume.source.resolved:
                    self._add(capsule, volume.name, volume.source)

    def _add(self, capsule: Capsule, volume: str, source: ConfigMapVolume) -> None:
        data = self.data.setdefault((capsule.namespace, source.config_map), {})
        items = []
        for path, text in source.files:
            key = _key_for(path, text, data)
            data[key] = text
            items.append((key, path))
        self.items[(capsule.name, volume)] = items

    def config_maps(self) -> list[Any]:
        from kubernetes import client as k

        return [
            k.V1ConfigMap(
                api_version="v1", kind="ConfigMap", metadata=k.V1ObjectMeta(name=name, namespace=namespace),
                data=dict(sorted(data.items())) or None,
            )
            for (namespace, name), data in self.data.items()
        ]


def _key_for(path: str, text: str, data: dict[str, str]) -> str:
    """A ConfigMap key for the file at `path`: the path itself when it is a valid key."""
    base = _NOT_KEY.sub("_", path)[:240]
    if base in (".", "..") or base.startswith(".."):
        base = "_" + base
    key, number = base, 1
    while key in data and data[key] != text:
        number += 1
        key = f"{base}-{number}"
    return key


# --- Pods --------------------------------------------------------------------------------


def _pod(capsule: Capsule, plan: _ConfigMapPlan) -> Any:
    from kubernetes import client as k

    spec = k.V1PodSpec(
        containers=[_container(c) for c in capsule.containers],
        init_containers=[_container(c) for c in capsule.init_containers] or None,
        volumes=[_volume(capsule, v, plan) for v in capsule.volumes] or None,
        restart_policy=capsule.restart_policy,
        node_name=capsule.host_selector,
        node_selector=dict(capsule.host_labels) or None,
        hostname=capsule.hostname,
        subdomain=capsule.subdomain,
        share_process_namespace=capsule.share_process_namespace or None,
        enable_service_links=None if capsule.enable_service_links else False,
        security_context=_pod_security(capsule),
    )
    metadata = k.V1ObjectMeta(
        name=capsule.name,
        namespace=capsule.namespace,
        labels=dict(capsule.labels) or None,
        annotations=_annotations(capsule, plan) or None,
    )
    return k.V1Pod(api_version="v1", kind="Pod", metadata=metadata, spec=spec)


def _annotations(capsule: Capsule, plan: _ConfigMapPlan) -> dict[str, str]:
    annotations = dict(capsule.annotations)
    clash = sorted(pod_annotations.RESERVED & set(annotations))
    if clash:
        raise PodWriteError([Diagnostic(
            "error", f"capsule '{capsule.name}'", None, None, f"metadata.annotations.{clash[0]}",
            "is reserved: capsule writes it in Pod output", "rename the annotation",
        )])
    named = {v.name: v.source.to_dict() for v in capsule.volumes if isinstance(v.source, NamedVolume)}
    labels = {c.name: dict(c.labels) for c in capsule.all_containers if c.labels}
    empty = [
        v.name for v in capsule.volumes
        if isinstance(v.source, ConfigMapVolume) and v.source.resolved and not v.source.files
        and plan.data.get((capsule.namespace, v.source.config_map))
    ]
    for key, value in (
        (pod_annotations.NAMED_VOLUMES, named),
        (pod_annotations.CONTAINER_LABELS, labels),
        (pod_annotations.EMPTY_CONFIGMAPS, empty),
        (pod_annotations.EXTERNAL_SECRETS, sorted(capsule.secret_names)),
    ):
        if value:
            annotations[key] = pod_annotations.encode(value)
    if capsule.workload is not None:
        annotations[pod_annotations.WORKLOAD] = capsule.workload
    if capsule.namespace is None:
        annotations[pod_annotations.NO_NAMESPACE] = "true"
    return annotations


# --- Services ------------------------------------------------------------------------------


def _service(service: Service) -> Any:
    from kubernetes import client as k

    ports = [
        k.V1ServicePort(name=p.name, port=p.port, target_port=p.target_port, protocol=p.protocol,
                        node_port=p.node_port)
        for p in service.ports
    ]
    spec = k.V1ServiceSpec(type=service.type, selector=dict(service.selector) or None, ports=ports or None,
                           cluster_ip="None" if service.headless else None)
    metadata = k.V1ObjectMeta(name=service.name, namespace=service.namespace,
                              labels=dict(service.labels) or None)
    return k.V1Service(api_version="v1", kind="Service", metadata=metadata, spec=spec)


def _container(c: Container) -> Any:
    from kubernetes import client as k

    # A container with run-time variables has its text in the kubelet's syntax already
    # (translate/pod_fields.py); any other's is literal.
    text = escape if not c.run_time_names else str
    return k.V1Container(
        name=c.name,
        image=c.image,
        image_pull_policy=c.image_pull_policy,
        command=[text(word) for word in c.command] or None,
        args=[text(word) for word in c.args] or None,
        working_dir=c.work_dir,
        env_from=[_env_from(e) for e in c.env_from] or None,
        env=[_env(e, text) for e in c.env] or None,
        ports=[
            k.V1ContainerPort(container_port=p.container_port, host_port=p.host_port,
                              protocol=p.protocol, name=p.name)
            for p in c.ports
        ] or None,
        volume_mounts=[
            k.V1VolumeMount(name=m.name, mount_path=m.mount_path, read_only=m.read_only or None,
                            sub_path=m.sub_path)
            for m in c.volume_mounts
        ] or None,
        resources=_resources(c),
        liveness_probe=_probe(c.liveness_probe),
        readiness_probe=_probe(c.readiness_probe),
        startup_probe=_probe(c.startup_probe),
        security_context=_security(c),
        stdin=c.stdin or None,
        tty=c.tty or None,
        restart_policy="Always" if c.sidecar else None,
    )


def _env(e: EnvVar, text: Callable[[str], str]) -> Any:
    from kubernetes import client as k

    if e.field_ref is not None:
        source = k.V1EnvVarSource(field_ref=k.V1ObjectFieldSelector(field_path=e.field_ref.field_path))
        return k.V1EnvVar(name=e.name, value_from=source)
    if e.resource_ref is not None:
        ref = e.resource_ref
        selector = k.V1ResourceFieldSelector(container_name=ref.container, resource=ref.resource,
                                             divisor=ref.divisor)
        return k.V1EnvVar(name=e.name, value_from=k.V1EnvVarSource(resource_field_ref=selector))
    if e.config_ref is not None:  # a ConfigMap that was not in the input: the reference, as it was
        selector = k.V1ConfigMapKeySelector(name=e.config_ref.config_map, key=e.config_ref.key,
                                            optional=e.config_ref.optional or None)
        return k.V1EnvVar(name=e.name, value_from=k.V1EnvVarSource(config_map_key_ref=selector))
    if e.secret_ref is None:
        return k.V1EnvVar(name=e.name, value=text(e.value or ""))
    ref = k.V1SecretKeySelector(name=e.secret_ref.secret, key=e.secret_ref.key,
                                optional=e.secret_ref.optional or None)
    return k.V1EnvVar(name=e.name, value_from=k.V1EnvVarSource(secret_key_ref=ref))


def _env_from(e: EnvFromRef) -> Any:
    from kubernetes import client as k

    optional = e.optional or None
    if e.kind == "ConfigMap":
        return k.V1EnvFromSource(config_map_ref=k.V1ConfigMapEnvSource(name=e.name, optional=optional),
                                 prefix=e.prefix or None)
    return k.V1EnvFromSource(secret_ref=k.V1SecretEnvSource(name=e.name, optional=optional),
                             prefix=e.prefix or None)


def _resources(c: Container) -> Any:
    from kubernetes import client as k

    def amounts(a: ResourceAmounts) -> dict[str, str] | None:
        out = {}
        if a.cpu is not None:
            out["cpu"] = format_cpu(a.cpu)
        if a.memory is not None:
            out["memory"] = format_memory(a.memory)
        if a.gpu is not None:
            out[GPU_RESOURCE] = str(a.gpu)
        return out or None

    requests, limits = amounts(c.resources.requests), amounts(c.resources.limits)
    if requests is None and limits is None:
        return None
    return k.V1ResourceRequirements(requests=requests, limits=limits)


def _probe(p: Probe | None) -> Any:
    from kubernetes import client as k

    if p is None:
        return None
    action: dict[str, Any]
    if p.exec_command is not None:
        # `_exec`, the generated name for `exec`, in every version of the models (the
        # pydantic ones quietly drop their own `var_exec` when given to the constructor).
        action = {"_exec": k.V1ExecAction(command=list(p.exec_command))}
    elif p.http_port is not None:
        headers = [k.V1HTTPHeader(name=n, value=v) for n, v in p.http_headers] or None
        action = {"http_get": k.V1HTTPGetAction(
            path=p.http_path or "/", port=p.http_port, host=p.http_host, scheme=p.http_scheme,
            http_headers=headers,
        )}
    elif p.grpc_port is not None:
        # mode only when TLS: the models of kubernetes packages before the field have no `mode`.
        tls = {"mode": "TLS"} if p.grpc_tls else {}
        action = {"grpc": k.V1GRPCAction(port=p.grpc_port, service=p.grpc_service, **tls)}
    else:
        action = {"tcp_socket": k.V1TCPSocketAction(port=p.tcp_port)}
    return k.V1Probe(
        initial_delay_seconds=p.initial_delay_seconds,
        period_seconds=p.period_seconds,
        timeout_seconds=p.timeout_seconds,
        success_threshold=p.success_threshold,
        failure_threshold=p.failure_threshold,
        **action,
    )


def _security(c: Container) -> Any:
    from kubernetes import client as k

    s = c.security_context
    if s.empty:
        return None
    capabilities = None
    if s.capabilities_add or s.capabilities_drop:
        capabilities = k.V1Capabilities(add=list(s.capabilities_add) or None,
                                        drop=list(s.capabilities_drop) or None)
    seccomp = None if s.seccomp_profile == SECCOMP_DEFAULT else k.V1SeccompProfile(type=s.seccomp_profile)
    return k.V1SecurityContext(
        privileged=s.privileged or None,
        capabilities=capabilities,
        run_as_user=s.run_as_user,
        run_as_group=s.run_as_group,
        run_as_non_root=s.run_as_non_root or None,
        allow_privilege_escalation=None if s.allow_privilege_escalation else False,
        read_only_root_filesystem=s.read_only_root_filesystem or None,
        seccomp_profile=seccomp,
    )


def _pod_security(capsule: Capsule) -> Any:
    from kubernetes import client as k

    s = capsule.security_context
    if not s.to_dict():
        return None
    return k.V1PodSecurityContext(
        fs_group=s.fs_group,
        supplemental_groups=list(s.supplemental_groups) or None,
        sysctls=[k.V1Sysctl(name=n, value=v) for n, v in s.sysctls] or None,
    )


def _volume(capsule: Capsule, v: Volume, plan: _ConfigMapPlan) -> Any:
    from kubernetes import client as k

    source = v.source
    if isinstance(source, NamedVolume):
        size = format_memory(source.size) if source.size is not None else None
        return k.V1Volume(name=v.name, empty_dir=k.V1EmptyDirVolumeSource(size_limit=size))
    if isinstance(source, EmptyDirVolume):
        size = format_memory(source.size_limit) if source.size_limit is not None else None
        return k.V1Volume(name=v.name, empty_dir=k.V1EmptyDirVolumeSource(
            medium=source.medium or None, size_limit=size))
    if isinstance(source, HostPathVolume):
        return k.V1Volume(name=v.name, host_path=k.V1HostPathVolumeSource(
            path=source.path, type=source.type or None))
    if isinstance(source, ConfigMapVolume) and not source.resolved:
        items = [k.V1KeyToPath(key=key, path=path) for key, path in source.items]
        return k.V1Volume(name=v.name, config_map=k.V1ConfigMapVolumeSource(
            name=source.config_map, items=items or None, default_mode=source.default_mode,
            optional=source.optional or None))
    if isinstance(source, ConfigMapVolume):
        items = [k.V1KeyToPath(key=key, path=path) for key, path in plan.items[(capsule.name, v.name)]]
        return k.V1Volume(name=v.name, config_map=k.V1ConfigMapVolumeSource(
            name=source.config_map, items=items or None, default_mode=source.default_mode))
    if isinstance(source, SecretVolume):
        items = [k.V1KeyToPath(key=key, path=path) for key, path in source.items]
        return k.V1Volume(name=v.name, secret=k.V1SecretVolumeSource(
            secret_name=source.secret, items=items or None, default_mode=source.default_mode,
            optional=source.optional or None))
    assert isinstance(source, PersistentVolume)
    return k.V1Volume(name=v.name, persistent_volume_claim=k.V1PersistentVolumeClaimVolumeSource(
        claim_name=source.claim_name, read_only=source.read_only or None))
