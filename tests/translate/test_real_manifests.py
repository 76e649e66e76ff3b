"""What real manifests carry, read as a cluster reads it (issue 12, "input that must be read",
"workloads must not change meaning" and a usable --strict).

Each case is the smallest reproduction of something seen in public manifests: Helm
output with empty documents, kinds capsule does not run, typed lists, apiVersions that
are wrong or belong to a custom resource, a StatefulSet whose pod volume is its claim,
a ReplicationController, workloads that run nothing, selectors that match their pods.
"""

from __future__ import annotations

import re
import subprocess
import textwrap

import pytest

from support.capsule_cli import capsule_command, capsule_containers, remove_capsule_leftovers
from translate.output import write_capsules
from translate.pod_fields import fill
from translate.spec import PersistentVolume
from translate.translation import Translation, TranslationFailed, translate_text

POD = """\
apiVersion: v1
kind: Pod
metadata: {name: web}
spec:
  containers: [{name: app, image: busybox:1.36}]
"""


def translate(text: str, *, strict: bool = False) -> Translation:
    return translate_text(textwrap.dedent(text), "app.yaml", strict=strict)


def failure(text: str, *, strict: bool = False) -> list[str]:
    with pytest.raises(TranslationFailed) as caught:
        translate(text, strict=strict)
    return [d.format() for d in caught.value.report.errors]


def said(translation: Translation) -> list[str]:
    return [d.format() for d in translation.report.diagnostics]


def test_empty_documents_are_skipped_as_kubectl_and_helm_skip_them() -> None:
    helm = POD + "---\n# Source: chart/templates/unused.yaml\n---\n---\n"
    translation = translate(helm)
    assert [c.name for c in translation.capsules] == ["web"] and said(translation) == []


@pytest.mark.parametrize(("kind", "api_version"), [
    ("APIService", "apiregistration.k8s.io/v1"), ("FlowSchema", "flowcontrol.apiserver.k8s.io/v1"),
    ("ValidatingAdmissionPolicy", "admissionregistration.k8s.io/v1"), ("Node", "v1"),
    ("ClusterRole", "rbac.authorization.k8s.io/v1"), ("ServiceAccount", "v1"),
    ("PodDisruptionBudget", "policy/v1"),
])
def test_built_in_kinds_with_no_meaning_here_are_skipped_and_do_not_fail_strict(kind: str, api_version: str) -> None:
    text = POD + f"---\napiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x}}\n"
    translation = translate(text, strict=True)
    assert [c.name for c in translation.capsules] == ["web"]
    assert said(translation) == [f"app.yaml:8:1: warning: kind: {kind} is skipped: it has no meaning on a Docker host"]


def test_a_skipped_kind_that_changes_how_the_application_runs_fails_strict() -> None:
    text = POD + "---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n"
    assert "warning: kind: Ingress is skipped" in said(translate(text))[0]
    assert any("error: kind: Ingress is skipped" in m for m in failure(text, strict=True))


def test_typed_lists_are_read_like_list_with_their_items_kind_and_apiversion() -> None:
    translation = translate("""\
        apiVersion: v1
        kind: ConfigMapList
        items:
          - metadata: {name: settings}
            data: {GREETING: hello}
        ---
        apiVersion: v1
        kind: PodList
        items:
          - metadata: {name: web}
            spec:
              containers:
                - {name: app, image: busybox:1.36, envFrom: [{configMapRef: {name: settings}}]}
    """)
    [capsule] = translation.capsules
    assert {e.name: e.value for e in capsule.containers[0].env}["GREETING"] == "hello"
    assert said(translation) == []


