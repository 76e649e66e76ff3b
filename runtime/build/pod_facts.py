"""What a running pod knows about itself, read once its sandbox runs: the values of the
run-time variables (fieldRef status.podIP, spec.nodeName, metadata.uid, ...;
resourceFieldRef) that translate/pod_fields.py describes.

The sandbox is started before any init container or member is created, so every value is
real when a member's create body is made:
- pod IPs: the sandbox's addresses on the network it is on (IPv4, then IPv6 if any);
- host IPs: that network's gateway, the host's own address on it: the address every
  container can reach the host at (and a hostPort published there), on a remote host
  as on the local one, where the host's name in the inventory may not even resolve;
- node name: the host's name in capsule's inventory; uid: the capsule's uuid;
- resources: the container's limit or request; a limit not set is the host's capacity
  (`/info` NCPU and MemTotal, read only then), as the kubelet gives the node's allocatable.

It must not touch the store; a failure to read the sandbox is an EngineError for the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from runtime.engine.client import EngineClient
from runtime.errors import BuildRefused
from translate.pod_fields import fill, resource_value
from translate.spec import Capsule, Container


@dataclass(frozen=True)
class PodFacts:
    pod_ips: tuple[str, ...] = ()
    host_ips: tuple[str, ...] = ()
    node_name: str = ""
    uid: str = ""
    host_cpus: float | None = None  # capacity: where a limit is not set
    host_memory: int | None = None

    def field(self, path: str) -> str:
        return {
            "status.podIP": self.pod_ips[0] if self.pod_ips else "",
            "status.podIPs": ",".join(self.pod_ips),
            "status.hostIP": self.host_ips[0] if self.host_ips else "",
            "status.hostIPs": ",".join(self.host_ips),
            "spec.nodeName": self.node_name,
            "metadata.uid": self.uid,
        }[path]


async def read_pod_facts(
    engine: EngineClient, capsule: Capsule, sandbox_id: str, *, host: str, uuid: str, network: str | None
) -> PodFacts:
    """The facts of the capsule whose sandbox runs as `sandbox_id`; the host's capacity only
    when some resourceFieldRef needs it."""
    if not any(e.run_time for c in capsule.all_containers for e in c.env):
        return PodFacts(node_name=host, uid=uuid)
    pod_ips, host_ips = sandbox_addresses(await engine.inspect(sandbox_id), network)
    cpus = memory = None
    if _needs_capacity(capsule):
        info = await engine.info()
        cpus, memory = float(info.get("NCPU") or 0) or None, int(info.get("MemTotal") or 0) or None
    return PodFacts(pod_ips, host_ips, host, uuid, cpus, memory)


def sandbox_addresses(inspect: dict[str, Any], network: str | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the sandbox's addresses, its network's gateways), IPv4 first."""
    networks = (inspect.get("NetworkSettings") or {}).get("Networks") or {}
    settings = networks.get(network or "bridge") or next(iter(networks.values()), None) or {}
    pod = tuple(a for a in (settings.get("IPAddress"), settings.get("GlobalIPv6Address")) if a)
    gateways = tuple(a for a in (settings.get("Gateway"), settings.get("IPv6Gateway")) if a)
    return pod, gateways


def run_time_values(facts: PodFacts, capsule: Capsule, container: Container, where: str) -> dict[str, str]:
    """NAME -> value of the container's run-time variables."""
    values: dict[str, str] = {}
    for var in container.env:
        if var.field_ref is not None:
            values[var.name] = facts.field(var.field_ref.field_path)
        elif var.resource_ref is not None:
            ref = var.resource_ref
            source = _container(capsule, ref.container, container, where, var.name)
            cpu, memory = _amounts(source, ref.resource, facts)
            values[var.name] = resource_value(ref.resource, ref.divisor, cpu, memory)
    return values


def expand_run_time(text: str, values: dict[str, str]) -> str:
    """A command word, arg or env value of a container with run-time variables (their
    `$(NAME)` expanded, `$$` a `$`); others' text is literal and stays as it is."""
    return fill(text, values) if values else text


def _amounts(container: Container, resource: str, facts: PodFacts) -> tuple[float | None, int | None]:
    limits, requests = container.resources.limits, container.resources.requests
    cpu = limits.cpu if limits.cpu is not None else facts.host_cpus
    memory = limits.memory if limits.memory is not None else facts.host_memory
    if resource.startswith("requests."):
        # Kubernetes defaults a request to its limit; without either the request is 0.
        cpu = requests.cpu if requests.cpu is not None else limits.cpu
        memory = requests.memory if requests.memory is not None else limits.memory
    return cpu, memory


def _container(capsule: Capsule, name: str | None, own: Container, where: str, var: str) -> Container:
    if name is None or name == own.name:
        return own
    for container in capsule.all_containers:
        if container.name == name:
            return container
    names = ", ".join(c.name for c in capsule.all_containers)
    raise BuildRefused(f"{where}: env var {var} takes resources of container {name!r}, which the capsule "
                       f"does not have; name one of {names} in resourceFieldRef.containerName",
                       capsule=capsule.name)


def _needs_capacity(capsule: Capsule) -> bool:
    for container in capsule.all_containers:
        for var in container.env:
            ref = var.resource_ref
            if ref is None or not ref.resource.startswith("limits."):
                continue
            source = next((c for c in capsule.all_containers if c.name == ref.container), container)
            limits = source.resources.limits
            if (limits.cpu if ref.resource.endswith(".cpu") else limits.memory) is None:
                return True
    return False
