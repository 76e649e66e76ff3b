"""`capsule services` and `capsule delete service/NAME`: the Services of every host, and removing them.

The Services are containers of their own (runtime.services.containers), so every
host is asked at once, as for capsules; a Service's backends are counted over every
host's capsules (an application across a swarm has its backends on several hosts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING

from runtime.application_flow import settle
from runtime.errors import CapsuleError, ServiceNotFound
from runtime.hosts.connect import ANSWER_TIMEOUT
from runtime.observe.discovery import observe_host_listed
from runtime.observe.observed import ObservedCapsule
from runtime.services.backends import backend_table, backends, labels_of, namespace_of
from runtime.services.containers import ObservedService, observe_services, remove_service
from runtime.views import ServiceDeleted, ServiceView
from translate.spec import Service

if TYPE_CHECKING:
    from runtime.context import RuntimeContext
    from runtime.hosts.settings import HostSettings


def describe_ports(service: Service) -> str:
    parts = []
    for port in service.ports:
        published = f":{port.node_port}" if port.node_port is not None else ""
        parts.append(f"{port.port}{published}->{port.target_port}/{port.protocol}")
    return ",".join(parts)


async def list_services(ctx: RuntimeContext, namespace: str | None = None) -> tuple[list[ServiceView], list[str]]:
    """Every Service on every host (of one namespace, or all), and the hosts that did not answer.

    Backends are counted over every host's capsules: an application across a swarm has
    its Services on one host and their backends on others.
    """
    async def ask(settings: HostSettings) -> tuple[list[ObservedService], list[ObservedCapsule], str | None]:
        try:
            async with ctx.asking(settings) as engine:
                services, capsules = await asyncio.wait_for(asyncio.gather(
                    observe_services(engine, settings.name, namespace),
                    observe_host_listed(engine, settings.name)), ANSWER_TIMEOUT)
                return services, capsules, None
        except Exception as exc:  # noqa: BLE001 - reported as the host's problem, the others still listed
            return [], [], f"host {settings.name}: {exc}"

    answers = await asyncio.gather(*(ask(h) for h in ctx.hosts))
    capsules = [c for _, found, _ in answers for c in found]
    views = []
    for observed in (s for services, _, _ in answers for s in services):
        service = observed.service
        matched = [c for c in capsules if namespace_of(c) == service.namespace and service.selects(labels_of(c))]
        table = backend_table(service, capsules)
        serving = ({c.ip for c in backends(service, capsules)} if service.headless
                   else {ip for targets in table.values() for ip, _ in targets})
        names = {c.ip: c.name for c in matched}
        listed = sorted({f"{names.get(ip, ip)} {ip}:{port}" for targets in table.values() for ip, port in targets})
        kind = service.type + (" (headless)" if service.headless else "")
        views.append(ServiceView(service.name, service.namespace, kind, describe_ports(service), observed.host,
                                 observed.ip, listed, len(serving), len(matched), service.headless,
                                 service.to_dict()))
    views.sort(key=lambda v: (v.namespace, v.name, v.host))
    return views, [problem for _, _, problem in answers if problem]


async def delete_services(ctx: RuntimeContext, wanted: Iterable[tuple[str, str]]) -> list[ServiceDeleted]:
    """Remove these (namespace, name) Services from every host that has them.

    A namespace left with nothing loses its network on that host. A Service found
    nowhere is ServiceNotFound in its result; a host that cannot be asked fails the
    Services it might hold with HostFailed-like words, the others are still removed.
    """
    results, touched = await remove_services(ctx, wanted)
    if touched:
        await settle(ctx, touched)
    return results


async def remove_services(ctx: RuntimeContext, wanted: Iterable[tuple[str, str]]
                          ) -> tuple[list[ServiceDeleted], set[tuple[str, str]]]:
    """delete_services without the settling: the results, and the (namespace, host) pairs it
    removed Services from, which the caller must settle (with whatever else it deleted there).

    The Services of a host are removed concurrently, as capsules are.
    """
    wanted = list(dict.fromkeys(wanted))
    results = {key: ServiceDeleted(key[1], key[0]) for key in wanted}
    touched: set[tuple[str, str]] = set()

    async def sweep(settings: HostSettings) -> str | None:
        try:
            async with ctx.asking(settings) as engine:
                found = await asyncio.wait_for(observe_services(engine, settings.name), ANSWER_TIMEOUT)
                ours = [o for o in found if (o.service.namespace, o.service.name) in results]
                removed = await asyncio.gather(*(remove_service(engine, o) for o in ours), return_exceptions=True)
                for observed, outcome in zip(ours, removed, strict=True):
                    if isinstance(outcome, BaseException):
                        continue  # raised below, once the others are recorded
                    results[(observed.service.namespace, observed.service.name)].hosts.append(settings.name)
                    touched.add((observed.service.namespace, settings.name))
                failed = next((o for o in removed if isinstance(o, BaseException)), None)
                if failed is not None:
                    raise failed
        except Exception as exc:  # noqa: BLE001 - named in the results of what this host may hold
            return f"host {settings.name}: {exc}"
        return None

    problems = [p for p in await asyncio.gather(*(sweep(h) for h in ctx.hosts)) if p]
    for key, result in results.items():
        if not result.hosts:
            result.error = (CapsuleError(f"could not delete service {key[1]} in namespace {key[0]}: "
                                         + "; ".join(problems)) if problems else ServiceNotFound(key[1], key[0]))
    return list(results.values()), touched