@pytest.mark.parametrize(("api_version", "kind", "message"), [
    ("v2", "Pod", "app.yaml:1:13: error: apiVersion: a Pod is v1, not v2 (write apiVersion: v1)"),
    ("batch/v1", "Deployment", "app.yaml:1:13: error: apiVersion: a Deployment is apps/v1, not batch/v1 "
                               "(write apiVersion: apps/v1)"),
    ("apps/v1", "Job", "app.yaml:1:13: error: apiVersion: a Job is batch/v1, not apps/v1 (write apiVersion: batch/v1)"),
    # A group without a dot cannot be a custom resource's: the same rule the dispatcher uses.
    ("foo/v1", "Deployment", "app.yaml:1:13: error: apiVersion: a Deployment is apps/v1, not foo/v1 "
                             "(write apiVersion: apps/v1)"),
])
def test_a_built_in_kind_with_an_apiversion_it_never_had_is_an_error(api_version: str, kind: str,
                                                                     message: str) -> None:
    template = "spec: {template: {spec: {containers: [{name: app, image: busybox}]}}}\n"
    body = "spec: {containers: [{name: app, image: busybox}]}\n" if kind == "Pod" else template
    assert failure(f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: web}}\n{body}") == [message]


def test_a_built_in_kind_without_apiversion_is_an_error() -> None:
    assert failure("kind: Pod\nmetadata: {name: web}\nspec: {containers: [{name: a, image: b}]}\n") == [
        "app.yaml:1:1: error: apiVersion: is required: a Pod is v1"]


def test_retired_apiversions_are_still_their_kind() -> None:
    translation = translate("""\
        apiVersion: extensions/v1beta1
        kind: Deployment
        metadata: {name: old}
        spec:
          template:
            metadata: {labels: {app: old}}
            spec: {containers: [{name: app, image: busybox:1.36}]}
    """)
    assert [c.workload for c in translation.capsules] == ["Deployment/old"]
    assert translation.capsules[0].name.startswith("old-")


def test_a_custom_resource_named_like_a_built_in_kind_is_skipped_not_read_as_it() -> None:
    text = POD + textwrap.dedent("""\
        ---
        apiVersion: batch.volcano.sh/v1alpha1
        kind: Job
        metadata: {name: training}
        spec: {tasks: [{replicas: 2}]}
    """)
    translation = translate(text)
    assert [c.name for c in translation.capsules] == ["web"]
    assert said(translation) == ["app.yaml:8:1: warning: kind: Job of batch.volcano.sh/v1alpha1 is a custom "
                                 "resource, skipped: capsule runs Pods and the pod templates of Deployment, "
                                 "ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job and CronJob"]


def test_a_statefulset_volume_named_like_its_claim_template_is_the_claim() -> None:
    translation = translate("""\
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db}
        spec:
          serviceName: db
          selector: {matchLabels: {app: db}}
          template:
            metadata: {labels: {app: db}}
            spec:
              containers:
                - {name: db, image: busybox:1.36, volumeMounts: [{name: datadir, mountPath: /data}]}
              volumes:
                - {name: datadir, persistentVolumeClaim: {claimName: datadir}}
          volumeClaimTemplates:
            - metadata: {name: datadir}
              spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
    """)
    [capsule] = translation.capsules
    assert [(v.name, v.source) for v in capsule.volumes] == [("datadir", PersistentVolume("datadir-db-0"))]
    assert any("spec.template.spec.volumes[0]: is ignored: the volumeClaimTemplate 'datadir' takes its place" in m
               for m in said(translation)), said(translation)


def test_a_replicationcontroller_is_read_like_a_replicaset() -> None:
    translation = translate("""\
        apiVersion: v1
        kind: ReplicationController
        metadata: {name: legacy}
        spec:
          replicas: 1
          selector: {app: legacy}
          template:
            metadata: {labels: {app: legacy}}
            spec: {containers: [{name: app, image: busybox:1.36}]}
    """, strict=True)
    [capsule] = translation.capsules
    assert re.fullmatch("legacy-[bcdfghjklmnpqrstvwxz2456789]{5}", capsule.name), capsule.name
    assert (capsule.workload, capsule.restart_policy, dict(capsule.labels)) == (
        "ReplicationController/legacy", "Always", {"app": "legacy"})


