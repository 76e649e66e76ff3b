"""The Kubernetes reader (translate/kubernetes/format.py and its modules).

Plain pytest over inline manifests and the sample files: each kind, Lists and
multi-document files, ConfigMap and Secret resolution, envFrom, fieldRef, named probe
ports, restart policies, the three buckets (applied / ignored / rejected) with their
exact messages, strict mode, and that Secret values never leak.
"""

from __future__ import annotations

import re
import textwrap

import pytest
import yaml

from support.paths import SAMPLES
from translate.diagnostics import Report
from translate.kubernetes import fields as kf
from translate.kubernetes.format import read_kubernetes
from translate.secrets import SecretStore
from translate.source import load_documents, load_file
from translate.spec import (
    Capsule,
    ConfigMapKeyRef,
    ConfigMapVolume,
    EmptyDirVolume,
    EnvFromRef,
    EnvVar,
    FieldRef,
    HostPathVolume,
    NamedVolume,
    PersistentVolume,
    PodSecurityContext,
    Probe,
    ResourceFieldRef,
    SecretKeyRef,
    SecretVolume,
    SecurityContext,
)


def read(text: str, *, strict: bool = False) -> tuple[list[Capsule], Report, SecretStore]:
    report = Report()
    docs = load_documents(textwrap.dedent(text), "pod.yaml")
    pairs, secrets, _idle, _services, _objects = read_kubernetes(docs, report, strict=strict)
    return [capsule for capsule, _origin in pairs], report, secrets


def messages(report: Report) -> list[str]:
    return [d.format() for d in report.diagnostics]


def only(text: str, **kwargs) -> Capsule:
    capsules, report, _ = read(text, **kwargs)
    assert report.errors == [], messages(report)
    assert len(capsules) == 1
    return capsules[0]


def env(capsule: Capsule, container: int = 0) -> dict[str, EnvVar]:
    return {e.name: e for e in capsule.containers[container].env}


def workload(kind: str, api: str, *, spec_extra: str = "", pod_extra: str = "",
             cron: bool = False) -> str:
    """A `kind` object around a one-container pod template; the extras are YAML lines
    added under the object's spec and under the pod spec (line numbers shift by them)."""
    template = (
        "metadata:\n  labels: {app: web}\nspec:\n"
        + textwrap.indent(pod_extra, "  ")
        + "  containers:\n    - name: web\n      image: busybox:1.36\n"
    )
    if cron:
        wrapped = "  jobTemplate:\n    spec:\n      template:\n" + textwrap.indent(template, " " * 8)
    else:
        wrapped = "  template:\n" + textwrap.indent(template, "    ")
    return (
        f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: thing\n  labels: {{app: web}}\n"
        f"spec:\n{textwrap.indent(spec_extra, '  ')}{wrapped}"
    )


# --- kinds -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "api", "restart"),
    [
        ("Deployment", "apps/v1", "Always"),
        ("ReplicaSet", "apps/v1", "Always"),
        ("StatefulSet", "apps/v1", "Always"),
        ("DaemonSet", "apps/v1", "Always"),
        ("Job", "batch/v1", "OnFailure"),
    ],
)
def test_controllers_give_the_pod_template_the_object_name(kind: str, api: str, restart: str) -> None:
    capsules, report, _ = read(workload(kind, api))
    assert report.errors == []
    [capsule] = capsules  # replicas: 1 when not given
    # Named as Kubernetes names the pods of each kind (translate/replicas.py).
    name = {
        "Deployment": r"thing-[bcdfghjklmnpqrstvwxz2456789]{10}-[bcdfghjklmnpqrstvwxz2456789]{5}",
        "ReplicaSet": r"thing-[bcdfghjklmnpqrstvwxz2456789]{5}",
        "StatefulSet": r"thing-0",
    }.get(kind, "thing")
    assert re.fullmatch(name, capsule.name), capsule.name
    extra = {"Deployment": lambda: (("pod-template-hash", capsule.name.split("-")[1]),),
             "StatefulSet": lambda: (("statefulset.kubernetes.io/pod-name", "thing-0"),)}.get(kind, tuple)()
    assert capsule.labels == (("app", "web"),) + extra
    assert (capsule.namespace, capsule.workload) == ("default", f"{kind}/thing")
    assert capsule.restart_policy == restart
    assert [c.name for c in capsule.containers] == ["web"]


def test_cronjob_reads_the_job_template_and_ignores_the_schedule() -> None:
    text = workload("CronJob", "batch/v1", spec_extra="schedule: '*/5 * * * *'\n", cron=True)
    capsules, report, _ = read(text)
    assert [c.name for c in capsules] == ["thing"]
    assert capsules[0].restart_policy == "OnFailure"
    assert messages(report) == [
        "pod.yaml:7:3: warning: spec.schedule: is ignored: capsule has no scheduler: the job runs "
        "once, when the capsule is created"
    ]


def test_a_daemonset_warns_that_it_runs_once() -> None:
    _, report, _ = read(workload("DaemonSet", "apps/v1"))
    assert messages(report) == [
        "pod.yaml:2:1: warning: kind: DaemonSet runs one pod on every node; the capsule runs once, "
        "on one host (create one capsule per host with hostSelector)"
    ]


