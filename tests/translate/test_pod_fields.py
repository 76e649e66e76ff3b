"""Run-time variables in the spec (translate/pod_fields.py): the text the readers write
is what the runtime expands back, in the capsule format, through `--to pod` and back.
"""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from support.strategies import texts
from translate.kubernetes.pod_writer import write_pods
from translate.pod_fields import divisor_problem, fill, protect, resource_value
from translate.translation import TranslationFailed, translate_text

PLACEHOLDERS = {"\0a\0": "A", "\0b\0": "B"}


@settings(max_examples=300, deadline=None)
@given(parts=st.lists(texts | st.sampled_from(list(PLACEHOLDERS)) | st.sampled_from(["$", "$$", "$(A)", "$("]),
                      max_size=6))
@example(parts=["a$", "\0a\0"])  # a '$' just before a reference
@example(parts=["$(A)", "$$", "\0b\0", "$(B"])
def test_protected_text_fills_to_the_literal_text_with_the_values(parts: list[str]) -> None:
    values = {"A": "1.2.3.4", "B": "$(A)"}
    written = protect("".join(parts), PLACEHOLDERS)
    assert fill(written, values) == "".join(values[PLACEHOLDERS[p]] if p in PLACEHOLDERS else p for p in parts)


@pytest.mark.parametrize(("resource", "divisor", "cpu", "memory", "value"), [
    ("limits.cpu", "1", 0.25, None, "1"),
    ("limits.cpu", "1m", 0.25, None, "250"),
    ("limits.memory", "1", None, 67108864, "67108864"),
    ("limits.memory", "1Mi", None, 67108865, "65"),
    ("requests.memory", "1k", None, 1500, "2"),
    ("requests.cpu", "1", None, None, "0"),
])
def test_resource_values_are_rounded_up_as_the_kubelet_does(
    resource: str, divisor: str, cpu: float | None, memory: int | None, value: str
) -> None:
    assert resource_value(resource, divisor, cpu, memory) == value


def test_divisors_are_those_kubernetes_allows() -> None:
    assert divisor_problem("limits.cpu", "1m") is None
    assert divisor_problem("limits.memory", "1Gi") is None
    assert divisor_problem("limits.cpu", "1Mi") == (
        "'1Mi' is not a divisor of limits.cpu: expected one of 1, 1m")


POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers:
    - name: app
      image: busybox:1.36
      command: [sh, -c, "echo $(POD_IP) $$(POD_IP) $(NODE) $$$$"]
      env:
        - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
        - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
        - {name: CPU, valueFrom: {resourceFieldRef: {containerName: app, resource: limits.cpu, divisor: 1m}}}
"""


def test_run_time_variables_survive_capsule_to_pod_to_capsule() -> None:
    [capsule] = translate_text(POD, "pod.yaml").capsules
    [back] = translate_text(write_pods([capsule], "yaml"), "back.yaml").capsules
    assert back.to_dict() == capsule.to_dict()
    assert fill(back.containers[0].command[2], {"POD_IP": "ip", "NODE": "n", "CPU": "1"}) == "echo ip $(POD_IP) n $$"


def test_a_capsule_file_takes_only_run_time_fields_and_allowed_divisors() -> None:
    text = """\
apiVersion: beta
kind: capsule
metadata: {name: web}
spec:
  containers:
    - name: app
      image: busybox:1.36
      env:
        - {name: A, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
        - {name: B, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 3}}}
        - {name: C, valueFrom: {resourceFieldRef: {resource: limits.gpu}}}
"""
    with pytest.raises(TranslationFailed) as caught:
        translate_text(text, "web.yaml")
    assert [d.format() for d in caught.value.report.errors] == [
        "web.yaml:9:55: error: spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: found 'metadata.name', "
        "expected one of status.podIP, status.podIPs, status.hostIP, status.hostIPs, spec.nodeName, metadata.uid "
        "(a capsule file writes other values directly, as value)",
        "web.yaml:10:86: error: spec.containers[0].env[1].valueFrom.resourceFieldRef.divisor: '3' is not a "
        "divisor of limits.memory: expected one of 1, 1k, 1M, 1G, 1T, 1P, 1E, 1Ki, 1Mi, 1Gi, 1Ti, 1Pi, 1Ei",
        "web.yaml:11:62: error: spec.containers[0].env[2].valueFrom.resourceFieldRef.resource: found 'limits.gpu', "
        "expected one of limits.cpu, limits.memory, requests.cpu, requests.memory",
    ]