@pytest.mark.parametrize(("kind", "spec", "words"), [
    ("Deployment", "replicas: 0, template: {spec: {containers: [{name: a, image: b}]}}", "replicas: 0"),
    ("StatefulSet", "replicas: 0, template: {spec: {containers: [{name: a, image: b}]}}", "replicas: 0"),
    ("Job", "suspend: true, template: {spec: {restartPolicy: Never, containers: [{name: a, image: b}]}}",
     "suspend: true"),
    ("Job", "completions: 0, template: {spec: {restartPolicy: Never, containers: [{name: a, image: b}]}}",
     "completions: 0"),
    ("CronJob", "suspend: true, schedule: '* * * * *', jobTemplate: {spec: {template: {spec: "
                "{restartPolicy: Never, containers: [{name: a, image: b}]}}}}", "suspend: true"),
])
def test_a_workload_that_runs_nothing_in_a_cluster_makes_no_capsule(kind: str, spec: str, words: str) -> None:
    api = {"Deployment": "apps/v1", "StatefulSet": "apps/v1", "Job": "batch/v1", "CronJob": "batch/v1"}[kind]
    # Applied as written, so not a failure under --strict (a CronJob's schedule is still a warning).
    translation = translate(f"apiVersion: {api}\nkind: {kind}\nmetadata: {{name: idle}}\nspec: {{{spec}}}\n",
                            strict=kind != "CronJob")
    assert translation.capsules == []
    assert translation.runs_nothing == [f"{kind} idle: {words}"]
    assert [m for m in said(translation) if f"runs nothing ({words})" in m], said(translation)


