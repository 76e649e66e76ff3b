"""Every file in samples/ translates without errors, in both directions.

`RUNNABLE` names the samples that run offline on the test images (busybox:1.36 with
explicit commands); the others are translate-only (they use images such as redis that
the offline test engines do not have). A new sample must be listed in one of the two.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from translate.output import write_capsules
from translate.pod_writer import write_pods
from translate.translation import translate_paths, translate_text

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
OFFLINE_IMAGE = "busybox:1.36"

RUNNABLE = {
    "web-sidecar.yaml": "capsule format: busybox httpd serving a volume a sidecar writes into",
    "init-containers.yaml": "capsule format: two init containers write a file the member prints and serves",
    "resources.yaml": "capsule format: requests and limits",
    "deployment.yaml": "Kubernetes Deployment with ConfigMaps, a Secret, envFrom, a configMap volume, probes",
    "job.yaml": "Kubernetes Job with an init container and an emptyDir",
}
TRANSLATE_ONLY = {
    "pod-redis.yaml": "Kubernetes Pod: redis and a busybox client over localhost",
}


def sample_files() -> list[str]:
    return sorted(p.name for p in SAMPLES.glob("*.yaml"))


def test_every_sample_is_listed_as_runnable_or_translate_only() -> None:
    assert sample_files() == sorted({**RUNNABLE, **TRANSLATE_ONLY})


@pytest.mark.parametrize("name", sample_files())
def test_a_sample_translates_without_errors(name: str) -> None:
    translation = translate_paths([str(SAMPLES / name)])
    assert translation.report.errors == []
    assert translation.capsules


@pytest.mark.parametrize("name", sorted(RUNNABLE))
def test_runnable_samples_use_only_the_offline_image_with_explicit_commands(name: str) -> None:
    for capsule in translate_paths([str(SAMPLES / name)]).capsules:
        for container in capsule.all_containers:
            assert container.image == OFFLINE_IMAGE, f"{name}: {container.name}"
            assert container.command or container.args, f"{name}: {container.name} needs a command"


@pytest.mark.parametrize("name", sample_files())
def test_a_sample_survives_normalized_output_and_pod_output(name: str) -> None:
    capsules = translate_paths([str(SAMPLES / name)]).capsules
    expected = [c.to_dict() for c in capsules]
    again = translate_text(write_capsules(capsules), "normalized.yaml").capsules
    assert [c.to_dict() for c in again] == expected
    pods = translate_text(write_pods(capsules), "pods.yaml", strict=True)
    assert [c.to_dict() for c in pods.capsules] == expected


def test_the_samples_folder_translates_as_one_input() -> None:
    translation = translate_paths([str(SAMPLES)])
    assert sorted(c.name for c in translation.capsules) == [
        "count-words", "init-demo", "redis", "resources-demo", "web", "web-sidecar",
    ]
    assert translation.secrets.keys("web-credentials") == ("password",)
