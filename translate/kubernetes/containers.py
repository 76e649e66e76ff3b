"""One Kubernetes container (or init container) → a spec `Container`.

Maps name, image, imagePullPolicy, command/args (with `$(VAR)` expanded as the kubelet
does; that of a run-time variable, such as status.podIP's, kept for the runtime to
expand), workingDir → workDir, env/envFrom (translate/kubernetes/env.py), ports (named
ports kept for the probes), volumeMounts, resources (through translate/quantity.py),
probes (translate/kubernetes/probes.py), securityContext (translate/kubernetes/security.py,
over the pod's defaults), stdin and tty, and an init container's restartPolicy Always
(a native sidecar). Every other field is sorted by the table in
translate/kubernetes/fields.py. It must not import the kubernetes package.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from pathlib import PurePosixPath

from translate.diagnostics import Path
from translate.fields import dns1123_problem, gpu_request_problem, image_problem, is_port_name, suggest
from translate.kubernetes.context import PodContext
from translate.kubernetes.env import read_env, run_time_placeholder, unexpandable, variables_of
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.fields import (
    CONTAINER_FIELDS,
    MOUNT_FIELDS,
    PORT_FIELDS,
    RESOURCES_FIELDS,
)
from translate.kubernetes.probes import PROBES, read_probe
from translate.kubernetes.security import read_container_security
from translate.kubernetes.variable_expansion import expand
from translate.pod_fields import protect
from translate.quantity import QuantityError, parse_cpu, parse_gpus, parse_memory
from translate.spec import (
    GPU_RESOURCE,
    PROTOCOLS,
    PULL_POLICIES,
    Container,
    EnvVar,
    Port,
    ResourceAmounts,
    Resources,
    VolumeMount,
    default_pull_policy,
)


def relative_path_problem(text: str) -> str | None:
    """Why `text` cannot be a path inside a volume (subPath, items[].path), or None."""
    if not text:
        return "is empty"
    if text.startswith("/"):
        return f"'{text}' is absolute; it must be relative to the volume"
    if ".." in PurePosixPath(text).parts:
        return f"'{text}' contains '..'; it must stay inside the volume"
    return None


def read_containers(r: KubeFieldReader, spec: Path, key: str, ctx: PodContext) -> tuple[Container, ...]:
    init = key == "initContainers"
    entries = r.items(spec + (key,), required=not init, expected="a list of containers")
    if not init and r.raw(spec + (key,)) == []:
        r.error(spec + (key,), "is empty: a pod needs at least one container",
                "add a container with a name and an image")
    out = []
    for index in range(len(entries)):
        container = _read_container(r, spec + (key, index), ctx, init=init)
        if container is not None:
            out.append(container)
    return tuple(out)


def _read_container(r: KubeFieldReader, path: Path, ctx: PodContext, *, init: bool) -> Container | None:
    if not isinstance(r.raw(path), dict):
        r.mapping(path, required=True)
        return None
    r.sort(path, CONTAINER_FIELDS, where="an init container" if init else "a container")
    name = r.text(path + ("name",), required=True, expected="a container name (a DNS-1123 label)")
    if name is not None and (problem := dns1123_problem(name)):
        r.error(path + ("name",), problem)
    image = r.text(path + ("image",), required=True, expected="an image such as busybox:1.36")
    if image is not None and (problem := image_problem(image)):
        r.error(path + ("image",), problem)
        image = None
    pull = r.text(path + ("imagePullPolicy",), expected=" or ".join(PULL_POLICIES))
    if pull is not None and pull not in PULL_POLICIES:
        r.error(path + ("imagePullPolicy",), f"found '{pull}', expected {', '.join(PULL_POLICIES)}")
        pull = None
    ports, port_numbers = _ports(r, path)
    env = read_env(r, path, ctx)
    env_from = tuple(ctx.env_from)
    variables = variables_of(env, ctx.left_out)
    sidecar = _sidecar(r, path, init=init)
    probes = {}
    for probe in PROBES:
        probes[probe] = read_probe(r, path + (probe,), port_numbers)
        # A native sidecar keeps running, so Kubernetes probes it as it does a container.
        if init and not sidecar and probes[probe] is not None:
            r.error(path + (probe,), "is not allowed on an init container: it runs to completion",
                    "remove the probe, or make it a native sidecar (restartPolicy: Always)", of_value=False)
    command = _expanded(r, path + ("command",), variables, ctx)
    args = _expanded(r, path + ("args",), variables, ctx)
    work_dir = r.text(path + ("workingDir",)) or None
    if work_dir is not None and not work_dir.startswith("/"):
        r.error(path + ("workingDir",), f"found '{work_dir}', expected an absolute path such as /app",
                "the engine refuses a relative working directory")
        work_dir = None
    mounts = _mounts(r, path, ctx)
    resources = _resources(r, path + ("resources",))
    security = read_container_security(r, path + ("securityContext",), ctx.security_defaults)
    stdin, tty = r.boolean(path + ("stdin",)), r.boolean(path + ("tty",))
    env, command, args = _run_time_references(r, path, env, command, args)
    if not name or not image:
        return None  # the errors are reported; the rest was read to report its errors too
    return Container(
        name=name,
        image=image,
        image_pull_policy=pull or default_pull_policy(image),
        command=command,
        args=args,
        work_dir=work_dir,
        env=env,
        env_from=env_from,
        ports=ports,
        volume_mounts=mounts,
        resources=resources,
        liveness_probe=probes["livenessProbe"],
        readiness_probe=probes["readinessProbe"],
        startup_probe=probes["startupProbe"],
        security_context=security,
        stdin=stdin,
        tty=tty,
        sidecar=sidecar,
    )


def _sidecar(r: KubeFieldReader, path: Path, *, init: bool) -> bool:
    """An init container's restartPolicy Always (Kubernetes 1.29+) makes it a native sidecar."""
    where = path + ("restartPolicy",)
    if r.raw(where) is None:
        return False
    if not init:
        r.error(where, "is allowed only on an init container (a native sidecar)",
                "remove restartPolicy; containers restart by the pod's restartPolicy", of_value=False)
        return False
    policy = r.text(where, expected="Always")
    if policy != "Always":
        if policy is not None:
            r.error(where, f"found '{policy}', expected Always: an init container's restartPolicy "
                    "can only make it a sidecar", "remove restartPolicy for an ordinary init container")
        return False
    return True


