"""capsule → Pod → capsule is the identity on the normalized spec (`--to pod`).

The property test writes generated capsules with translate/kubernetes/pod_writer.py and reads
the text back with the Kubernetes reader, as `capsule translate` would read a file
someone ran `capsule translate --to pod` on. The example tests check that the output
is what the kubernetes package's own models accept, field for field.
"""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.strategies import capsule_lists, services, texts
from translate.diagnostics import Report, TranslationError
from translate.kubernetes import pod_annotations
from translate.kubernetes.format import read_kubernetes
from translate.kubernetes.pod_writer import PodWriteError, build_pods, format_memory, write_pods
from translate.kubernetes.variable_expansion import escape, expand
from translate.quantity import parse_memory
from translate.source import load_documents
from translate.spec import (
    Capsule,
    ConfigMapVolume,
    Container,
    EmptyDirVolume,
    EnvVar,
    NamedVolume,
    Port,
    Probe,
    ResourceAmounts,
    Resources,
    SecretKeyRef,
    SecretVolume,
    SecurityContext,
    Volume,
    VolumeMount,
)


def read_back(text: str) -> tuple[list[Capsule], Report]:
    report = Report()
    pairs, _secrets, _idle, _services, _objects = read_kubernetes(load_documents(text, "pods.yaml"), report, strict=True)
    return [capsule for capsule, _origin in pairs], report


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(found=st.lists(services(), max_size=3, unique_by=lambda s: (s.namespace, s.name)),
       fmt=st.sampled_from(["yaml", "json"]))
def test_services_to_v1_services_and_back_are_the_identity(found: list, fmt: str) -> None:
    text = write_pods([], fmt, found)
    report = Report()
    read = read_kubernetes(load_documents(text, "services.yaml"), report)
    # Not one warning but those a Service has anyway (no selector; a UDP port its proxy does not
    # relay): every field written is one a Service reads as it was.
    expected = []
    for service in found:
        if not service.selector:
            expected.append("is empty: the Service selects no capsule (capsule has no manual Endpoints)")
        if not service.headless:
            expected += [f"UDP port {p.port} is not relayed by the Service's proxy, which relays TCP only"
                         for p in service.ports if p.protocol == "UDP"]
    assert sorted(d.message for d in report.diagnostics) == sorted(expected)
    assert [f.service for f in read.services] == found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(capsules=capsule_lists(), fmt=st.sampled_from(["yaml", "json"]))
def test_capsule_to_pod_to_capsule_is_the_identity(capsules: list[Capsule], fmt: str) -> None:
    text = write_pods(capsules, fmt)
    back, report = read_back(text)
    # The Pod output reads back without a single warning, but those that say create refuses
    # a field without a flag (dangerous capabilities, driver options that reach the host):
    # the generated specs have such fields, and they are kept as written.
    refused = [d for d in report.diagnostics if "refuse this without --allow-" in d.message]
    assert [d.format() for d in report.diagnostics if d not in refused] == []
    assert [c.to_dict() for c in back] == [c.to_dict() for c in capsules]


@settings(max_examples=300, deadline=None)
@given(text=texts, values=st.dictionaries(st.sampled_from(["A", "B", "X_1"]), st.none() | texts))
def test_escaped_text_expands_to_itself(text: str, values: dict) -> None:
    assert expand(escape(text), values) == (text, ())


@pytest.mark.parametrize(
    ("text", "expanded"),
    [
        ("$(A)", "1"),
        ("$$(A)", "$(A)"),
        ("$(MISSING)", "$(MISSING)"),
        ("a$b", "a$b"),
        ("$(A", "$(A"),
        ("$$$", "$$"),
        ("x$(A)y$(A)", "x1y1"),
    ],
)
def test_expansion_follows_the_kubelet(text: str, expanded: str) -> None:
    assert expand(text, {"A": "1"}) == (expanded, ())


def test_expansion_reports_secret_variables() -> None:
    assert expand("pw=$(PW)", {"PW": None}) == ("pw=$(PW)", ("PW",))


@pytest.mark.parametrize(
    ("size", "text"),
    [(67108864, "64Mi"), (10**9, "1G"), (1536, "1536"), (3 * 2**30, "3Gi"), (0, "0"), (2000, "2k")],
)
def test_memory_is_written_in_its_shortest_exact_form(size: int, text: str) -> None:
    assert format_memory(size) == text
    assert parse_memory(text) == size


# --- example: every kind of field, checked against the kubernetes models ----------------


