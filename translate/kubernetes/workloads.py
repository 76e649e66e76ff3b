"""A Pod, or the pod template of a workload controller → its capsules.

Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job and CronJob
wrap a pod template: the capsule takes the template's labels, the annotations of both
(the template's win), the object's namespace ("default" when it has none) and its
kind/name as `workload`. A Pod, DaemonSet, Job or CronJob makes one capsule named like
the object; a Deployment, ReplicaSet, ReplicationController or StatefulSet makes one per
replica, named as Kubernetes names its pods (translate/replicas.py): a Deployment's
carry the `pod-template-hash` label, a StatefulSet's are `NAME-0` ... with their own
hostname, the serviceName as subdomain, and their own claims from the
volumeClaimTemplates (`<template>-<NAME>-<i>`). The other controller fields (strategy,
schedule, ...) are sorted by the tables in translate/kubernetes/fields.py: nearly all
are ignored with a warning that says why.

The pod spec itself: restartPolicy (checked against what the controller allows),
nodeName → hostSelector, nodeSelector → hostLabels, hostname, shareProcessNamespace,
the pod-level securityContext as container defaults, volumes and containers; and the
`capsule.dev/` annotations that `--to pod` writes (translate/kubernetes/pod_annotations.py).

It must not import the kubernetes package.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from translate.diagnostics import Path
from translate.fields import dns1123_problem, dns_subdomain_problem, workload_problem
from translate.kubernetes import pod_annotations
from translate.kubernetes.config import ConfigData
from translate.kubernetes.containers import read_containers
from translate.kubernetes.context import PodContext
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.fields import (
    APPLIED,
    CLAIM_METADATA_FIELDS,
    CLAIM_TEMPLATE_FIELDS,
    CRONJOB_FIELDS,
    DAEMONSET_FIELDS,
    DEPLOYMENT_FIELDS,
    JOB_FIELDS,
    JOB_TEMPLATE_FIELDS,
    METADATA_FIELDS,
    OBJECT_FIELDS,
    POD_SPEC_FIELDS,
    POD_TEMPLATE_FIELDS,
    REPLICASET_FIELDS,
    REPLICATIONCONTROLLER_FIELDS,
    STATEFULSET_FIELDS,
    STATEFULSET_ORDINALS_FIELDS,
    TEMPLATE_METADATA_FIELDS,
    Rule,
)
from translate.kubernetes.namespaces import read_namespace
from translate.kubernetes.security import read_pod_security
from translate.kubernetes.volumes import NamedVolumes, read_volumes
from translate.replicas import (
    MAX_REPLICAS,
    MAX_REPLICAS_PER_FILE,
    REPLICATED_KINDS,
    STATEFULSET_POD_NAME_LABEL,
    TEMPLATE_HASH_LABEL,
    replica_names,
    template_hash,
)
from translate.spec import DEFAULT_NAMESPACE, Capsule, Container, PersistentVolume, Volume


@dataclass(frozen=True)
class WorkloadKind:
    template: Path  # where the pod template is, below the object; () for a Pod
    tables: tuple[tuple[Path, dict[str, Rule], str], ...]  # controller fields around it
    restart_policies: tuple[str, ...]  # allowed; the first is the default
    restart_hint: str = ""


_INT32_MAX = 2**31 - 1
_ALWAYS_HINT = "its pods always restart; use a Job or a Pod to run to completion"
_JOB_HINT = "a Job's pods run to completion; Kubernetes allows OnFailure or Never"
_JOB_TEMPLATE = ("spec", "jobTemplate")

KINDS: dict[str, WorkloadKind] = {
    "Pod": WorkloadKind((), (), ("Always", "OnFailure", "Never")),
    "Deployment": WorkloadKind(("spec", "template"), ((("spec",), DEPLOYMENT_FIELDS, "a Deployment's spec"),),
                               ("Always",), _ALWAYS_HINT),
    "ReplicaSet": WorkloadKind(("spec", "template"), ((("spec",), REPLICASET_FIELDS, "a ReplicaSet's spec"),),
                               ("Always",), _ALWAYS_HINT),
    "ReplicationController": WorkloadKind(
        ("spec", "template"), ((("spec",), REPLICATIONCONTROLLER_FIELDS, "a ReplicationController's spec"),),
        ("Always",), _ALWAYS_HINT),
    "StatefulSet": WorkloadKind(("spec", "template"),
                                ((("spec",), STATEFULSET_FIELDS, "a StatefulSet's spec"),),
                                ("Always",), _ALWAYS_HINT),
    "DaemonSet": WorkloadKind(("spec", "template"), ((("spec",), DAEMONSET_FIELDS, "a DaemonSet's spec"),),
                              ("Always",), _ALWAYS_HINT),
    "Job": WorkloadKind(("spec", "template"), ((("spec",), JOB_FIELDS, "a Job's spec"),),
                        ("OnFailure", "Never"), _JOB_HINT),
    "CronJob": WorkloadKind(
        _JOB_TEMPLATE + ("spec", "template"),
        (
            (("spec",), CRONJOB_FIELDS, "a CronJob's spec"),
            (_JOB_TEMPLATE, JOB_TEMPLATE_FIELDS, "jobTemplate"),
            (_JOB_TEMPLATE + ("spec",), JOB_FIELDS, "a Job's spec"),
        ),
        ("OnFailure", "Never"),
        _JOB_HINT,
    ),
}


@dataclass(frozen=True)
class RunsNothing:
    """A workload that a cluster would run no pod for: `replicas: 0`, a suspended Job or
    CronJob, `completions: 0`. No capsule, and the input is not empty for it."""

    name: str
    why: str


# (kind, path below the object, value) that makes a workload run nothing, and the words for it.
_RUNS_NOTHING: tuple[tuple[tuple[str, ...], Path, object, str], ...] = (
    (("Deployment", "ReplicaSet", "ReplicationController", "StatefulSet"), ("spec", "replicas"), 0, "replicas: 0"),
    (("Job",), ("spec", "suspend"), True, "suspend: true"),
    (("Job",), ("spec", "completions"), 0, "completions: 0"),
    (("Job",), ("spec", "parallelism"), 0, "parallelism: 0"),
    (("CronJob",), ("spec", "suspend"), True, "suspend: true"),
    (("CronJob",), ("spec", "jobTemplate", "spec", "completions"), 0, "completions: 0"),
    (("CronJob",), ("spec", "jobTemplate", "spec", "suspend"), True, "suspend: true"),
)


def _runs_nothing(r: KubeFieldReader, base: Path, kind: str) -> tuple[Path, str] | None:
    """(the field, its words) when the workload would run no pod in a cluster."""
    for kinds, path, value, words in _RUNS_NOTHING:
        found = r.raw(base + path)
        if kind in kinds and type(found) is type(value) and found == value:  # 0 is not False here
            return path, words
    return None


def read_workload(r: KubeFieldReader, base: Path, kind: str, data: ConfigData,
                  room: int = MAX_REPLICAS_PER_FILE) -> tuple[Capsule, ...] | RunsNothing | None:
    """The capsules for the workload object at `base` (one per replica for Deployment,
    ReplicaSet, ReplicationController and StatefulSet, else one); RunsNothing for one a
    cluster would not run; None when it has errors.

    `room`: how many replicas the workload's file may still make (MAX_REPLICAS_PER_FILE in all).
    """
    errors_before = r.error_count
    workload = KINDS[kind]
    idle = _runs_nothing(r, base, kind)
    name = _object(r, base, kind, workload, quiet=idle[0] if idle else None)
    namespace = read_namespace(r, base)
    count, start = _replicas(r, base, kind, room) if kind in REPLICATED_KINDS else (1, 0)
    meta, spec = _pod_template(r, base, kind, workload)
    ctx = _PodRead(r, base, kind, workload, meta, spec, data, namespace or DEFAULT_NAMESPACE)
    # A replica's name is known only once its template is: the template is read under a
    # placeholder that each replica's own name then takes the place of.
    capsule = ctx.read(_POD_NAME if kind in REPLICATED_KINDS else name or "")
    if r.error_count > errors_before or name is None or capsule is None or namespace is None:
        return None
    if idle is not None:
        # As the cluster would: nothing runs. Said, but not a failure under --strict: it is applied.
        r.note(base + idle[0], f"{kind} {name} runs nothing ({idle[1]}), so no capsule is made for it",
               "as in a cluster; change it to run the workload")
        return RunsNothing(name, f"{kind} {name}: {idle[1]}")
    if kind != "Pod":  # a Pod's workload is the one --to pod wrote in its annotation, if any
        capsule = replace(capsule, workload=f"{kind}/{name}")
    if kind not in REPLICATED_KINDS:
        return (capsule,)
    if count is None:
        return None
    return _replicated(r, base, kind, name, capsule, ctx.name_used, count, start)


def _replicas(r: KubeFieldReader, base: Path, kind: str, room: int) -> tuple[int | None, int]:
    """(how many replicas, the first one's number); None replicas after an error."""
    path = base + ("spec", "replicas")
    count = r.integer(path, default=1, low=0, high=_INT32_MAX, expected="a number of replicas")
    start = 0
    if kind == "StatefulSet":
        r.sort(base + ("spec", "ordinals"), STATEFULSET_ORDINALS_FIELDS, where="ordinals")
        start = r.integer(base + ("spec", "ordinals", "start"), default=0, low=0, high=_INT32_MAX,
                          expected="the first replica's number") or 0
    hint = "capsule makes a capsule on your hosts for each replica; lower replicas"
    if count is not None and count > MAX_REPLICAS:
        r.error(path, f"found {count}, expected at most {MAX_REPLICAS} replicas of one workload", hint)
        return None, start
    if count is not None and count > room:
        made = MAX_REPLICAS_PER_FILE - room
        r.error(path, f"{count} replica{'s' if count != 1 else ''} after the {made} of the workloads before it "
                f"in this file: at most {MAX_REPLICAS_PER_FILE} replicas from one file", hint, of_value=r.has(path))
        return None, start
    return count, start


def _replicated(r: KubeFieldReader, base: Path, kind: str, name: str, capsule: Capsule, name_used: bool,
                count: int, start: int) -> tuple[Capsule, ...] | None:
    """A capsule per replica, named as Kubernetes names them (translate/replicas.py), from the
    template's capsule (read under _POD_NAME)."""
    normalized = capsule.to_dict()
    hash_ = template_hash(capsule.namespace or DEFAULT_NAMESPACE, name,
                          {"labels": normalized["metadata"]["labels"],
                           "annotations": normalized["metadata"]["annotations"], "spec": normalized["spec"]})
    names = replica_names(kind, name, hash_, count, start)
    # A StatefulSet's pod names are hostnames (labels); the others' are subdomains as their own.
    check = dns1123_problem if kind == "StatefulSet" else dns_subdomain_problem
    too_long = next((replica for replica in names if check(replica)), None)
    if too_long is not None:
        r.error(base + ("metadata", "name"), f"names the replica '{too_long}', which {check(too_long)}",
                f"shorten the {kind}'s name")
        return None
    service_name = r.text(base + ("spec", "serviceName"), expected="the name of a Service") \
        if kind == "StatefulSet" else None
    if service_name and (problem := dns1123_problem(service_name)):
        r.error(base + ("spec", "serviceName"), problem)
        return None
    claims = _claim_template_names(r, base) if kind == "StatefulSet" else frozenset()
    replicas = []
    for replica in names:
        own = _named(capsule, replica) if name_used else capsule
        labels = dict(own.labels)
        if kind == "Deployment":
            labels[TEMPLATE_HASH_LABEL] = hash_
        changes: dict[str, object] = {}
        if kind == "StatefulSet":
            labels[STATEFULSET_POD_NAME_LABEL] = replica
            # As the StatefulSet controller sets them: the replica's own hostname and claims.
            changes = {"hostname": replica, "subdomain": service_name or own.subdomain,
                       "volumes": tuple(_own_claim(v, claims, replica) for v in own.volumes)}
        replicas.append(replace(own, name=replica, namespace=capsule.namespace, workload=capsule.workload,
                                labels=tuple(labels.items()), **changes))  # type: ignore[arg-type]
    return tuple(replicas)


# Where a replicated workload's pod reads its own name (fieldRef metadata.name, and $(VAR)
# of it) while its template is read. YAML text can hold it only as escapes ("\0"): no
# manifest does, and one that did would only name its own replica in its own text.
_POD_NAME = "\0pod-name\0"


def _named(capsule: Capsule, replica: str) -> Capsule:
    """The template's capsule with the replica's name where the pod reads its own: env values,
    and command and args, where $(VAR) of one is expanded (not probes: the kubelet does not)."""
    def text(value: str) -> str:
        return value.replace(_POD_NAME, replica)

    def container(c: Container) -> Container:
        env = tuple(replace(e, value=text(e.value)) if e.value is not None else e for e in c.env)
        return replace(c, command=tuple(map(text, c.command)), args=tuple(map(text, c.args)), env=env)

    return replace(capsule, containers=tuple(map(container, capsule.containers)),
                   init_containers=tuple(map(container, capsule.init_containers)))


def _own_claim(volume: Volume, claims: frozenset[str], replica: str) -> Volume:
    """A claim template's volume with the replica's claim, `<template>-<replica>` as Kubernetes names it."""
    if volume.name in claims and isinstance(volume.source, PersistentVolume):
        return replace(volume, source=replace(volume.source, claim_name=f"{volume.name}-{replica}"))
    return volume


def _claim_template_names(r: KubeFieldReader, base: Path) -> frozenset[str]:
    return frozenset(
        item["metadata"]["name"] for item in r.items(base + ("spec", "volumeClaimTemplates"))
        if isinstance(item, dict) and isinstance(item.get("metadata"), dict)
        and isinstance(item["metadata"].get("name"), str)
    )


class _PodRead:
    """Reads the pod template of one workload, under a name; says whether the pod read it."""

    def __init__(self, r: KubeFieldReader, base: Path, kind: str, workload: WorkloadKind, meta: Path,
                 spec: Path, data: ConfigData, namespace: str):
        self.r, self.base, self.kind, self.workload = r, base, kind, workload
        self.meta, self.spec, self.data, self.namespace = meta, spec, data, namespace
        self.name_used = False

    def read(self, pod_name: str) -> Capsule | None:
        """The pod as a capsule named `pod_name`; None when this reading found errors."""
        r, base, kind, workload, meta, spec = self.r, self.base, self.kind, self.workload, self.meta, self.spec
        errors_before = r.error_count
        labels = r.labels(meta + ("labels",))
        pod_annotations_ = dict(r.string_map(meta + ("annotations",)))
        annotations = dict(pod_annotations_)
        if kind != "Pod":
            _object_labels(r, base, dict(labels))
            annotations = {**dict(r.string_map(base + ("metadata", "annotations"))), **pod_annotations_}
        reserved = _take_reserved(r, meta, annotations)

        r.sort(spec, POD_SPEC_FIELDS, where="a pod spec")
        pod_security, security_defaults = read_pod_security(r, spec + ("securityContext",))
        ctx = PodContext(
            data=self.data,
            capsule_name=pod_name,
            namespace=self.namespace,
            labels=dict(labels),
            annotations=pod_annotations_,  # what fieldRef sees: the pod's own, as in a cluster
            external_secrets=frozenset(reserved.external_secrets),
            security_defaults=security_defaults,
            service_account=_service_account(r, spec),
            container_names=_container_names(r, spec),
        )
        volumes = _volumes(r, base, spec, kind, pod_name, ctx, reserved)
        init_containers = read_containers(r, spec, "initContainers", ctx)
        containers = read_containers(r, spec, "containers", ctx)
        self.name_used = ctx.name_used
        _check_containers(r, spec, init_containers, containers)
        init_containers, containers = _container_labels(
            r, meta, reserved.container_labels, init_containers, containers
        )
        restart = r.text(spec + ("restartPolicy",), default=workload.restart_policies[0])
        if restart not in workload.restart_policies:
            r.error(spec + ("restartPolicy",),
                    f"found '{restart}', expected {' or '.join(workload.restart_policies)}",
                    workload.restart_hint or None)
        hostname = _dns_label(r, spec + ("hostname",))
        subdomain = _dns_label(r, spec + ("subdomain",))
        host_selector = r.text(spec + ("nodeName",)) or None
        host_labels = r.string_map(spec + ("nodeSelector",))
        share = r.boolean(spec + ("shareProcessNamespace",))
        links = r.boolean(spec + ("enableServiceLinks",), default=True)
        if r.error_count > errors_before or restart is None:
            return None
        return Capsule(
            name=pod_name,
            containers=containers,
            init_containers=init_containers,
            volumes=volumes,
            labels=labels,
            annotations=tuple(annotations.items()),
            restart_policy=restart,
            host_selector=host_selector,
            host_labels=host_labels,
            hostname=hostname or None,
            share_process_namespace=share,
            namespace=None if reserved.no_namespace else self.namespace,
            workload=reserved.workload,
            subdomain=subdomain or None,
            enable_service_links=links,
            security_context=pod_security,
        )


def _service_account(r: KubeFieldReader, spec: Path) -> str:
    """The pod's service account as a cluster would name it: serviceAccountName, else the
    deprecated serviceAccount, else "default" (capsule has none; fieldRef reads the name)."""
    for key in ("serviceAccountName", "serviceAccount"):
        value = r.raw(spec + (key,))
        if isinstance(value, str) and value:
            return value
    return "default"


def _container_names(r: KubeFieldReader, spec: Path) -> frozenset[str]:
    lists = [r.raw(spec + (key,)) for key in ("initContainers", "containers")]
    return frozenset(
        item["name"] for items in lists if isinstance(items, list) for item in items
        if isinstance(item, dict) and isinstance(item.get("name"), str)
    )


def _dns_label(r: KubeFieldReader, path: Path) -> str | None:
    value = r.text(path)
    if value and (problem := dns1123_problem(value)):
        r.error(path, problem)
        return None
    return value


def _object(r: KubeFieldReader, base: Path, kind: str, workload: WorkloadKind,
            quiet: Path | None = None) -> str | None:
    """Sort the object's own fields (and a controller's); return its name.

    `quiet`: the field that makes the workload run nothing, reported by the caller instead.
    """
    r.sort(base, OBJECT_FIELDS, where=f"a {kind}")
    r.sort(base + ("metadata",), METADATA_FIELDS, where="metadata")
    if kind == "DaemonSet":
        r.warn(base + ("kind",), "DaemonSet runs one pod on every node; the capsule runs once, on "
               "one host", "create one capsule per host with hostSelector")
    rule = _NAME_RULE[kind == "StatefulSet"]
    name = r.text(base + ("metadata", "name"), required=True, expected=f"a name ({rule})")
    if name is not None and (problem := object_name_problem(kind, name)):
        r.error(base + ("metadata", "name"), problem)
    for sub, table, where in workload.tables:
        if "selector" in table and _selects_its_pods(r.raw(base + sub + ("selector",)),
                                                     r.raw(base + workload.template + ("metadata", "labels"))):
            table = {**table, "selector": APPLIED}  # what capsule does anyway: no word about it
        if quiet is not None and quiet[:-1] == sub and quiet[-1] in table:
            table = {**table, quiet[-1]: APPLIED}
        r.sort(base + sub, table, where=where)
    return name


# What Kubernetes takes as an object's name: a DNS-1123 subdomain (`my.app.v2`); a StatefulSet's
# is a label, since it names its pods' hostnames; a CronJob's at most 52 characters, so that
# its Jobs' names (NAME-<11 digits>) stay subdomains.
_NAME_RULE = ("a DNS-1123 subdomain", "a DNS-1123 label")


def object_name_problem(kind: str, name: str) -> str | None:
    """Why Kubernetes would refuse `name` as the name of a `kind`, or None."""
    if kind == "StatefulSet":
        return dns1123_problem(name)
    return dns_subdomain_problem(name, limit=52 if kind == "CronJob" else 253)


def _selects_its_pods(selector: object, labels: object) -> bool:
    """True when the controller's selector matches its own pod template's labels.

    A ReplicationController's selector is a plain map; the others' a LabelSelector
    (matchLabels and matchExpressions).
    """
    if not isinstance(selector, dict) or not isinstance(labels, dict) or not selector:
        return False
    if not ({"matchLabels", "matchExpressions"} & set(selector)):
        selector = {"matchLabels": selector}
    match_labels = selector.get("matchLabels") or {}
    if not isinstance(match_labels, dict) or set(selector) - {"matchLabels", "matchExpressions"}:
        return False
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        if not isinstance(expression, dict):
            return False
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        if not isinstance(key, str) or not isinstance(values, list):
            return False
        present = key in labels
        satisfied = {
            "In": present and labels.get(key) in values,
            "NotIn": not present or labels.get(key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(str(operator), False)
        if not satisfied:
            return False
    return True


def _pod_template(r: KubeFieldReader, base: Path, kind: str, workload: WorkloadKind) -> tuple[Path, Path]:
    """(path of the pod's metadata, path of its spec): the object's own for a Pod."""
    if kind == "Pod":
        meta, spec = base + ("metadata",), base + ("spec",)
    else:
        template = base + workload.template
        r.mapping(template, required=True)
        r.sort(template, POD_TEMPLATE_FIELDS, where="the pod template")
        meta, spec = template + ("metadata",), template + ("spec",)
        r.sort(meta, TEMPLATE_METADATA_FIELDS, where="the pod template's metadata")
    r.mapping(spec, required=True)
    return meta, spec


def _volumes(r: KubeFieldReader, base: Path, spec: Path, kind: str, name: str, ctx: PodContext,
             reserved: _Reserved) -> tuple[Volume, ...]:
    """The pod's volumes, and a StatefulSet's claim templates after them."""
    # Names of any type are reported by read_volumes; only text can name a volume.
    written = {v.get("name") for v in r.items(spec + ("volumes",)) if isinstance(v, dict)
               and isinstance(v.get("name"), str)}
    claims = _claim_volumes(r, base, name) if kind == "StatefulSet" else ()
    # Mounts are checked against every name written, so one bad volume is one error.
    ctx.volume_names = frozenset(written) | {v.name for v in claims}
    volumes = read_volumes(r, spec, ctx, reserved.named_volumes, frozenset(reserved.empty_config_maps))
    claimed = {claim.name for claim in claims}
    for index, entry in enumerate(r.items(spec + ("volumes",))):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and entry["name"] in claimed:
            # The StatefulSet controller puts the claim in place of a pod volume of the
            # same name; manifests rely on it (a placeholder volume, or the claim by name).
            r.ignored(spec + ("volumes", index), f"the volumeClaimTemplate '{entry['name']}' takes its "
                      "place, as the StatefulSet controller does")
    return tuple(v for v in volumes if v.name not in claimed) + claims


def _object_labels(r: KubeFieldReader, base: Path, template_labels: dict[str, str]) -> None:
    """A controller's own labels are not the pod's: say so when the template lacks some."""
    missing = [k for k, v in r.labels(base + ("metadata", "labels")) if template_labels.get(k) != v]
    if missing:
        r.ignored(base + ("metadata", "labels"),
                  f"the capsule takes the pod template's labels, which lack {', '.join(missing)}",
                  "copy them to the template's metadata.labels to keep them")


@dataclass
class _Reserved:
    named_volumes: NamedVolumes
    container_labels: dict[str, dict[str, str]]
    empty_config_maps: list[str]
    external_secrets: list[str]
    workload: str | None = None
    no_namespace: bool = False


def _take_reserved(r: KubeFieldReader, meta: Path, annotations: dict[str, str]) -> _Reserved:
    """Remove the capsule.dev/ annotations from `annotations` and decode them."""
    found = _Reserved({}, {}, [], [])
    for key in sorted(pod_annotations.RESERVED & set(annotations)):
        text = annotations.pop(key)
        path = meta + ("annotations", key)
        try:
            if key == pod_annotations.NAMED_VOLUMES:
                found.named_volumes = pod_annotations.decode_named_volumes(text)
            elif key == pod_annotations.CONTAINER_LABELS:
                found.container_labels = pod_annotations.decode_string_maps(key, text)
            elif key == pod_annotations.EMPTY_CONFIGMAPS:
                found.empty_config_maps = pod_annotations.decode_names(key, text)
            elif key == pod_annotations.WORKLOAD:
                if problem := workload_problem(text):
                    raise pod_annotations.AnnotationError(problem)
                found.workload = text
            elif key == pod_annotations.NO_NAMESPACE:
                if text != "true":
                    raise pod_annotations.AnnotationError(f"found '{text}', expected 'true'")
                if r.raw(meta + ("namespace",)) is not None:
                    raise pod_annotations.AnnotationError("is given together with metadata.namespace")
                found.no_namespace = True
            else:
                found.external_secrets = pod_annotations.decode_names(key, text)
        except pod_annotations.AnnotationError as exc:
            r.error(path, str(exc), "capsule writes this annotation with --to pod; remove it or "
                    "translate the capsule again")
    return found


def _claim_volumes(r: KubeFieldReader, base: Path, pod_name: str) -> tuple[Volume, ...]:
    """Each claim template as a persistent volume; the claim is `<template>-<pod>`, as Kubernetes
    names a replica's claim."""
    volumes = []
    for index in range(len(r.items(base + ("spec", "volumeClaimTemplates")))):
        path = base + ("spec", "volumeClaimTemplates", index)
        r.sort(path, CLAIM_TEMPLATE_FIELDS, where="a volumeClaimTemplate")
        r.sort(path + ("metadata",), CLAIM_METADATA_FIELDS, where="metadata")
        name = r.text(path + ("metadata", "name"), required=True, expected="a volume name")
        if name is None:
            continue
        if problem := dns1123_problem(name):
            r.error(path + ("metadata", "name"), problem)
            continue
        volumes.append(Volume(name, PersistentVolume(f"{name}-{pod_name}")))
    return tuple(volumes)


def _check_containers(r: KubeFieldReader, spec: Path, init: tuple[Container, ...],
                      containers: tuple[Container, ...]) -> None:
    """Names unique across init and app containers; each hostPort published once."""
    names: set[str] = set()
    for key, group in (("initContainers", init), ("containers", containers)):
        for container in group:
            if container.name in names:
                r.error(_last_path(r, spec + (key,), {"name": container.name}) + ("name",),
                        f"container name '{container.name}' is used twice in this pod",
                        "give each container its own name")
            names.add(container.name)
    published: dict[tuple[int, str], str] = {}
    for container in containers:
        for port in container.ports:
            if port.host_port is None:
                continue
            owner = published.get((port.host_port, port.protocol))
            if owner is None:
                published[(port.host_port, port.protocol)] = container.name
            else:
                where = _last_path(r, spec + ("containers",), {"name": container.name})
                where = _last_path(r, where + ("ports",), {"hostPort": port.host_port})
                r.error(where + ("hostPort",),
                        f"hostPort {port.host_port}/{port.protocol} is already published by "
                        f"container '{owner}'", "use another hostPort")


def _last_path(r: KubeFieldReader, path: Path, match: dict[str, object]) -> Path:
    """The path of the last entry of the list at `path` that matches, for messages."""
    found = [
        i for i, entry in enumerate(r.items(path))
        if isinstance(entry, dict) and all(entry.get(k) == v for k, v in match.items())
    ]
    return path + (found[-1],) if found else path


def _container_labels(
    r: KubeFieldReader, meta: Path, labels: dict[str, dict[str, str]],
    init: tuple[Container, ...], containers: tuple[Container, ...],
) -> tuple[tuple[Container, ...], tuple[Container, ...]]:
    known = {c.name for c in init + containers}
    for name in labels:
        if name not in known:
            r.error(meta + ("annotations", pod_annotations.CONTAINER_LABELS),
                    f"names container '{name}', which the pod does not have",
                    "remove it from the annotation")

    def labelled(c: Container) -> Container:
        return replace(c, labels=tuple(labels[c.name].items())) if c.name in labels else c

    return tuple(map(labelled, init)), tuple(map(labelled, containers))
