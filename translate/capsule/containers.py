"""Read one container of a capsule document into a `Container` spec.

Used by translate/capsule/format.py for every item of `spec.containers` and
`spec.initContainers`. It reads the capsule-format fields (name, image,
imagePullPolicy, command, args, workDir, labels, env, ports, volumeMounts, resources)
and the fields that normalized output adds (probes, references to ConfigMaps and
Secrets that were not in the input (valueFrom.configMapKeyRef, envFrom), securityContext, stdin, tty, an init
container's restartPolicy Always (a native sidecar), and
subPath in mounts), so that a normalized document reads back to an equal spec.

Checks that need the whole capsule (names unique across containers, a hostPort
published once, names derived from images) belong to translate/capsule/format.py, not here.
"""

from __future__ import annotations

from translate.capsule import fields as cf
from translate.diagnostics import Path, format_path
from translate.fields import (
    UNCONFINED_SECCOMP,
    FieldReader,
    gpu_request_problem,
    image_problem,
    seccomp_localhost_problem,
    suggest,
    sysctl_problem,
    type_name,
)
from translate.host_access import PRIVILEGED_FLAG, warn_dangerous_capabilities, warn_refused_without
from translate.pod_fields import RESOURCES, RUN_TIME_FIELDS, divisor_problem
from translate.spec import (
    GPU_RESOURCE,
    PROTOCOLS,
    PULL_POLICIES,
    SECCOMP_DEFAULT,
    SECCOMP_UNCONFINED,
    ConfigMapKeyRef,
    Container,
    EnvFromRef,
    EnvVar,
    FieldRef,
    PodSecurityContext,
    Port,
    Probe,
    ResourceAmounts,
    ResourceFieldRef,
    Resources,
    SecretKeyRef,
    SecurityContext,
    VolumeMount,
    default_pull_policy,
)

CONTAINER_FIELDS = (
    "name", "image", "imagePullPolicy", "imageDriver", "command", "args", "workDir",
    "labels", "envFrom", "env", "ports", "volumeMounts", "resources", "livenessProbe",
    "readinessProbe", "startupProbe", "securityContext", "stdin", "tty", "restartPolicy",
)
PORT_FIELDS = ("name", "containerPort", "hostPort", "protocol")
MOUNT_FIELDS = ("name", "mountPath", "readOnly", "subPath")
PROBE_ACTIONS = ("exec", "httpGet", "tcpSocket", "grpc")
PROBE_TIMINGS = (
    # field, lowest value, Kubernetes' default
    ("initialDelaySeconds", 0, 0),
    ("periodSeconds", 1, 10),
    ("timeoutSeconds", 1, 1),
    ("successThreshold", 1, 1),
    ("failureThreshold", 1, 3),
)
SECURITY_FIELDS = (
    "privileged", "capabilities", "runAsUser", "runAsGroup", "runAsNonRoot",
    "allowPrivilegeEscalation", "readOnlyRootFilesystem", "seccompProfile",
)
POD_SECURITY_FIELDS = ("fsGroup", "supplementalGroups", "sysctls")
_LOCALHOST = "Localhost"


def read_container(r: FieldReader, path: Path, volume_names: list[str]) -> Container | None:
    """The container at `path`, with name "" when the input gave none (the caller names it).

    Returns None when the item is not a mapping or has no usable image; every other
    problem is recorded on the reader and a best-effort container is still returned, so
    that checks across containers can go on.
    """
    item = r.raw(path)
    if not cf.item_mapping(r, path, item, "a container with at least an image"):
        return None
    cf.known_fields(r, path, CONTAINER_FIELDS, where="a container", ignored=("imageDriver",))
    if r.has(path + ("imageDriver",)):
        r.ignored(path + ("imageDriver",),
                  "images come from the host's Docker engine and its registries",
                  "remove imageDriver; configure registries on the host's engine")

    name = cf.dns_name(r, path + ("name",)) or ""
    image = _image(r, path + ("image",))
    ports = _ports(r, path + ("ports",))
    return Container(
        name=name,
        image=image or "",
        image_pull_policy=cf.choice(
            r, path + ("imagePullPolicy",), PULL_POLICIES,
            default=default_pull_policy(image or ""),
        ),
        command=r.string_list(path + ("command",), split_string=True),
        args=r.string_list(path + ("args",), split_string=True),
        work_dir=cf.absolute_path(r, path + ("workDir",)),
        env=_env(r, path + ("env",)),
        env_from=_env_from(r, path + ("envFrom",)),
        labels=r.string_map(path + ("labels",)),
        ports=ports,
        volume_mounts=_mounts(r, path + ("volumeMounts",), volume_names),
        resources=_resources(r, path + ("resources",)),
        liveness_probe=_probe(r, path + ("livenessProbe",), ports),
        readiness_probe=_probe(r, path + ("readinessProbe",), ports),
        startup_probe=_probe(r, path + ("startupProbe",), ports),
        security_context=_security(r, path + ("securityContext",)),
        stdin=r.boolean(path + ("stdin",)),
        tty=r.boolean(path + ("tty",)),
        sidecar=_sidecar(r, path),
    )