def rich_capsule() -> Capsule:
    probe = Probe(http_path="/healthz", http_port=8080, http_headers=(("X-Probe", "1"),))
    web = Container(
        name="web",
        image="busybox:1.36",
        command=("sh", "-c", "echo $HOME $(NOT_EXPANDED)"),
        work_dir="/srv",
        env=(EnvVar("MODE", value="prod"),
             EnvVar("PASSWORD", secret_ref=SecretKeyRef("db", "password"))),
        labels=(("team", "web"),),
        ports=(Port(8080, 8080, "TCP", "http"),),
        volume_mounts=(VolumeMount("data", "/data"), VolumeMount("conf", "/etc/app", True, "app.ini")),
        resources=Resources(ResourceAmounts(0.25, 64 * 2**20), ResourceAmounts(1.0, 10**9)),
        liveness_probe=probe,
        readiness_probe=Probe(tcp_port=8080, period_seconds=5),
        startup_probe=Probe(exec_command=("cat", "/tmp/ready"), failure_threshold=30),
        security_context=SecurityContext(capabilities_add=("NET_ADMIN",), run_as_user=1000),
    )
    init = Container(name="setup", image="busybox:1.36", command=("touch", "/data/ready"),
                     volume_mounts=(VolumeMount("data", "/data"),))
    return Capsule(
        name="shop",
        containers=(web,),
        init_containers=(init,),
        volumes=(
            Volume("data", NamedVolume("local", (("type", "tmpfs"),), 2**30)),
            Volume("conf", ConfigMapVolume("shop-config", (("app.ini", "[main]\nport=8080\n"),))),
            Volume("scratch", EmptyDirVolume("Memory", 64 * 2**20)),
            Volume("tls", SecretVolume("tls", (("tls.crt", "cert.pem"),))),
        ),
        labels=(("app", "shop"),),
        annotations=(("owner", "team-web"),),
        restart_policy="OnFailure",
        host_selector="node-1",
        host_labels=(("disk", "ssd"),),
        hostname="shop",
        share_process_namespace=True,
    )


def test_pod_output_is_accepted_by_the_kubernetes_models() -> None:
    from kubernetes.client import ApiClient

    api = ApiClient()
    documents = build_pods([rich_capsule()])
    assert [d["kind"] for d in documents] == ["ConfigMap", "Pod"]
    for document in documents:
        model = api._ApiClient__deserialize(document, f"V1{document['kind']}")
        # Serializing the model again gives the same document: every field we wrote is a
        # field of the model, with the type the API expects.
        assert api.sanitize_for_serialization(model) == document


