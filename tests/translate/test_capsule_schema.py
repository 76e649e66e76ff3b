"""translate/capsule.schema.json describes the normalized capsule document exactly.

The schema is checked against the writer from both sides: everything the writer
produces (the samples, and generated specs) validates, and documents broken by hand
in the ways users break them are rejected. `capsule translate --print-schema` prints
the packaged file unchanged.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from importlib import resources
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator

from support.capsule_cli import capsule_command
from support.paths import SAMPLES
from support.strategies import capsules, services
from translate.translation import translate_paths

SCHEMA = json.loads(resources.files("translate").joinpath("capsule.schema.json").read_text("utf-8"))
VALIDATOR = Draft202012Validator(SCHEMA)


def problems(document: Any) -> list[str]:
    """Every schema error, as 'path: message', so a failure says what and where."""
    return [
        f"{'/'.join(str(p) for p in error.absolute_path) or '<root>'}: {error.message}"
        for error in VALIDATOR.iter_errors(document)
    ]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.yaml")))
def test_every_sample_normalized_validates(name: str) -> None:
    translation = translate_paths([str(SAMPLES / name)])
    for written in translation.capsules + translation.services:
        # Through JSON, as a script validating `capsule translate -o json` would see it.
        document = json.loads(json.dumps(written.to_dict()))
        assert problems(document) == [], written.name


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(capsules())
def test_every_generated_spec_validates(capsule) -> None:
    assert problems(json.loads(json.dumps(capsule.to_dict()))) == []


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(services())
def test_every_generated_service_validates(service) -> None:
    assert problems(json.loads(json.dumps(service.to_dict()))) == []


@pytest.mark.parametrize(("change", "expected"), [
    (lambda d: d["spec"].update(type="ExternalName"),
     "spec/type: 'ExternalName' is not one of ['ClusterIP', 'NodePort', 'LoadBalancer']"),
    (lambda d: d["spec"].update(clusterIP="10.0.0.1"), "spec/clusterIP: 'None' was expected"),
    (lambda d: d["spec"]["ports"][0].update(targetPort="HTTP"),
     "spec/ports/0/targetPort: 'HTTP' is not valid under any of the given schemas"),
    (lambda d: d["metadata"].update(name="1web"), "metadata/name: '1web' does not match '^[a-z]([-a-z0-9]*[a-z0-9])?$'"),
    (lambda d: d["metadata"].pop("namespace"), "metadata: 'namespace' is a required property"),
])
def test_a_broken_service_document_is_rejected(change, expected: str) -> None:
    from translate.spec import Service, ServicePort

    document = Service("web", "shop", (("app", "web"),), (ServicePort(80, "http", "TCP", "http"),)).to_dict()
    assert problems(document) == []
    change(document)
    assert problems(document) == [expected]


def _web() -> dict[str, Any]:
    return translate_paths([str(SAMPLES / "web-sidecar.yaml")]).capsules[0].to_dict()


def _broken(change) -> dict[str, Any]:
    document = copy.deepcopy(_web())
    change(document)
    return document


def test_the_unbroken_base_document_validates() -> None:
    # The hand-broken cases below start from it: they fail for their change alone.
    assert problems(_web()) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(lambda d: d["spec"]["containers"][0]["resources"]["limits"].update(cpu="250m"),
                     "spec/containers/0/resources/limits/cpu: '250m' is not of type 'number'", id="cpu-as-text"),
        pytest.param(lambda d: d["spec"]["containers"][0]["resources"]["limits"].update(memory=33554432.5),
                     "spec/containers/0/resources/limits/memory: 33554432.5 is not of type 'integer'",
                     id="memory-not-integer"),
        pytest.param(lambda d: d["spec"]["containers"][1].update(comand=["sh"]),
                     "spec/containers/1: Additional properties are not allowed ('comand' was unexpected)",
                     id="unknown-container-field"),
        pytest.param(lambda d: d["spec"].update(restartPolicy="Sometimes"),
                     "spec/restartPolicy: 'Sometimes' is not one of ['Always', 'OnFailure', 'Never']",
                     id="bad-restart-policy"),
        pytest.param(lambda d: d["spec"]["containers"][0]["ports"][0].update(hostPort=70000),
                     "spec/containers/0/ports/0/hostPort: 70000 is greater than the maximum of 65535",
                     id="host-port-out-of-range"),
        pytest.param(lambda d: d["spec"]["containers"][0]["ports"][0].update(protocol="tcp"),
                     "spec/containers/0/ports/0/protocol: 'tcp' is not one of ['TCP', 'UDP']",
                     id="protocol-not-normalized"),
        pytest.param(lambda d: d["metadata"].update(name="Web_Sidecar"),
                     "metadata/name: 'Web_Sidecar' does not match "
                     "'^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'",
                     id="name-not-dns-1123"),
        pytest.param(lambda d: d["spec"]["containers"][0].update(env={"A": "1"}),
                     "spec/containers/0/env: {'A': '1'} is not of type 'array'", id="env-as-map"),
        pytest.param(lambda d: d["spec"]["containers"].clear(),
                     "spec/containers: [] should be non-empty", id="no-containers"),
        pytest.param(lambda d: d.update(restartPolicy="Always"),
                     "<root>: Additional properties are not allowed ('restartPolicy' was unexpected)",
                     id="top-level-field-not-normalized"),
    ],
)
def test_hand_broken_documents_are_rejected(change, expected: str) -> None:
    assert expected in problems(_broken(change))


def test_an_env_var_needs_exactly_one_of_value_and_value_from() -> None:
    both = {"name": "A", "value": "x", "valueFrom": {"secretKeyRef": {"name": "s", "key": "k"}}}
    neither = {"name": "A"}
    for env in (both, neither):
        document = _broken(lambda d, env=env: d["spec"]["containers"][0].update(env=[env]))
        assert any(p.startswith("spec/containers/0/env/0: ") for p in problems(document)), env


def test_a_volume_needs_exactly_one_source() -> None:
    two = _broken(lambda d: d["spec"]["volumes"][0].update(emptyDir={}))
    assert any(p.startswith("spec/volumes/0: ") for p in problems(two))
    size_on_empty_dir = _broken(lambda d: d["spec"]["volumes"].__setitem__(
        0, {"name": "html", "emptyDir": {}, "size": 10}))
    assert any(p.startswith("spec/volumes/0: ") for p in problems(size_on_empty_dir))


def test_print_schema_prints_the_packaged_file() -> None:
    argv = capsule_command()
    result = subprocess.run(argv + ["translate", "--print-schema"], capture_output=True, text=True,
                            timeout=60, env=dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == SCHEMA
    assert result.stderr == ""


def test_print_schema_does_not_import_jsonschema() -> None:
    code = (
        "import sys, io, contextlib\n"
        "from capsule_tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    code = main(['translate', '--print-schema'])\n"
        "assert code in (0, None), code\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('jsonschema', 'textual', 'docker', 'httpx', 'kubernetes')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