def _sidecar(r: FieldReader, path: Path) -> bool:
    """restartPolicy Always makes an init container a native sidecar; nothing else is allowed."""
    where = path + ("restartPolicy",)
    if not r.has(where):
        return False
    if path[-2] != "initContainers":
        r.error(where, "is allowed only on an init container (a native sidecar)",
                "remove restartPolicy; members restart by the capsule's restartPolicy", of_value=False)
        return False
    return cf.choice(r, where, ("Always",), default="", expected="Always (a native sidecar)") == "Always"


def _image(r: FieldReader, path: Path) -> str | None:
    image = r.string(path, required=True, expected="an image reference such as nginx:1.27")
    if image is None:
        return None
    if problem := image_problem(image):
        r.error(path, problem)
        return None
    return image


# --- env ---------------------------------------------------------------------------


def _env(r: FieldReader, path: Path) -> tuple[EnvVar, ...]:
    """A map NAME: value, or the Kubernetes list of {name, value | valueFrom}."""
    value = r.raw(path)
    if value is None:
        return ()
    if isinstance(value, dict):
        out = []
        for key, item in value.items():
            text = _env_text(r, path + (key,), item)
            if text is not None and _env_name(r, path + (key,), str(key), of_value=False):
                out.append(EnvVar(name=str(key), value=text))
        return tuple(out)
    if not isinstance(value, list):
        r.error(path, f"found {type_name(value)}, expected a map of NAME: value "
                      "or a list of {name, value}")
        return ()
    out = []
    for index, item in enumerate(value):
        var = _env_item(r, path + (index,), item)
        if var is not None:
            out.append(var)
    return tuple(out)


def _env_item(r: FieldReader, path: Path, item: object) -> EnvVar | None:
    if not cf.item_mapping(r, path, item, "an environment variable with name and value"):
        return None
    cf.known_fields(r, path, ("name", "value", "valueFrom"), where="an environment variable")
    name = r.string(path + ("name",), required=True, expected="a variable name")
    if name is None or not _env_name(r, path + ("name",), name):
        return None
    if r.has(path + ("valueFrom",)):
        if r.has(path + ("value",)):
            r.error(path + ("valueFrom",), "cannot be given together with value",
                    "keep either value or valueFrom")
            return None
        return _value_from(r, path + ("valueFrom",), name)
    text = _env_text(r, path + ("value",), r.raw(path + ("value",)))
    return EnvVar(name=name, value=text) if text is not None else None


def _env_name(r: FieldReader, path: Path, name: str, *, of_value: bool = True) -> bool:
    if not name or "=" in name or "\0" in name:
        r.error(path, f"found '{name}', expected a variable name without '='",
                "names look like LOG_LEVEL", of_value=of_value)
        return False
    return True


