"""Hypothesis strategies for normalized capsule specs.

They generate what the readers produce: valid names, CPU on the millicore, requests
within limits, probes with numeric ports and Kubernetes' rules (a liveness or startup
probe needs one success; init containers have none), unique container, port, env and
volume names, mounts that name a volume, host ports published once. Text fields take
any printable text, including `$`, `$(`, quotes, new lines and non-ASCII letters,
because those are what break writers.
"""

from __future__ import annotations

from hypothesis import strategies as st

from translate.spec import (
    PROTOCOLS,
    PULL_POLICIES,
    RESTART_POLICIES,
    SERVICE_TYPES,
    Capsule,
    ConfigMapVolume,
    Container,
    EmptyDirVolume,
    EnvVar,
    HostPathVolume,
    NamedVolume,
    PersistentVolume,
    Port,
    Probe,
    ResourceAmounts,
    Resources,
    SecretKeyRef,
    SecretVolume,
    SecurityContext,
    Service,
    ServicePort,
    Volume,
    VolumeMount,
)

_LOWER = "abcdefghijklmnopqrstuvwxyz"
_DIGITS = "0123456789"
_UPPER = _LOWER.upper()


def _joined(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


# Plain text strategies, not from_regex: generation speed decides how many examples fit.
dns_labels = st.sampled_from(_LOWER) | _joined(
    st.sampled_from(_LOWER), st.text(_LOWER + _DIGITS + "-", max_size=12),
    st.sampled_from(_LOWER + _DIGITS),
)
# Printable text plus the characters that matter to YAML and to $(VAR) expansion.
texts = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("$()\n\r\t '\"#:-{}[]&*!|>%@`"),
    max_size=16,
)
words = st.lists(texts, max_size=4).map(tuple)
_path_part = _joined(st.sampled_from(_LOWER + _UPPER + _DIGITS + "_"),
                     st.text(_LOWER + _DIGITS + "_.-", max_size=7))
paths_inside = st.lists(_path_part, min_size=1, max_size=3).map("/".join)
absolute_paths = paths_inside.map(lambda p: "/" + p)
env_names = _joined(st.sampled_from(_UPPER + "_"), st.text(_UPPER + _DIGITS + "_", max_size=8))
secret_keys = _path_part
port_names = _joined(st.sampled_from(_LOWER), st.text(_LOWER + _DIGITS, max_size=14))
_ALNUM = _LOWER + _UPPER + _DIGITS
label_keys = _joined(
    st.sampled_from(["", "example.com/", "app.kubernetes.io/"]), st.sampled_from(_LOWER),
    st.text(_LOWER + _DIGITS + "-_.", max_size=8), st.sampled_from(_LOWER + _DIGITS),
)
# What Kubernetes takes as a label value: empty, or letters and digits at both ends.
label_values = st.just("") | st.sampled_from(_ALNUM) | _joined(
    st.sampled_from(_ALNUM), st.text(_ALNUM + "-_.", max_size=10), st.sampled_from(_ALNUM))
string_maps = st.dictionaries(label_keys, texts, max_size=3).map(lambda d: tuple(d.items()))
# Labels and host labels (a Pod's nodeSelector): what a Pod can carry.
label_maps = st.dictionaries(label_keys, label_values, max_size=3).map(lambda d: tuple(d.items()))
images = st.sampled_from([
    "busybox:1.36", "busybox", "nginx:1.27-alpine", "registry.k8s.io/pause:3.10",
    "localhost:5000/team/app:v2",
    "redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
])
# Few ConfigMap and Secret names, so that volumes and capsules share them.
config_map_names = st.sampled_from(["settings", "shared", "web-config"])
secret_names = st.sampled_from(["db", "tls", "api-token"])
cpu = st.integers(0, 64_000).map(lambda millicores: millicores / 1000)
memory = st.integers(0, 2**40)


@st.composite
def resources(draw) -> Resources:
    def pair(values):
        request, limit = draw(st.none() | values), draw(st.none() | values)
        if request is not None and limit is not None and request > limit:
            request, limit = limit, request
        return request, limit

    cpu_request, cpu_limit = pair(cpu)
    memory_request, memory_limit = pair(memory)
    gpus = draw(st.none() | st.integers(0, 8))  # a limit only: an extended resource's request equals it
    return Resources(ResourceAmounts(cpu_request, memory_request), ResourceAmounts(cpu_limit, memory_limit, gpus))