def test_a_pod_maps_its_pod_level_fields() -> None:
    capsule = only("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          labels: {app: web}
          annotations: {owner: me}
        spec:
          restartPolicy: Never
          nodeName: host-2
          nodeSelector: {disk: ssd}
          hostname: www
          shareProcessNamespace: true
          securityContext: {runAsUser: 1000, runAsGroup: 100}
          containers:
            - name: web
              image: busybox:1.36
            - name: root
              image: busybox:1.36
              securityContext: {runAsUser: 0}
    """)
    assert capsule.restart_policy == "Never"
    assert capsule.host_selector == "host-2"
    assert capsule.host_labels == (("disk", "ssd"),)
    assert capsule.hostname == "www"
    assert capsule.share_process_namespace is True
    assert capsule.annotations == (("owner", "me"),)
    # The pod's securityContext is a default; the container's own value wins.
    assert [(c.security_context.run_as_user, c.security_context.run_as_group)
            for c in capsule.containers] == [(1000, 100), (0, 100)]


def test_the_pod_security_context_merges_with_each_containers_own_as_kubernetes_does() -> None:
    capsule = only("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          securityContext:
            runAsUser: 1000
            runAsGroup: 100
            runAsNonRoot: true
            fsGroup: 2000
            fsGroupChangePolicy: OnRootMismatch
            supplementalGroups: [3000, 3001, 3000]
            seccompProfile: {type: RuntimeDefault}
            sysctls:
              - {name: net.ipv4.ip_unprivileged_port_start, value: "80"}
              - {name: kernel.shm_rmid_forced, value: "1"}
          containers:
            - name: web
              image: busybox:1.36
              securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true}
            - name: own
              image: busybox:1.36
              securityContext:
                runAsUser: 7
                runAsNonRoot: false
                allowPrivilegeEscalation: true
                seccompProfile: {type: Unconfined}
                capabilities: {drop: [ALL], add: [NET_BIND_SERVICE]}
    """)
    assert capsule.security_context == PodSecurityContext(
        supplemental_groups=(3000, 3001), fs_group=2000,
        sysctls=(("net.ipv4.ip_unprivileged_port_start", "80"), ("kernel.shm_rmid_forced", "1")),
    )
    assert [c.security_context for c in capsule.containers] == [
        SecurityContext(run_as_user=1000, run_as_group=100, run_as_non_root=True,
                        allow_privilege_escalation=False, read_only_root_filesystem=True),
        SecurityContext(run_as_user=7, run_as_group=100, run_as_non_root=False, seccomp_profile="Unconfined",
                        capabilities_add=("NET_BIND_SERVICE",), capabilities_drop=("ALL",)),
    ]


def test_unsafe_sysctls_and_localhost_profiles_are_errors_with_their_place() -> None:
    _capsules, report, _ = read("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          securityContext:
            sysctls: [{name: net.core.somaxconn, value: "1024"}]
            seccompProfile: {type: Localhost, localhostProfile: my.json}
          containers: [{name: web, image: busybox:1.36}]
    """)
    assert [d.format() for d in report.errors] == [
        "pod.yaml:6:22: error: spec.securityContext.sysctls[0].name: 'net.core.somaxconn' is not one of "
        "Kubernetes' safe sysctls, which the kubelet refuses unless the node allows it; capsule sets only the "
        "safe ones (the safe sysctls: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, "
        "net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start)",
        "pod.yaml:7:39: error: spec.securityContext.seccompProfile.localhostProfile: is not supported: capsule "
        "cannot place a profile file on the host (use type: RuntimeDefault)",
        "pod.yaml:7:28: error: spec.securityContext.seccompProfile.type: is not supported: capsule cannot place "
        "a profile file on the host (use type: RuntimeDefault, the engine's default profile)",
    ]


def test_list_items_and_several_documents_all_become_capsules() -> None:
    capsules, report, _ = read("""\
        apiVersion: v1
        kind: List
        items:
          - apiVersion: v1
            kind: Pod
            metadata: {name: one}
            spec: {containers: [{name: a, image: busybox:1.36}]}
          - apiVersion: v1
            kind: Pod
            metadata: {name: two}
            spec: {containers: [{name: a, image: busybox:1.36}]}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: three}
        spec: {containers: [{name: a, image: busybox:1.36}]}
    """)
    assert report.diagnostics == []
    assert [c.name for c in capsules] == ["one", "two", "three"]


def test_list_origins_name_the_item() -> None:
    report = Report()
    docs = load_documents("kind: List\napiVersion: v1\nitems:\n- kind: Pod\n  apiVersion: v1\n"
                          "  metadata: {name: a}\n  spec: {containers: [{name: c, image: x}]}\n",
                          "list.yaml")
    pairs, _, _idle, _services, _objects = read_kubernetes(docs, report)
    assert [origin for _c, origin in pairs] == ["list.yaml#1 items[0] Pod/a"]


def test_other_kinds_are_skipped_with_a_warning_naming_them() -> None:
    capsules, report, _ = read("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: web}
        ---
        apiVersion: networking.k8s.io/v1
        kind: Ingress
        metadata: {name: web}
    """)
    assert capsules == []
    assert messages(report) == [
        "pod.yaml:2:1: warning: kind: NetworkPolicy is skipped: capsule runs Pods and the pod templates "
        "of Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job and CronJob",
        "pod.yaml:6:1: warning: kind: Ingress is skipped: capsule runs Pods and the pod templates "
        "of Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job and CronJob",
    ]


def test_capsule_documents_are_left_to_the_capsule_reader() -> None:
    capsules, report, _ = read("apiVersion: beta\nkind: Capsule\nmetadata: {name: x}\n")
    assert capsules == [] and report.diagnostics == []


# --- restart policies ------------------------------------------------------------------


def test_a_job_may_not_restart_always() -> None:
    text = workload("Job", "batch/v1", pod_extra="restartPolicy: Always\n")
    capsules, report, _ = read(text)
    assert capsules == []
    assert messages(report) == [
        "pod.yaml:11:22: error: spec.template.spec.restartPolicy: found 'Always', expected "
        "OnFailure or Never (a Job's pods run to completion; Kubernetes allows OnFailure or Never)"
    ]


def test_a_job_keeps_never() -> None:
    text = workload("Job", "batch/v1", pod_extra="restartPolicy: Never\n")
    assert only(text).restart_policy == "Never"


def test_a_deployment_must_restart_always() -> None:
    text = workload("Deployment", "apps/v1", pod_extra="restartPolicy: OnFailure\n")
    _, report, _ = read(text)
    assert messages(report) == [
        "pod.yaml:11:22: error: spec.template.spec.restartPolicy: found 'OnFailure', expected "
        "Always (its pods always restart; use a Job or a Pod to run to completion)"
    ]


# --- ConfigMaps and Secrets ------------------------------------------------------------

DATA = """\
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: settings}
    data:
      MODE: production
      LEVEL: debug
      app.ini: |
        [main]
        port = 8080
    ---
    apiVersion: v1
    kind: Secret
    metadata: {name: db}
    data:
      password: czNjcjN0LXZhbHVl
    stringData:
      user: admin-user-value
    ---
"""


POD_HEAD = """\
apiVersion: v1
kind: Pod
metadata:
  name: app
  labels: {tier: back}
  annotations: {owner: team-a}
spec:
  containers:
    - name: app
      image: busybox:1.36
"""


