"""The Kubernetes field tables: for every field capsule reads, which bucket it falls in.

Each table lists every field of one Kubernetes object (PodSpec, Container, Probe, ...)
with a `Rule`: applied (a reader module maps it into the spec), ignored (a warning that
says why, an error under --strict) or rejected (an error: translating it would change
what the workload does in a way the user must decide about). A field in no table is
unknown: a warning with the closest known name. `tests/translate/test_kubernetes_format.py`
checks that the tables cover every field of the kubernetes package's models, so a new
Kubernetes field cannot slip through silently.

`same` names values for which capsule already behaves as Kubernetes would (for
example `hostNetwork: false`, `enableServiceLinks: false`): those are applied, quietly.

This module holds data only (translate/kubernetes/field_reader.py applies it); it must not
import the kubernetes package (import cost) nor know how a field is mapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class Rule:
    bucket: Literal["applied", "ignored", "rejected"]
    why: str = ""
    hint: str | None = None
    same: tuple[Any, ...] = ()


APPLIED = Rule("applied")


def ignored(why: str, hint: str | None = None, *, same: tuple[Any, ...] = ()) -> Rule:
    return Rule("ignored", why, hint, same)


def rejected(why: str, hint: str | None = None, *, same: tuple[Any, ...] = ()) -> Rule:
    return Rule("rejected", why, hint, same)


# --- whole objects -------------------------------------------------------------------

_CLUSTER = ignored("it is written by the cluster, not by you")

OBJECT_FIELDS: dict[str, Rule] = {
    "apiVersion": APPLIED,
    "kind": APPLIED,
    "metadata": APPLIED,
    "spec": APPLIED,
    "status": _CLUSTER,
}

LIST_FIELDS: dict[str, Rule] = {
    "apiVersion": APPLIED,
    "kind": APPLIED,
    "items": APPLIED,
    "metadata": ignored("a List's own metadata means nothing to capsule"),
}

CONFIG_MAP_FIELDS: dict[str, Rule] = {
    "apiVersion": APPLIED,
    "kind": APPLIED,
    "metadata": APPLIED,
    "data": APPLIED,
    "binaryData": APPLIED,
    "immutable": APPLIED,  # capsule never changes data it has read
}

SECRET_FIELDS: dict[str, Rule] = {
    "apiVersion": APPLIED,
    "kind": APPLIED,
    "metadata": APPLIED,
    "data": APPLIED,
    "stringData": APPLIED,
    "type": APPLIED,  # any type works: capsule reads the keys
    "immutable": APPLIED,
}

METADATA_FIELDS: dict[str, Rule] = {
    "name": APPLIED,
    "labels": APPLIED,
    "annotations": APPLIED,
    "namespace": APPLIED,  # the capsule's application: a DNS-1123 label, "default" when absent
    "generateName": ignored("a capsule needs a fixed name", "set metadata.name"),
    "uid": _CLUSTER,
    "resourceVersion": _CLUSTER,
    "generation": _CLUSTER,
    "creationTimestamp": _CLUSTER,
    "deletionTimestamp": _CLUSTER,
    "deletionGracePeriodSeconds": _CLUSTER,
    "selfLink": _CLUSTER,
    "managedFields": _CLUSTER,
    "ownerReferences": ignored("capsule does not remove objects by owner"),
    "finalizers": ignored("capsule removes a capsule without finalizers"),
}

DATA_METADATA_FIELDS: dict[str, Rule] = {
    **METADATA_FIELDS,
    "labels": ignored("capsule inlines the data; the object's own labels are not kept"),
    "annotations": ignored("capsule inlines the data; the object's own annotations are not kept"),
}

# The pod template's metadata inside a Deployment, Job, ...
TEMPLATE_METADATA_FIELDS: dict[str, Rule] = {
    **METADATA_FIELDS,
    "name": ignored("the capsule takes the name of the object (metadata.name)"),
    "namespace": ignored("the capsule takes the namespace of the object (metadata.namespace)"),
}

# --- workload controllers: the fields around the pod template ---------------------------

_ONE_COPY = ignored(  # 1 is what capsule does anyway
    "a capsule runs one copy on one host", "create several capsules for more copies", same=(1,)
)
_INDEXED = ignored("capsule runs one copy of a Job's pod, so there are no indexes")
_SELECTOR = ignored("capsule finds its containers by its own labels")
_HISTORY = ignored("capsule keeps no revision history")
_ROLLOUT = ignored("capsule replaces a capsule by its own upgrade order")

DEPLOYMENT_FIELDS: dict[str, Rule] = {
    "template": APPLIED,
    "replicas": APPLIED,  # one capsule per replica (translate/replicas.py names them)
    "selector": _SELECTOR,
    "strategy": _ROLLOUT,
    "minReadySeconds": _ROLLOUT,
    "progressDeadlineSeconds": _ROLLOUT,
    "paused": _ROLLOUT,
    "revisionHistoryLimit": _HISTORY,
}

REPLICASET_FIELDS: dict[str, Rule] = {
    "template": APPLIED,
    "replicas": APPLIED,
    "selector": _SELECTOR,
    "minReadySeconds": _ROLLOUT,
}

# The ReplicaSet's predecessor: its selector is a plain map of labels, not a LabelSelector.
REPLICATIONCONTROLLER_FIELDS: dict[str, Rule] = dict(REPLICASET_FIELDS)

STATEFULSET_FIELDS: dict[str, Rule] = {
    **DEPLOYMENT_FIELDS,
    "volumeClaimTemplates": APPLIED,
    "serviceName": APPLIED,  # every replica's subdomain
    "podManagementPolicy": ignored("capsule creates the replicas together, as Parallel does",
                                   same=("Parallel",)),
    "updateStrategy": _ROLLOUT,
    "ordinals": APPLIED,  # start: the first replica's number
    "persistentVolumeClaimRetentionPolicy": ignored(
        "persistent volumes outlive the capsule until you remove them"
    ),
}
del STATEFULSET_FIELDS["strategy"], STATEFULSET_FIELDS["progressDeadlineSeconds"]
del STATEFULSET_FIELDS["paused"]

DAEMONSET_FIELDS: dict[str, Rule] = {
    "template": APPLIED,
    "selector": _SELECTOR,
    "updateStrategy": _ROLLOUT,
    "minReadySeconds": _ROLLOUT,
    "revisionHistoryLimit": _HISTORY,
}

_JOB_CONTROL = ignored("capsule runs the pod once and applies only its restartPolicy")

JOB_FIELDS: dict[str, Rule] = {
    "template": APPLIED,
    "selector": _SELECTOR,
    "manualSelector": _SELECTOR,
    "parallelism": _ONE_COPY,
    "completions": _ONE_COPY,
    "completionMode": _INDEXED,
    "backoffLimit": _JOB_CONTROL,
    "backoffLimitPerIndex": _JOB_CONTROL,
    "maxFailedIndexes": _JOB_CONTROL,
    "activeDeadlineSeconds": _JOB_CONTROL,
    "ttlSecondsAfterFinished": ignored("capsule keeps a finished capsule until you remove it"),
    "suspend": _JOB_CONTROL,
    "podFailurePolicy": _JOB_CONTROL,
    "podReplacementPolicy": _JOB_CONTROL,
    "successPolicy": _JOB_CONTROL,
    "managedBy": _JOB_CONTROL,
    "scheduling": _JOB_CONTROL,
}

_SCHEDULE = ignored("capsule has no scheduler: the job runs once, when the capsule is created")

CRONJOB_FIELDS: dict[str, Rule] = {
    "jobTemplate": APPLIED,
    "schedule": _SCHEDULE,
    "timeZone": _SCHEDULE,
    "concurrencyPolicy": _SCHEDULE,
    "suspend": _SCHEDULE,
    "startingDeadlineSeconds": _SCHEDULE,
    "successfulJobsHistoryLimit": _HISTORY,
    "failedJobsHistoryLimit": _HISTORY,
}

JOB_TEMPLATE_FIELDS: dict[str, Rule] = {
    "metadata": ignored("the capsule takes its labels from the pod template"),
    "spec": APPLIED,
}

POD_TEMPLATE_FIELDS: dict[str, Rule] = {"metadata": APPLIED, "spec": APPLIED}

STATEFULSET_ORDINALS_FIELDS: dict[str, Rule] = {"start": APPLIED}

CLAIM_METADATA_FIELDS: dict[str, Rule] = {
    **METADATA_FIELDS,
    "namespace": ignored("a replica's claims are in the StatefulSet's namespace"),
    "labels": ignored("the Docker volume carries capsule's own labels"),
    "annotations": ignored("the Docker volume carries capsule's own labels"),
}

CLAIM_TEMPLATE_FIELDS: dict[str, Rule] = {
    "apiVersion": APPLIED,
    "kind": APPLIED,
    "metadata": APPLIED,
    "spec": ignored("capsule volumes are Docker volumes: no size, class or access modes"),
    "status": _CLUSTER,
}

# --- Services ----------------------------------------------------------------------------

SERVICE_FIELDS: dict[str, Rule] = {
    "apiVersion": APPLIED,
    "kind": APPLIED,
    "metadata": APPLIED,
    "spec": APPLIED,
    "status": _CLUSTER,
}

SERVICE_METADATA_FIELDS: dict[str, Rule] = {
    **METADATA_FIELDS,
    "annotations": ignored("a Service's annotations configure cluster controllers and load balancers, "
                           "which capsule does not have"),
}

_PROXY = "capsule's Service proxy forwards each connection to one of the backends"
_ADDRESSES = "capsule chooses the Service's addresses in the namespace's network"
_PUBLISHED = "a NodePort or LoadBalancer port is published on the hosts that run a backend"

SERVICE_SPEC_FIELDS: dict[str, Rule] = {
    "type": APPLIED,
    "selector": APPLIED,
    "ports": APPLIED,
    "clusterIP": APPLIED,  # "None": headless; any other address is ignored with a warning
    "clusterIPs": ignored(_ADDRESSES, "remove clusterIPs", same=(["None"],)),
    "externalName": ignored("only a Service of type ExternalName has one"),
    "sessionAffinity": ignored(f"{_PROXY}, without client affinity", same=("None",)),
    "sessionAffinityConfig": ignored(f"{_PROXY}, without client affinity"),
    "externalTrafficPolicy": ignored(f"{_PUBLISHED}; it reaches any backend", same=("Cluster",)),
    "internalTrafficPolicy": ignored(f"{_PROXY}, wherever it runs", same=("Cluster",)),
    "trafficDistribution": ignored(f"{_PROXY}, wherever it runs"),
    "ipFamilies": ignored(f"{_ADDRESSES} (IPv4)", same=(["IPv4"],)),
    "ipFamilyPolicy": ignored(f"{_ADDRESSES} (IPv4)", same=("SingleStack",)),
    "loadBalancerIP": ignored(f"{_PUBLISHED}, on the host's own addresses"),
    "loadBalancerSourceRanges": ignored(f"{_PUBLISHED}, open to every source",
                                        "firewall the port on the host"),
    "loadBalancerClass": ignored(f"{_PUBLISHED}; there is no load balancer to choose"),
    "allocateLoadBalancerNodePorts": ignored(f"{_PUBLISHED}; set nodePort to choose the port",
                                             same=(True,)),
    "healthCheckNodePort": ignored(f"{_PUBLISHED}; there is no external load balancer to check it"),
    "externalIPs": ignored(f"{_PUBLISHED}, on the host's own addresses", "remove externalIPs"),
    "publishNotReadyAddresses": ignored("capsule decides which backends a Service reaches",
                                        same=(False,)),
}

SERVICE_PORT_FIELDS: dict[str, Rule] = {
    "name": APPLIED,
    "port": APPLIED,
    "targetPort": APPLIED,
    "protocol": APPLIED,
    "nodePort": APPLIED,
    "appProtocol": ignored(f"{_PROXY} as bytes; it does not read the protocol"),
}

# --- the pod ---------------------------------------------------------------------------

_HOST_NS = "capsule's sandbox owns the network, IPC and process namespaces"
_SCHEDULING = "capsule chooses a host by nodeName, nodeSelector and free resources"

POD_SPEC_FIELDS: dict[str, Rule] = {
    "containers": APPLIED,
    "initContainers": APPLIED,
    "volumes": APPLIED,
    "restartPolicy": APPLIED,
    "nodeName": APPLIED,
    "nodeSelector": APPLIED,
    "hostname": APPLIED,
    "shareProcessNamespace": APPLIED,
    "securityContext": APPLIED,  # translate/kubernetes/security.py
    "hostNetwork": rejected(_HOST_NS, "remove hostNetwork, publish ports with hostPort", same=(False,)),
    "hostPID": rejected(_HOST_NS, "remove hostPID", same=(False,)),
    "hostIPC": rejected(_HOST_NS, "remove hostIPC", same=(False,)),
    "ephemeralContainers": rejected(
        "ephemeral containers are added to a running pod by kubectl debug",
        "remove ephemeralContainers",
    ),
    "affinity": ignored(_SCHEDULING, "use nodeSelector or nodeName"),
    "tolerations": ignored(_SCHEDULING),
    "topologySpreadConstraints": ignored(_SCHEDULING),
    "schedulerName": ignored(_SCHEDULING),
    "schedulingGates": ignored(_SCHEDULING),
    "schedulingGroup": ignored(_SCHEDULING),
    "priority": ignored(_SCHEDULING),
    "priorityClassName": ignored(_SCHEDULING),
    "preemptionPolicy": ignored(_SCHEDULING),
    "overhead": ignored(_SCHEDULING),
    "runtimeClassName": ignored("containers run with the host engine's default runtime"),
    "os": ignored("containers run on the host engine's operating system"),
    "dnsPolicy": ignored("containers use the Docker engine's DNS"),
    "dnsConfig": ignored("containers use the Docker engine's DNS"),
    "hostAliases": ignored("capsule does not edit /etc/hosts"),
    "subdomain": APPLIED,  # the capsule also answers to HOSTNAME.SUBDOMAIN in its namespace
    "setHostnameAsFQDN": ignored("the hostname stays short; HOSTNAME.SUBDOMAIN resolves in the namespace",
                                 same=(False,)),
    "hostnameOverride": ignored("use hostname"),
    "serviceAccountName": ignored("capsule has no service accounts; fieldRef spec.serviceAccountName gives "
                                  "this name"),
    "serviceAccount": ignored("capsule has no service accounts"),
    "automountServiceAccountToken": ignored("capsule mounts no API token", same=(False,)),
    "enableServiceLinks": APPLIED,  # the namespace's Services as NAME_SERVICE_HOST variables
    "imagePullSecrets": ignored(
        "images come from the host engine and the registries it is logged in to",
        "log the Docker engine in to the registry",
    ),
    "terminationGracePeriodSeconds": ignored("capsule stops containers with the engine's stop timeout"),
    "activeDeadlineSeconds": ignored("capsule sets no deadline on a capsule"),
    "readinessGates": ignored("capsule has no cluster conditions"),
    "resourceClaims": ignored("capsule has no dynamic resource allocation"),
    "resources": ignored("capsule counts resources per container", "set resources on each container"),
    "hostUsers": ignored("capsule uses the engine's user-namespace setting", same=(True,)),
    "evictionResponders": ignored("capsule does not evict capsules"),
}

# runAsUser, runAsGroup, runAsNonRoot and seccompProfile are defaults for every container,
# whose own securityContext wins (translate/kubernetes/security.py merges them).
POD_SECURITY_CONTEXT_FIELDS: dict[str, Rule] = {
    "runAsUser": APPLIED,
    "runAsGroup": APPLIED,
    "runAsNonRoot": APPLIED,  # the build refuses a member that would run as root
    "fsGroup": APPLIED,  # owns the capsule's volumes; every member gets the group
    "fsGroupChangePolicy": ignored("capsule sets the ownership of a volume once, when it makes it",
                                   same=("Always", "OnRootMismatch")),
    "supplementalGroups": APPLIED,
    "supplementalGroupsPolicy": ignored("the groups of the image's /etc/group are kept (Merge)",
                                        same=("Merge",)),
    "seLinuxOptions": ignored("containers use the engine's SELinux defaults"),
    "seLinuxChangePolicy": ignored("containers use the engine's SELinux defaults"),
    "seccompProfile": APPLIED,  # RuntimeDefault is the engine's; Unconfined needs --allow-privileged
    "appArmorProfile": ignored("containers use the engine's default AppArmor profile",
                               same=({"type": "RuntimeDefault"},)),
    "sysctls": APPLIED,  # Kubernetes' safe set, on the sandbox; any other is an error
    "windowsOptions": ignored("capsule runs Linux containers"),
}

SECCOMP_PROFILE_FIELDS: dict[str, Rule] = {
    "type": APPLIED,
    "localhostProfile": rejected(
        "capsule cannot place a profile file on the host", "use type: RuntimeDefault"
    ),
}

SYSCTL_FIELDS: dict[str, Rule] = {"name": APPLIED, "value": APPLIED}

# --- containers ------------------------------------------------------------------------

CONTAINER_FIELDS: dict[str, Rule] = {
    "name": APPLIED,
    "image": APPLIED,
    "imagePullPolicy": APPLIED,
    "command": APPLIED,
    "args": APPLIED,
    "workingDir": APPLIED,
    "env": APPLIED,
    "envFrom": APPLIED,
    "ports": APPLIED,
    "volumeMounts": APPLIED,
    "resources": APPLIED,
    "livenessProbe": APPLIED,
    "readinessProbe": APPLIED,
    "startupProbe": APPLIED,
    "securityContext": APPLIED,
    "stdin": APPLIED,
    "tty": APPLIED,
    "lifecycle": ignored("postStart and preStop hooks are not run"),
    "terminationMessagePath": ignored("capsule keeps the container's log instead"),
    "terminationMessagePolicy": ignored("capsule keeps the container's log instead"),
    "stdinOnce": ignored("standard input stays open while the container runs", same=(False,)),
    "resizePolicy": ignored("capsule does not resize running containers"),
    "restartPolicy": APPLIED,  # Always on an init container: a native sidecar
    "restartPolicyRules": rejected(
        "capsule restarts containers by the pod's restartPolicy", "remove restartPolicyRules"
    ),
    "volumeDevices": rejected("capsule mounts file systems, not raw block devices", "use volumeMounts"),
}

PORT_FIELDS: dict[str, Rule] = {
    "name": APPLIED,
    "containerPort": APPLIED,
    "hostPort": APPLIED,
    "protocol": APPLIED,
    "hostIP": rejected(
        "capsule publishes host ports on every host address",
        "remove hostIP, or firewall the port on the host",
        same=("0.0.0.0",),
    ),
}

MOUNT_FIELDS: dict[str, Rule] = {
    "name": APPLIED,
    "mountPath": APPLIED,
    "readOnly": APPLIED,
    "subPath": APPLIED,
    "subPathExpr": rejected("subPathExpr needs the cluster's variable expansion", "use subPath"),
    "mountPropagation": ignored("mounts use the engine's default propagation", same=("None",)),
    "recursiveReadOnly": ignored("readOnly applies to the mount itself", same=("Disabled",)),
    "bindMountOptions": ignored("mounts use the engine's default options"),
}

RESOURCES_FIELDS: dict[str, Rule] = {
    "requests": APPLIED,
    "limits": APPLIED,
    "claims": ignored("capsule has no dynamic resource allocation"),
}

SECURITY_CONTEXT_FIELDS: dict[str, Rule] = {
    "privileged": APPLIED,  # create refuses it without --allow-privileged
    "capabilities": APPLIED,  # create refuses dangerous ones (translate/host_access.py) without --allow-privileged
    "runAsUser": APPLIED,
    "runAsGroup": APPLIED,
    "readOnlyRootFilesystem": APPLIED,
    "allowPrivilegeEscalation": APPLIED,  # false: the engine's no-new-privileges
    "runAsNonRoot": APPLIED,  # the build refuses a member that would run as root
    "seLinuxOptions": ignored("containers use the engine's SELinux defaults"),
    "seccompProfile": APPLIED,  # RuntimeDefault is the engine's; Unconfined needs --allow-privileged
    "appArmorProfile": ignored("containers use the engine's default AppArmor profile",
                               same=({"type": "RuntimeDefault"},)),
    "procMount": ignored("containers use the engine's default /proc mount", same=("Default",)),
    "windowsOptions": ignored("capsule runs Linux containers"),
}

CAPABILITIES_FIELDS: dict[str, Rule] = {"add": APPLIED, "drop": APPLIED}

# --- env ---------------------------------------------------------------------------------

ENV_VAR_FIELDS: dict[str, Rule] = {"name": APPLIED, "value": APPLIED, "valueFrom": APPLIED}

ENV_VAR_SOURCE_FIELDS: dict[str, Rule] = {
    "configMapKeyRef": APPLIED,
    "secretKeyRef": APPLIED,
    "fieldRef": APPLIED,
    "resourceFieldRef": APPLIED,  # filled in by the runtime from the container's resources
    "fileKeyRef": rejected("capsule does not read variables from files", "use configMapKeyRef"),
}

KEY_SELECTOR_FIELDS: dict[str, Rule] = {"name": APPLIED, "key": APPLIED, "optional": APPLIED}

FIELD_SELECTOR_FIELDS: dict[str, Rule] = {"fieldPath": APPLIED, "apiVersion": APPLIED}

RESOURCE_SELECTOR_FIELDS: dict[str, Rule] = {"containerName": APPLIED, "resource": APPLIED, "divisor": APPLIED}

ENV_FROM_FIELDS: dict[str, Rule] = {"prefix": APPLIED, "configMapRef": APPLIED, "secretRef": APPLIED}

ENV_FROM_REF_FIELDS: dict[str, Rule] = {"name": APPLIED, "optional": APPLIED}

# --- probes --------------------------------------------------------------------------------

PROBE_FIELDS: dict[str, Rule] = {
    "exec": APPLIED,
    "httpGet": APPLIED,
    "tcpSocket": APPLIED,
    "initialDelaySeconds": APPLIED,
    "periodSeconds": APPLIED,
    "timeoutSeconds": APPLIED,
    "successThreshold": APPLIED,
    "failureThreshold": APPLIED,
    "grpc": APPLIED,
    "terminationGracePeriodSeconds": ignored("capsule stops containers with the engine's stop timeout"),
}

EXEC_FIELDS: dict[str, Rule] = {"command": APPLIED}

HTTP_GET_FIELDS: dict[str, Rule] = {
    "path": APPLIED,
    "port": APPLIED,
    "host": APPLIED,
    "scheme": APPLIED,
    "httpHeaders": APPLIED,
    "protocol": ignored("probes use the scheme's default protocol"),
}

HTTP_HEADER_FIELDS: dict[str, Rule] = {"name": APPLIED, "value": APPLIED}

TCP_SOCKET_FIELDS: dict[str, Rule] = {
    "port": APPLIED,
    "host": ignored("TCP probes connect to the capsule itself"),
}

# mode: Plaintext (the default) or TLS (without checking the server's certificate), as in Kubernetes.
GRPC_FIELDS: dict[str, Rule] = {"port": APPLIED, "service": APPLIED, "mode": APPLIED}

# --- volumes -----------------------------------------------------------------------------

VOLUME_SOURCES_APPLIED = ("emptyDir", "hostPath", "configMap", "secret", "persistentVolumeClaim")

_NO_DRIVER = "capsule volumes are Docker volumes, host paths, ConfigMaps or Secrets"
_CLUSTER_STORAGE = rejected(
    f"it needs cluster storage; {_NO_DRIVER}",
    "use a persistentVolumeClaim, which capsule makes a Docker volume, or a hostPath",
)

VOLUME_FIELDS: dict[str, Rule] = {
    "name": APPLIED,
    **{source: APPLIED for source in VOLUME_SOURCES_APPLIED},
    "projected": rejected(
        "capsule mounts each ConfigMap or Secret as a volume of its own",
        "mount each configMap or secret as its own volume",
    ),
    "downwardAPI": rejected(
        "capsule does not write pod fields into files", "pass them as env with fieldRef"
    ),
    "ephemeral": rejected("generic ephemeral volumes need cluster storage", "use emptyDir"),
    "image": rejected("capsule does not mount images as volumes",
                      "copy the files in an init container"),
    "gitRepo": rejected("capsule does not clone repositories into volumes",
                        "clone in an init container"),
    **{
        source: _CLUSTER_STORAGE
        for source in (
            "awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc",
            "flexVolume", "flocker", "gcePersistentDisk", "glusterfs", "iscsi", "nfs",
            "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos",
            "vsphereVolume",
        )
    },
}

EMPTY_DIR_FIELDS: dict[str, Rule] = {
    "medium": APPLIED,
    "sizeLimit": APPLIED,
    "mode": ignored("the directory gets the engine's default mode"),
}

HOST_PATH_FIELDS: dict[str, Rule] = {"path": APPLIED, "type": APPLIED}

CONFIG_MAP_VOLUME_FIELDS: dict[str, Rule] = {
    "name": APPLIED,
    "items": APPLIED,
    "defaultMode": APPLIED,
    "optional": APPLIED,
    "defaultUser": ignored("files belong to the engine's default user"),
}

SECRET_VOLUME_FIELDS: dict[str, Rule] = {
    **CONFIG_MAP_VOLUME_FIELDS,
    "secretName": APPLIED,
}
del SECRET_VOLUME_FIELDS["name"]

KEY_TO_PATH_FIELDS: dict[str, Rule] = {
    "key": APPLIED,
    "path": APPLIED,
    "mode": ignored("every file gets the volume's defaultMode", "set defaultMode"),
    "user": ignored("files belong to the engine's default user"),
}

PVC_VOLUME_FIELDS: dict[str, Rule] = {"claimName": APPLIED, "readOnly": APPLIED}