@st.composite
def probes(draw, *, single_success: bool) -> Probe:
    timings = dict(
        initial_delay_seconds=draw(st.integers(0, 600)),
        period_seconds=draw(st.integers(1, 600)),
        timeout_seconds=draw(st.integers(1, 60)),
        success_threshold=1 if single_success else draw(st.integers(1, 5)),
        failure_threshold=draw(st.integers(1, 10)),
    )
    port = st.integers(1, 65535)
    action = draw(st.sampled_from(["exec", "http", "tcp", "grpc"]))
    if action == "exec":
        return Probe(exec_command=draw(st.lists(texts, min_size=1, max_size=3).map(tuple)), **timings)
    if action == "tcp":
        return Probe(tcp_port=draw(port), **timings)
    if action == "grpc":
        return Probe(grpc_port=draw(port), grpc_service=draw(st.none() | texts.filter(bool)),
                     grpc_tls=draw(st.booleans()), **timings)
    return Probe(
        http_path=draw(st.none() | absolute_paths),
        http_port=draw(port),
        http_host=draw(st.none() | st.sampled_from(["127.0.0.1", "localhost"])),
        http_scheme=draw(st.sampled_from(["HTTP", "HTTPS"])),
        http_headers=tuple(draw(st.lists(st.tuples(_joined(st.just("X-"), port_names), texts),
                                          max_size=2))),
        **timings,
    )


security_contexts = st.builds(
    SecurityContext,
    privileged=st.booleans(),
    capabilities_add=st.lists(st.sampled_from(["NET_ADMIN", "SYS_TIME", "CHOWN"]), unique=True,
                              max_size=2).map(tuple),
    capabilities_drop=st.lists(st.sampled_from(["ALL", "NET_RAW", "MKNOD"]), unique=True,
                               max_size=2).map(tuple),
    run_as_user=st.none() | st.integers(0, 65535),
    run_as_group=st.none() | st.integers(0, 65535),
    read_only_root_filesystem=st.booleans(),
)

env_lists = st.dictionaries(
    env_names,
    st.builds(lambda value: ("value", value), texts)
    | st.builds(lambda ref: ("secret", ref),
                st.builds(SecretKeyRef, secret_names, secret_keys, st.booleans())),
    max_size=3,
)
# containerPort -> (name, protocol, whether to publish it on the host)
port_maps = st.dictionaries(
    st.integers(1, 65535),
    st.tuples(st.none() | port_names, st.sampled_from(PROTOCOLS), st.booleans()),
    max_size=3,
)


@st.composite
def containers(draw, name: str, volumes: tuple[str, ...], host_ports: set, *, init: bool) -> Container:
    env = tuple(
        EnvVar(n, value=v) if kind == "value" else EnvVar(n, secret_ref=v)
        for n, (kind, v) in draw(env_lists).items()
    )
    ports = []
    for number, (port_name, protocol, wants_host) in draw(port_maps).items():
        if port_name in {p.name for p in ports}:
            port_name = None
        host = None
        if wants_host and not init:
            host = draw(st.integers(1, 65535))
            if (host, protocol) in host_ports:
                host = None  # published already: a reader refuses the same hostPort twice
            else:
                host_ports.add((host, protocol))
        ports.append(Port(number, host, protocol, port_name))
    mounts = tuple(
        VolumeMount(volume, path, read_only, sub_path)
        for path, (volume, read_only, sub_path) in draw(st.dictionaries(
            absolute_paths,
            st.tuples(st.sampled_from(volumes), st.booleans(), st.none() | paths_inside),
            max_size=3,
        ) if volumes else st.just({})).items()
    )

    def probe(single_success: bool):
        # Kubernetes allows no probes on init containers: they run to completion.
        return st.none() if init else st.none() | probes(single_success=single_success)

    return Container(
        name=name,
        image=draw(images),
        image_pull_policy=draw(st.sampled_from(PULL_POLICIES)),
        command=draw(words),
        args=draw(words),
        work_dir=draw(st.none() | absolute_paths),
        env=env,
        labels=draw(string_maps),
        ports=tuple(ports),
        volume_mounts=mounts,
        resources=draw(resources()),
        liveness_probe=draw(probe(True)),
        readiness_probe=draw(probe(False)),
        startup_probe=draw(probe(True)),
        security_context=draw(security_contexts),
        stdin=draw(st.booleans()),
        tty=draw(st.booleans()),
    )