def pod_with(container_yaml: str, volumes_yaml: str = "") -> str:
    """DATA, then a Pod whose container gets `container_yaml` from line 29 on."""
    text = textwrap.dedent(DATA) + POD_HEAD + textwrap.indent(textwrap.dedent(container_yaml), " " * 6)
    if volumes_yaml:
        text += "  volumes:\n" + textwrap.indent(textwrap.dedent(volumes_yaml), " " * 4)
    return text


def test_config_map_values_are_resolved_and_secret_values_stay_references() -> None:
    capsule = only(pod_with("""\
        env:
          - name: MODE
            valueFrom: {configMapKeyRef: {name: settings, key: MODE}}
          - name: PASSWORD
            valueFrom: {secretKeyRef: {name: db, key: password}}
          - name: PLAIN
            value: text
    """))
    assert env(capsule) == {
        "MODE": EnvVar("MODE", value="production"),
        "PASSWORD": EnvVar("PASSWORD", secret_ref=SecretKeyRef("db", "password")),
        "PLAIN": EnvVar("PLAIN", value="text"),
    }


def test_secret_documents_fill_the_store_from_data_and_string_data() -> None:
    capsules, report, secrets = read(pod_with("args: [sleep, '1']\n"))
    assert report.errors == []
    assert secrets.of("default").keys("db") == ("password", "user")
    assert secrets.of("default").value("db", "password") == b"s3cr3t-value"
    assert secrets.of("default").value("db", "user") == b"admin-user-value"


def test_env_from_expands_with_the_prefix_and_env_overrides_it() -> None:
    capsule = only(pod_with("""\
        envFrom:
          - configMapRef: {name: settings}
            prefix: CFG_
          - secretRef: {name: db}
        env:
          - name: CFG_LEVEL
            value: quiet
    """))
    assert list(env(capsule)) == ["CFG_LEVEL", "CFG_MODE", "CFG_app.ini", "password", "user"]
    assert env(capsule)["CFG_LEVEL"].value == "quiet"
    assert env(capsule)["CFG_MODE"].value == "production"
    assert env(capsule)["user"].secret_ref == SecretKeyRef("db", "user")


def test_field_refs_resolve_name_labels_and_annotations() -> None:
    capsule = only(pod_with("""\
        env:
          - name: POD
            valueFrom: {fieldRef: {fieldPath: metadata.name}}
          - name: TIER
            valueFrom: {fieldRef: {fieldPath: "metadata.labels['tier']"}}
          - name: OWNER
            valueFrom: {fieldRef: {fieldPath: 'metadata.annotations["owner"]'}}
          - name: ABSENT
            valueFrom: {fieldRef: {fieldPath: "metadata.labels['nope']"}}
    """))
    assert {n: e.value for n, e in env(capsule).items()} == {
        "POD": "app", "TIER": "back", "OWNER": "team-a", "ABSENT": "",
    }


def test_a_runtime_field_ref_stays_a_reference_for_the_runtime() -> None:
    capsules, report, _ = read(pod_with("""\
        env:
          - name: IP
            valueFrom: {fieldRef: {fieldPath: status.podIP}}
          - name: MEM
            valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1048576}}
    """))
    assert env(capsules[0])["IP"].field_ref == FieldRef("status.podIP")
    assert env(capsules[0])["MEM"].resource_ref == ResourceFieldRef("limits.memory", "1Mi")
    assert messages(report) == []


def test_a_whole_label_map_field_ref_is_left_out_with_a_warning() -> None:
    capsules, report, _ = read(pod_with("""\
        env:
          - name: L
            valueFrom: {fieldRef: {fieldPath: metadata.labels}}
    """))
    assert env(capsules[0]) == {}
    assert messages(report) == [
        "pod.yaml:31:34: warning: spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: is "
        "ignored: 'metadata.labels' cannot be resolved (only single labels, metadata.labels['key'], can "
        "be resolved); the variable L is left out"
    ]


def test_an_unknown_field_ref_is_an_error() -> None:
    _, report, _ = read(pod_with("""\
        env:
          - name: X
            valueFrom: {fieldRef: {fieldPath: metadata.nam}}
    """))
    assert messages(report) == [
        "pod.yaml:31:45: error: spec.containers[0].env[0].valueFrom.fieldRef.fieldPath: found "
        "'metadata.nam', expected metadata.name, metadata.namespace, metadata.uid, metadata.labels['key'], "
        "metadata.annotations['key'], spec.nodeName, spec.serviceAccountName, status.podIP, status.podIPs, "
        "status.hostIP or status.hostIPs"
    ]


def test_variables_in_command_and_env_are_expanded_as_the_kubelet_does() -> None:
    capsule = only(pod_with("""\
        command: [sh, -c, "echo $(MODE) $(UNKNOWN) $$(MODE) $HOME"]
        env:
          - name: MODE
            value: fast
          - name: DERIVED
            value: "$(MODE)-mode"
    """))
    container = capsule.containers[0]
    assert container.command == ("sh", "-c", "echo fast $(UNKNOWN) $(MODE) $HOME")
    assert env(capsule)["DERIVED"].value == "fast-mode"


def test_a_variable_holding_a_secret_is_not_expanded_into_the_spec() -> None:
    _, report, _ = read(pod_with("""\
        args: ["--password=$(PASSWORD)"]
        env:
          - name: PASSWORD
            valueFrom: {secretKeyRef: {name: db, key: password}}
    """))
    assert messages(report) == [
        "pod.yaml:29:14: error: spec.containers[0].args[0]: refers to $(PASSWORD), which holds a "
        "Secret value that capsule does not write into a spec (read the variable in the program "
        "instead, e.g. sh -c 'echo $NAME')"
    ]


KEPT = ("which is not in the input; the reference is kept (capsule create resolves it from the other files "
        "given with it or from a {noun} created before (capsule create -f {kind}.yaml); set optional: true if "
        "it may be missing)")


