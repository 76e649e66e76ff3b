"""The names capsule gives to what makes up an application, and the names it answers to.

Pure: no I/O. Changing a name here orphans what older versions made.
"""

from __future__ import annotations

from translate.spec import Capsule, Service

CLUSTER_DOMAIN = "cluster.local"  # Kubernetes' default; manifests spell it out in URLs
NETWORK_PREFIX = "capsule-ns-"


def network_name(namespace: str) -> str:
    """The network of a namespace on each host that runs its capsules."""
    return NETWORK_PREFIX + namespace


def service_container_name(namespace: str, service: str) -> str:
    """The Docker name of a Service's proxy (or record).

    Underscores: no capsule name, member name or namespace can hold one (they are DNS
    names), so this never meets a capsule's `<capsule>` or `<capsule>.<member>`.
    """
    return f"capsule_svc_{namespace}_{service}"


def service_aliases(name: str, namespace: str) -> list[str]:
    """NAME, NAME.NAMESPACE, NAME.NAMESPACE.svc, NAME.NAMESPACE.svc.cluster.local."""
    return [name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.{CLUSTER_DOMAIN}"]


def capsule_aliases(capsule: Capsule, headless: list[Service]) -> list[str]:
    """What a capsule's sandbox answers to on its namespace's network.

    Its own name (and hostname); `HOSTNAME.SUBDOMAIN` in its spellings when it has a
    subdomain (a StatefulSet's serviceName: `db-0.db`); and the names of the headless
    Services that select it, which resolve to the backends' own addresses.
    """
    aliases = [capsule.name]
    if capsule.hostname and capsule.hostname != capsule.name:
        aliases.append(capsule.hostname)
    namespace = capsule.namespace or ""
    if capsule.subdomain and namespace:
        host = capsule.hostname or capsule.name
        aliases += [f"{host}.{alias}" for alias in service_aliases(capsule.subdomain, namespace)]
    labels = dict(capsule.labels)
    for service in headless:
        if service.namespace == namespace and service.selects(labels):
            aliases += service_aliases(service.name, service.namespace)
    return list(dict.fromkeys(aliases))