def test_pod_output_carries_capsule_only_facts_in_annotations() -> None:
    pod = build_pods([rich_capsule()])[1]
    annotations = pod["metadata"]["annotations"]
    assert annotations["owner"] == "team-web"
    assert json.loads(annotations[pod_annotations.NAMED_VOLUMES]) == {
        "data": {"driver": "local", "driverOptions": {"type": "tmpfs"}, "size": 2**30}
    }
    assert json.loads(annotations[pod_annotations.CONTAINER_LABELS]) == {"web": {"team": "web"}}
    assert json.loads(annotations[pod_annotations.EXTERNAL_SECRETS]) == ["db", "tls"]
    spec = pod["spec"]
    assert spec["nodeName"] == "node-1" and spec["nodeSelector"] == {"disk": "ssd"}
    assert spec["volumes"][0] == {"name": "data", "emptyDir": {"sizeLimit": "1Gi"}}
    web = spec["containers"][0]
    # Kubernetes would expand $(NOT_EXPANDED); the escape keeps the literal text.
    assert web["command"] == ["sh", "-c", "echo $HOME $$(NOT_EXPANDED)"]
    assert web["resources"] == {"requests": {"cpu": "250m", "memory": "64Mi"},
                                "limits": {"cpu": "1", "memory": "1G"}}
    assert web["env"][1] == {"name": "PASSWORD",
                             "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}
    assert web["livenessProbe"]["httpGet"]["port"] == 8080


def test_inline_config_map_files_become_a_config_map_document() -> None:
    config_map = build_pods([rich_capsule()])[0]
    assert config_map == {"apiVersion": "v1", "kind": "ConfigMap",
                          "metadata": {"name": "shop-config"},
                          "data": {"app.ini": "[main]\nport=8080\n"}}


def test_two_volumes_filling_one_config_map_differently_keep_their_own_files() -> None:
    def capsule(name: str, text: str) -> Capsule:
        return Capsule(
            name=name,
            containers=(Container(name="c", image="busybox:1.36",
                                  volume_mounts=(VolumeMount("conf", "/conf"),)),),
            volumes=(Volume("conf", ConfigMapVolume("shared", (("conf/app.ini", text),))),),
        )

    capsules = [capsule("one", "a=1\n"), capsule("two", "a=2\n")]
    documents = build_pods(capsules)
    assert documents[0]["data"] == {"conf_app.ini": "a=1\n", "conf_app.ini-2": "a=2\n"}
    back, report = read_back(write_pods(capsules))
    assert report.diagnostics == []
    assert [c.to_dict() for c in back] == [c.to_dict() for c in capsules]


def test_secret_values_never_reach_the_pod_output() -> None:
    text = write_pods([rich_capsule()])
    assert yaml.safe_load_all(text)
    assert "secretKeyRef" in text and "secretName: tls" in text
    assert "data:\n  tls" not in text and "kind: Secret" not in text


def test_a_reserved_annotation_is_refused_with_a_message() -> None:
    capsule = Capsule(name="web", containers=(Container(name="c", image="busybox:1.36"),),
                      annotations=((pod_annotations.NAMED_VOLUMES, "{}"),))
    with pytest.raises(PodWriteError) as caught:
        build_pods([capsule])
    assert isinstance(caught.value, TranslationError)
    assert str(caught.value) == (
        "capsule 'web': error: metadata.annotations.capsule.dev/named-volumes: is reserved: "
        "capsule writes it in Pod output (rename the annotation)"
    )


def test_json_output_of_several_documents_is_a_kubernetes_list() -> None:
    body = json.loads(write_pods([rich_capsule()], "json"))
    assert body["kind"] == "List" and [i["kind"] for i in body["items"]] == ["ConfigMap", "Pod"]
    single = Capsule(name="solo", containers=(Container(name="c", image="busybox:1.36"),))
    assert json.loads(write_pods([single], "json"))["kind"] == "Pod"


def test_writing_pods_does_not_need_kubernetes_on_the_read_path() -> None:
    """The reader must not import the kubernetes package (import cost); the writer may."""
    import subprocess
    import sys

    code = (
        "import sys; from translate.translation import translate_text; "
        "translate_text('apiVersion: v1\\nkind: Pod\\nmetadata: {name: a}\\n"
        "spec: {containers: [{name: c, image: busybox:1.36, resources: {limits: {cpu: 250m}}}]}\\n'); "
        "print('kubernetes' in sys.modules, 'kubernetes.client' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_what_a_pod_cannot_express_is_refused_naming_the_capsule_and_field() -> None:
    """The capsule format is more lenient than Kubernetes in a few places."""
    capsule = Capsule(
        name="odd",
        containers=(Container(name="c", image="busybox:1.36",
                              ports=(Port(80, None, "TCP", "Web Port"),),
                              liveness_probe=Probe(tcp_port=80, success_threshold=2)),),
        init_containers=(Container(name="i", image="busybox:1.36",
                                   readiness_probe=Probe(tcp_port=1)),),
    )
    with pytest.raises(TranslationError) as caught:
        build_pods([capsule])
    assert [d.format() for d in caught.value.diagnostics] == [
        "capsule 'odd': error: spec.initContainers[0].readinessProbe: cannot be written as a Pod: "
        "is not allowed on an init container: it runs to completion (remove the probe, or make it a native "
        "sidecar (restartPolicy: Always))",
        "capsule 'odd': error: spec.containers[0].ports[0].name: cannot be written as a Pod: "
        "'Web Port' is not a port name: use at most 15 lower-case letters, digits and single '-', "
        "with at least one letter",
        "capsule 'odd': error: spec.containers[0].livenessProbe.successThreshold: cannot be written "
        "as a Pod: found 2, expected 1 for a livenessProbe (only a readinessProbe may need several "
        "successes)",
    ]


def test_an_empty_config_map_volume_stays_empty_beside_a_full_one() -> None:
    mounts = (VolumeMount("full", "/full"), VolumeMount("empty", "/empty"))
    capsule = Capsule(
        name="cm",
        containers=(Container(name="c", image="busybox:1.36", volume_mounts=mounts),),
        volumes=(Volume("full", ConfigMapVolume("shared", (("a.txt", "a\n"),))),
                 Volume("empty", ConfigMapVolume("shared", ()))),
    )
    pod = build_pods([capsule])[1]
    assert json.loads(pod["metadata"]["annotations"][pod_annotations.EMPTY_CONFIGMAPS]) == ["empty"]
    back, report = read_back(write_pods([capsule]))
    assert report.diagnostics == []
    assert [c.to_dict() for c in back] == [capsule.to_dict()]