volume_sources = st.one_of(
    st.builds(NamedVolume, st.sampled_from(["local", "rexray/ebs"]),
              st.dictionaries(st.sampled_from(["type", "device", "o"]), texts, max_size=2)
              .map(lambda d: tuple(d.items())), st.none() | memory),
    st.builds(EmptyDirVolume, st.sampled_from(["", "Memory"]), st.none() | memory),
    st.builds(HostPathVolume, absolute_paths,
              st.sampled_from(["", "Directory", "DirectoryOrCreate", "File", "Socket"])),
    st.builds(ConfigMapVolume, config_map_names,
              st.dictionaries(paths_inside, texts, max_size=3).map(lambda d: tuple(d.items())),
              st.integers(0, 0o777)),
    st.builds(SecretVolume, secret_names,
              st.dictionaries(paths_inside, secret_keys, max_size=2)
              .map(lambda d: tuple((key, path) for path, key in d.items())),
              st.integers(0, 0o777), st.booleans()),
    st.builds(PersistentVolume, st.lists(dns_labels, min_size=1, max_size=2).map(".".join),
              st.booleans()),
)


volume_maps = st.dictionaries(dns_labels, volume_sources, max_size=4)


@st.composite
def capsules(draw, name: str | None = None) -> Capsule:
    volumes = tuple(
        Volume(n, source)
        for n, source in draw(volume_maps).items()
    )
    volume_names = tuple(v.name for v in volumes)
    names = draw(st.lists(dns_labels, min_size=1, max_size=3, unique=True))
    split = draw(st.integers(0, len(names) - 1))
    host_ports: set = set()
    init = tuple(draw(containers(n, volume_names, host_ports, init=True)) for n in names[:split])
    main = tuple(draw(containers(n, volume_names, host_ports, init=False)) for n in names[split:])
    return Capsule(
        name=name or draw(dns_labels),
        containers=main,
        init_containers=init,
        volumes=volumes,
        labels=draw(label_maps),
        annotations=draw(string_maps),
        restart_policy=draw(st.sampled_from(RESTART_POLICIES)),
        host_selector=draw(st.none() | dns_labels),
        host_labels=draw(label_maps),
        hostname=draw(st.none() | dns_labels),
        share_process_namespace=draw(st.booleans()),
        namespace=draw(st.none() | dns_labels),
        workload=draw(st.none() | st.builds(lambda kind, name: f"{kind}/{name}", st.sampled_from(
            ("Deployment", "ReplicaSet", "StatefulSet", "Job")), dns_labels)),
        subdomain=draw(st.none() | dns_labels),
        enable_service_links=draw(st.booleans()),
    )


# A Service's name is a DNS-1035 label: it starts with a letter.
service_names = dns_labels.filter(lambda name: name[0].isalpha())
port_names = st.from_regex(r"[a-z]{1,4}(-[a-z0-9]{1,4}){0,2}", fullmatch=True)


@st.composite
def services(draw, name: str | None = None) -> Service:
    """A Service as the readers make it: port names given (and unique) when there are
    several, a (port, protocol) pair once, nodePort only off ClusterIP, headless only as ClusterIP."""
    type_ = draw(st.sampled_from(SERVICE_TYPES))
    headless = type_ == "ClusterIP" and draw(st.booleans())
    pairs = draw(st.lists(st.tuples(st.integers(1, 65535), st.sampled_from(PROTOCOLS)),
                          min_size=0 if headless else 1, max_size=3, unique=True))
    names = draw(st.lists(port_names, min_size=len(pairs), max_size=len(pairs), unique=True))
    ports = tuple(
        ServicePort(
            port=number,
            target_port=draw(st.integers(1, 65535) | port_names),
            protocol=protocol,
            name=port_name if len(pairs) > 1 or draw(st.booleans()) else None,
            node_port=None if type_ == "ClusterIP" else draw(st.none() | st.integers(1, 65535)),
        )
        for (number, protocol), port_name in zip(pairs, names, strict=True)
    )
    return Service(
        name=name or draw(service_names),
        namespace=draw(dns_labels),
        selector=draw(label_maps),
        ports=ports,
        type=type_,
        headless=headless,
        labels=draw(label_maps),
    )


@st.composite
def capsule_lists(draw) -> list[Capsule]:
    """One or two capsules with distinct names (they may share ConfigMap names)."""
    names = draw(st.lists(dns_labels, min_size=1, max_size=2, unique=True))
    return [draw(capsules(name)) for name in names]
