"""Every file in samples/ translates without errors, in both directions.

A new sample must be listed in tests/support/samples.py, as runnable or translate-only.
"""

from __future__ import annotations

import pytest

from support.paths import SAMPLES
from support.samples import APPLICATIONS, OFFLINE_IMAGE, RUNNABLE, TRANSLATE_ONLY, sample_files
from translate.kubernetes.pod_writer import write_pods
from translate.output import write_capsules
from translate.translation import translate_paths, translate_text


def test_every_sample_is_listed_as_runnable_or_translate_only() -> None:
    assert sample_files() == sorted({**RUNNABLE, **TRANSLATE_ONLY, **APPLICATIONS})


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
    translation = translate_paths([str(SAMPLES / name)])
    capsules, services = translation.capsules, translation.services
    expected = [c.to_dict() for c in capsules]
    again = translate_text(write_capsules(capsules, services=services), "normalized.yaml")
    assert [c.to_dict() for c in again.capsules] == expected and again.services == services
    pods = translate_text(write_pods(capsules, services=services), "pods.yaml", strict=True)
    assert [c.to_dict() for c in pods.capsules] == expected and pods.services == services


def test_the_samples_folder_translates_as_one_input() -> None:
    translation = translate_paths([str(SAMPLES)])
    # The Deployment's one replica is named as Kubernetes names a Deployment's pods.
    assert sorted(f"{c.namespace}/{c.workload or c.name}" for c in translation.capsules) == [
        "None/init-demo", "None/resources-demo", "None/web-sidecar", "default/Deployment/api",
        "default/Deployment/frontend", "default/Deployment/frontend", "default/Deployment/web",
        "default/Job/count-words", "default/StatefulSet/store", "default/StatefulSet/store", "default/client",
        "default/redis",
        "shop/Deployment/web", "shop/Deployment/web", "shop/StatefulSet/db", "shop/StatefulSet/db",
    ]
    assert [f"{s.namespace}/{s.name}" for s in translation.services] == [
        "default/frontend", "default/frontend-public", "default/api", "default/store", "shop/web", "shop/db"]
    assert translation.secrets.of("default").keys("web-credentials") == ("password",)
