"""Names as Kubernetes takes them: DNS subdomains (`my.app.v2`) for Pods, Deployments, Jobs and
capsules; DNS labels for StatefulSets (their pods' hostnames), containers and namespaces;
DNS-1035 labels for Services. Translate output with such a name reads back the same.
"""

from __future__ import annotations

import json
import textwrap
from importlib import resources

import pytest
from jsonschema import Draft202012Validator

from translate.output import write_capsules
from translate.translation import TranslationFailed, translate_text

SCHEMA = Draft202012Validator(json.loads(
    resources.files("translate").joinpath("capsule.schema.json").read_text("utf-8")))


def workload(kind: str, name: str, container: str = "main") -> str:
    pod_spec = f"containers: [{{name: {container}, image: busybox:1.36}}]"
    if kind == "Pod":
        return f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec: {{{pod_spec}}}\n"
    api = "batch/v1" if kind == "Job" else "apps/v1"
    restart = ", restartPolicy: Never" if kind == "Job" else ""
    selector = "" if kind == "Job" else "  selector: {matchLabels: {app: x}}\n"
    return (f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: {name}}}\nspec:\n{selector}"
            f"  template:\n    metadata: {{labels: {{app: x}}}}\n    spec: {{{pod_spec}{restart}}}\n")


def errors(text: str) -> list[str]:
    with pytest.raises(TranslationFailed) as caught:
        translate_text(text, "app.yaml")
    return [d.format() for d in caught.value.report.errors]


@pytest.mark.parametrize("kind", ["Pod", "Deployment", "ReplicaSet", "Job", "DaemonSet"])
def test_a_dotted_name_is_taken_where_kubernetes_takes_it(kind: str) -> None:
    capsules = translate_text(workload(kind, "my.app.v2"), "app.yaml").capsules
    assert capsules and all(c.name.startswith("my.app.v2") for c in capsules)
    written = write_capsules(capsules, "yaml")
    assert translate_text(written, "out.yaml").capsules == capsules
    for capsule in capsules:
        assert list(SCHEMA.iter_errors(json.loads(json.dumps(capsule.to_dict())))) == []


def test_a_deployment_names_its_replicas_under_the_dotted_name() -> None:
    text = workload("Deployment", "my.app.v2").replace("spec:\n", "spec:\n  replicas: 2\n", 1)
    names = [c.name for c in translate_text(text, "app.yaml").capsules]
    assert len(names) == 2 and all(n.startswith("my.app.v2-") and len(n) <= 63 for n in names)


@pytest.mark.parametrize(("text", "message"), [
    (workload("StatefulSet", "my.db"),
     "app.yaml:3:18: error: metadata.name: 'my.db' is not a DNS-1123 label: use lower-case letters, digits "
     "and '-', starting and ending with a letter or digit"),
    (workload("Pod", "my..app"),
     "app.yaml:3:18: error: metadata.name: 'my..app' is not a DNS-1123 subdomain: use lower-case letters, "
     "digits, '-' and '.', each part between dots starting and ending with a letter or digit"),
    (workload("Pod", "web", container="my.c"),
     "app.yaml:4:28: error: spec.containers[0].name: 'my.c' is not a DNS-1123 label: use lower-case "
     "letters, digits and '-', starting and ending with a letter or digit"),
    (workload("Pod", "web") + "---\napiVersion: v1\nkind: Service\nmetadata: {name: my.svc}\n"
     "spec: {selector: {app: x}, ports: [{port: 80}]}\n",
     "app.yaml:8:18: error: metadata.name: 'my.svc' is not a DNS-1035 label: use lower-case letters, digits "
     "and '-', starting with a letter, ending with a letter or digit"),
])
def test_names_kubernetes_keeps_strict_stay_strict(text: str, message: str) -> None:
    assert message in errors(text)


def test_a_capsule_file_takes_a_dotted_name_and_suggests_one_for_a_bad_name() -> None:
    text = textwrap.dedent("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: NAME}
        spec:
          containers: [{name: main, image: busybox:1.36}]
    """)
    assert translate_text(text.replace("NAME", "my.app.v2"), "c.yaml").capsules[0].name == "my.app.v2"
    assert errors(text.replace("NAME", "My_App.V2")) == [
        "app.yaml:3:18: error: metadata.name: 'My_App.V2' is not a DNS-1123 subdomain: use lower-case "
        "letters, digits, '-' and '.', each part between dots starting and ending with a letter or digit "
        "(for example 'my-app.v2')"
    ]


def test_a_cron_job_takes_a_dotted_name_of_at_most_52_characters() -> None:
    def cron_job(name: str) -> str:
        return (f"apiVersion: batch/v1\nkind: CronJob\nmetadata: {{name: {name}}}\nspec:\n  schedule: '* * * * *'\n"
                "  jobTemplate:\n    spec:\n      template:\n        spec:\n          restartPolicy: Never\n"
                "          containers: [{name: main, image: busybox:1.36}]\n")
    assert translate_text(cron_job("my.job"), "app.yaml").capsules[0].name == "my.job"
    assert errors(cron_job("a." + "b" * 51)) == [
        "app.yaml:3:18: error: metadata.name: is 53 characters long; at most 52 are allowed"]