def _expanded(r: KubeFieldReader, path: Path, variables: dict[str, str | None],
              ctx: PodContext) -> tuple[str, ...]:
    """command or args with $(VAR) expanded from the container's environment."""
    out = []
    for index, word in enumerate(r.texts(path)):
        text, hidden = expand(word, variables)
        if hidden:
            unexpandable(r, path + (index,), hidden, ctx)
        out.append(text)
    return tuple(out)


def _run_time_references(
    r: KubeFieldReader, path: Path, env: tuple[EnvVar, ...], command: tuple[str, ...], args: tuple[str, ...]
) -> tuple[tuple[EnvVar, ...], tuple[str, ...], tuple[str, ...]]:
    """Text as the runtime reads it: `$(NAME)` where the manifest used a run-time variable
    (status.podIP, ...), and literal text protected so that the runtime keeps it
    (translate/pod_fields.py). A container without run-time variables keeps its text as is."""
    names = frozenset(e.name for e in env if e.run_time)
    references = {run_time_placeholder(name): name for name in names}

    def text(where: Path, value: str) -> str:
        value = protect(value, references)
        if "\0run-time:" in value:
            r.error(where, "refers to a variable that is set again later with a value of its own; "
                    "capsule cannot give it the earlier run-time value", "give the later one another name")
        return value

    if not names and not any(e.value and "\0run-time:" in e.value for e in env):
        return env, command, args
    env = tuple(
        replace(e, value=text(path + ("env",), e.value)) if e.value is not None else e for e in env
    )
    return (env, tuple(text(path + ("command", i), w) for i, w in enumerate(command)),
            tuple(text(path + ("args", i), w) for i, w in enumerate(args)))


