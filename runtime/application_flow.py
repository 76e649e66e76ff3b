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

Where an application runs: when capsule's hosts form one swarm (`capsule hosts swarm`,
runtime.hosts.swarm), a new namespace gets an attachable overlay network made on a
manager and its capsules spread over the swarm's hosts; its Services' backends are
then counted on every host. Otherwise an application stays on one host, since the
Services' names live in that host's network: the host that already runs the namespace,
else `--host`, else the one the scheduler chooses for the application's demand as a
whole (its CPU and memory summed, its host ports and its Services' published ports).

`capsule services` and `capsule delete service/NAME` are runtime.services_flow;
docs/applications.md is the user's side of all of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from runtime.engine.errors import ContainerNotFound
from runtime.errors import SchedulingError, ServiceExists
from runtime.hosts.connect import ANSWER_TIMEOUT
from runtime.hosts.swarm import Membership, membership
from runtime.labels import LABEL_MANAGED_BY, LABEL_NAMESPACE, MANAGED_BY
from runtime.observe.discovery import observe_host_listed
from runtime.observe.observed import ObservedCapsule
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
from runtime.services.names import capsule_aliases, network_name
from runtime.services.network import NetworkKept, ensure_network, remove_network_if_unused
from runtime.services.network_holders import ContainerExists, holder_of
from runtime.services.proxy import DEFAULT_PROXY_IMAGE
from runtime.services.readiness import not_ready

if TYPE_CHECKING:
    from runtime.context import RuntimeContext
    from runtime.hosts.settings import HostSettings
    from translate.spec import Capsule, Service
    from translate.translation import Translation

log = logging.getLogger("capsule")


@dataclass
class Namespace:
    """One namespace of a create: where it lives and what it has there."""

    name: str
    home: str  # the host its network is made on and the input's Services go to first
    network: str
    hosts: tuple[str, ...]  # where its capsules may go: the home alone, or the swarm's hosts
    services: dict[str, ObservedService] = field(default_factory=dict)  # by Service name
    order: dict[str, int] = field(default_factory=dict)  # capsule name -> its place in the input

    @property
    def spans_hosts(self) -> bool:
        return len(self.hosts) > 1


@dataclass
class ApplicationPlan:
    """What `prepare` decided, per namespace; empty when no capsule of the input has one."""

    namespaces: dict[str, Namespace] = field(default_factory=dict)
    made: list[ObservedService] = field(default_factory=list)  # the input's Services, as made
    prepared: list[tuple[str, str]] = field(default_factory=list)  # (namespace, home) whose network is ensured

    def placement_for(self, capsule: Capsule) -> dict[str, Any]:
        """create_one's hosts for this capsule: the namespace's one host, or the swarm's hosts."""
        space = self.namespaces.get(capsule.namespace or "")
        if space is None:
            return {}
        # Candidates, not --host: the placement record says why the host was chosen without
        # claiming the user asked for it. The scheduler gives ties to the host listed first,
        # and the capsules of one create are placed at once on the same facts: each starts
        # the list one host further on, so replicas that ask for nothing (or alike) spread.
        turn = space.order.get(capsule.name, 0) % len(space.hosts)
        return {"hosts": space.hosts[turn:] + space.hosts[:turn]}

    def build_extras(self, capsule: Capsule) -> dict[str, Any]:
        """BuildOptions fields for this capsule: its network, aliases and service variables."""
        space = self.namespaces.get(capsule.namespace or "")
        if space is None:
            return {}
        services = [s.service for s in space.services.values()]
        headless = [s for s in services if s.headless]
        env: tuple[tuple[str, str], ...] = ()
        if capsule.enable_service_links:
            addresses = {name: s.ip for name, s in space.services.items() if s.ip}
            env = tuple(service_env(services, addresses))
        aliases = tuple(a for a in capsule_aliases(capsule, headless) if a != capsule.name)
        return {"network": space.network, "aliases": aliases, "service_env": env,
                "port_forwards": same_name_forwards(capsule, services)}


def same_name_forwards(capsule: Capsule, services: Iterable[Service]) -> tuple[tuple[int, int], ...]:
    """(port, targetPort) the capsule must relay itself: a Service of its own name selects it.

    The engine's DNS answers a container's name as well as aliases, so on the namespace's
    network the Service's name also leads to this capsule; connections that land on it
    rather than the Service's proxy must find the Service's ports there too.
    """
    named = {p.name: p.container_port for c in capsule.containers for p in c.ports if p.name}
    pairs: list[tuple[int, int]] = []
    for service in services:
        if service.name != capsule.name or service.headless or not service.selects(dict(capsule.labels)):
            continue
        for port in service.ports:
            target = port.target_port if isinstance(port.target_port, int) else named.get(port.target_port)
            if port.protocol == "TCP" and target is not None and target != port.port:
                pairs.append((port.port, target))
    return tuple(dict.fromkeys(pairs))


class SharedClaim:
    """One placement claim for all the capsules of an application on its one host.

    Each capsule's own claim holds the host's lock until its sandbox runs, so the
    sandboxes of a nine-capsule application were made one after another. Instead the
    application's demand as a whole (every capsule's CPU, memory and host ports) is
    checked once under the lock (runtime.placement.claim), the sandboxes are made at
    once, and the lock goes when the last of them runs (or the create ends): another
    create onto the host still sees all of them, as it saw each one before.
    """

    def __init__(self, claim: Any, count: int) -> None:
        self._claim = claim
        self._left = count
        self.host = claim.host
        self.placement = claim.placement
        self.facts = claim.facts

    def release_after_sandbox(self, event: Any) -> None:
        if getattr(event, "kind", None) == "sandbox":  # runtime.build.model.KIND_SANDBOX
            self._left -= 1
            if self._left <= 0:
                self._claim.release()

    def release(self) -> None:
        self._claim.release()


@contextlib.asynccontextmanager
async def shared_claim(ctx: RuntimeContext, plan: ApplicationPlan, translation: Translation, *,
                       strategy: str) -> Any:
    """A SharedClaim when the input is one application on one host (else None: each capsule
    claims for itself, as a swarm's capsules spread and mixed inputs need)."""
    from runtime.placement.claim import claim_placement

    spaces = list(plan.namespaces.values())
    wants = {(c.host_selector, c.host_labels) for c in translation.capsules}  # the demand carries one
    if (len(spaces) != 1 or spaces[0].spans_hosts or len(translation.capsules) < 2 or len(wants) > 1
            or any(c.namespace != spaces[0].name for c in translation.capsules)):
        yield None
        return
    space = spaces[0]
    demand = dataclasses.replace(application_demand(space.name, translation.capsules, []),
                                 name=f"the capsules of namespace {space.name}")
    async with contextlib.AsyncExitStack() as stack:
        try:
            claim = await stack.enter_async_context(claim_placement(
                demand, [ctx.host(space.home)], strategy=strategy, reserve=ctx.reserve, engine_for=ctx.engine))
        except BaseException:
            # The application does not fit its host as a whole: nothing of it is made, so the
            # Services `prepare` made go again (as when one of them could not be made).
            await _undo(ctx, plan)
            raise
        shared = SharedClaim(claim, len(translation.capsules))
        try:
            yield shared
        finally:
            shared.release()


def namespaces_of(translation: Translation) -> list[str]:
    found = [c.namespace for c in translation.capsules if c.namespace]
    found += [s.namespace for s in translation.services]
    return list(dict.fromkeys(found))


@dataclass
class _Survey:
    """What every host said about some namespaces, asked at once."""

    hosts: dict[str, list[str]] = field(default_factory=dict)  # namespace -> hosts with anything of it
    holding: dict[str, set[str]] = field(default_factory=dict)  # namespace -> hosts with containers of it
    overlay: dict[str, bool] = field(default_factory=dict)  # namespace -> its network is an overlay
    services: dict[str, list[ObservedService]] = field(default_factory=dict)
    members: list[Membership] = field(default_factory=list)  # the hosts that answered, in ctx order


async def prepare(ctx: RuntimeContext, translation: Translation, *, host: str | None, network: str | None,
                  strategy: str, extra_labels: Mapping[str, str] | None = None,
                  proxy_image: str = DEFAULT_PROXY_IMAGE) -> ApplicationPlan:
    """Find each namespace's hosts, make its network and the input's Services there.

    A Service of the input that already exists in its namespace is ServiceExists, before
    anything is made. Services made here stay when a capsule of the input then fails,
    as the capsules that were created do (`capsule delete -f` removes them all).
    """
    plan = ApplicationPlan()
    names = namespaces_of(translation)
    if not names:
        return plan
    labels = dict(extra_labels or {})
    survey = await _survey(ctx, names)
    for name in names:
        services = [s for s in translation.services if s.namespace == name]
        capsules = [c for c in translation.capsules if c.namespace == name]
        existing = {s.service.name: s for s in survey.services.get(name, [])}
        for service in services:
            if service.name in existing:
                raise ServiceExists(service.name, name, existing[service.name].host)
        swarm = _swarm_hosts(survey, name, host=host, user_network=network)
        if swarm:
            home, hosts = swarm[0], tuple(swarm)
        else:
            home = await _home(ctx, name, survey.hosts.get(name, []), capsules, services, host=host,
                               strategy=strategy)
            hosts = (home,)
        engine = await ctx.engine(home)
        net = network or await ensure_network(engine, name, extra_labels=labels, overlay=bool(swarm))
        space = Namespace(name, home, net, hosts, {n: s for n, s in existing.items() if s.host == home},
                          {c.name: i for i, c in enumerate(capsules)})
        # Across a swarm every host gets a proxy of each Service, as every node runs
        # kube-proxy: a capsule's connections to a name often stay on its host, a NodePort
        # answers on every host, and a remote capsule's probes run from its host's proxy
        # (runtime.probes.relay). The home's proxy is the Service's address in the variables.
        engines = {h: await ctx.engine(h) for h in hosts}
        plan.prepared.append((name, home))
        tasks = [asyncio.ensure_future(make_service(engines[h], h, s, image=proxy_image, extra_labels=labels,
                                                    network=net))
                 for s in services for h in hosts if not (s.headless and h != home)]
        try:
            made = await asyncio.gather(*tasks, return_exceptions=True)
        except BaseException:
            # Interrupted (Ctrl-C, SIGTERM) while the Services were being made: those made go again.
            plan.made += [t.result() for t in tasks if t.done() and not t.cancelled() and t.exception() is None]
            await _undo(ctx, plan)
            raise
        plan.made += [m for m in made if not isinstance(m, BaseException)]
        failed = next((m for m in made if isinstance(m, BaseException)), None)
        if failed is not None:
            # Nothing half-done: the Services this create made go again, and a network
            # nothing else uses (runtime.services.network keeps one in use).
            await _undo(ctx, plan)
            raise failed
        space.services.update((m.service.name, m) for m in made if not isinstance(m, BaseException) and m.host == home)
        plan.namespaces[name] = space
    return plan


async def _undo(ctx: RuntimeContext, plan: ApplicationPlan) -> None:
    """Remove the Services a failed `prepare` made, shielded from a cancellation that would stop it halfway."""
    async def undo() -> None:
        for observed in plan.made:
            with contextlib.suppress(Exception):
                await remove_service(await ctx.engine(observed.host), observed)
        for namespace, host in dict.fromkeys([(s.service.namespace, s.host) for s in plan.made] + plan.prepared):
            with contextlib.suppress(Exception):
                await remove_network_if_unused(await ctx.engine(host), namespace)

    await asyncio.shield(undo())


def _container_exists_on_member(ctx: RuntimeContext, survey: _Survey) -> ContainerExists:
    """Whether a container is on the host that is this swarm node (None when no host of ours is)."""
    async def exists(node_id: str, container: str) -> bool | None:
        host = next((m.host for m in survey.members if m.node_id == node_id), None)
        if host is None:
            return None
        try:
            async with ctx.asking(ctx.host(host)) as engine:
                await engine.inspect(container)
                return True
        except ContainerNotFound:
            return False
        except Exception:  # noqa: BLE001 - cannot tell; the message says "if"
            return None

    return exists


async def _survey(ctx: RuntimeContext, names: Iterable[str]) -> _Survey:
    """Per namespace: the hosts that hold anything of it, its network's kind, its Services; and
    each host's swarm membership. Every host is asked at once; one that does not answer holds
    nothing we can use now (placement says why)."""
    async def ask(settings: HostSettings) -> tuple[str, list[dict], list[ObservedService], list[dict],
                                                    Membership | None]:
        try:
            async with ctx.asking(settings) as engine:
                ours = [f"{LABEL_MANAGED_BY}={MANAGED_BY}", LABEL_NAMESPACE]
                entries, services, networks, info = await asyncio.wait_for(asyncio.gather(
                    engine.list_containers(all=True, filters={"label": ours}),
                    observe_services(engine, settings.name),
                    engine.list_networks(filters={"label": ours}),
                    engine.info()), ANSWER_TIMEOUT)
                return settings.name, entries, services, networks, membership(settings.name, info)
        except Exception:  # noqa: BLE001 - a host that cannot answer now holds nothing we can use
            return settings.name, [], [], [], None

    wanted = set(names)
    survey = _Survey()
    for host, entries, services, networks, member in await asyncio.gather(*(ask(h) for h in ctx.hosts)):
        if member is not None:
            survey.members.append(member)
        found = [((e.get("Labels") or {}), None) for e in entries]
        found += [((n.get("Labels") or {}), n.get("Driver")) for n in networks]
        for labels, driver in found:
            namespace = labels.get(LABEL_NAMESPACE)
            if namespace not in wanted:
                continue
            if driver is None:
                survey.holding.setdefault(namespace, set()).add(host)
            if host not in survey.hosts.setdefault(namespace, []):
                survey.hosts[namespace].append(host)
            if driver is not None:
                survey.overlay[namespace] = survey.overlay.get(namespace, False) or driver == "overlay"
        for observed in services:
            if observed.service.namespace in wanted:
                survey.services.setdefault(observed.service.namespace, []).append(observed)
    return survey


def _swarm_hosts(survey: _Survey, namespace: str, *, host: str | None, user_network: str | None) -> list[str]:
    """The hosts a namespace spans through an overlay network, a manager first; [] for one host.

    Only when capsule's hosts form one swarm (capsule hosts swarm), no --host or
    --network narrows it, and the namespace does not already live on one host's bridge.
    """
    if host is not None or user_network is not None:
        return []
    if survey.hosts.get(namespace) and not survey.overlay.get(namespace):
        return []  # made on one host before the swarm: it stays there
    managers = [m for m in survey.members if m.active and m.manager]
    if not managers:
        return []
    group = [m for m in survey.members if m.same_swarm(managers[0])]
    if len(group) < 2:
        return []
    group.sort(key=lambda m: not m.manager)
    return [m.host for m in group]


async def _home(ctx: RuntimeContext, namespace: str, hosts: list[str], capsules: list[Capsule],
                services: list[Service], *, host: str | None, strategy: str) -> str:
    """The one host of a namespace: where it already runs, else --host, else the scheduler's choice
    for the application as a whole. Whichever it is, the ports its Services publish must be free
    there: taken ones are a placement reason, said before anything is made."""
    if hosts:
        if host is not None and host not in hosts:
            raise SchedulingError(f"namespace {namespace} runs on host {hosts[0]}, and the Services of an "
                                  f"application live on one host; leave out --host, or choose {hosts[0]}")
        candidates = [ctx.host(hosts[0])]
    elif host is not None:
        candidates = [ctx.host(host)]
    else:
        candidates = list(ctx.hosts)
    published = [(port, proto.upper()) for s in services for port, proto in s.published_ports]
    if len(candidates) == 1:
        if not published:
            return candidates[0].name  # the capsules' own placement checks the rest
        demand = Demand(f"the Services of namespace {namespace}", host_ports=tuple(dict.fromkeys(published)))
    else:
        demand = application_demand(namespace, capsules, services)
    facts = await gather_facts(candidates, engine_for=ctx.engine)
    try:
        return place(demand, facts, strategy=strategy, reserve=ctx.reserve).host
    except NoHostFits as exc:
        whole = " as a whole (an application stays on one host)" if len(candidates) > 1 else ""
        raise SchedulingError(f"no host can take namespace {namespace}{whole}: {exc}") from None


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


async def namespaces_with_services(ctx: RuntimeContext) -> list[str]:
    """The namespaces that have a Service on some host that answers."""
    async def ask(settings: HostSettings) -> set[str]:
        try:
            async with ctx.asking(settings) as engine:
                found = await asyncio.wait_for(observe_services(engine, settings.name), ANSWER_TIMEOUT)
                return {s.service.namespace for s in found}
        except Exception:  # noqa: BLE001 - a host that does not answer is the follower's to report
            return set()

    return sorted(set().union(*await asyncio.gather(*(ask(h) for h in ctx.hosts))))


async def sync(ctx: RuntimeContext, namespaces: Iterable[str], *, extra_labels: Mapping[str, str] | None = None,
               proxy_image: str = DEFAULT_PROXY_IMAGE) -> list[str]:
    """Give every Service of these namespaces its backends, on every host that has a proxy of it.

    The backends are the namespace's capsules on all hosts (across a swarm, by their
    overlay addresses). A NodePort or LoadBalancer Service also gets a proxy on each host
    that runs one of its backends, since that is where its port is published.
    Returns what could not be done, in words (a host that went away): the capsules
    stand; their Services catch up at the next sync.
    """
    wanted = list(dict.fromkeys(namespaces))
    if not wanted:
        return []
    return await _sync(ctx, wanted, await _survey(ctx, wanted), extra_labels or {}, proxy_image)


async def _sync(ctx: RuntimeContext, wanted: list[str], survey: _Survey, extra_labels: Mapping[str, str],
                proxy_image: str) -> list[str]:
    """sync, on a survey already made (settle reuses its own)."""
    problems: list[str] = []

    async def look(host: str) -> tuple[str, Any, list[ObservedService], list[ObservedCapsule]] | None:
        try:
            async with ctx.asking(ctx.host(host)) as engine:
                services, capsules = await asyncio.wait_for(asyncio.gather(
                    observe_services(engine, host), observe_host_listed(engine, host)), ANSWER_TIMEOUT)
                return host, engine, services, capsules
        except Exception as exc:  # noqa: BLE001 - an EngineError: the host answered badly or not at all
            problems.append(f"Services on host {host} not updated: {exc}")
            return None

    hosts = sorted({h for n in wanted for h in survey.hosts.get(n, [])})
    views = [v for v in await asyncio.gather(*(look(h) for h in hosts)) if v is not None]
    engines = {host: engine for host, engine, _, _ in views}
    for namespace in wanted:
        capsules = [c for _, _, _, found in views for c in found if namespace_of(c) == namespace]
        proxies = [(engine, s) for _, engine, services, _ in views for s in services
                   if s.service.namespace == namespace]
        try:
            proxies += await _published_where_backends_run(namespace, views, capsules, proxies,
                                                           extra_labels, proxy_image)
            unready = await not_ready(engines, capsules) if proxies else set()
            await asyncio.gather(*(write_backends(engine, s, backend_table(s.service, capsules, unready))
                                   for engine, s in proxies if s.state == "running"))
        except Exception as exc:  # noqa: BLE001 - said; the next sync tries again
            problems.append(f"Services of namespace {namespace} not updated: {exc}")
    return problems


async def _published_where_backends_run(namespace: str, views: list, capsules: list[ObservedCapsule],
                                        proxies: list, labels: Mapping[str, str], image: str) -> list:
    """A proxy of each NodePort/LoadBalancer Service on every host that runs a backend of it."""
    made = []
    engines = {host: engine for host, engine, _, _ in views}
    have = {(s.host, s.service.name) for _, s in proxies}
    for name, observed in {s.service.name: s for _, s in proxies}.items():
        service = observed.service
        if not service.published_ports:
            continue
        for host in sorted({c.host for c in capsules if service.selects(labels_of(c))}):
            if (host, name) in have or host not in engines:
                continue
            made.append((engines[host], await make_service(
                engines[host], host, service, image=image, extra_labels=labels,
                network=observed.network or network_name(namespace))))
    return made


async def settle(ctx: RuntimeContext, left: Iterable[tuple[str, str]]) -> list[str]:
    """After capsules or Services were deleted ((namespace, host) each left): update the Services
    of those namespaces, and remove each namespace's network wherever nothing of it is left.
    All at once: one survey, and each network removed (or said to stay) once.

    A bridge goes from each host that holds no container of the namespace any more; an
    overlay, once no host holds one, from its manager.
    """
    # One survey serves both: deleting only takes backends away, so the sync makes nothing
    # that would change which hosts hold something of the namespace.
    hosts_left: dict[str, set[str]] = {}
    for namespace, host in left:
        hosts_left.setdefault(namespace, set()).add(host)
    wanted = sorted(hosts_left)
    survey = await _survey(ctx, wanted)
    problems = await _sync(ctx, wanted, survey, {}, DEFAULT_PROXY_IMAGE)
    managers = {m.host for m in survey.members if m.manager}
    targets: set[tuple[str, str]] = set()
    for namespace, were_on in hosts_left.items():
        holding = survey.holding.get(namespace, set())
        hosts = set(survey.hosts.get(namespace, [])) | were_on
        if survey.overlay.get(namespace):
            # A swarm object: only a manager can remove it (a worker refuses: "not a swarm
            # manager"); a worker's copy goes with its last container there.
            removers = (hosts & managers) or hosts
            targets |= {(namespace, h) for h in removers} if not holding else set()
        else:
            targets |= {(namespace, h) for h in hosts - holding}

    async def drop(namespace: str, host: str) -> None:
        try:
            async with ctx.asking(ctx.host(host)) as engine:
                try:
                    await remove_network_if_unused(engine, namespace)
                except NetworkKept as kept:
                    holder = await holder_of(engine, kept.refusal,
                                             container_exists=_container_exists_on_member(ctx, survey))
                    if holder is not None and holder.stuck:  # else in use by a live container: it stays
                        problems.append(f"network {kept.network} left on host {host}: {holder.describe()}")
        except Exception as exc:  # noqa: BLE001 - said; the next delete or `capsule gc` removes it
            problems.append(f"network of namespace {namespace} not removed from host {host}: {exc}")

    for namespace, host in sorted(targets):
        await drop(namespace, host)
    # Said where every delete path (capsules, workloads, Services, -f) passes: the capsules are
    # gone all the same; each line says what stays and how it goes.
    for problem in problems:
        log.warning("capsule: warning: %s", problem)
    return problems
