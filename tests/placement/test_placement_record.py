"""The placement reason kept at create, and reading it back (runtime.placement.record; pure)."""

from __future__ import annotations

from runtime.placement.host_facts import CapsuleUsage, HostFacts
from runtime.placement.record import created_message, placement_reason, recorded_placement
from runtime.placement.scheduler import Demand, place
from runtime.state.records import EventRecord

GB = 1024**3


def facts() -> list[HostFacts]:
    busy = (CapsuleUsage("x", "u0", 1.5, GB),)
    return [HostFacts("host-a", "tcp://a:2376", cpus=2, memory=8 * GB, capsules=busy),
            HostFacts("host-b", "tcp://b:2376", cpus=2, memory=8 * GB),
            HostFacts("host-c", "tcp://c:2376", error="connection refused", error_kind="unreachable")]


def test_the_reason_names_the_host_how_many_fit_the_score_and_the_allocation_after() -> None:
    demand = Demand("web", cpu=0.5, memory=GB)
    placement = place(demand, facts())
    reason = placement_reason(placement, demand, facts()[1])
    assert reason == ("placed on host-b: 2/3 hosts available: 1 unreachable; spread (least allocated): "
                      "score 81, ahead of host-a 37; after placing cpu 0.5/2, memory 1.1 GB/8.6 GB requested")
    assert placement_reason(place(demand, facts()[:2]), demand, None).startswith("placed on host-b: 2/2 hosts fit; ")
    pinned = place(demand, facts()[1:2])
    assert placement_reason(pinned, demand, None, pinned=True) == (
        "placed on host-b: --host host-b was asked for and it passes every filter")
    assert placement_reason(pinned, demand, None) == "placed on host-b: the only host, and it passes every filter"


def test_reading_back_what_create_wrote_and_what_reconcile_found() -> None:
    reason = "placed on host-b: 2/2 hosts fit; spread (least allocated): score 81, ahead of host-a 37"
    created = EventRecord(1, 0.0, "web", "u1", "host-b", "created", created_message("host-b", 2, reason))
    assert created.message == f"created on host host-b (2 containers); {reason}"
    other = EventRecord(2, 0.0, "web", "u2", "host-a", "created", created_message("host-a", 2, "placed on host-a: x"))
    assert recorded_placement([created, other], "u1", "host-b") == reason
    found = EventRecord(3, 0.0, "db", "u3", "host-a", "created",
                        "found on host host-a (created outside this machine's store)")
    assert recorded_placement([found], "u3", "host-a").startswith(
        "created elsewhere; placed by its creator on host host-a")
    old = EventRecord(4, 0.0, "old", "u4", "host-a", "created", "created on host host-a (2 containers)")
    assert "before capsule recorded why" in recorded_placement([old], "u4", "host-a")
    assert "no placement was recorded here" in recorded_placement([], "u5", "host-a")