def test_replicas_one_and_a_matching_selector_pass_strict_quietly() -> None:
    translation = translate("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, labels: {app: web}}
        spec:
          replicas: 1
          selector: {matchLabels: {app: web}, matchExpressions: [{key: tier, operator: In, values: [front]}]}
          template:
            metadata: {labels: {app: web, tier: front}}
            spec: {containers: [{name: app, image: busybox:1.36}]}
    """, strict=True)
    assert [c.workload for c in translation.capsules] == ["Deployment/web"] and said(translation) == []


def test_create_of_a_workload_that_runs_nothing_creates_nothing_and_says_so(tmp_path, capsule_home, unique_name,
                                                                             docker_engine) -> None:
    # A real engine, so that a regression (a capsule created after all) is seen there and removed.
    path = tmp_path / "idle.yaml"
    path.write_text(f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {unique_name}}}\n"
                    "spec: {replicas: 0, template: {spec: {containers: [{name: a, image: busybox:1.36}]}}}\n")
    try:
        result = subprocess.run(capsule_command() + ["create", "-f", str(path)], capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=60)
        assert result.returncode == 0, result.stderr
        assert f"nothing to create: Deployment {unique_name}: replicas: 0" in result.stderr
        assert result.stdout == ""
        assert capsule_containers(docker_engine.client, unique_name) == []
    finally:
        remove_capsule_leftovers(docker_engine.client, unique_name)


# --- exactness (items 16-18) -------------------------------------------------------------


def pod_with(container_extra: str) -> str:
    return ("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n"
            f"  containers: [{{name: app, image: busybox:1.36, {container_extra}}}]\n")


@pytest.mark.parametrize(("written", "fragment"), [
    ("1 Gi", "found '1 Gi', which is not a Kubernetes quantity: no spaces"),
    ("2GB", "found '2GB', which is not a Kubernetes quantity"),
    ("1K", "1K is written 1k"),
    ("8Ei", "more memory than an engine can be given"),
    ("1e1000", "more memory than an engine can be given"),
])
def test_kubernetes_memory_follows_kubernetes_grammar_and_fits_the_engine(written: str, fragment: str) -> None:
    [message] = failure(pod_with(f"resources: {{limits: {{memory: '{written}'}}}}"))
    assert "spec.containers[0].resources.limits.memory" in message and fragment in message, message


def test_kubernetes_cpu_must_fit_the_engine_and_minus_zero_is_zero() -> None:
    [message] = failure(pod_with("resources: {limits: {cpu: '1e300'}}"))
    assert "more CPU than an engine can be given" in message
    [capsule] = translate(pod_with("resources: {limits: {cpu: '-0', memory: 64Mi}}")).capsules
    assert capsule.containers[0].resources.limits.cpu == 0


def test_the_capsule_format_keeps_its_documented_byte_units() -> None:
    text = ("apiVersion: beta\nkind: capsule\nmetadata: {name: web}\nspec:\n"
            "  containers: [{name: app, image: busybox:1.36, resources: {limits: {memory: 512MB}}}]\n")
    assert translate(text).capsules[0].containers[0].resources.limits.memory == 512 * 10**6


@pytest.mark.parametrize("name", ["[v]", "{v: 1}"])
def test_a_volume_name_that_is_a_list_or_mapping_is_an_error_not_an_internal_one(name: str, tmp_path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n"
                    "  containers: [{name: app, image: busybox, volumeMounts: [{name: v, mountPath: /x}]}]\n"
                    f"  volumes: [{{name: {name}, emptyDir: {{}}}}]\n")
    for extra in ([], ["--to", "pod"]):
        result = subprocess.run(capsule_command() + ["translate", str(path), *extra], capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=60)
        assert result.returncode == 2 and "spec.volumes[0].name: found a" in result.stderr, result.stderr


def test_an_enormous_quantity_to_a_pod_is_an_error_not_an_internal_one(tmp_path) -> None:
    path = tmp_path / "pod.yaml"
    path.write_text(pod_with("resources: {limits: {memory: '1e1000', cpu: '1e300'}}"))
    result = subprocess.run(capsule_command() + ["translate", "--to", "pod", "-o", "json", str(path)],
                            capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == 2 and "more memory than an engine can be given" in result.stderr, result.stderr


def test_what_the_engine_refuses_is_an_error_at_translate_time() -> None:
    [relative] = failure(pod_with("workingDir: app"))
    assert "spec.containers[0].workingDir: found 'app', expected an absolute path" in relative
    [spaced] = failure(pod_with("command: [x]").replace("image: busybox:1.36", "image: 'busybox :1.36'"))
    assert "spec.containers[0].image: found 'busybox :1.36'" in spaced


def test_json_output_reads_again_unchanged_with_characters_yaml_treats_otherwise() -> None:
    # NEL (\x85) is a line break to YAML and DEL (\x7f) is not allowed unescaped; JSON takes both.
    translation = translate(pod_with('command: ["echo", "a\\x85b\\x7fc"]'))
    from translate.output import write_capsules

    written = write_capsules(translation.capsules, "json")
    assert "\\u0085" in written and "\\u007f" in written
    assert translate_text(written, "out.json").capsules == translation.capsules


def test_a_capsule_configmap_file_is_checked_by_its_name_not_its_text() -> None:
    text = ("apiVersion: beta\nkind: capsule\nmetadata: {name: web}\nspec:\n"
            "  containers: [{name: app, image: busybox:1.36}]\n"
            "  volumes: [{name: conf, configMap: {name: conf, files: {ok.txt: /etc/passwd, '': x}}}]\n")
    [message] = failure(text)
    assert "configMap.files.: found '', expected a relative path" in message, message
    ok = text.replace(", '': x", "")
    assert translate(ok).capsules[0].volumes[0].source.files == (("ok.txt", "/etc/passwd"),)


def test_a_variable_capsule_leaves_out_is_never_kept_as_literal_text() -> None:
    errors = failure("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
            - name: app
              image: busybox:1.36
              env:
                - {name: LABELS, valueFrom: {fieldRef: {fieldPath: metadata.labels}}}
                - {name: URL, value: "http://$(LABELS):8080"}
              command: [sh, -c, "echo $(LABELS) $(UNDEFINED)"]
    """)
    assert errors == [
        "app.yaml:10:30: error: spec.containers[0].env[1].value: refers to $(LABELS), which capsule leaves out "
        "(metadata.labels: only single labels, metadata.labels['key'], can be resolved); a cluster would put "
        "its value here (remove $(LABELS) from it, or set LABELS with a value)",
        "app.yaml:11:25: error: spec.containers[0].command[2]: refers to $(LABELS), which capsule leaves out "
        "(metadata.labels: only single labels, metadata.labels['key'], can be resolved); a cluster would put "
        "its value here (remove $(LABELS) from it, or set LABELS with a value)",
    ]  # $(UNDEFINED) stays as written, as the kubelet leaves it