def test_a_config_map_not_in_the_input_is_kept_as_a_reference_with_a_warning() -> None:
    capsules, report, _ = read(pod_with("""\
        env:
          - name: A
            valueFrom: {configMapKeyRef: {name: nowhere, key: A}}
          - name: B
            valueFrom: {configMapKeyRef: {name: nowhere, key: B, optional: true}}
          - name: C
            valueFrom: {configMapKeyRef: {name: settings, key: NOPE}}
    """))
    # A key missing from a ConfigMap of the input is still an error: nothing can add it later.
    assert capsules == []
    assert messages(report) == [
        "pod.yaml:31:41: warning: spec.containers[0].env[0].valueFrom.configMapKeyRef.name: refers "
        "to ConfigMap 'default/nowhere', " + KEPT.format(noun="ConfigMap", kind="configmap"),
        "pod.yaml:35:62: error: spec.containers[0].env[2].valueFrom.configMapKeyRef.key: "
        "ConfigMap 'settings' has no key 'NOPE' (its keys are: LEVEL, MODE, app.ini)",
    ]
    capsule = only(pod_with("""\
        env:
          - name: A
            valueFrom: {configMapKeyRef: {name: nowhere, key: A}}
          - name: B
            valueFrom: {configMapKeyRef: {name: nowhere, key: B, optional: true}}
        envFrom: [{configMapRef: {name: elsewhere}, prefix: P_}]
    """))
    assert env(capsule) == {"A": EnvVar("A", config_ref=ConfigMapKeyRef("nowhere", "A")),
                            "B": EnvVar("B", config_ref=ConfigMapKeyRef("nowhere", "B", optional=True))}
    assert capsule.containers[0].env_from == (EnvFromRef("ConfigMap", "elsewhere", "P_"),)
    assert capsule.to_dict()["spec"]["containers"][0]["envFrom"] == [
        {"configMapRef": {"name": "elsewhere"}, "prefix": "P_"}]


def test_a_secret_not_in_the_input_is_kept_as_a_reference_with_a_warning() -> None:
    capsules, report, _ = read(pod_with("""\
        env:
          - name: A
            valueFrom: {secretKeyRef: {name: vault, key: token}}
          - name: B
            valueFrom: {secretKeyRef: {name: vault, key: token, optional: true}}
    """))
    assert messages(report) == [
        "pod.yaml:31:38: warning: spec.containers[0].env[0].valueFrom.secretKeyRef.name: refers to "
        "Secret 'default/vault', " + KEPT.format(noun="Secret", kind="secret"),
    ]
    assert [e.secret_ref for e in capsules[0].containers[0].env if e.name in ("A", "B")] == [
        SecretKeyRef("vault", "token"), SecretKeyRef("vault", "token", optional=True)]


def test_create_reads_missing_references_without_a_warning() -> None:
    docs = load_documents(textwrap.dedent(pod_with("""\
        env: [{name: A, valueFrom: {secretKeyRef: {name: vault, key: token}}}]
    """)), "pod.yaml")
    report = Report()
    read_kubernetes(docs, report, warn_missing=False)
    assert messages(report) == []


def test_config_maps_from_another_document_order_still_resolve() -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: c\n" \
          "    image: busybox:1.36\n    envFrom: [{configMapRef: {name: late}}]\n---\n"
    capsule = only(pod + "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: late}\ndata: {K: v}\n")
    assert env(capsule) == {"K": EnvVar("K", value="v")}


def test_bad_base64_names_the_key_and_never_the_value() -> None:
    _, report, _ = read("""\
        apiVersion: v1
        kind: Secret
        metadata: {name: broken}
        data:
          token: "hunter2-is-not-base64!"
          pin: 123456
    """)
    assert messages(report) == [
        "pod.yaml:5:10: error: data.token: is not valid base64 (base64-encode the value, or put "
        "the plain text under stringData)",
        "pod.yaml:6:8: error: data.pin: found a number, expected a string (quote the value)",
    ]
    assert not any("hunter2" in m or "123456" in m for m in messages(report))


def test_config_map_binary_data_is_decoded() -> None:
    capsule = only("""\
        apiVersion: v1
        kind: ConfigMap
        metadata: {name: bin}
        binaryData: {motd: aGVsbG8K}
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec:
          containers: [{name: c, image: busybox:1.36, volumeMounts: [{name: m, mountPath: /m}]}]
          volumes: [{name: m, configMap: {name: bin}}]
    """)
    assert capsule.volumes[0].source == ConfigMapVolume("bin", (("motd", "hello\n"),))


# --- volumes -----------------------------------------------------------------------------


def test_volumes_of_every_supported_kind() -> None:
    capsule = only(pod_with(
        """\
        volumeMounts:
          - {name: conf, mountPath: /etc/app, readOnly: true}
          - {name: creds, mountPath: /run/creds}
          - {name: scratch, mountPath: /tmp}
          - {name: cache, mountPath: /cache, subPath: app}
          - {name: logs, mountPath: /var/log/host}
          - {name: data, mountPath: /data}
        """,
        """\
        - name: conf
          configMap:
            name: settings
            defaultMode: 0600
            items: [{key: app.ini, path: conf/app.ini}]
        - name: creds
          secret: {secretName: db, items: [{key: password, path: pw}]}
        - name: scratch
          emptyDir: {medium: Memory, sizeLimit: 64Mi}
        - name: cache
          emptyDir: {}
        - name: logs
          hostPath: {path: /var/log, type: Directory}
        - name: data
          persistentVolumeClaim: {claimName: app-data}
        """,
    ))
    sources = {v.name: v.source for v in capsule.volumes}
    assert sources == {
        "conf": ConfigMapVolume("settings", (("conf/app.ini", "[main]\nport = 8080\n"),), 0o600),
        "creds": SecretVolume("db", (("password", "pw"),)),
        "scratch": EmptyDirVolume("Memory", 64 * 2**20),
        "cache": EmptyDirVolume(),
        "logs": HostPathVolume("/var/log", "Directory"),
        "data": PersistentVolume("app-data"),
    }
    mounts = capsule.containers[0].volume_mounts
    assert (mounts[0].read_only, mounts[3].sub_path) == (True, "app")


def test_a_config_map_volume_without_items_inlines_every_key() -> None:
    capsule = only(pod_with("volumeMounts: [{name: conf, mountPath: /c}]\n",
                            "- {name: conf, configMap: {name: settings}}\n"))
    assert [path for path, _text in capsule.volumes[0].source.files] == ["LEVEL", "MODE", "app.ini"]


