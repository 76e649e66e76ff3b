"""A stub backend for the terminal UI's tests: fixed capsules, recorded calls.

It has the methods of `capsule_tui.backend.CapsuleBackend` and nothing else. Used
where a test needs exact data (snapshots, the delete confirmation); the flows that
touch hosts run against the fake engine or a real engine instead.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from capsule_tui.backend import REACHABLE, HostState, Snapshot
from runtime.errors import CapsuleNotFound, ServiceNotFound
from runtime.service import DeleteResult
from runtime.state.records import EventRecord
from runtime.views import CapsuleDetail, CapsuleView, MemberView, ServiceDeleted, ServiceView
from support.paths import SAMPLES
from translate.spec import Service
from translate.translation import translate_paths

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z: fixed, so snapshots do not move


def view(name: str, *, host: str = "local", status: str = "Running", ready: str = "1/1", restarts: int = 0,
         ip: str | None = "172.17.0.2", age: float = 300.0, labels: dict[str, str] | None = None,
         ports: list[str] | None = None, namespace: str | None = None, workload: str | None = None) -> CapsuleView:
    return CapsuleView(name=name, host=host, status=status, reason="", ready=ready, restarts=restarts, ip=ip,
                       age_seconds=age, uuid=f"uuid-{host}-{name}", labels=labels or {}, ports=ports or [],
                       created_at=T0 - age, namespace=namespace, workload=workload)


def sample_views() -> list[CapsuleView]:
    return [
        view("web", labels={"app": "web", "tier": "frontend"}, ready="1/1", ip="172.17.0.2", age=3600,
             ports=["18082->8080/TCP (httpd)"], namespace="shop", workload="Deployment/web"),  # of an application
        view("web-sidecar", labels={"app": "web-sidecar"}, ready="2/2", ip="172.17.0.3", age=720),
        view("redis", host="lab", labels={"app": "cache"}, ready="1/1", ip="10.0.0.7", age=90000),
        view("batch", status="Finished", ready="0/1", ip=None, age=45, labels={"kind": "job"}),
        view("broken", status="Failed", ready="1/2", restarts=7, ip="172.17.0.9", age=200,
             labels={"app": "web"}),
        view("starting", host="lab", status="Starting", ready="0/3", ip=None, age=3),
    ]


def service(name: str, namespace: str, kind: str, ports: str, host: str, address: str | None, backends: list[str],
            ready: int, total: int, *, selector: dict[str, str], headless: bool = False) -> ServiceView:
    """A ServiceView as runtime.services_flow.list_services makes one, its document from a real Service."""
    spec = Service(name, namespace, selector=tuple(selector.items()), type=kind.split()[0], headless=headless)
    return ServiceView(name, namespace, kind, ports, host, address, backends, ready, total, headless, spec.to_dict())


def sample_services() -> list[ServiceView]:
    """Services of two namespaces: one all served, a headless one half served, one served by none."""
    return [
        service("web", "shop", "ClusterIP", "80->8080/TCP", "local", "10.89.0.5",
                ["web 10.89.0.2:8080", "web-sidecar 10.89.0.3:8080"], 2, 2, selector={"app": "web"}),
        service("db", "shop", "ClusterIP (headless)", "5432->5432/TCP", "local", None,
                ["db-0 10.89.0.7:5432"], 1, 2, selector={"app": "db"}, headless=True),
        service("api", "tools", "LoadBalancer", "7070->http-api/TCP", "lab", "10.90.0.2", [], 0, 1,
                selector={"app": "api"}),
    ]


class StubBackend:
    def __init__(self, views: list[CapsuleView] | None = None, hosts: list[HostState] | None = None, *,
                 inventory: Path | None = None) -> None:
        self.views = sample_views() if views is None else views
        self.hosts = hosts or [HostState("local", REACHABLE), HostState("lab", REACHABLE)]
        self.inventory = inventory
        self.added_hosts: list[Any] = []
        self.removed_hosts: list[str] = []
        self.deleted: list[list[str]] = []
        self.deleted_uuids: list[list[str]] = []
        self.created: list[Any] = []
        self.snapshots = 0
        self.fail_snapshot: Exception | None = None
        self.closed = False
        self.plans = 0
        self.fact_rounds = 0
        self.event_limits: list[int] = []
        self.event_names: list[str | None] = []
        self.event_records = [EventRecord(1, T0, "web", "uuid-local-web", "local", "created", "created on local"),
                              EventRecord(2, T0 + 1, "web", "uuid-local-web", "local", "started", "running")]
        self.log_lines = 10
        self.log_requests: list[tuple[str, str, int]] = []
        self.logs_end = asyncio.Event()
        self.service_views = sample_services()
        self.service_problems: list[str] = []  # hosts that "could not be asked"
        self.service_rounds: list[str | None] = []  # the namespace of each services() call
        self.deleted_services: list[list[tuple[str, str]]] = []
        self.lifecycle_calls: list[tuple[str, str]] = []  # (action, capsule name)
        self.lifecycle_failures: dict[str, Exception] = {}  # capsule name -> what lifecycle raises
        self.lifecycle_gate: asyncio.Event | None = None  # set: lifecycle waits for it (a slow host)
        self.updates: list[tuple[str, Any]] = []  # (name, translation)
        self.rollbacks: list[str] = []
        self.targets: list[tuple[str, str | None, str | None]] = []  # (update|rollback, uuid, host) asked for
        self.pause_refused: set[str] = set()  # capsule names whose pause the "engine" refuses (not running)

    def host_names(self) -> list[str]:
        return [h.name for h in self.hosts]

    async def snapshot(self) -> Snapshot:
        self.snapshots += 1
        if self.fail_snapshot is not None:
            raise self.fail_snapshot
        return Snapshot(list(self.hosts), list(self.views))

    async def describe(self, name: str, uuid: str) -> CapsuleDetail:
        found = next((v for v in self.views if v.uuid == uuid), None)
        if found is None:
            raise CapsuleNotFound(name)
        members = [
            MemberView("(sandbox)", "sandbox", "registry.k8s.io/pause:3.10", "running", 0, None, name, "0123456789ab"),
            MemberView("httpd", "member", "busybox:1.36", "running", found.restarts, None, f"{name}.httpd",
                       "abcdef012345"),
        ]
        events = [EventRecord(1, T0, name, uuid, found.host, "created", "created on local"),
                  EventRecord(2, T0 + 2, name, uuid, found.host, "started", "all members started")]
        env = {"httpd": ["APP_GREETING=hello from a ConfigMap", "PASSWORD=<secret web-credentials/password>"]}
        volumes = [{"name": "site", "configMap": {"name": "web-site", "files": ["index.html"]}}]
        return CapsuleDetail(found, members, volumes, env, [], events)

    async def spec(self, uuid: str) -> dict[str, Any]:
        # A real translation of the sample with a Secret: the spec must carry its reference only.
        return translate_paths([str(SAMPLES / "deployment.yaml")]).capsules[0].to_dict()

    async def logs(self, uuid: str, host: str, *, tail: int, member: str | None = None):
        from runtime.ops.logs import MemberLogLine

        if member is not None:  # one container on its own (an init container)
            self.log_requests.append((uuid, host, tail, member))
            yield MemberLogLine(member, "stdout", f"{member} ran")
            return
        self.log_requests.append((uuid, host, tail))
        for number in range(self.log_lines):
            member = ("httpd", "writer")[number % 2]
            yield MemberLogLine(member, "stderr" if number == 5 else "stdout", f"line {number} from {member}")
        await self.logs_end.wait()  # following: more may come until the members stop

    async def events(self, *, limit: int, name: str | None = None):
        self.event_limits.append(limit)
        self.event_names.append(name)
        sent = max(0, len(self.event_records) - limit)  # the last `limit` of the history
        while True:
            while sent < len(self.event_records):
                if name is None or self.event_records[sent].capsule == name:
                    yield self.event_records[sent]
                sent += 1
            await asyncio.sleep(0.02)  # following: new events show up in event_records

    async def delete(self, names: list[str]) -> list[DeleteResult]:
        self.deleted.append(list(names))
        self.views = [v for v in self.views if v.name not in names]
        return [DeleteResult(name, "local") for name in names]

    async def delete_by_uuid(self, uuids: list[str]) -> list[DeleteResult]:
        by_uuid = {v.uuid: v for v in self.views}
        chosen = [by_uuid[u] for u in uuids if u in by_uuid]  # in the order asked
        self.deleted.append([v.name for v in chosen])  # what went, by name, for the tests to read
        self.deleted_uuids.append(list(uuids))
        self.views = [v for v in self.views if v.uuid not in uuids]
        return [DeleteResult(v.name, v.host) for v in chosen]

    async def placement(self, name: str, uuid: str, host: str) -> str:
        """The real reading (runtime.placement.record) of a created event like create writes."""
        from runtime.placement.record import recorded_placement

        if host == "lab":  # found there: created from another machine
            message = f"found on host {host} (created outside this machine's store)"
        else:
            message = (f"created on host {host} (2 containers); placed on {host}: 1/2 hosts available: "
                       f"1 unreachable; spread (least allocated): score 87; after placing cpu 0.5/4, "
                       f"memory 536.9 MB/8.6 GB requested")
        return recorded_placement([EventRecord(1, T0, name, uuid, host, "created", message)], uuid, host)

    async def add_host(self, host: Any) -> list[str]:
        """The real inventory checks (runtime.hosts.inventory.add_host) on a file of the test's own."""
        from runtime.hosts.inventory import add_host

        if self.inventory is None:
            raise AssertionError("this StubBackend has no inventory file (StubBackend(inventory=...))")
        if host.name in self.host_names():
            from runtime.errors import HostExists

            raise HostExists(host.name, self.inventory)
        _, notes = add_host(host, path=self.inventory)
        self.hosts.append(HostState(host.name, REACHABLE))
        self.added_hosts.append(host)
        return notes

    async def remove_host(self, name: str) -> None:
        self.removed_hosts.append(name)
        self.hosts = [h for h in self.hosts if h.name != name]

    async def create(self, translation: Any, on_progress: Any = None) -> list[Any]:
        self.created.append(translation)
        return []

    async def host_facts(self) -> list[Any]:
        from runtime.placement.host_facts import CapsuleUsage, HostFacts

        self.fact_rounds += 1
        usage = (CapsuleUsage("web", "u1", 0.5, 512 * 1024**2), CapsuleUsage("batch", "u2", 2.0, 1024**3, active=False))
        facts = [HostFacts("local", "unix:///var/run/docker.sock", {}, None, "", "24.0.7", "1.43", 4, 8 * 1024**3,
                           usage),
                 HostFacts("lab", "tcp://10.0.0.9:2376", {"zone": "a"}, "host 'lab' refused the connection",
                           "unreachable", cause="connection refused")]
        facts += [HostFacts(h.name, h.url, dict(h.labels), None, "", "24.0.7", "1.43", 2, 4 * 1024**3)
                  for h in self.added_hosts]
        return [f for f in facts if f.name in self.host_names()]

    async def plan(self, translation: Any) -> list[tuple[str, Any]]:
        from runtime.placement.scheduler import HostDecision, Placement

        self.plans += 1
        reasons = {"local": HostDecision("local", ("reachable",), None, 87.0, True, 2.0, 2 * 1024**3),
                   "lab": HostDecision("lab", ("reachable",), None, 40.0, False, 1.0, 1024**3)}
        return [(c.name, Placement("local", 87.0, "spread", reasons)) for c in translation.capsules]

    async def names_taken(self, names: list[str]) -> dict[str, Any]:
        """As runtime.observe.name_check answers: the stub's capsules of these names, each with its host."""
        from runtime.observe.name_check import TakenName

        return {v.name: TakenName(v.name, v.host) for v in self.views if v.name in names}

    async def failed_create_host(self, name: str) -> str | None:
        return None

    async def services(self, namespace: str | None = None) -> tuple[list[ServiceView], list[str]]:
        self.service_rounds.append(namespace)
        return ([v for v in self.service_views if namespace is None or v.namespace == namespace],
                list(self.service_problems))

    async def delete_services(self, wanted: list[tuple[str, str]]) -> list[ServiceDeleted]:
        self.deleted_services.append(list(wanted))
        results = []
        for namespace, name in wanted:
            found = [v for v in self.service_views if (v.namespace, v.name) == (namespace, name)]
            self.service_views = [v for v in self.service_views if v not in found]
            results.append(ServiceDeleted(name, namespace, [v.host for v in found],
                                          None if found else ServiceNotFound(name, namespace)))
        return results

    async def lifecycle(self, action: str, name: str, uuid: str, host: str) -> None:
        self.lifecycle_calls.append((action, name))
        if self.lifecycle_gate is not None:
            await self.lifecycle_gate.wait()
        if name in self.lifecycle_failures:
            raise self.lifecycle_failures[name]

    async def update(self, translation: Any, name: str, on_progress: Any = None, *, uuid: str | None = None,
                     host: str | None = None) -> Any:
        from runtime.update import UpdateResult

        self.updates.append((name, translation))
        self.targets.append(("update", uuid, host))
        return UpdateResult(name, host or "local", f"uuid-{host or 'local'}-{name}-2", 2, 1, "172.17.0.2",
                            "172.17.0.4")

    async def rollback(self, name: str, on_progress: Any = None, *, uuid: str | None = None,
                       host: str | None = None) -> Any:
        from runtime.update import UpdateResult

        self.rollbacks.append(name)
        self.targets.append(("rollback", uuid, host))
        return UpdateResult(name, host or "local", f"uuid-{host or 'local'}-{name}-3", 3, 2, "172.17.0.4",
                            "172.17.0.5")

    async def aclose(self) -> None:
        self.closed = True
