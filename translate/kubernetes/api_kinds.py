"""Kubernetes' own kinds and the apiVersions each was ever served under.

Used to tell apart, for a document with a Kubernetes kind:
- a built-in object capsule reads (a Pod, a Deployment, a Service, a ConfigMap, ...) or
  skips (an Ingress, RBAC, an APIService, ...), written with an apiVersion it has;
- a built-in kind written with an apiVersion it never had (`batch/v1` Deployment,
  `v2` Pod): an error naming the right one;
- a custom resource that reuses a built-in kind's name (`Job` of `batch.volcano.sh`):
  skipped as a custom resource, never read as the built-in;
- a typed list (`ConfigMapList`, `PodList`): read like `List`, its items of that kind.
Retired versions (`extensions/v1beta1` Deployment, `batch/v1beta1` CronJob) are still
the kind: manifests written for old clusters are common, and what they describe has
not changed.

Kinds that have no meaning on a Docker host and change nothing that runs (RBAC,
ServiceAccount, PodDisruptionBudget, ...) are skipped with a note that does not fail
`--strict`; the others that are skipped (Ingress, NetworkPolicy, PersistentVolumeClaim, ...)
change how an application runs in a cluster, so skipping them does.
Pure data; must not import the kubernetes package.
"""

from __future__ import annotations

from dataclasses import dataclass

_CORE = ("v1",)
_APPS = ("apps/v1", "apps/v1beta2", "apps/v1beta1", "extensions/v1beta1")


def _in(group: str, *versions: str) -> tuple[str, ...]:
    return tuple(f"{group}/{v}" for v in versions)


_RBAC = _in("rbac.authorization.k8s.io", "v1", "v1beta1", "v1alpha1")
_ADMISSION = _in("admissionregistration.k8s.io", "v1", "v1beta1", "v1alpha1")
_FLOWCONTROL = _in("flowcontrol.apiserver.k8s.io", "v1", "v1beta3", "v1beta2", "v1beta1")
_RESOURCE = _in("resource.k8s.io", "v1", "v1beta2", "v1beta1", "v1alpha3")

# kind -> every apiVersion it was served under.
API_VERSIONS: dict[str, tuple[str, ...]] = {
    # core
    "Pod": _CORE, "ConfigMap": _CORE, "Secret": _CORE, "Service": _CORE, "Namespace": _CORE,
    "ServiceAccount": _CORE, "PersistentVolumeClaim": _CORE, "PersistentVolume": _CORE,
    "Endpoints": _CORE, "LimitRange": _CORE, "ResourceQuota": _CORE, "ReplicationController": _CORE,
    "PodTemplate": _CORE, "Event": _CORE + _in("events.k8s.io", "v1", "v1beta1"), "Node": _CORE,
    "Binding": _CORE, "ComponentStatus": _CORE, "List": _CORE,
    # workloads
    "Deployment": _APPS, "ReplicaSet": _APPS, "DaemonSet": _APPS, "StatefulSet": _APPS[:3],
    "ControllerRevision": _APPS[:3],
    "Job": _in("batch", "v1"), "CronJob": _in("batch", "v1", "v1beta1", "v2alpha1"),
    # networking, storage, policy, scaling
    "Ingress": _in("networking.k8s.io", "v1", "v1beta1") + ("extensions/v1beta1",),
    "IngressClass": _in("networking.k8s.io", "v1", "v1beta1"),
    "NetworkPolicy": _in("networking.k8s.io", "v1") + ("extensions/v1beta1",),
    "IPAddress": _in("networking.k8s.io", "v1", "v1beta1", "v1alpha1"),
    "ServiceCIDR": _in("networking.k8s.io", "v1", "v1beta1", "v1alpha1"),
    "EndpointSlice": _in("discovery.k8s.io", "v1", "v1beta1"),
    "StorageClass": _in("storage.k8s.io", "v1", "v1beta1"),
    "VolumeAttachment": _in("storage.k8s.io", "v1", "v1beta1", "v1alpha1"),
    "CSIDriver": _in("storage.k8s.io", "v1", "v1beta1"), "CSINode": _in("storage.k8s.io", "v1", "v1beta1"),
    "CSIStorageCapacity": _in("storage.k8s.io", "v1", "v1beta1"),
    "VolumeAttributesClass": _in("storage.k8s.io", "v1", "v1beta1", "v1alpha1"),
    "PodDisruptionBudget": _in("policy", "v1", "v1beta1"),
    "PodSecurityPolicy": _in("policy", "v1beta1") + ("extensions/v1beta1",),
    "HorizontalPodAutoscaler": _in("autoscaling", "v2", "v1", "v2beta2", "v2beta1"),
    "PriorityClass": _in("scheduling.k8s.io", "v1", "v1beta1", "v1alpha1"),
    "RuntimeClass": _in("node.k8s.io", "v1", "v1beta1", "v1alpha1"),
    "Lease": _in("coordination.k8s.io", "v1", "v1beta1"),
    # access control and the API server itself
    "Role": _RBAC, "RoleBinding": _RBAC, "ClusterRole": _RBAC, "ClusterRoleBinding": _RBAC,
    "ValidatingWebhookConfiguration": _ADMISSION, "MutatingWebhookConfiguration": _ADMISSION,
    "ValidatingAdmissionPolicy": _ADMISSION, "ValidatingAdmissionPolicyBinding": _ADMISSION,
    "MutatingAdmissionPolicy": _ADMISSION, "MutatingAdmissionPolicyBinding": _ADMISSION,
    "CustomResourceDefinition": _in("apiextensions.k8s.io", "v1", "v1beta1"),
    "APIService": _in("apiregistration.k8s.io", "v1", "v1beta1"),
    "FlowSchema": _FLOWCONTROL, "PriorityLevelConfiguration": _FLOWCONTROL,
    "CertificateSigningRequest": _in("certificates.k8s.io", "v1", "v1beta1"),
    "ClusterTrustBundle": _in("certificates.k8s.io", "v1beta1", "v1alpha1"),
    "TokenReview": _in("authentication.k8s.io", "v1", "v1beta1"),
    "SubjectAccessReview": _in("authorization.k8s.io", "v1", "v1beta1"),
    "SelfSubjectAccessReview": _in("authorization.k8s.io", "v1", "v1beta1"),
    "LocalSubjectAccessReview": _in("authorization.k8s.io", "v1", "v1beta1"),
    "ResourceClaim": _RESOURCE, "ResourceClaimTemplate": _RESOURCE, "DeviceClass": _RESOURCE,
    "ResourceSlice": _RESOURCE,
}