def test_config_map_and_secret_volumes_not_in_the_input_are_kept_as_references() -> None:
    capsules, report, _ = read(pod_with(
        "volumeMounts: [{name: a, mountPath: /a}, {name: b, mountPath: /b}]\n",
        """\
        - {name: a, configMap: {name: absent, items: [{key: k, path: sub/k.txt}]}}
        - {name: b, secret: {secretName: absent}}
        - {name: c, configMap: {name: absent, optional: true}}
        - {name: d, secret: {secretName: absent, optional: true}}
        """,
    ))
    assert messages(report) == [
        "pod.yaml:31:29: warning: spec.volumes[0].configMap.name: refers to ConfigMap 'default/absent', "
        + KEPT.format(noun="ConfigMap", kind="configmap"),
        "pod.yaml:32:26: warning: spec.volumes[1].secret.secretName: refers to Secret 'default/absent', "
        + KEPT.format(noun="Secret", kind="secret"),
    ]
    assert [v.source for v in capsules[0].volumes] == [
        ConfigMapVolume("absent", (), resolved=False, items=(("k", "sub/k.txt"),)),
        SecretVolume("absent"),
        ConfigMapVolume("absent", (), resolved=False, optional=True),
        SecretVolume("absent", optional=True),
    ]
    # The normalized document keeps the reference, and reads back to the same spec.
    assert capsules[0].to_dict()["spec"]["volumes"][0] == {
        "name": "a", "configMap": {"name": "absent", "defaultMode": 420, "items": [{"key": "k", "path": "sub/k.txt"}]}}


def test_statefulset_claim_templates_become_persistent_volumes() -> None:
    capsule = only("""\
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db}
        spec:
          template:
            spec:
              containers:
                - name: db
                  image: busybox:1.36
                  volumeMounts: [{name: data, mountPath: /data}]
          volumeClaimTemplates:
            - metadata: {name: data}
    """)
    assert [(v.name, v.source) for v in capsule.volumes] == [("data", PersistentVolume("data-db-0"))]


# --- containers --------------------------------------------------------------------------


def test_container_fields_are_applied() -> None:
    capsule = only(pod_with("""\
        imagePullPolicy: Always
        command: [sh]
        args: [-c, "sleep 1"]
        workingDir: /srv
        stdin: true
        tty: true
        ports:
          - {name: http, containerPort: 8080, hostPort: 80}
          - {containerPort: 53, protocol: UDP}
        resources:
          requests: {cpu: 250m, memory: 64Mi}
          limits: {cpu: 1, memory: 1G}
        securityContext:
          privileged: true
          capabilities: {add: [NET_ADMIN], drop: [ALL]}
          readOnlyRootFilesystem: true
    """))
    c = capsule.containers[0]
    assert (c.image_pull_policy, c.command, c.args, c.work_dir, c.stdin, c.tty) == (
        "Always", ("sh",), ("-c", "sleep 1"), "/srv", True, True)
    assert [(p.name, p.container_port, p.host_port, p.protocol) for p in c.ports] == [
        ("http", 8080, 80, "TCP"), (None, 53, None, "UDP")]
    assert c.resources.to_dict() == {"requests": {"cpu": 0.25, "memory": 67108864},
                                     "limits": {"cpu": 1.0, "memory": 1000000000}}
    s = c.security_context
    assert (s.privileged, s.capabilities_add, s.capabilities_drop, s.read_only_root_filesystem) == (
        True, ("NET_ADMIN",), ("ALL",), True)


def test_capabilities_create_refuses_are_warned_about_in_a_workload_and_kept() -> None:
    text = workload("Deployment", "apps/v1", pod_extra=(
        "initContainers:\n"
        "  - name: trace\n"
        "    image: busybox:1.36\n"
        "    securityContext:\n"
        "      capabilities: {add: [SYS_PTRACE, CAP_BPF, chown]}\n"))
    capsules, report, _ = read(text, strict=True)
    assert messages(report) == [
        "pod.yaml:15:28: warning: spec.template.spec.initContainers[0].securityContext.capabilities.add: adds "
        "SYS_PTRACE, BPF, which break the container's isolation from the host; capsule create and update refuse "
        "this without --allow-privileged (pass --allow-privileged if this is meant)"
    ]
    [capsule] = capsules
    assert capsule.init_containers[0].security_context.capabilities_add == ("SYS_PTRACE", "CAP_BPF", "chown")


def test_a_named_volume_annotation_with_a_local_bind_is_warned_about() -> None:
    # `--to pod` carries a capsule named volume in the capsule.dev/named-volumes annotation:
    # the one way a manifest reaches the local driver's options.
    capsules, report, _ = read("""\
        apiVersion: v1
        kind: Pod
        metadata:
          name: web
          annotations:
            capsule.dev/named-volumes: '{"root":{"driver":"local","driverOptions":{"device":"/etc","o":"bind","type":"none"}}}'
        spec:
          containers:
            - {name: web, image: busybox:1.36}
          volumes:
            - {name: root, emptyDir: {}}
        """, strict=True)
    assert messages(report) == [
        "pod.yaml:11:7: warning: spec.volumes[0]: the local driver options device=/etc,o=bind,type=none (given in "
        "the capsule.dev/named-volumes annotation) bind-mount the host path /etc; capsule create and update "
        "refuse this without --allow-host-path (pass --allow-host-path if this is meant)"
    ]
    [capsule] = capsules
    assert capsule.volumes[0].source == NamedVolume("local", (("device", "/etc"), ("o", "bind"), ("type", "none")))


def test_the_default_pull_policy_follows_kubernetes() -> None:
    capsule = only("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n"
                   "  - {name: a, image: busybox}\n  - {name: b, image: busybox:1.36}\n")
    assert [c.image_pull_policy for c in capsule.containers] == ["Always", "IfNotPresent"]


def test_probes_resolve_named_ports_and_fill_kubernetes_defaults() -> None:
    capsule = only(pod_with("""\
        ports: [{name: http, containerPort: 8080}]
        livenessProbe:
          httpGet: {path: /healthz, port: http, httpHeaders: [{name: X-Probe, value: "1"}]}
          periodSeconds: 5
        readinessProbe:
          tcpSocket: {port: 8080}
          successThreshold: 2
        startupProbe:
          exec: {command: [cat, /tmp/ready]}
    """))
    c = capsule.containers[0]
    assert c.liveness_probe.to_dict() == {
        "httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP",
                    "httpHeaders": [{"name": "X-Probe", "value": "1"}]},
        "initialDelaySeconds": 0, "periodSeconds": 5, "timeoutSeconds": 1,
        "successThreshold": 1, "failureThreshold": 3,
    }
    assert (c.readiness_probe.tcp_port, c.readiness_probe.success_threshold) == (8080, 2)
    assert c.startup_probe.exec_command == ("cat", "/tmp/ready")