def test_a_run_time_variable_is_kept_for_the_runtime_with_literal_text_protected() -> None:
    [capsule] = translate("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          containers:
            - name: app
              image: busybox:1.36
              env:
                - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
                - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
                - {name: URL, value: "http://$(POD_IP):8080/$(LATER)"}
                - {name: LATER, value: x}
              command: [sh, -c, "echo $(MEM) $$(MEM) $$$(MEM) $(UNDEFINED) $$"]
    """).capsules
    [app] = capsule.containers
    # The kubelet's syntax, for the runtime's expansion: $(MEM) its value, $$ a '$'.
    assert app.command[2] == "echo $(MEM) $$(MEM) $$$(MEM) $$(UNDEFINED) $"
    assert fill(app.command[2], {"MEM": "64"}) == "echo 64 $(MEM) $64 $(UNDEFINED) $"
    url = next(e.value for e in app.env if e.name == "URL")
    assert fill(url, {"POD_IP": "10.0.0.5", "MEM": "1"}) == "http://10.0.0.5:8080/$(LATER)"
    # The output is valid input that reads back the same.
    written = write_capsules((capsule,), "yaml")
    assert translate_text(written, "out.yaml").capsules == [capsule]


# --- Kubernetes' own validation (item 19) ------------------------------------------------


def test_a_null_in_args_is_an_empty_word_and_nothing_moves() -> None:
    [capsule] = translate(pod_with("args: [a, null, c]")).capsules
    assert capsule.containers[0].args == ("a", "", "c")


@pytest.mark.parametrize(("extra", "message"), [
    ("ports: [{containerPort: '8080'}]",
     "spec.containers[0].ports[0].containerPort: found a string ('8080'), expected a port number (remove the quotes)"),
])
def test_a_quoted_number_where_kubernetes_wants_a_number_is_an_error(extra: str, message: str) -> None:
    [error] = failure(pod_with(extra))
    assert message in error, error


def test_labels_kubernetes_would_refuse_and_annotations_that_are_not_text_are_errors() -> None:
    errors = failure("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          labels: {"bad key!": x, app: "has space", example.com/ok: fine, "-x/y": z}
          annotations: {count: 3, flag: true, text: "3"}
        spec:
          containers: [{name: app, image: busybox:1.36}]
    """)
    assert [e.split(": error: ", 1)[1].split(":", 1)[0] for e in errors] == [
        "metadata.labels.bad key!", "metadata.labels.app", "metadata.labels.-x/y",
        "metadata.annotations.count", "metadata.annotations.flag"]
    assert "is not a label value" in errors[1] and "found a number (3), expected a string" in errors[3]


def test_a_host_path_with_dot_dot_is_an_error() -> None:
    [error] = failure("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n"
                      "  containers: [{name: app, image: busybox, volumeMounts: [{name: h, mountPath: /h}]}]\n"
                      "  volumes: [{name: h, hostPath: {path: /var/../etc}}]\n")
    assert "spec.volumes[0].hostPath.path: '/var/../etc' contains '..'" in error


# --- messages (item 21) ------------------------------------------------------------------