def group_of(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


# The API groups of Kubernetes itself ("" is the core group).
BUILT_IN_GROUPS: frozenset[str] = frozenset(group_of(v) for versions in API_VERSIONS.values() for v in versions)

# Skipped without failing --strict: nothing that runs on a Docker host would differ.
NO_MEANING_ON_A_DOCKER_HOST: frozenset[str] = frozenset({
    "Namespace", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding",
    "PodDisruptionBudget", "PriorityClass", "LimitRange", "ResourceQuota", "PodSecurityPolicy",
    "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
    "CustomResourceDefinition", "APIService", "FlowSchema", "PriorityLevelConfiguration", "Lease", "Event",
    "ControllerRevision", "EndpointSlice", "Endpoints", "StorageClass", "CSIDriver", "CSINode",
    "CSIStorageCapacity", "VolumeAttributesClass", "RuntimeClass", "IngressClass", "CertificateSigningRequest",
    "ClusterTrustBundle", "TokenReview", "SubjectAccessReview", "SelfSubjectAccessReview",
    "LocalSubjectAccessReview", "Node", "ComponentStatus", "Binding", "PodTemplate", "IPAddress", "ServiceCIDR",
    "VolumeAttachment", "DeviceClass", "ResourceSlice",
})

# Widely installed custom resources, named here so that one written without its
# apiVersion is skipped as what it is, not taken for a misspelled kind.
WELL_KNOWN_CUSTOM_KINDS: frozenset[str] = frozenset({
    "Gateway", "HTTPRoute", "GRPCRoute", "VerticalPodAutoscaler", "Certificate", "ServiceMonitor",
})

_LIST_SUFFIX = "List"


def is_custom_resource(api_version: object) -> bool:
    """apiVersion of a custom resource: a group with a dot that is not Kubernetes' own (a custom
    resource's group always has one)."""
    if not isinstance(api_version, str) or "/" not in api_version:
        return False
    group = group_of(api_version)
    return "." in group and group not in BUILT_IN_GROUPS


@dataclass(frozen=True)
class KindCheck:
    """What a (kind, apiVersion) pair is."""

    verdict: str  # "built-in", "custom", "typed-list", "wrong-version", "missing-version", "unknown"
    kind: str  # for a typed list: the kind of its items
    expected: tuple[str, ...] = ()  # for wrong or missing versions: what the kind is served under


def check_kind(kind: str, api_version: object) -> KindCheck:
    if is_custom_resource(api_version):
        return KindCheck("custom", kind)
    if kind in WELL_KNOWN_CUSTOM_KINDS and kind not in API_VERSIONS:
        return KindCheck("custom", kind)
    versions = API_VERSIONS.get(kind)
    item_kind = kind.removesuffix(_LIST_SUFFIX)
    if versions is None and kind.endswith(_LIST_SUFFIX) and item_kind in API_VERSIONS:
        versions = API_VERSIONS[item_kind]
        if isinstance(api_version, str) and api_version in versions:
            return KindCheck("typed-list", item_kind)
    if versions is None:
        return KindCheck("unknown", kind)
    if not isinstance(api_version, str) or not api_version:
        return KindCheck("missing-version", kind, versions)
    if api_version not in versions:
        return KindCheck("wrong-version", kind, versions)
    return KindCheck("built-in", kind)


def is_kubernetes_kind(kind: str) -> bool:
    """A built-in kind, or a typed list of one (whatever apiVersion is written)."""
    return kind in API_VERSIONS or (kind.endswith(_LIST_SUFFIX) and kind.removesuffix(_LIST_SUFFIX) in API_VERSIONS)