def test_a_probe_naming_an_unknown_port_is_an_error() -> None:
    _, report, _ = read(pod_with("""\
        ports: [{name: http, containerPort: 8080}]
        livenessProbe:
          tcpSocket: {port: htp}
    """))
    assert messages(report) == [
        "pod.yaml:31:27: error: spec.containers[0].livenessProbe.tcpSocket.port: 'htp' names no "
        "port of this container (use a port number, or one of the named ports: http)"
    ]


def test_grpc_probes_are_read_with_their_service() -> None:
    capsule = only(pod_with("""\
        livenessProbe:
          grpc: {port: 9555}
        readinessProbe:
          grpc: {port: 9555, service: hipstershop.CartService}
          periodSeconds: 2
        startupProbe:
          grpc: {port: 9555, service: "", mode: Plaintext}
    """))
    tls = only(pod_with("readinessProbe:\n  grpc: {port: 9555, mode: TLS}\n")).containers[0].readiness_probe
    assert tls == Probe(grpc_port=9555, grpc_tls=True) and tls.to_dict()["grpc"] == {"port": 9555, "mode": "TLS"}
    c = capsule.containers[0]
    assert c.liveness_probe == Probe(grpc_port=9555)
    assert c.readiness_probe.to_dict() == {
        "grpc": {"port": 9555, "service": "hipstershop.CartService"},
        "initialDelaySeconds": 0, "periodSeconds": 2, "timeoutSeconds": 1,
        "successThreshold": 1, "failureThreshold": 3,
    }
    assert c.startup_probe == Probe(grpc_port=9555)  # "" asks for the server's overall health, as none does


@pytest.mark.parametrize(("grpc", "error"), [
    ("{service: cart}", "spec.containers[0].livenessProbe.grpc.port: is required: expected a port number"),
    ("{port: 0}", "spec.containers[0].livenessProbe.grpc.port: found 0, expected a port number from 1 to 65535"),
    ("{port: 70000}",
     "spec.containers[0].livenessProbe.grpc.port: found 70000, expected a port number from 1 to 65535"),
    ("{port: grpc}", "spec.containers[0].livenessProbe.grpc.port: found 'grpc', expected a port number (a grpc "
                     "probe's port is a number in Kubernetes, never a port's name)"),
    ("{port: '9555'}", "spec.containers[0].livenessProbe.grpc.port: found a string ('9555'), expected a port "
                       "number (remove the quotes)"),
    ("{port: 9555, service: 7}", "spec.containers[0].livenessProbe.grpc.service: found a number (7), expected the "
                                 "name of a gRPC service (quote the value)"),
    ("{port: 9555, mode: tls}", "spec.containers[0].livenessProbe.grpc.mode: found 'tls', expected Plaintext or TLS"),
])
def test_bad_grpc_probes_are_errors_with_the_place(grpc: str, error: str) -> None:
    capsules, report, _ = read(pod_with(f"""\
        ports: [{{name: grpc, containerPort: 9555}}]
        livenessProbe:
          grpc: {grpc}
    """))
    found = messages(report)
    assert len(found) == 1 and found[0].startswith("pod.yaml:31:") and error in found[0], found


def test_init_containers_run_in_order_and_may_not_have_probes() -> None:
    capsules, report, _ = read("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec:
          initContainers:
            - {name: first, image: busybox:1.36}
            - name: second
              image: busybox:1.36
              readinessProbe: {exec: {command: ["true"]}}
          containers: [{name: main, image: busybox:1.36}]
    """)
    assert messages(report) == [
        "pod.yaml:9:7: error: spec.initContainers[1].readinessProbe: is not allowed on an init "
        "container: it runs to completion (remove the probe, or make it a native sidecar (restartPolicy: Always))"
    ]
    capsule = only("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  initContainers:\n"
                   "  - {name: one, image: busybox:1.36}\n  - {name: two, image: busybox:1.36}\n"
                   "  containers: [{name: main, image: busybox:1.36}]\n")
    assert [c.name for c in capsule.init_containers] == ["one", "two"]


# --- the three buckets -------------------------------------------------------------------


def test_ignored_fields_are_warnings_that_say_why() -> None:
    capsules, report, _ = read("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          minReadySeconds: 3
          strategy: {type: Recreate}
          template:
            metadata: {labels: {app: web}}
            spec:
              dnsPolicy: ClusterFirst
              serviceAccountName: web
              terminationGracePeriodSeconds: 5
              containers:
                - name: web
                  image: busybox:1.36
                  lifecycle: {preStop: {exec: {command: [sleep, "5"]}}}
                  resources: {claims: [{name: gpu}]}
    """)
    assert [c.workload for c in capsules] == ["Deployment/web"]
    assert messages(report) == [
        "pod.yaml:5:3: warning: spec.minReadySeconds: is ignored: capsule replaces a capsule by its own "
        "upgrade order",
        "pod.yaml:6:3: warning: spec.strategy: is ignored: capsule replaces a capsule by its own "
        "upgrade order",
        "pod.yaml:10:7: warning: spec.template.spec.dnsPolicy: is ignored: containers use the "
        "Docker engine's DNS",
        "pod.yaml:11:7: warning: spec.template.spec.serviceAccountName: is ignored: capsule has no "
        "service accounts; fieldRef spec.serviceAccountName gives this name",
        "pod.yaml:12:7: warning: spec.template.spec.terminationGracePeriodSeconds: is ignored: "
        "capsule stops containers with the engine's stop timeout",
        "pod.yaml:16:11: warning: spec.template.spec.containers[0].lifecycle: is ignored: "
        "postStart and preStop hooks are not run",
        "pod.yaml:17:23: warning: spec.template.spec.containers[0].resources.claims: is ignored: "
        "capsule has no dynamic resource allocation",
    ]
    buckets = {(o.path, o.bucket) for o in report.outcomes}
    assert ("spec.minReadySeconds", "ignored") in buckets
    assert ("spec.template.spec.containers[0].image", "applied") in buckets


def test_values_capsule_already_has_are_applied_quietly() -> None:
    _, report, _ = read(workload("Deployment", "apps/v1", spec_extra="revisionHistoryLimit: null\n",
                                 pod_extra="hostNetwork: false\nsetHostnameAsFQDN: false\n"))
    assert report.diagnostics == []
    assert {(o.path, o.note) for o in report.outcomes} >= {
        ("spec.revisionHistoryLimit", "empty"),
        ("spec.template.spec.hostNetwork", "capsule behaves this way already"),
        ("spec.template.spec.setHostnameAsFQDN", "capsule behaves this way already"),
    }


