"""What `create` and `delete` do for the namespaces and Services of an application.

Capsules that carry a namespace (every Kubernetes object, and capsule-format
capsules that name one) are an application: on the host that runs them, they share
the namespace's network (runtime.services.network), where each answers to its own
name and the namespace's Services answer to theirs (runtime.services.proxy). Before
the capsules are built, `prepare` finds the namespace's host, makes its network and
the input's Services there (so their addresses are known for the service variables),
and works out each capsule's aliases and variables; once they are built, `sync`
gives every Service of the namespace its backends, so names answer when `create`
returns. After a delete, `settle` takes the deleted capsules out of their Services and
removes a namespace network that nothing uses any more.

An application stays on one host: the Services' names live in that host's network.
The host is the one that already runs the namespace, else `--host`, else the one the
scheduler chooses for the application's demand as a whole (its CPU and memory summed,
its host ports and its Services' published ports together).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from runtime.errors import CapsuleError, SchedulingError, ServiceExists, ServiceNotFound
from runtime.hosts.connect import ANSWER_TIMEOUT
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAMESPACE, MANAGED_BY
from runtime.observe.discovery import observe_host_listed
from runtime.placement.host_facts import gather_facts
from runtime.placement.scheduler import Demand, NoHostFits, place
from runtime.services.backends import backend_table, labels_of, namespace_of
from runtime.services.containers import (
    ObservedService,
    make_service,
    observe_services,
    remove_service,
    write_backends,
)
from runtime.services.env_links import service_env
from runtime.services.names import capsule_aliases
from runtime.services.network import ensure_network, remove_network_if_unused
from runtime.services.proxy import DEFAULT_PROXY_IMAGE

if TYPE_CHECKING:
    from runtime.context import RuntimeContext
    from runtime.hosts.settings import HostSettings
    from translate.spec import Capsule, Service
    from translate.translation import Translation


@dataclass
class Namespace:
    """One namespace of a create: where it lives and what it has there."""

    name: str
    host: str
    network: str
    services: dict[str, ObservedService] = field(default_factory=dict)  # by Service name


@dataclass
class ApplicationPlan:
    """What `prepare` decided, per namespace; empty when no capsule of the input has one."""

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    made: list[ObservedService] = field(default_factory=list)  # the input's Services, as made

    def host_for(self, capsule: Capsule) -> str | None:
        space = self.namespaces.get(capsule.namespace or "")
        return space.host if space is not None else None

    def build_extras(self, capsule: Capsule) -> dict[str, object]:
        """BuildOptions fields for this capsule: its network, aliases and service variables."""
        space = self.namespaces.get(capsule.namespace or "")
        if space is None:
            return {}
        services = [s.service for s in space.services.values()]
        headless = [s for s in services if s.headless]
        env = ()
        if capsule.enable_service_links:
            addresses = {name: s.ip for name, s in space.services.items() if s.ip}
            env = tuple(service_env(services, addresses))
        aliases = tuple(a for a in capsule_aliases(capsule, headless) if a != capsule.name)
        return {"network": space.network, "aliases": aliases, "service_env": env}


def namespaces_of(translation: Translation) -> list[str]:
    found = [c.namespace for c in translation.capsules if c.namespace]
    found += [s.namespace for s in translation.services]
    return list(dict.fromkeys(found))


async def prepare(ctx: RuntimeContext, translation: Translation, *, host: str | None, network: str | None,
                  strategy: str, extra_labels: Mapping[str, str] | None = None,
                  proxy_image: str = DEFAULT_PROXY_IMAGE) -> ApplicationPlan:
    """Find each namespace's host, make its network and the input's Services there.

    A Service of the input that already exists in its namespace is ServiceExists, before
    anything is made. Services made here stay when a capsule of the input then fails,
    as the capsules that were created do (`capsule delete -f` removes them all).
    """
    plan = ApplicationPlan()
    names = namespaces_of(translation)
    if not names:
        return plan
    labels = dict(extra_labels or {})
    present = await _where_namespaces_live(ctx, names)
    for name in names:
        services = [s for s in translation.services if s.namespace == name]
        capsules = [c for c in translation.capsules if c.namespace == name]
        existing = {s.service.name: s for s in present.get(name, {}).get("services", [])}
        for service in services:
            if service.name in existing:
                raise ServiceExists(service.name, name, existing[service.name].host)
        home = await _home(ctx, name, present.get(name, {}).get("hosts", []), capsules, services,
                           host=host, strategy=strategy)
        engine = await ctx.engine(home)
        net = network or await ensure_network(engine, name, extra_labels=labels)
        space = Namespace(name, home, net, {n: s for n, s in existing.items() if s.host == home})
        made = await asyncio.gather(*(make_service(engine, home, s, image=proxy_image, extra_labels=labels,
                                                   network=net) for s in services), return_exceptions=True)
        for outcome in made:
            if isinstance(outcome, BaseException):
                raise outcome
            space.services[outcome.service.name] = outcome
            plan.made.append(outcome)
        plan.namespaces[name] = space
    return plan


async def _where_namespaces_live(ctx: RuntimeContext, names: list[str]) -> dict[str, dict[str, list]]:
    """Per namespace: the hosts that run anything of it, and its Services (every host asked at once)."""
    async def ask(settings: HostSettings) -> tuple[str, list[dict], list[ObservedService]]:
        try:
            async with ctx.asking(settings) as engine:
                entries = await asyncio.wait_for(engine.list_containers(all=True, filters={"label": [
                    f"{LABEL_MANAGED_BY}={MANAGED_BY}", LABEL_NAMESPACE]}), ANSWER_TIMEOUT)
                services = await asyncio.wait_for(observe_services(engine, settings.name), ANSWER_TIMEOUT)
                return settings.name, entries, services
        except Exception:  # an unreachable host holds nothing we can use; placement says why
            return settings.name, [], []

    found: dict[str, dict[str, list]] = {n: {"hosts": [], "services": []} for n in names}
    for host, entries, services in await asyncio.gather(*(ask(h) for h in ctx.hosts)):
        for entry in entries:
            namespace = (entry.get("Labels") or {}).get(LABEL_NAMESPACE)
            if namespace in found and host not in found[namespace]["hosts"]:
                found[namespace]["hosts"].append(host)
        for observed in services:
            if observed.service.namespace in found:
                found[observed.service.namespace]["services"].append(observed)
    return found


async def _home(ctx: RuntimeContext, namespace: str, hosts: list[str], capsules: list[Capsule],
                services: list[Service], *, host: str | None, strategy: str) -> str:
    if hosts:
        if host is not None and host not in hosts:
            raise SchedulingError(f"namespace {namespace} runs on host {hosts[0]}, and the Services of an "
                                  f"application live on one host; leave out --host, or choose {hosts[0]}")
        return hosts[0]
    if host is not None:
        return ctx.host(host).name
    if len(ctx.hosts) == 1:
        return ctx.hosts[0].name
    demand = application_demand(namespace, capsules, services)
    facts = await gather_facts(ctx.hosts)
    try:
        return place(demand, facts, strategy=strategy, reserve=ctx.reserve).host
    except NoHostFits as exc:
        raise SchedulingError(f"no host can take namespace {namespace} as a whole (an application stays on "
                              f"one host): {exc}") from None


def application_demand(namespace: str, capsules: Iterable[Capsule], services: Iterable[Service]) -> Demand:
    capsules = list(capsules)
    demands = [Demand.of(c) for c in capsules]
    ports = [p for d in demands for p in d.host_ports]
    ports += [(port, proto.upper()) for s in services for port, proto in s.published_ports]
    first = demands[0] if demands else Demand(namespace)
    return dataclasses.replace(
        first, name=f"namespace {namespace}", cpu=sum(d.cpu for d in demands),
        memory=sum(d.memory for d in demands), host_ports=tuple(dict.fromkeys(ports)),
    )


async def sync(ctx: RuntimeContext, namespaces: Mapping[str, str]) -> list[str]:
    """Give every Service of these namespaces (name -> host) its backends on that host.

    Returns what could not be done, in words (a host that went away): the capsules
    stand; their Services catch up at the next sync.
    """
    async def one(namespace: str, host: str) -> str | None:
        try:
            settings = ctx.host(host)
            async with ctx.asking(settings) as engine:
                services, capsules = await asyncio.gather(
                    observe_services(engine, host, namespace), observe_host_listed(engine, host))
                ours = [c for c in capsules if namespace_of(c) == namespace]
                await asyncio.gather(*(write_backends(engine, s, backend_table(s.service, ours))
                                       for s in services if s.state == "running"))
        except (TimeoutError, CapsuleError, OSError) as exc:
            return f"Services of namespace {namespace} on host {host} not updated: {exc}"
        except Exception as exc:  # an EngineError: the host answered badly or not at all
            return f"Services of namespace {namespace} on host {host} not updated: {exc}"
        return None

    results = await asyncio.gather(*(one(n, h) for n, h in namespaces.items()))
    return [r for r in results if r]


async def settle(ctx: RuntimeContext, namespaces: Mapping[str, str]) -> list[str]:
    """After capsules of these namespaces were deleted: update their Services, drop unused networks."""
    problems = await sync(ctx, namespaces)

    async def drop(namespace: str, host: str) -> None:
        try:
            async with ctx.asking(ctx.host(host)) as engine:
                await remove_network_if_unused(engine, namespace)
        except Exception:  # noqa: BLE001 - a network left is found and removed by the next delete
            pass

    await asyncio.gather(*(drop(n, h) for n, h in namespaces.items()))
    return problems


def namespace_of_spec(spec: Mapping[str, object]) -> str | None:
    metadata = spec.get("metadata") if isinstance(spec, Mapping) else None
    namespace = metadata.get("namespace") if isinstance(metadata, Mapping) else None
    return namespace if isinstance(namespace, str) and namespace else None


@dataclass
class ServiceView:
    """A Service as `capsule services` and the UI show it: where, its address, its backends."""

    name: str
    namespace: str
    type: str
    ports: str  # "80->8080/TCP,443->https/TCP"
    host: str
    address: str | None
    backends: list[str]  # "capsule address:port", every target of every port
    ready: int  # capsules serving
    total: int  # capsules its selector matches in the namespace
    headless: bool = False
    # Which capsules of the namespace it selects: the UI shows a capsule its Services with it.
    selector: dict[str, str] = field(default_factory=dict)


def describe_ports(service: Service) -> str:
    parts = []
    for port in service.ports:
        published = f":{port.node_port}" if port.node_port is not None else ""
        parts.append(f"{port.port}{published}->{port.target_port}/{port.protocol}")
    return ",".join(parts)


async def list_services(ctx: RuntimeContext, namespace: str | None = None) -> tuple[list[ServiceView], list[str]]:
    """Every Service on every host (of one namespace, or all), and the hosts that did not answer."""
    async def ask(settings: HostSettings) -> tuple[list[ServiceView], str | None]:
        try:
            async with ctx.asking(settings) as engine:
                services, capsules = await asyncio.wait_for(asyncio.gather(
                    observe_services(engine, settings.name, namespace),
                    observe_host_listed(engine, settings.name)), ANSWER_TIMEOUT)
        except Exception as exc:  # noqa: BLE001 - reported as the host's problem, the others still listed
            return [], f"host {settings.name}: {exc}"
        views = []
        for observed in services:
            service = observed.service
            matched = [c for c in capsules if namespace_of(c) == service.namespace
                       and service.selects(labels_of(c))]
            table = backend_table(service, capsules)
            serving = {ip for targets in table.values() for ip, _ in targets}
            if service.headless:
                serving = {c.ip for c in matched if c.ip}
            names = {c.ip: c.name for c in matched}
            backends = sorted({f"{names.get(ip, ip)} {ip}:{port}" for targets in table.values()
                               for ip, port in targets})
            views.append(ServiceView(service.name, service.namespace, service.type + (" (headless)" if
                                     service.headless else ""), describe_ports(service), settings.name,
                                     observed.ip, backends, len(serving), len(matched), service.headless,
                                     dict(service.selector)))
        return views, None

    answers = await asyncio.gather(*(ask(h) for h in ctx.hosts))
    views = sorted((v for found, _ in answers for v in found), key=lambda v: (v.namespace, v.name, v.host))
    return views, [problem for _, problem in answers if problem]


@dataclass
class ServiceDeleted:
    name: str
    namespace: str
    hosts: list[str] = field(default_factory=list)
    error: CapsuleError | None = None


async def delete_services(ctx: RuntimeContext, wanted: Iterable[tuple[str, str]]) -> list[ServiceDeleted]:
    """Remove these (namespace, name) Services from every host that has them.

    A namespace left with nothing loses its network on that host. A Service found
    nowhere is ServiceNotFound in its result; a host that cannot be asked fails the
    Services it might hold with HostFailed-like words, the others are still removed.
    """
    wanted = list(dict.fromkeys(wanted))
    results = {key: ServiceDeleted(key[1], key[0]) for key in wanted}
    touched: dict[str, set[str]] = {}

    async def sweep(settings: HostSettings) -> str | None:
        try:
            async with ctx.asking(settings) as engine:
                found = await asyncio.wait_for(observe_services(engine, settings.name), ANSWER_TIMEOUT)
                for observed in found:
                    key = (observed.service.namespace, observed.service.name)
                    if key in results:
                        await remove_service(engine, observed)
                        results[key].hosts.append(settings.name)
                        touched.setdefault(observed.service.namespace, set()).add(settings.name)
        except Exception as exc:  # noqa: BLE001 - named in the results of what this host may hold
            return f"host {settings.name}: {exc}"
        return None

    problems = [p for p in await asyncio.gather(*(sweep(h) for h in ctx.hosts)) if p]
    for key, result in results.items():
        if not result.hosts:
            result.error = (CapsuleError(f"could not delete service {key[1]} in namespace {key[0]}: "
                                         + "; ".join(problems)) if problems else ServiceNotFound(key[1], key[0]))
    for namespace, hosts in touched.items():
        for host in sorted(hosts):
            await settle(ctx, {namespace: host})
    return list(results.values())