def _ports(r: KubeFieldReader, container: Path) -> tuple[tuple[Port, ...], dict[str, int]]:
    ports: list[Port] = []
    numbers: dict[str, int] = {}
    for index in range(len(r.items(container + ("ports",)))):
        path = container + ("ports", index)
        r.sort(path, PORT_FIELDS, where="a port")
        number = r.integer(path + ("containerPort",), required=True, low=1, high=65535,
                           expected="a port number")
        host = r.integer(path + ("hostPort",), default=0, low=0, high=65535, expected="a port number")
        protocol = r.text(path + ("protocol",), default="TCP", expected="TCP or UDP")
        if protocol not in PROTOCOLS:
            r.error(path + ("protocol",), f"found '{protocol}', expected TCP or UDP",
                    "SCTP is not supported" if protocol == "SCTP" else None)
        name = r.text(path + ("name",))
        if name is not None:
            if not is_port_name(name):
                r.error(path + ("name",), f"'{name}' is not a port name: use at most 15 lower-case "
                        "letters, digits and single '-', with at least one letter")
            elif name in numbers:
                r.error(path + ("name",), f"port name '{name}' is used twice in this container",
                        "give each port its own name")
            elif number:
                numbers[name] = number
        if number and protocol in PROTOCOLS:
            ports.append(Port(number, host or None, protocol, name))
    return tuple(ports), numbers


def _mounts(r: KubeFieldReader, container: Path, ctx: PodContext) -> tuple[VolumeMount, ...]:
    mounts = []
    seen: set[str] = set()
    for index in range(len(r.items(container + ("volumeMounts",)))):
        path = container + ("volumeMounts", index)
        r.sort(path, MOUNT_FIELDS, where="a volumeMount")
        name = r.text(path + ("name",), required=True, expected="the name of one of the pod's volumes")
        mount_path = r.text(path + ("mountPath",), required=True, expected="an absolute path")
        sub_path = r.text(path + ("subPath",)) or None
        read_only = r.boolean(path + ("readOnly",))
        if name is not None and name not in ctx.volume_names:
            guess = suggest(name, ctx.volume_names)
            known = ", ".join(sorted(ctx.volume_names)) or "none"
            r.error(path + ("name",), f"'{name}' names no volume of this pod",
                    f"did you mean '{guess}'?" if guess else f"the pod's volumes: {known}")
            name = None
        if mount_path is not None:
            if not mount_path.startswith("/"):
                r.error(path + ("mountPath",), f"'{mount_path}' is not an absolute path",
                        "start it with /")
                mount_path = None
            elif mount_path in seen:
                r.error(path + ("mountPath",), f"'{mount_path}' is mounted twice in this container",
                        "mount each path once")
            seen.add(mount_path or "")
        if sub_path is not None and (problem := relative_path_problem(sub_path)):
            r.error(path + ("subPath",), problem)
        if name and mount_path:
            mounts.append(VolumeMount(name, mount_path, read_only, sub_path))
    return tuple(mounts)


def _resources(r: KubeFieldReader, path: Path) -> Resources:
    r.sort(path, RESOURCES_FIELDS, where="resources")
    amounts = {}
    for part in ("requests", "limits"):
        cpu = memory = gpu = None
        for key, value in r.mapping(path + (part,)).items():
            where = path + (part, key)
            if key == "cpu":
                cpu = _quantity(r, where, value, functools.partial(parse_cpu, kubernetes=True))
            elif key == "memory":
                memory = _quantity(r, where, value, functools.partial(parse_memory, kubernetes=True))
            elif key == GPU_RESOURCE:
                gpu = _quantity(r, where, value, functools.partial(parse_gpus, kubernetes=True))
            else:
                r.ignored(where, f"capsule counts only cpu, memory and {GPU_RESOURCE}; the container runs without it")
                continue
            r.applied(where)
        amounts[part] = ResourceAmounts(cpu, memory, gpu)  # type: ignore[arg-type]
    requests, limits = amounts["requests"], amounts["limits"]
    gpu_problem = gpu_request_problem(requests.gpu, limits.gpu)
    if gpu_problem:
        r.error(path + ("requests", GPU_RESOURCE), *gpu_problem)
    for key, request, limit in (("cpu", requests.cpu, limits.cpu), ("memory", requests.memory, limits.memory)):
        if request is not None and limit is not None and request > limit:
            r.error(path + ("requests", key), f"found a request of {request}, more than the limit {limit}",
                    "a request may not exceed its limit")
    return Resources(requests, limits)


def _quantity(r: KubeFieldReader, path: Path, value: object,
              parse: Callable[[object], float | int]) -> float | int | None:
    try:
        return parse(value)
    except QuantityError as exc:
        r.error(path, str(exc))
        return None