def test_a_tab_in_the_indentation_is_called_a_tab() -> None:
    [error] = failure("apiVersion: v1\nkind: Pod\nmetadata:\n\tname: web\n")
    assert error == ("app.yaml:4:1: error: is not valid YAML: a tab in the indentation "
                     "(YAML indents with spaces only; replace the tab with spaces)")


def test_a_probe_command_written_as_text_gets_one_error_the_true_one() -> None:
    errors = failure(pod_with("livenessProbe: {exec: {command: 'cat /tmp/ok'}}"))
    assert len(errors) == 1 and "found a string ('cat /tmp/ok'), expected a list of strings" in errors[0]


@pytest.mark.parametrize("name", ["A=B", "", "TAB\\tNAME"])
def test_the_env_name_rule_in_the_message_is_the_rule_enforced(name: str) -> None:
    [error] = failure(pod_with(f'env: [{{name: "{name}", value: x}}]'))
    assert "is not a variable name: a name is printable ASCII characters except '=', at least one" in error
    # ... and what the rule allows is accepted: dots, dashes and spaces, as Kubernetes 1.30 takes them.
    [capsule] = translate(pod_with('env: [{name: "my.var-1 x", value: x}]')).capsules
    assert capsule.containers[0].env[0].name == "my.var-1 x"


def test_an_envfrom_prefix_with_an_equals_sign_is_an_error() -> None:
    text = ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n---\n"
            + pod_with("envFrom: [{configMapRef: {name: c}, prefix: 'P='}]"))
    [error] = failure(text)
    assert "envFrom[0].prefix: 'P=' is not a variable name prefix" in error


def test_the_file_level_error_comes_after_the_warnings_that_explain_it() -> None:
    messages = failure("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n")
    with pytest.raises(TranslationFailed) as caught:
        translate("apiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n")
    everything = [d.format() for d in caught.value.report.diagnostics]
    assert [m.split(": ", 2)[1] for m in everything] == ["warning", "error"], everything
    assert messages == [everything[-1]] and "has no capsule or Kubernetes workload" in messages[0]


def test_inside_a_list_a_well_known_custom_kind_is_skipped_and_a_typo_is_named() -> None:
    errors = failure("""\
        apiVersion: v1
        kind: List
        items:
          - {kind: Gateway, metadata: {name: g}}
          - {kind: Deploymnet, apiVersion: apps/v1, metadata: {name: d}}
    """)
    assert errors == ["app.yaml:5:12: error: items[1].kind: 'Deploymnet' is not a Kubernetes kind, and its "
                      "apiVersion apps/v1 names no custom resource group (did you mean 'Deployment'?)"]


def test_a_runtime_default_seccomp_or_apparmor_profile_is_what_capsule_does_and_passes_strict() -> None:
    """Issue 12, item 20: `seccompProfile: RuntimeDefault` failed --strict although nothing differs."""
    runtime_default = "{seccompProfile: {type: RuntimeDefault}, appArmorProfile: {type: RuntimeDefault}}"
    text = ("apiVersion: v1\nkind: Pod\nmetadata: {name: web}\n"
            f"spec:\n  securityContext: {runtime_default}\n"
            f"  containers: [{{name: app, image: busybox:1.36, securityContext: {runtime_default}}}]\n")
    assert said(translate(text, strict=True)) == []
    unconfined = text.replace("seccompProfile: {type: RuntimeDefault}", "seccompProfile: {type: Unconfined}", 1)
    # Unconfined is kept (capsule create refuses it without --allow-privileged); the
    # container's own RuntimeDefault wins over the pod's, as in Kubernetes.
    translation = translate(unconfined, strict=True)
    assert translation.capsules[0].containers[0].security_context.seccomp_profile == "RuntimeDefault"
    assert [m for m in said(translation) if "--allow-privileged" in m] == [
        "app.yaml:5:38: warning: spec.securityContext.seccompProfile.type: Unconfined runs the container "
        "without a seccomp filter, which weakens its isolation from the host; capsule create and update "
        "refuse this without --allow-privileged (pass --allow-privileged if this is meant)"]