def _env_text(r: FieldReader, path: Path, value: object) -> str | None:
    """Scalars become text as the shell would see them: true -> 'true', 8080 -> '8080'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (str, int, float)):
        return str(value)
    r.error(path, f"found {type_name(value)}, expected a text value",
            "for a Secret use the list form with valueFrom.secretKeyRef")
    return None


_SOURCES = ("secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef")


def _value_from(r: FieldReader, path: Path, name: str) -> EnvVar | None:
    """A Secret's key, a key of a ConfigMap that create resolves, or a value the runtime gives
    (translate/pod_fields.py)."""
    source = r.mapping(path)
    cf.known_fields(r, path, _SOURCES, where="valueFrom in a capsule file")
    chosen = [k for k in _SOURCES if k in source]
    if len(chosen) != 1:
        if source:
            r.error(path, f"has {len(chosen)} sources, expected exactly one of {', '.join(_SOURCES)}",
                    "capsule files take valueFrom.secretKeyRef or configMapKeyRef {name, key}, fieldRef "
                    "{fieldPath} or resourceFieldRef {resource, divisor}; Kubernetes manifests may use the other forms",
                    of_value=False)
        return None
    if chosen[0] == "fieldRef":
        field_ref = _field_ref(r, path + ("fieldRef",))
        return EnvVar(name=name, field_ref=field_ref) if field_ref else None
    if chosen[0] == "resourceFieldRef":
        resource_ref = _resource_field_ref(r, path + ("resourceFieldRef",))
        return EnvVar(name=name, resource_ref=resource_ref) if resource_ref else None
    ref = _key_ref(r, path, chosen[0])
    if isinstance(ref, ConfigMapKeyRef):
        return EnvVar(name=name, config_ref=ref)
    return EnvVar(name=name, secret_ref=ref) if ref else None


def _field_ref(r: FieldReader, path: Path) -> FieldRef | None:
    r.mapping(path)
    cf.known_fields(r, path, ("fieldPath",), where="a fieldRef")
    expected = ", ".join(RUN_TIME_FIELDS)
    field_path = r.string(path + ("fieldPath",), required=True, expected=expected)
    if field_path is None:
        return None
    if field_path not in RUN_TIME_FIELDS:
        r.error(path + ("fieldPath",), f"found '{field_path}', expected one of {expected}",
                "a capsule file writes other values directly, as value")
        return None
    return FieldRef(field_path)


def _resource_field_ref(r: FieldReader, path: Path) -> ResourceFieldRef | None:
    r.mapping(path)
    cf.known_fields(r, path, ("containerName", "resource", "divisor"), where="a resourceFieldRef")
    container = r.string(path + ("containerName",))
    resource = r.string(path + ("resource",), required=True, expected=" or ".join(RESOURCES))
    raw = r.raw(path + ("divisor",))
    divisor = "1" if raw is None else str(raw)
    if resource is None:
        return None
    if resource not in RESOURCES:
        r.error(path + ("resource",), f"found '{resource}', expected one of {', '.join(RESOURCES)}")
        return None
    if problem := divisor_problem(resource, divisor):
        r.error(path + ("divisor",), problem)
        return None
    return ResourceFieldRef(resource, divisor, container or None)


def _key_ref(r: FieldReader, path: Path, kind: str) -> SecretKeyRef | ConfigMapKeyRef | None:
    """valueFrom: a secretKeyRef, or the configMapKeyRef of a ConfigMap that create resolves."""
    noun = "Secret" if kind == "secretKeyRef" else "ConfigMap"
    ref_path = path + (kind,)
    r.mapping(ref_path)
    cf.known_fields(r, ref_path, ("name", "key", "optional"), where=f"a {kind}")
    name = cf.object_name(r, ref_path + ("name",), f"the {noun}'s name")
    key = r.string(ref_path + ("key",), required=True, expected=f"a key of the {noun}")
    optional = r.boolean(ref_path + ("optional",))
    if name is None or not key:
        if key == "":
            r.error(ref_path + ("key",), "is empty", f"name a key of the {noun}")
        return None
    if noun == "ConfigMap":
        return ConfigMapKeyRef(config_map=name, key=key, optional=optional)
    return SecretKeyRef(secret=name, key=key, optional=optional)


def _env_from(r: FieldReader, path: Path) -> tuple[EnvFromRef, ...]:
    """envFrom: ConfigMaps and Secrets, not in the input, whose keys create makes variables."""
    out = []
    for index, item in enumerate(r.items(path)):
        item_path = path + (index,)
        if not cf.item_mapping(r, item_path, item, "an envFrom entry with configMapRef or secretRef"):
            continue
        cf.known_fields(r, item_path, ("configMapRef", "secretRef", "prefix"), where="an envFrom entry")
        kinds = [k for k in ("configMapRef", "secretRef") if k in item]
        if len(kinds) != 1:
            r.error(item_path, f"has {len(kinds)} sources, expected exactly one of configMapRef or secretRef",
                    of_value=False)
            continue
        ref_path = item_path + (kinds[0],)
        r.mapping(ref_path)
        cf.known_fields(r, ref_path, ("name", "optional"), where=f"a {kinds[0]}")
        name = cf.object_name(r, ref_path + ("name",), "a name")
        prefix = r.string(item_path + ("prefix",)) or ""
        if name is not None:
            out.append(EnvFromRef("ConfigMap" if kinds[0] == "configMapRef" else "Secret", name, prefix,
                                  r.boolean(ref_path + ("optional",))))
    return tuple(out)


# --- ports and mounts -----------------------------------------------------------------


def _ports(r: FieldReader, path: Path) -> tuple[Port, ...]:
    out = []
    for index, item in enumerate(r.items(path, expected="a list of ports")):
        item_path = path + (index,)
        if not cf.item_mapping(r, item_path, item, "a port with containerPort"):
            continue
        cf.known_fields(r, item_path, PORT_FIELDS, where="a port")
        container_port = cf.port_number(r, item_path + ("containerPort",), required=True)
        host_port = cf.port_number(r, item_path + ("hostPort",))
        protocol = cf.choice(r, item_path + ("protocol",), PROTOCOLS, default="TCP")
        name = r.string(item_path + ("name",))
        if container_port is not None:
            out.append(Port(container_port=container_port, host_port=host_port,
                            protocol=protocol, name=name))
    return tuple(out)


def _mounts(r: FieldReader, path: Path, volume_names: list[str]) -> tuple[VolumeMount, ...]:
    out = []
    seen: dict[str, Path] = {}
    for index, item in enumerate(r.items(path, expected="a list of volume mounts")):
        item_path = path + (index,)
        if not cf.item_mapping(r, item_path, item, "a volume mount with name and mountPath"):
            continue
        cf.known_fields(r, item_path, MOUNT_FIELDS, where="a volume mount")
        name = r.string(item_path + ("name",), required=True, expected="the name of a volume")
        if name is not None and name not in volume_names:
            guess = suggest(name, volume_names)
            if guess:
                hint = f"did you mean '{guess}'?"
            elif volume_names:
                hint = f"volumes here: {', '.join(volume_names)}"
            else:
                hint = f"add a volume named '{name}' under spec.volumes"
            r.error(item_path + ("name",),
                    f"found '{name}', which is not a volume in spec.volumes", hint)
            name = None
        mount_path = cf.absolute_path(r, item_path + ("mountPath",), required=True)
        if mount_path is not None:
            if mount_path in seen:
                r.error(item_path + ("mountPath",),
                        f"found '{mount_path}', which "
                        f"{format_path(seen[mount_path])} already mounts",
                        "mount each path once per container")
            seen.setdefault(mount_path, item_path)
        read_only = r.boolean(item_path + ("readOnly",))
        sub_path = cf.relative_path(r, item_path + ("subPath",))
        if name is not None and mount_path is not None:
            out.append(VolumeMount(name=name, mount_path=mount_path,
                                   read_only=read_only, sub_path=sub_path))
    return tuple(out)


# --- resources -------------------------------------------------------------------------


def _resources(r: FieldReader, path: Path) -> Resources:
    r.mapping(path)
    cf.known_fields(r, path, ("requests", "limits"), where="resources")
    amounts = {}
    for part in ("requests", "limits"):
        part_path = path + (part,)
        r.mapping(part_path)
        cf.known_fields(r, part_path, ("cpu", "memory", GPU_RESOURCE), where=f"resources.{part}")
        amounts[part] = ResourceAmounts(
            cpu=cf.cpu(r, part_path + ("cpu",)), memory=cf.memory(r, part_path + ("memory",)),
            gpu=cf.gpus(r, part_path + (GPU_RESOURCE,)),
        )
    requests, limits = amounts["requests"], amounts["limits"]
    gpu_problem = gpu_request_problem(requests.gpu, limits.gpu)
    if gpu_problem:
        r.error(path + ("requests", GPU_RESOURCE), *gpu_problem)
    # The engine would refuse these, or silently give less than was asked: say so now.
    if requests.cpu is not None and limits.cpu is not None and requests.cpu > limits.cpu:
        r.error(path + ("requests", "cpu"),
                f"found {requests.cpu:g} cores, more than the limit of {limits.cpu:g}",
                "a request cannot exceed its limit")
    if (requests.memory is not None and limits.memory is not None
            and requests.memory > limits.memory):
        r.error(path + ("requests", "memory"),
                f"found {requests.memory} bytes, more than the limit of {limits.memory}",
                "a request cannot exceed its limit")
    return Resources(requests=requests, limits=limits)


# --- probes and security ------------------------------------------------------------------


def _probe(r: FieldReader, path: Path, ports: tuple[Port, ...]) -> Probe | None:
    body = r.raw(path)
    if not isinstance(body, dict):
        r.mapping(path)  # records the wrong type, if any
        return None
    cf.known_fields(r, path, PROBE_ACTIONS + tuple(t[0] for t in PROBE_TIMINGS), where="a probe")
    actions = [a for a in PROBE_ACTIONS if a in body]
    if len(actions) != 1:
        found = " and ".join(actions) if actions else "none"
        r.error(path, f"found {found}, expected exactly one of exec, httpGet, tcpSocket, grpc")
        return None
    timings = {
        field: cf.count(r, path + (field,), low=low, default=default, expected="a whole number")
        for field, low, default in PROBE_TIMINGS
    }
    kwargs = {
        "initial_delay_seconds": timings["initialDelaySeconds"],
        "period_seconds": timings["periodSeconds"],
        "timeout_seconds": timings["timeoutSeconds"],
        "success_threshold": timings["successThreshold"],
        "failure_threshold": timings["failureThreshold"],
    }
    action = actions[0]
    action_path = path + (action,)
    r.mapping(action_path)
    if action == "exec":
        cf.known_fields(r, action_path, ("command",), where="an exec probe")
        command = r.string_list(action_path + ("command",), split_string=True)
        if not command:
            r.error(action_path + ("command",), "is required: expected the command to run",
                    "for example ['cat', '/tmp/healthy']", of_value=False)
            return None
        return Probe(exec_command=command, **kwargs)
    if action == "tcpSocket":
        cf.known_fields(r, action_path, ("port",), where="a tcpSocket probe")
        port = _probe_port(r, action_path + ("port",), ports)
        return Probe(tcp_port=port, **kwargs) if port is not None else None
    if action == "grpc":
        cf.known_fields(r, action_path, ("port", "service", "mode"), where="a grpc probe")
        port = _probe_port(r, action_path + ("port",), ports)
        service = r.string(action_path + ("service",), expected="the name of a gRPC service")
        tls = cf.choice(r, action_path + ("mode",), ("Plaintext", "TLS"), default="Plaintext") == "TLS"
        # "" asks for the server's overall health, as leaving the service out does.
        return (Probe(grpc_port=port, grpc_service=service or None, grpc_tls=tls, **kwargs)
                if port is not None else None)
    cf.known_fields(r, action_path, ("path", "port", "host", "scheme", "httpHeaders"),
                    where="an httpGet probe")
    port = _probe_port(r, action_path + ("port",), ports)
    headers = []
    for index, item in enumerate(r.items(action_path + ("httpHeaders",))):
        header_path = action_path + ("httpHeaders", index)
        if cf.item_mapping(r, header_path, item, "a header with name and value"):
            cf.known_fields(r, header_path, ("name", "value"), where="an HTTP header")
            header = r.string(header_path + ("name",), required=True)
            text = r.string(header_path + ("value",), default="")
            if header is not None:
                headers.append((header, text or ""))
    if port is None:
        return None
    return Probe(
        http_path=r.string(action_path + ("path",), default="/"),
        http_port=port,
        http_host=r.string(action_path + ("host",)),
        http_scheme=cf.choice(r, action_path + ("scheme",), ("HTTP", "HTTPS"), default="HTTP"),
        http_headers=tuple(headers),
        **kwargs,
    )


def _probe_port(r: FieldReader, path: Path, ports: tuple[Port, ...]) -> int | None:
    """A number, or the name of one of the container's ports (resolved here)."""
    value = r.raw(path)
    if isinstance(value, str) and not value.strip().isdigit():
        for port in ports:
            if port.name == value:
                return port.container_port
        names = [p.name for p in ports if p.name]
        r.error(path, f"found '{value}', which is not the name of a port of this container",
                f"use a port number or one of: {', '.join(names)}" if names
                else "use a port number")
        return None
    return cf.port_number(r, path, required=True)