def test_unknown_fields_are_warnings_with_a_suggestion() -> None:
    _, report, _ = read(pod_with("comand: [sh]\nimagePullPolicy: Always\n"))
    assert messages(report) == [
        "pod.yaml:29:7: warning: spec.containers[0].comand: is not a field of a container "
        "(did you mean 'command'?)"
    ]


def test_rejected_fields_are_errors_naming_file_line_column_and_field() -> None:
    capsules, report, _ = read("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: web}
        spec:
          hostNetwork: true
          containers:
            - name: web
              image: busybox:1.36
              ports: [{containerPort: 80, hostIP: 127.0.0.1}]
              resources:
                limits: {cpu: two}
              volumeMounts: [{name: data, mountPath: data}, {name: nfs, mountPath: /n}]
          volumes:
            - {name: data, emptyDir: {}}
            - {name: nfs, nfs: {server: files, path: /}}
    """)
    assert capsules == []
    assert messages(report) == [
        "pod.yaml:5:3: error: spec.hostNetwork: is not supported: capsule's sandbox owns the "
        "network, IPC and process namespaces (remove hostNetwork, publish ports with hostPort)",
        "pod.yaml:15:19: error: spec.volumes[1].nfs: is not supported: it needs cluster storage; "
        "capsule volumes are Docker volumes, host paths, ConfigMaps or Secrets (use a "
        "persistentVolumeClaim, which capsule makes a Docker volume, or a hostPath)",
        "pod.yaml:9:35: error: spec.containers[0].ports[0].hostIP: is not supported: capsule "
        "publishes host ports on every host address (remove hostIP, or firewall the port on the host)",
        "pod.yaml:12:46: error: spec.containers[0].volumeMounts[0].mountPath: 'data' is not an "
        "absolute path (start it with /)",
        "pod.yaml:11:23: error: spec.containers[0].resources.limits.cpu: found 'two', which is not "
        "a quantity; expected CPU cores such as 0.5, 2 or 250m",
    ]


def test_names_and_duplicates_are_checked() -> None:
    _, report, _ = read("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: Web_1}
        spec:
          containers:
            - {name: a, image: busybox:1.36, ports: [{containerPort: 80, hostPort: 8080}]}
            - {name: a, image: busybox:1.36, ports: [{containerPort: 81, hostPort: 8080}]}
    """)
    assert messages(report) == [
        "pod.yaml:3:18: error: metadata.name: 'Web_1' is not a DNS-1123 subdomain: use lower-case "
        "letters, digits, '-' and '.', each part between dots starting and ending with a letter or digit",
        "pod.yaml:7:14: error: spec.containers[1].name: container name 'a' is used twice in this pod "
        "(give each container its own name)",
        "pod.yaml:7:76: error: spec.containers[1].ports[0].hostPort: hostPort 8080/TCP is already "
        "published by container 'a' (use another hostPort)",
    ]


def test_two_workloads_with_one_name_are_an_error() -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec: {containers: [{name: c, image: x}]}\n"
    capsules, report, _ = read(pod + "---\n" + pod)
    assert len(capsules) == 1
    assert messages(report) == [
        "pod.yaml:8:18: error: metadata.name: a Pod named 'a' is already defined in namespace 'default' "
        "at pod.yaml:3 (give each workload its own name)"
    ]


def test_strict_mode_turns_warnings_into_errors() -> None:
    text = workload("Deployment", "apps/v1", spec_extra="paused: true\n")
    capsules, report, _ = read(text, strict=True)
    assert capsules == []
    assert messages(report) == [
        "pod.yaml:7:3: error: spec.paused: is ignored: capsule replaces a capsule by its own upgrade order"
    ]
    assert [o.bucket for o in report.outcomes if o.path == "spec.paused"] == ["rejected"]


# --- secrets never leak -----------------------------------------------------------------


def test_secret_values_appear_neither_in_specs_nor_in_messages() -> None:
    secret_values = ["s3cr3t-value", "czNjcjN0LXZhbHVl", "admin-user-value"]
    capsules, report, secrets = read(pod_with(
        """\
        envFrom: [{secretRef: {name: db}}]
        env:
          - {name: PW, valueFrom: {secretKeyRef: {name: db, key: password}}}
          - {name: BAD, valueFrom: {secretKeyRef: {name: db, key: nope}}}
        volumeMounts: [{name: creds, mountPath: /creds}]
        """,
        "- {name: creds, secret: {secretName: db}}\n",
    ))
    assert messages(report) == [
        "pod.yaml:32:65: error: spec.containers[0].env[1].valueFrom.secretKeyRef.key: Secret "
        "'default/db' has no key 'nope' (its keys are: password, user)"
    ]
    fixed, report, secrets = read(pod_with(
        """\
        envFrom: [{secretRef: {name: db}}]
        env:
          - {name: PW, valueFrom: {secretKeyRef: {name: db, key: password}}}
        volumeMounts: [{name: creds, mountPath: /creds}]
        """,
        "- {name: creds, secret: {secretName: db}}\n",
    ))
    dumped = yaml.safe_dump([c.to_dict() for c in fixed])
    said = "\n".join(messages(report)) + repr(secrets) + repr(fixed)
    for value in secret_values:
        assert value not in dumped
        assert value not in said


# --- samples and tables ------------------------------------------------------------------


def test_the_deployment_sample_reads_with_its_config_map_and_secret() -> None:
    report = Report()
    pairs, secrets, _idle, _services, _objects = read_kubernetes(load_file(str(SAMPLES / "deployment.yaml")), report)
    assert report.errors == []
    [(capsule, origin)] = pairs
    assert origin == f"{SAMPLES / 'deployment.yaml'}#4 Deployment/web"
    container = capsule.containers[0]
    # POD_NAME (fieldRef metadata.name) is the replica's own name, as in a cluster.
    assert container.args == (f'echo "hello from a ConfigMap, I am {capsule.name}"; exec httpd -f -v -p 8080 -h /www',)
    assert capsule.name.startswith("web-") and capsule.workload == "Deployment/web"
    assert env(capsule)["PASSWORD"].secret_ref == SecretKeyRef("web-credentials", "password")
    assert container.liveness_probe.http_port == 8080
    assert capsule.volumes[0].source.files[0][0] == "index.html"
    assert secrets.of("default").keys("web-credentials") == ("password",)
    assert report.warnings == []  # its selector matches its pods' labels: what capsule does anyway


