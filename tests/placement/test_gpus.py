"""GPUs (`nvidia.com/gpu`): read from both formats, asked of the engine as device requests,
and placed only on a host that offers them (issue 12, item 14).

This machine has no GPU, which is what the engine tests use: a capsule asking for one is
refused by placement with that reason and nothing is made; a host whose inventory says it
has one (the nvidia.com/gpu.count label) gets the capsule, and its engine's own refusal
of the device request (no nvidia driver) proves the request reached it, named in the
error, with nothing left behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from runtime.build.container_config import BuildContext, member_body
from runtime.build.model import BuildOptions
from runtime.build.volume_plan import plan_volumes
from runtime.hosts.reserve import Reserve
from runtime.placement.host_facts import CapsuleUsage, HostFacts, gpus_of_spec, gpus_offered
from runtime.placement.scheduler import Demand, NoHostFits, evaluate, place
from support.capsule_cli import cli
from translate.secrets import SecretStore
from translate.spec import Capsule, Container, ResourceAmounts, Resources
from translate.translation import TranslationFailed, translate_text

NO_RESERVE = Reserve(cpu=0.0, memory=0)
GB = 10**9


def pod(limits: dict[str, Any] | None = None, requests: dict[str, Any] | None = None, name: str = "trainer") -> str:
    resources = {k: v for k, v in (("limits", limits), ("requests", requests)) if v is not None}
    return yaml.safe_dump({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": {
        "containers": [{"name": "cuda", "image": "busybox:1.36", "command": ["sleep", "60"],
                        "resources": resources}]}})


def host(name: str, *, gpus: int = 0, uncounted: bool = False, used: int = 0) -> HostFacts:
    capsules = (CapsuleUsage("other", "u1", 0.0, 0, gpus=used),) if used else ()
    return HostFacts(name=name, url=f"tcp://{name}:2376", cpus=8, memory=32 * GB, capsules=capsules,
                     gpus=gpus, gpus_uncounted=uncounted)


# --- translation ---------------------------------------------------------------------------


def test_a_kubernetes_gpu_limit_is_applied_and_round_trips_through_both_formats() -> None:
    translation = translate_text(pod(limits={"nvidia.com/gpu": 2}), "pod.yaml", strict=True)
    capsule = translation.capsules[0]
    assert capsule.gpu_request == 2 and capsule.containers[0].resources.limits.gpu == 2
    written = capsule.to_dict()
    assert written["spec"]["containers"][0]["resources"]["limits"] == {"nvidia.com/gpu": 2}
    again = translate_text(yaml.safe_dump(written), "capsule.yaml", strict=True).capsules[0]
    assert again.gpu_request == 2


@pytest.mark.parametrize(("limits", "requests", "words"), [
    ({"nvidia.com/gpu": "500m"}, None, "counted whole"),
    ({"nvidia.com/gpu": -1}, None, "counted whole"),
    (None, {"nvidia.com/gpu": 1}, "without a limit"),
    ({"nvidia.com/gpu": 1}, {"nvidia.com/gpu": 2}, "make them equal"),
])
def test_a_gpu_count_kubernetes_would_refuse_is_an_error_on_its_field(limits, requests, words) -> None:
    with pytest.raises(TranslationFailed) as caught:
        translate_text(pod(limits=limits, requests=requests), "pod.yaml")
    errors = caught.value.report.errors
    assert any(words in f"{d.message} {d.hint}" and "nvidia.com/gpu" in d.path for d in errors), errors


def test_other_extended_resources_are_still_a_warning_that_says_the_container_runs_without() -> None:
    translation = translate_text(pod(limits={"example.com/fpga": 1}), "pod.yaml")
    warnings = translation.report.warnings
    assert any("runs without it" in d.message and "example.com/fpga" in d.path for d in warnings), warnings
    assert translation.capsules[0].gpu_request == 0


# --- the engine's device request ------------------------------------------------------------


def body_of(container: Container) -> dict[str, Any]:
    capsule = Capsule(name="trainer", containers=(container,))
    options = BuildOptions()
    plans = plan_volumes(capsule, SecretStore(), uuid="0" * 32, options=options)
    ctx = BuildContext(capsule, "0" * 32, 3, "local", options, plans, (1, 41))
    return member_body(ctx, container, sandbox_id="f" * 64, secrets=SecretStore())


def test_a_member_with_gpus_asks_the_engine_for_them_as_docker_run_gpus_does() -> None:
    cuda = Container(name="cuda", image="busybox:1.36", resources=Resources(limits=ResourceAmounts(gpu=2)))
    assert body_of(cuda)["HostConfig"]["DeviceRequests"] == [
        {"Driver": "nvidia", "Count": 2, "Capabilities": [["gpu"]]}]
    plain = Container(name="web", image="busybox:1.36", resources=Resources(limits=ResourceAmounts(cpu=1.0)))
    assert "DeviceRequests" not in body_of(plain)["HostConfig"]


# --- what a host offers, and placement ---------------------------------------------------------


def test_what_a_host_offers_comes_from_the_engine_then_the_inventory_then_the_nvidia_runtime() -> None:
    cdi = {"DiscoveredDevices": [{"Source": "cdi", "ID": "nvidia.com/gpu=0"}, {"Source": "cdi", "ID": "nvidia.com/gpu=1"},
                                 {"Source": "cdi", "ID": "nvidia.com/gpu=all"}],
           "Runtimes": {"runc": {}}}
    assert gpus_offered(cdi, {"nvidia.com/gpu.count": "8"}) == (2, False)  # the engine's count wins
    assert gpus_offered({"Runtimes": {"runc": {}}}, {"nvidia.com/gpu.count": "4"}) == (4, False)
    assert gpus_offered({"Runtimes": {"runc": {}, "nvidia": {}}}, {}) == (0, True)
    assert gpus_offered({"Runtimes": {"runc": {}}}, {"nvidia.com/gpu.count": "many"}) == (0, False)


def test_gpus_a_capsule_holds_are_read_from_its_spec_label_as_cpu_is() -> None:
    spec = {"spec": {"containers": [{"resources": {"limits": {"nvidia.com/gpu": 1}}},
                                    {"resources": {"limits": {"nvidia.com/gpu": 2}}}],
                     "initContainers": [{"resources": {"limits": {"nvidia.com/gpu": 4}}}]}}
    assert gpus_of_spec(spec) == 4
    assert gpus_of_spec({"spec": {"containers": [{"resources": {"limits": {"nvidia.com/gpu": "x"}}}]}}) == 0


def test_placement_needs_a_host_with_enough_free_gpus_and_says_why_the_others_were_left() -> None:
    demand = Demand("trainer", gpu=2)
    hosts = [host("plain"), host("busy", gpus=2, used=1), host("big", gpus=4, used=1)]
    chosen = place(demand, hosts, reserve=NO_RESERVE)
    assert chosen.host == "big"
    assert chosen.reasons_per_host["plain"].rejection.summary == "no GPUs"
    assert "NVIDIA Container Toolkit" in chosen.reasons_per_host["plain"].describe()
    assert chosen.reasons_per_host["busy"].describe().startswith("insufficient GPUs: needs 2 GPU(s), 1 free (of 2")
    # An engine with the nvidia runtime but no count is let try: the engine itself then decides.
    assert evaluate(demand, host("runtime", uncounted=True), NO_RESERVE).fits
    # A capsule asking for none goes anywhere, GPUs or not.
    assert evaluate(Demand("web"), host("plain"), NO_RESERVE).fits
    with pytest.raises(NoHostFits) as caught:
        place(demand, [host("plain"), host("busy", gpus=2, used=1)], reserve=NO_RESERVE)
    assert "1 no GPUs, 1 insufficient GPUs (needs 2, 1 free)" in str(caught.value)


# --- a real engine -----------------------------------------------------------------------------


def ours(client: Any, name: str) -> list[str]:
    labelled = {"label": f"capsule.name={name}"}
    return ([c.name for c in client.containers.list(ignore_removed=True, all=True, filters=labelled)]
            + [v.name for v in client.volumes.list(filters=labelled)])


def test_a_capsule_asking_for_a_gpu_is_refused_by_a_host_without_and_leaves_nothing(
        docker_engine, capsule_home, unique_name, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "trainer.yaml"
    path.write_text(pod(limits={"nvidia.com/gpu": 1}, name=unique_name))
    refused = cli("create", "-f", str(path), "--timeout", "30")
    assert refused.returncode == 1, refused
    assert "no GPUs" in refused.stderr and "local" in refused.stderr and "Traceback" not in refused.stderr
    assert ours(docker_engine.client, unique_name) == []

    # The user's word that the host has one: placed there, and the engine's own answer to the
    # device request (it has no nvidia driver) is the error, naming the host; nothing stays.
    assert cli("hosts", "add", "gpubox", "unix:///var/run/docker.sock", "--no-check",
               "--label", "nvidia.com/gpu.count=1").returncode == 0
    failed = cli("create", "-f", str(path), "--timeout", "30")
    assert failed.returncode == 1, failed
    assert 'could not select device driver "nvidia"' in failed.stderr and "gpubox" in failed.stderr
    assert "NVIDIA Container Toolkit" in failed.stderr and "Traceback" not in failed.stderr
    assert ours(docker_engine.client, unique_name) == []