def _security(r: FieldReader, path: Path) -> SecurityContext:
    r.mapping(path)
    cf.known_fields(r, path, SECURITY_FIELDS, where="a securityContext")
    caps_path = path + ("capabilities",)
    r.mapping(caps_path)
    cf.known_fields(r, caps_path, ("add", "drop"), where="capabilities")
    added = r.string_list(caps_path + ("add",))
    warn_dangerous_capabilities(r, caps_path + ("add",), added)
    return SecurityContext(
        privileged=r.boolean(path + ("privileged",)),
        capabilities_add=added,
        capabilities_drop=r.string_list(caps_path + ("drop",)),
        run_as_user=_user_id(r, path + ("runAsUser",)),
        run_as_group=_user_id(r, path + ("runAsGroup",)),
        read_only_root_filesystem=r.boolean(path + ("readOnlyRootFilesystem",)),
        run_as_non_root=r.boolean(path + ("runAsNonRoot",)),
        allow_privilege_escalation=r.boolean(path + ("allowPrivilegeEscalation",), default=True),
        seccomp_profile=_seccomp(r, path + ("seccompProfile",)),
    )


def _seccomp(r: FieldReader, path: Path) -> str:
    """The profile's type: RuntimeDefault (the engine's) unless Unconfined is asked for."""
    r.mapping(path)
    cf.known_fields(r, path, ("type",), where="a seccompProfile")
    kind = cf.choice(r, path + ("type",), (SECCOMP_DEFAULT, SECCOMP_UNCONFINED, _LOCALHOST),
                     default=SECCOMP_DEFAULT)
    if kind == _LOCALHOST:
        r.error(path + ("type",), *seccomp_localhost_problem())
        return SECCOMP_DEFAULT
    if kind == SECCOMP_UNCONFINED:
        warn_refused_without(r, path + ("type",), UNCONFINED_SECCOMP, PRIVILEGED_FLAG)
    return kind