# Kubernetes model -> the table that must cover every one of its fields.
TABLES = [
    ("V1PodSpec", kf.POD_SPEC_FIELDS),
    ("V1Container", kf.CONTAINER_FIELDS),
    ("V1ContainerPort", kf.PORT_FIELDS),
    ("V1VolumeMount", kf.MOUNT_FIELDS),
    ("V1ResourceRequirements", kf.RESOURCES_FIELDS),
    ("V1SecurityContext", kf.SECURITY_CONTEXT_FIELDS),
    ("V1PodSecurityContext", kf.POD_SECURITY_CONTEXT_FIELDS),
    ("V1Capabilities", kf.CAPABILITIES_FIELDS),
    ("V1SeccompProfile", kf.SECCOMP_PROFILE_FIELDS),
    ("V1Sysctl", kf.SYSCTL_FIELDS),
    ("V1EnvVar", kf.ENV_VAR_FIELDS),
    ("V1EnvVarSource", kf.ENV_VAR_SOURCE_FIELDS),
    ("V1ConfigMapKeySelector", kf.KEY_SELECTOR_FIELDS),
    ("V1SecretKeySelector", kf.KEY_SELECTOR_FIELDS),
    ("V1ObjectFieldSelector", kf.FIELD_SELECTOR_FIELDS),
    ("V1EnvFromSource", kf.ENV_FROM_FIELDS),
    ("V1ConfigMapEnvSource", kf.ENV_FROM_REF_FIELDS),
    ("V1SecretEnvSource", kf.ENV_FROM_REF_FIELDS),
    ("V1Probe", kf.PROBE_FIELDS),
    ("V1ExecAction", kf.EXEC_FIELDS),
    ("V1HTTPGetAction", kf.HTTP_GET_FIELDS),
    ("V1HTTPHeader", kf.HTTP_HEADER_FIELDS),
    ("V1TCPSocketAction", kf.TCP_SOCKET_FIELDS),
    ("V1GRPCAction", kf.GRPC_FIELDS),
    ("V1Volume", kf.VOLUME_FIELDS),
    ("V1EmptyDirVolumeSource", kf.EMPTY_DIR_FIELDS),
    ("V1HostPathVolumeSource", kf.HOST_PATH_FIELDS),
    ("V1ConfigMapVolumeSource", kf.CONFIG_MAP_VOLUME_FIELDS),
    ("V1SecretVolumeSource", kf.SECRET_VOLUME_FIELDS),
    ("V1KeyToPath", kf.KEY_TO_PATH_FIELDS),
    ("V1PersistentVolumeClaimVolumeSource", kf.PVC_VOLUME_FIELDS),
    ("V1ObjectMeta", kf.METADATA_FIELDS),
    ("V1DeploymentSpec", kf.DEPLOYMENT_FIELDS),
    ("V1ReplicaSetSpec", kf.REPLICASET_FIELDS),
    ("V1StatefulSetSpec", kf.STATEFULSET_FIELDS),
    ("V1DaemonSetSpec", kf.DAEMONSET_FIELDS),
    ("V1JobSpec", kf.JOB_FIELDS),
    ("V1CronJobSpec", kf.CRONJOB_FIELDS),
    ("V1JobTemplateSpec", kf.JOB_TEMPLATE_FIELDS),
    ("V1PodTemplateSpec", kf.POD_TEMPLATE_FIELDS),
    ("V1ConfigMap", kf.CONFIG_MAP_FIELDS),
    ("V1Secret", kf.SECRET_FIELDS),
    ("V1PersistentVolumeClaim", kf.CLAIM_TEMPLATE_FIELDS),
]


@pytest.mark.parametrize(("model", "table"), TABLES, ids=[m for m, _ in TABLES])
def test_the_field_tables_cover_every_field_of_the_kubernetes_models(model: str, table: dict) -> None:
    import kubernetes.client

    fields = set(getattr(kubernetes.client, model).attribute_map.values())
    assert sorted(fields - set(table)) == []


def test_an_init_container_with_restart_policy_always_is_a_native_sidecar() -> None:
    capsule = only("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec:
          initContainers:
            - {name: setup, image: busybox:1.36}
            - {name: proxy, image: busybox:1.36, restartPolicy: Always}
            - {name: migrate, image: busybox:1.36}
          containers: [{name: main, image: busybox:1.36}]
    """)
    assert [(c.name, c.sidecar) for c in capsule.init_containers] == [
        ("setup", False), ("proxy", True), ("migrate", False)]
    assert not capsule.containers[0].sidecar
    written = capsule.to_dict()["spec"]["initContainers"]
    assert [c.get("restartPolicy") for c in written] == [None, "Always", None]


def test_a_sidecar_restart_policy_other_than_always_is_an_error_with_its_place() -> None:
    _capsules, report, _ = read("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec:
          initContainers:
            - {name: proxy, image: busybox:1.36, restartPolicy: OnFailure}
          containers:
            - {name: main, image: busybox:1.36, restartPolicy: Always}
    """)
    assert messages(report) == [
        "pod.yaml:6:57: error: spec.initContainers[0].restartPolicy: found 'OnFailure', expected Always: "
        "an init container's restartPolicy can only make it a sidecar "
        "(remove restartPolicy for an ordinary init container)",
        "pod.yaml:8:41: error: spec.containers[0].restartPolicy: is allowed only on an init container "
        "(a native sidecar) (remove restartPolicy; containers restart by the pod's restartPolicy)",
    ]


def test_a_native_sidecar_may_have_every_probe_as_kubernetes_allows() -> None:
    capsule = only("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec:
          initContainers:
            - name: proxy
              image: busybox:1.36
              restartPolicy: Always
              startupProbe: {tcpSocket: {port: 15021}}
              readinessProbe: {tcpSocket: {port: 15021}}
              livenessProbe: {exec: {command: ["true"]}}
          containers: [{name: main, image: busybox:1.36}]
    """)
    proxy = capsule.init_containers[0]
    assert proxy.sidecar and proxy.startup_probe.tcp_port == 15021 and proxy.readiness_probe.tcp_port == 15021
    assert proxy.liveness_probe.exec_command == ("true",)
