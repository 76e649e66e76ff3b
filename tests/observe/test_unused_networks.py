"""`capsule gc`'s rule for a namespace's network: nothing of its namespace uses it, and it is old enough."""

from __future__ import annotations

from runtime.observe.leftovers import unused_networks

NOW = 1_800_000_000.0
OLD = "2027-01-15T08:00:00.123456789Z"  # epoch 1800000000 is 2027-01-15T08:00:00Z


def network(name: str, namespace: str | None, created: str = "2026-01-01T00:00:00Z") -> dict:
    labels = {"capsule.managed-by": "capsule"}
    if namespace:
        labels["capsule.namespace"] = namespace
    return {"Name": name, "Labels": labels, "Created": created}


def test_a_network_whose_namespace_has_no_container_goes_and_one_in_use_stays() -> None:
    networks = [network("capsule-ns-gone", "gone"), network("capsule-ns-live", "live")]
    containers = [{"Labels": {"capsule.namespace": "live"}}]
    assert unused_networks(networks, containers, now=NOW, grace=60) == ["capsule-ns-gone"]


def test_a_new_network_is_left_to_the_create_that_is_about_to_use_it() -> None:
    fresh = network("capsule-ns-new", "new", created=OLD)
    assert unused_networks([fresh], [], now=NOW + 10, grace=60) == []
    assert unused_networks([fresh], [], now=NOW + 61, grace=60) == ["capsule-ns-new"]


def test_a_network_without_a_namespace_label_is_not_ours_to_judge() -> None:
    assert unused_networks([network("users-net", None)], [], now=NOW, grace=0) == []