def read_pod_security(r: FieldReader, path: Path) -> PodSecurityContext:
    """spec.securityContext: the capsule-wide groups and sysctls."""
    r.mapping(path)
    cf.known_fields(r, path, POD_SECURITY_FIELDS, where="a capsule's securityContext")
    groups = []
    for index in range(len(r.items(path + ("supplementalGroups",)))):
        group = _user_id(r, path + ("supplementalGroups", index))
        if group is not None:
            groups.append(group)
    sysctls: dict[str, str] = {}
    for index, item in enumerate(r.items(path + ("sysctls",))):
        item_path = path + ("sysctls", index)
        if not cf.item_mapping(r, item_path, item, "a sysctl with name and value"):
            continue
        cf.known_fields(r, item_path, ("name", "value"), where="a sysctl")
        name = r.string(item_path + ("name",), required=True, expected="a sysctl name")
        value = r.string(item_path + ("value",), required=True, expected="the sysctl's value")
        if name is None or value is None:
            continue
        if problem := sysctl_problem(name):
            r.error(item_path + ("name",), *problem)
        elif name in sysctls:
            r.error(item_path + ("name",), f"sysctl '{name}' is set twice", "set each sysctl once")
        else:
            sysctls[name] = value
    return PodSecurityContext(
        supplemental_groups=tuple(dict.fromkeys(groups)),
        fs_group=_user_id(r, path + ("fsGroup",)),
        sysctls=tuple(sysctls.items()),
    )


def _user_id(r: FieldReader, path: Path) -> int | None:
    if r.raw(path) is None:
        return None
    return cf.count(r, path, low=0, default=0, expected="a user or group id")
