"""The scheduler, pure: every filter, the all-rejected message, strategies and reserve.

Host facts are built by hand here (the scheduler never does I/O); gathering them from
engines is tested in test_host_facts.py and test_multihost.py.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from runtime.errors import UnknownStrategy
from runtime.hosts.reserve import MiB, Reserve
from runtime.placement.host_facts import CapsuleUsage, HostFacts, requests_of_spec, usage_from_containers
from runtime.placement.scheduler import Demand, NoHostFits, evaluate, place, summarize
from translate.spec import Capsule, Container, Port, ResourceAmounts, Resources

GB = 10**9
NO_RESERVE = Reserve(cpu=0.0, memory=0)


def host(name: str, *, cpus: int = 4, memory: int = 8 * GB, labels: dict | None = None,
         used: tuple[tuple[float, int], ...] = (), ports: set | None = None,
         error: str | None = None, kind: str = "connect timeout") -> HostFacts:
    capsules = tuple(CapsuleUsage(f"c{i}", f"u{i}", cpu, mem) for i, (cpu, mem) in enumerate(used))
    return HostFacts(name=name, url=f"tcp://{name}:2376", labels=labels or {}, cpus=cpus, memory=memory,
                     capsules=capsules, ports_in_use=frozenset(ports or ()), error=error,
                     error_kind=kind if error else "", engine_version="24.0.7")


# --- each filter -------------------------------------------------------------------------


def test_unreachable_host_is_rejected_first_with_its_reason() -> None:
    facts = host("a", error="host 'a' (tcp://a:2376) did not accept a connection within 3 s.")
    decision = evaluate(Demand("web", host_selector="b"), facts, NO_RESERVE)
    assert decision.passed == ()
    assert decision.rejection.filter == "reachable"
    assert decision.rejection.summary == "unreachable"
    assert decision.describe() == "unreachable: host 'a' (tcp://a:2376) did not accept a connection within 3 s."


def test_host_that_answered_wrongly_counts_as_unusable_not_unreachable() -> None:
    facts = host("a", error="host 'a': answered /info without usable NCPU", kind="bad answer")
    assert evaluate(Demand("web"), facts, NO_RESERVE).rejection.summary == "unusable"


def test_host_selector_names_the_host() -> None:
    decision = evaluate(Demand("web", host_selector="b"), host("a"), NO_RESERVE)
    assert decision.passed == ("reachable",)
    assert decision.rejection.filter == "hostSelector"
    assert decision.rejection.detail == "the capsule asks for host 'b'"
    assert evaluate(Demand("web", host_selector="a"), host("a"), NO_RESERVE).fits


def test_host_labels_must_all_match_the_inventory_labels() -> None:
    demand = Demand("web", host_labels=(("zone", "a"), ("disk", "ssd")))
    wrong = evaluate(demand, host("h", labels={"zone": "b"}), NO_RESERVE)
    assert wrong.passed == ("reachable", "hostSelector")
    assert wrong.rejection.filter == "hostLabels"
    assert wrong.rejection.detail == "needs zone=a, disk=ssd; host has zone=b"
    missing = evaluate(demand, host("h", labels={"zone": "a"}), NO_RESERVE)
    assert missing.rejection.detail == "needs disk=ssd; host has no such label"
    assert evaluate(demand, host("h", labels={"zone": "a", "disk": "ssd", "x": "y"}), NO_RESERVE).fits


def test_host_ports_in_use_reject_by_port_and_protocol() -> None:
    demand = Demand("web", host_ports=((8080, "TCP"), (53, "UDP")))
    taken = evaluate(demand, host("h", ports={(8080, "TCP")}), NO_RESERVE)
    assert taken.rejection.filter == "hostPorts"
    assert taken.rejection.detail == "8080/TCP already in use there"
    # Same number, other protocol: free.
    assert evaluate(demand, host("h", ports={(8080, "UDP"), (53, "TCP")}), NO_RESERVE).fits


def test_cpu_must_fit_beside_what_is_already_requested() -> None:
    facts = host("h", cpus=2, used=((1.5, 0),))
    decision = evaluate(Demand("web", cpu=1.0), facts, Reserve(cpu=0.25, memory=0))
    assert decision.passed == ("reachable", "hostSelector", "hostLabels", "hostPorts")
    assert decision.rejection.filter == "cpu"
    assert decision.rejection.detail == (
        "needs 1 CPU, 0.25 free (of 2 CPU, 1.5 requested by 1 capsules, 0.25 reserved)")
    assert evaluate(Demand("web", cpu=0.25), facts, Reserve(cpu=0.25, memory=0)).fits


def test_memory_must_fit_beside_what_is_already_requested() -> None:
    facts = host("h", memory=4 * GB, used=((0, 2 * GB),))
    decision = evaluate(Demand("web", memory=2 * GB), facts, Reserve(memory=800 * 10**6))
    assert decision.rejection.filter == "memory"
    assert decision.passed[-1] == "cpu"
    assert decision.rejection.detail == (
        "needs 2.0 GB, 1.2 GB free (of 4.0 GB, 2.0 GB requested by 1 capsules, 800.0 MB reserved)")


@pytest.mark.parametrize("reserve", [NO_RESERVE, Reserve(), Reserve(cpu=1.0, memory=100 * MiB + 7)],
                         ids=["no-reserve", "default-reserve", "odd-reserve"])
def test_memory_request_of_exactly_the_free_memory_fits_and_one_byte_more_does_not(reserve: Reserve) -> None:
    # Odd sizes, so that no rounding of the figures can make the boundary look right by accident.
    facts = host("h", memory=4 * GB + 12345, used=((0, GB + 678),))
    free = 4 * GB + 12345 - reserve.memory - (GB + 678)
    exactly = evaluate(Demand("web", memory=free), facts, reserve)
    assert exactly.fits, exactly.describe()
    assert exactly.free_memory == free
    over = evaluate(Demand("web", memory=free + 1), facts, reserve)
    assert over.rejection is not None and over.rejection.filter == "memory"
    assert (over.rejection.needed, over.rejection.free) == (free + 1, free)
    assert place(Demand("web", memory=free), [facts], reserve=reserve).host == "h"
    with pytest.raises(NoHostFits, match="1 insufficient memory"):
        place(Demand("web", memory=free + 1), [facts], reserve=reserve)


def test_finished_capsules_do_not_hold_capacity() -> None:
    finished = CapsuleUsage("done", "u1", cpu=4.0, memory=8 * GB, active=False)
    facts = HostFacts("h", "tcp://h:2376", cpus=4, memory=8 * GB, capsules=(finished,))
    assert evaluate(Demand("web", cpu=4.0, memory=4 * GB), facts, NO_RESERVE).fits


def test_a_capsule_without_requests_fits_even_a_full_host() -> None:
    full = host("h", cpus=1, memory=GB, used=((1.0, GB),))
    assert evaluate(Demand("web"), full, Reserve()).fits


def test_filters_run_in_order_and_the_first_failure_is_the_reason() -> None:
    # Fails selector, labels, ports, cpu and memory: only the selector is reported.
    facts = host("h", cpus=1, memory=GB, ports={(80, "TCP")})
    demand = Demand("web", cpu=8, memory=8 * GB, host_selector="x", host_labels=(("a", "b"),),
                    host_ports=((80, "TCP"),))
    assert evaluate(demand, facts, NO_RESERVE).rejection.filter == "hostSelector"


# --- when nothing fits -------------------------------------------------------------------


def test_all_rejected_message_lists_every_host_kubernetes_style() -> None:
    facts = [
        host("a", error="cannot connect to host 'a' (tcp://a:2376): [Errno 111] Connection refused."),
        host("b", memory=int(3.2 * GB) + 256 * MiB, used=((0, 2 * GB),)),
        host("c"),
    ]
    demand = Demand("web", cpu=0.5, memory=2 * GB, host_selector="b")
    with pytest.raises(NoHostFits) as caught:
        place(demand, facts)
    assert caught.value.summary == (
        "0/3 hosts available: 1 unreachable, 1 does not match hostSelector, "
        "1 insufficient memory (needs 2.0 GB, 1.2 GB free)"
    )
    assert str(caught.value) == (
        "cannot place capsule 'web': 0/3 hosts available: 1 unreachable, 1 does not match hostSelector, "
        "1 insufficient memory (needs 2.0 GB, 1.2 GB free).\n"
        "  a: unreachable: cannot connect to host 'a' (tcp://a:2376): [Errno 111] Connection refused.\n"
        "  b: insufficient memory: needs 2.0 GB, 1.2 GB free (of 3.5 GB, 2.0 GB requested by 1 capsules, "
        "268.4 MB reserved)\n"
        "  c: does not match hostSelector: the capsule asks for host 'b'\n"
        "Free capacity or ports on a host, add a host (capsule hosts add), "
        "or change the capsule's requests, hostSelector or host labels."
    )
    assert [d.host for d in caught.value.decisions] == ["a", "b", "c"]


def test_several_hosts_short_of_the_same_resource_show_the_most_free() -> None:
    facts = [host("a", cpus=2, used=((1.5, 0),)), host("b", cpus=2, used=((1.0, 0),)),
             host("c", cpus=2, ports={(80, "TCP")}), host("d", cpus=2, ports={(443, "TCP")})]
    with pytest.raises(NoHostFits) as caught:
        place(Demand("web", cpu=1.5, host_ports=((80, "TCP"), (443, "TCP"))), facts, reserve=NO_RESERVE)
    assert caught.value.summary == (
        "0/4 hosts available: 2 host port in use (80/TCP, 443/TCP), "
        "2 insufficient cpu (needs 1.5 CPU, at most 1 CPU free)"
    )


def test_no_hosts_at_all_says_how_to_add_one() -> None:
    with pytest.raises(NoHostFits) as caught:
        place(Demand("web"), [])
    assert str(caught.value) == ("cannot place capsule 'web': 0/0 hosts available: no hosts are configured; "
                                 "add one with `capsule hosts add NAME URL`.")


def test_summary_counts_fitting_hosts() -> None:
    decisions = [evaluate(Demand("w", cpu=3), host(n, cpus=c), NO_RESERVE) for n, c in (("a", 4), ("b", 2))]
    assert summarize(decisions) == "1/2 hosts available: 1 insufficient cpu (needs 3 CPU, 2 CPU free)"


# --- scoring -----------------------------------------------------------------------------


def test_spread_prefers_the_least_allocated_host_and_binpack_the_most() -> None:
    facts = [host("busy", used=((3.0, 6 * GB),)), host("idle"), host("half", used=((2.0, 4 * GB),))]
    demand = Demand("web", cpu=0.5, memory=GB)
    spread = place(demand, facts, reserve=NO_RESERVE)
    binpack = place(demand, facts, strategy="binpack", reserve=NO_RESERVE)
    assert spread.host == "idle"
    assert binpack.host == "busy"
    # spread: mean free fraction after placing (idle: cpu 3.5/4, memory 7/8) -> 87.5
    assert spread.score == pytest.approx(87.5)
    assert binpack.score == pytest.approx(100 * ((3.5 / 4) + (7 / 8)) / 2)
    assert spread.reasons_per_host["idle"].chosen
    assert not spread.reasons_per_host["half"].chosen
    assert spread.reasons_per_host["half"].fits


def test_ties_go_to_the_host_listed_first() -> None:
    facts = [host("first"), host("second")]
    assert place(Demand("web", cpu=1), facts).host == "first"
    assert place(Demand("web", cpu=1), facts, strategy="binpack").host == "first"


def test_reserve_is_kept_free_on_every_host() -> None:
    facts = [host("h", cpus=2, memory=2 * GB)]
    demand = Demand("web", cpu=1.5, memory=int(1.9 * GB))
    assert place(demand, facts, reserve=NO_RESERVE).host == "h"
    with pytest.raises(NoHostFits) as caught:
        place(demand, facts)  # the default reserve keeps 256 MiB
    assert "insufficient memory" in caught.value.summary
    with pytest.raises(NoHostFits) as caught:
        place(demand, facts, reserve=Reserve(cpu=1, memory=0))
    assert "insufficient cpu" in caught.value.summary


def test_unknown_strategy_is_refused_with_the_choices() -> None:
    with pytest.raises(UnknownStrategy, match="use one of: spread, binpack"):
        place(Demand("web"), [host("a")], strategy="random")


def test_placement_format_shows_every_host() -> None:
    placement = place(Demand("web", cpu=1, host_selector="b"), [host("a"), host("b")], reserve=NO_RESERVE)
    assert placement.format() == (
        "placement: host 'b' (strategy spread, score 88)\n"
        "  a: does not match hostSelector: the capsule asks for host 'b'\n"
        "  b: chosen, score 88 (4 CPU and 8.0 GB free before placing)"
    )


def test_placement_among_many_hosts_keeps_their_order_in_the_reasons() -> None:
    facts = [host(f"h{i:03d}", cpus=8, used=((i % 8, 0),)) for i in range(100)]
    placement = place(Demand("web", cpu=1), facts)
    assert list(placement.reasons_per_host) == [f.name for f in facts]
    assert placement.host == "h000"


# --- what a capsule asks for -------------------------------------------------------------


def _container(name: str, cpu: float | None, memory: int | None, limit_cpu: float | None = None,
               ports: tuple[Port, ...] = ()) -> Container:
    return Container(name, "busybox:1.36", ports=ports, resources=Resources(
        requests=ResourceAmounts(cpu, memory), limits=ResourceAmounts(limit_cpu, None)))


def test_demand_of_a_capsule_uses_its_requests_selector_labels_and_ports() -> None:
    capsule = Capsule(
        "web",
        containers=(_container("a", 0.5, 64 * MiB, ports=(Port(80, 8080), Port(53, 5353, "UDP"), Port(9000))),
                    _container("b", None, None, limit_cpu=1.0)),
        init_containers=(_container("init", 2.0, 32 * MiB),),
        host_selector="h1", host_labels=(("zone", "a"),),
    )
    demand = Demand.of(capsule)
    assert demand == Demand("web", cpu=2.0, memory=64 * MiB, host_selector="h1",
                            host_labels=(("zone", "a"),), host_ports=((8080, "TCP"), (5353, "UDP")))


amounts = st.one_of(st.none(), st.integers(0, 4000).map(lambda m: m / 1000))
memories = st.one_of(st.none(), st.integers(0, 2**34))


@st.composite
def capsules(draw: st.DrawFn) -> Capsule:
    def containers(prefix: str, low: int) -> tuple[Container, ...]:
        count = draw(st.integers(low, 3))
        return tuple(Container(
            f"{prefix}{i}", "busybox:1.36",
            resources=Resources(requests=ResourceAmounts(draw(amounts), draw(memories)),
                                limits=ResourceAmounts(draw(amounts), draw(memories))))
            for i in range(count))
    return Capsule("c", containers("m", 1), init_containers=containers("i", 0))


@settings(max_examples=200, deadline=None)
@given(capsules())
def test_requests_read_from_the_spec_label_equal_the_capsules_own(capsule: Capsule) -> None:
    # Other machines see a capsule only through its capsule.spec label (JSON).
    document = json.loads(json.dumps(capsule.to_dict()))
    cpu, memory = requests_of_spec(document)
    assert cpu == pytest.approx(capsule.cpu_request)
    assert memory == capsule.memory_request


def test_usage_from_container_list_counts_active_capsules_and_ports() -> None:
    def entry(name: str, uuid: str, state: str, spec: dict, ports: list | None = None) -> dict:
        return {"Id": name, "Names": [f"/{name}"], "State": state, "Ports": ports or [], "Labels": {
            "capsule.managed-by": "capsule", "capsule.name": name, "capsule.uuid": uuid,
            "capsule.role": "sandbox", "capsule.spec": json.dumps(spec)}}

    spec = {"spec": {"containers": [{"name": "a", "resources": {"requests": {"cpu": 0.5, "memory": 100}},
                                     "ports": [{"containerPort": 80, "hostPort": 8080, "protocol": "TCP"}]}]}}
    entries = [
        entry("run", "u1", "running", spec, [{"PublicPort": 8080, "PrivatePort": 80, "Type": "tcp"}]),
        entry("new", "u2", "created", {"spec": {"containers": [
            {"name": "a", "ports": [{"containerPort": 1, "hostPort": 9090, "protocol": "UDP"}]}]}}),
        entry("done", "u3", "exited", spec),
        {"Id": "x", "Names": ["/other"], "State": "running", "Labels": {},
         "Ports": [{"PublicPort": 5432, "PrivatePort": 5432, "Type": "tcp"}, {"PrivatePort": 22, "Type": "tcp"}]},
        {"Id": "y", "Names": ["/stopped"], "State": "exited", "Labels": {},
         "Ports": [{"PublicPort": 6000, "PrivatePort": 1, "Type": "tcp"}]},
        entry("bad", "u4", "running", {}) | {"Labels": {"capsule.managed-by": "capsule", "capsule.uuid": "u4",
                                                        "capsule.name": "bad", "capsule.spec": "{not json"}},
    ]
    capsules, ports = usage_from_containers("h", entries)
    by_name = {c.name: c for c in capsules}
    assert set(by_name) == {"run", "new", "done", "bad"}
    assert by_name["run"].active and by_name["new"].active and not by_name["done"].active
    assert (by_name["run"].cpu, by_name["run"].memory) == (0.5, 100)
    assert (by_name["bad"].cpu, by_name["bad"].memory) == (0.0, 0)
    # Published by running containers, plus what a created-not-started sandbox is about to take.
    assert ports == frozenset({(8080, "TCP"), (9090, "UDP"), (5432, "TCP")})
