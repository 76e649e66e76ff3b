"""The watcher's prober looks only at capsules that have liveness or startup probes:
one list call, then inspects of those capsules' containers alone (in-process fake engine)."""

from __future__ import annotations

import asyncio

from runtime.engine.client import EngineClient
from runtime.labels import LABEL_MEMBER, LABEL_ROLE
from runtime.observe.discovery import observe_host_probed
from runtime.probes.run import member_probes
from runtime.watch.prober import HostProber
from support.fake_engine import FakeContainer, FakeEngine, capsule_sandbox


def spec(name: str, probe: dict | None = None, env_value: str = "") -> dict:
    web: dict = {"name": "web", "image": "busybox:1.36"}
    if probe:
        web.update(probe)
    if env_value:
        web["env"] = [{"name": "NOTE", "value": env_value}]
    return {"apiVersion": "beta", "kind": "capsule", "metadata": {"name": name},
            "spec": {"containers": [web]}}


def capsule(name: str, body: dict) -> list[FakeContainer]:
    sandbox = capsule_sandbox(name, body)
    member = FakeContainer(f"{name}.web", {**sandbox.labels, LABEL_ROLE: "member", LABEL_MEMBER: "web"},
                           image="busybox:1.36")
    return [sandbox, member]


LIVENESS = {"livenessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 5}}
STARTUP = {"startupProbe": {"exec": {"command": ["true"]}}}


def host() -> FakeEngine:
    containers = [c for n in range(40) for c in capsule(f"plain-{n:02d}", spec(f"plain-{n:02d}"))]
    containers += capsule("live", spec("live", LIVENESS))
    containers += capsule("starts", spec("starts", STARTUP))
    # The word as a whole env value: the text search inspects this one too, and no probe runs.
    containers += capsule("talks", spec("talks", env_value="livenessProbe"))
    return FakeEngine(containers=containers)


async def connected(engine: FakeEngine) -> EngineClient:
    return await EngineClient.connect("tcp://127.0.0.1:23750", name="h1", transport=engine)


def test_only_capsules_with_liveness_or_startup_probes_are_inspected() -> None:
    engine = host()

    async def scenario() -> list[str]:
        async with await connected(engine) as client:
            engine.requests.clear()
            found = await observe_host_probed(client, "h1")
            return sorted(c.name for c in found)

    names = asyncio.run(scenario())
    assert names == ["live", "starts", "talks"]
    lists = [r for r in engine.requests if r.endswith("/containers/json")]
    inspects = [r for r in engine.requests if r.endswith("/json") and r not in lists]
    assert len(lists) == 1
    assert len(inspects) == 6  # 3 capsules x (sandbox + member), not 86
    wanted = {c.id for c in engine.containers if c.name.split(".")[0] in names}
    assert {r.split("/")[-2] for r in inspects} == wanted


def test_the_prober_tracks_the_probed_members_from_that_view() -> None:
    engine = host()
    reports: list[tuple[str, str, str]] = []

    async def report(kind, capsule, member, message) -> None:  # type: ignore[no-untyped-def]
        reports.append((kind, capsule.name, member))

    async def scenario() -> HostProber:
        async with await connected(engine) as client:
            prober = HostProber("h1", report, tick=0.01)
            await prober.step(client)
            await prober.aclose()
            return prober

    prober = asyncio.run(scenario())
    assert sorted(c.name for c in prober.capsules) == ["live", "starts", "talks"]
    probed = {(c.name, m.member, kind) for c in prober.capsules for m in c.members
              for kind in member_probes(c, m.member)}
    assert probed == {("live", "web", "liveness"), ("starts", "web", "startup")}
