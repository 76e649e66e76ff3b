"""Whole applications from Kubernetes manifests (issue 11), the translate layer.

Services (v1 and the capsule format's `kind: service`), namespaces, and replicas named
as Kubernetes names them but stable: what each reads, what it refuses with file, line,
column and field, what --strict does, and that the output reads back the same.
"""

from __future__ import annotations

import json
import re
import subprocess
import textwrap

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.capsule_cli import capsule_command
from support.strategies import capsules, services
from translate.output import write_capsules
from translate.replicas import ALPHABET, MAX_REPLICAS, MAX_REPLICAS_PER_FILE, replica_name, replica_names, template_hash
from translate.spec import PersistentVolume, Service, ServicePort
from translate.translation import Translation, TranslationFailed, translate_text

SUFFIX = f"[{ALPHABET}]"


def translate(text: str, *, strict: bool = False, file: str = "app.yaml") -> Translation:
    return translate_text(textwrap.dedent(text), file, strict=strict)


def said(translation: Translation) -> list[str]:
    return [d.format() for d in translation.report.diagnostics]


def failure(text: str, *, strict: bool = False) -> list[str]:
    with pytest.raises(TranslationFailed) as caught:
        translate(text, strict=strict)
    return [d.format() for d in caught.value.report.errors]


def deployment(name: str = "web", *, replicas: str = "", namespace: str = "", kind: str = "Deployment",
               api: str = "apps/v1", image: str = "busybox:1.36", extra: str = "") -> str:
    meta = f"{{name: {name}" + (f", namespace: {namespace}" if namespace else "") + "}"
    return (f"apiVersion: {api}\nkind: {kind}\nmetadata: {meta}\nspec:\n"
            + (f"  replicas: {replicas}\n" if replicas else "") + extra
            + f"  template:\n    metadata: {{labels: {{app: {name}}}}}\n"
            f"    spec: {{containers: [{{name: app, image: {image}}}]}}\n")


SERVICE = """\
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop, labels: {tier: front}}
spec:
  selector: {app: web}
  ports:
    - {name: http, port: 80, targetPort: http}
    - {name: dns, port: 53, protocol: UDP}
"""

# --- replicas ------------------------------------------------------------------------------


def test_a_deployment_makes_one_capsule_per_replica_named_as_kubernetes_names_its_pods() -> None:
    translation = translate(deployment(replicas="3", namespace="shop"))
    names = [c.name for c in translation.capsules]
    assert len(names) == len(set(names)) == 3
    [hash_] = {name.split("-")[1] for name in names}
    for capsule in translation.capsules:
        assert re.fullmatch(f"web-{SUFFIX}{{10}}-{SUFFIX}{{5}}", capsule.name), capsule.name
        assert dict(capsule.labels) == {"app": "web", "pod-template-hash": hash_}
        assert (capsule.namespace, capsule.workload) == ("shop", "Deployment/web")
    assert said(translation) == []


def test_replica_names_are_stable_and_follow_namespace_name_and_template() -> None:
    def names(text: str) -> list[str]:
        return [c.name for c in translate(text).capsules]

    first = names(deployment(replicas="2"))
    assert names(deployment(replicas="2")) == first  # the same input, the same names
    assert names(deployment(replicas="3"))[:2] == first  # scaling up keeps the replicas there were
    assert names(deployment(replicas="2", namespace="other")) != first
    changed = names(deployment(replicas="2", image="busybox:1.37"))
    assert changed[0].split("-")[1] != first[0].split("-")[1]  # a new template: a new pod-template-hash


@pytest.mark.parametrize(("kind", "api"), [("ReplicaSet", "apps/v1"), ("ReplicationController", "v1")])
def test_replicaset_and_replicationcontroller_replicas_are_name_and_suffix(kind: str, api: str) -> None:
    capsules = translate(deployment(replicas="2", kind=kind, api=api)).capsules
    assert [bool(re.fullmatch(f"web-{SUFFIX}{{5}}", c.name)) for c in capsules] == [True, True]
    assert {c.workload for c in capsules} == {f"{kind}/web"}
    assert all("pod-template-hash" not in dict(c.labels) for c in capsules)  # only a Deployment's pods have it


def test_statefulset_replicas_have_their_own_name_hostname_subdomain_and_claims() -> None:
    translation = translate("""\
        apiVersion: apps/v1
        kind: StatefulSet
        metadata: {name: db, namespace: shop}
        spec:
          serviceName: db-peers
          replicas: 3
          selector: {matchLabels: {app: db}}
          template:
            metadata: {labels: {app: db}}
            spec:
              containers: [{name: db, image: busybox:1.36, volumeMounts: [{name: data, mountPath: /data}]}]
          volumeClaimTemplates:
            - metadata: {name: data}
    """, strict=True)
    assert [(c.name, c.hostname, c.subdomain) for c in translation.capsules] == [
        ("db-0", "db-0", "db-peers"), ("db-1", "db-1", "db-peers"), ("db-2", "db-2", "db-peers")]
    assert [[(v.name, v.source) for v in c.volumes] for c in translation.capsules] == [
        [("data", PersistentVolume(f"data-db-{i}"))] for i in range(3)]
    assert [dict(c.labels)["statefulset.kubernetes.io/pod-name"] for c in translation.capsules] == [
        "db-0", "db-1", "db-2"]
    assert {(c.namespace, c.workload) for c in translation.capsules} == {("shop", "StatefulSet/db")}


def test_statefulset_ordinals_start_numbers_the_replicas() -> None:
    text = deployment("db", kind="StatefulSet", replicas="2", extra="  ordinals: {start: 5}\n")
    assert [c.name for c in translate(text, strict=True).capsules] == ["db-5", "db-6"]


def test_each_replica_gets_its_own_name_where_the_pod_reads_it() -> None:
    translation = translate("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web}
        spec:
          replicas: 2
          template:
            metadata: {labels: {app: web}}
            spec:
              initContainers:
                - name: init
                  image: busybox:1.36
                  command: ["echo", "$(ME)", "$$(ME)"]
                  env: [{name: ME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
              containers:
                - name: app
                  image: busybox:1.36
                  args: ["I am $(ME) in $(NS)"]
                  env:
                    - {name: ME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                    - {name: NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
                    - {name: GREETING, value: "hello from $(ME)"}
                  readinessProbe: {exec: {command: [test, "$(ME)"]}}
    """)
    first, second = translation.capsules
    assert first.name != second.name
    for capsule in translation.capsules:
        assert capsule.containers[0].args == (f"I am {capsule.name} in default",)
        assert {e.name: e.value for e in capsule.containers[0].env} == {
            "ME": capsule.name, "NS": "default", "GREETING": f"hello from {capsule.name}"}
        assert capsule.init_containers[0].command == ("echo", capsule.name, "$(ME)")
        # The kubelet expands no variables in a probe's command: it stays as written.
        assert capsule.containers[0].readiness_probe.exec_command == ("test", "$(ME)")
    assert said(translation) == []


def test_a_hostile_replica_count_is_an_error_naming_the_field_and_the_limit() -> None:
    assert failure(deployment(replicas="1000000")) == [
        "app.yaml:5:13: error: spec.replicas: found 1000000, expected at most 256 replicas of one workload "
        "(capsule makes a capsule on your hosts for each replica; lower replicas)"]
    assert len(translate(deployment(replicas="256")).capsules) == MAX_REPLICAS
    assert failure(deployment(replicas="99999999999")) == [
        "app.yaml:5:13: error: spec.replicas: found 99999999999, expected a number of replicas from 0 to "
        "2147483647"]


def test_the_replica_limit_counts_every_workload_of_one_file() -> None:
    full = "---\n".join(deployment(f"w{i}", replicas="256") for i in range(MAX_REPLICAS_PER_FILE // 256))
    assert len(translate(full).capsules) == MAX_REPLICAS_PER_FILE
    assert failure(full + "---\n" + deployment("last")) == [
        "app.yaml:148:1: error: spec.replicas: 1 replica after the 4096 of the workloads before it in this file: "
        "at most 4096 replicas from one file (capsule makes a capsule on your hosts for each replica; lower "
        "replicas)"]
    # Another file has a limit of its own.
    assert len(translate_text(deployment("last"), "other.yaml").capsules) == 1


def test_replicas_zero_still_runs_nothing() -> None:
    translation = translate(deployment(replicas="0"), strict=True)
    assert translation.capsules == [] and translation.runs_nothing == ["Deployment web: replicas: 0"]


def test_a_statefulset_whose_replica_names_are_too_long_is_an_error() -> None:
    name = "d" * 62
    assert failure(deployment(name, kind="StatefulSet", replicas="2")) == [
        f"app.yaml:3:18: error: metadata.name: names the replica '{name}-0', which is 64 characters long; "
        "at most 63 are allowed (shorten the StatefulSet's name)"]


def test_replica_name_is_kubernetes_shaped_and_within_63_characters() -> None:
    hash_ = template_hash("default", "web", {"spec": {}})
    assert re.fullmatch(f"{SUFFIX}{{10}}", hash_)
    assert replica_name("StatefulSet", "db", hash_, 4) == "db-4"
    long = "w" * 63
    for kind in ("Deployment", "ReplicaSet", "ReplicationController"):
        name = replica_name(kind, long, hash_, 0)
        assert len(name) == 63 and name.startswith("w" * 58), name  # the base is cut, the suffix kept
    assert replica_name("Deployment", "web", hash_, 0) != replica_name("Deployment", "web", hash_, 1)
    assert replica_name("Deployment", "web", hash_, 0, attempt=1) != replica_name("Deployment", "web", hash_, 0)
    assert len(set(replica_names("ReplicaSet", "web", hash_, MAX_REPLICAS_PER_FILE))) == MAX_REPLICAS_PER_FILE
    with pytest.raises(ValueError):
        replica_name("Job", "web", hash_, 0)


def test_template_hash_takes_the_namespace_the_name_and_the_template() -> None:
    base = template_hash("default", "web", {"spec": {"a": 1}})
    assert template_hash("default", "web", {"spec": {"a": 1}}) == base
    assert len({base, template_hash("other", "web", {"spec": {"a": 1}}),
                template_hash("default", "api", {"spec": {"a": 1}}),
                template_hash("default", "web", {"spec": {"a": 2}})}) == 4


def test_pods_jobs_and_daemonsets_keep_the_object_name() -> None:
    pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: solo}\nspec: {containers: [{name: a, image: busybox:1.36}]}\n"
    [capsule] = translate(pod).capsules
    assert (capsule.name, capsule.namespace, capsule.workload) == ("solo", "default", None)
    job = deployment("batch", kind="Job", api="batch/v1").replace(
        "spec: {containers", "spec: {restartPolicy: Never, containers")
    [capsule] = translate(job).capsules
    assert (capsule.name, capsule.workload) == ("batch", "Job/batch")


# --- namespaces, subdomain, service links --------------------------------------------------


def test_a_namespace_is_a_dns_label() -> None:
    assert failure(deployment(namespace="Shop_1")) == [
        "app.yaml:3:34: error: metadata.namespace: 'Shop_1' is not a DNS-1123 label: use lower-case letters, "
        "digits and '-', starting and ending with a letter or digit"]


def test_a_pod_subdomain_and_service_links_are_applied() -> None:
    [capsule] = translate("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: a, namespace: shop}
        spec:
          hostname: a
          subdomain: peers
          enableServiceLinks: false
          containers: [{name: a, image: busybox:1.36}]
    """, strict=True).capsules
    assert (capsule.hostname, capsule.subdomain, capsule.enable_service_links) == ("a", "peers", False)
    assert failure("apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"
                   "spec: {subdomain: Peers, containers: [{name: a, image: b}]}\n") == [
        "app.yaml:4:19: error: spec.subdomain: 'Peers' is not a DNS-1123 label: use lower-case letters, "
        "digits and '-', starting and ending with a letter or digit"]


def test_namespace_workload_subdomain_and_service_links_read_back_from_the_capsule_format() -> None:
    translation = translate(deployment(replicas="2", namespace="shop") + "---\n" + textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: a}
        spec: {subdomain: peers, enableServiceLinks: false, containers: [{name: a, image: busybox:1.36}]}
    """))
    written = write_capsules(translation.capsules)
    again = translate_text(written, "out.yaml", strict=True)
    assert again.capsules == translation.capsules
    document = yaml.safe_load_all(written)
    first = next(document)
    assert first["metadata"]["namespace"] == "shop" and first["metadata"]["workload"] == "Deployment/web"


def test_a_capsule_workload_must_be_kind_and_name() -> None:
    text = ("apiVersion: beta\nkind: capsule\nmetadata: {name: a, workload: web}\n"
            "spec: {containers: [{name: a, image: busybox:1.36}]}\n")
    assert failure(text) == [
        "app.yaml:3:31: error: metadata.workload: found 'web', expected KIND/NAME, such as Deployment/web"]


# --- v1 Services ---------------------------------------------------------------------------


def test_a_service_is_read_with_its_namespace_selector_and_ports() -> None:
    translation = translate(deployment(namespace="shop") + "---\n" + SERVICE)
    assert translation.services == [Service(
        name="web", namespace="shop", selector=(("app", "web"),), labels=(("tier", "front"),),
        ports=(ServicePort(80, "http", "TCP", "http"), ServicePort(53, 53, "UDP", "dns")))]
    # The proxy relays TCP only: the UDP port is read, and said not to answer on the name.
    (warning,) = said(translation)
    assert "spec.ports[1].protocol: UDP port 53 is not relayed" in warning and "headless" in warning


def test_a_udp_port_of_a_headless_service_is_no_warning() -> None:
    headless = SERVICE.replace("spec:", "spec:\n  clusterIP: None", 1)
    translation = translate(deployment(namespace="shop") + "---\n" + headless, strict=True)
    assert translation.services[0].headless and said(translation) == []


def test_services_come_out_in_input_order_whichever_reader_read_them() -> None:
    text = (SERVICE.replace("name: web,", "name: first,") + "---\n"
            "apiVersion: beta\nkind: Service\nmetadata: {name: second}\n"
            "spec: {selector: {app: web}, ports: [{port: 80}]}\n---\n"
            "apiVersion: v1\nkind: List\nitems:\n"
            "  - {apiVersion: v1, kind: Service, metadata: {name: third}, spec: {selector: {a: b}, ports: [{port: 1}]}}\n"
            "---\n" + deployment())
    assert [s.name for s in translate(text).services] == ["first", "second", "third"]


def test_headless_and_node_port_services() -> None:
    text = deployment() + textwrap.dedent("""\
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: peers}
        spec: {clusterIP: None, selector: {app: web}}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: public}
        spec: {type: NodePort, selector: {app: web}, ports: [{port: 80, nodePort: 30080}]}
    """)
    peers, public = translate(text, strict=True).services
    assert (peers.headless, peers.ports) == (True, ())
    assert (public.type, public.published_ports) == ("NodePort", ((30080, "TCP"),))


def test_an_external_name_service_is_skipped_with_a_warning_naming_it() -> None:
    text = deployment() + ("---\napiVersion: v1\nkind: Service\nmetadata: {name: mail}\n"
                           "spec: {type: ExternalName, externalName: mail.example.com}\n")
    translation = translate(text)
    assert translation.services == []
    assert said(translation) == [
        "app.yaml:12:8: warning: spec.type: Service mail is of type ExternalName, skipped: capsule makes no DNS "
        "CNAMEs (give the programs the external name itself)"]
    assert failure(text, strict=True) == [m.replace("warning", "error") for m in said(translation)]


def test_a_cluster_ip_address_is_ignored_and_the_cluster_settings_say_why() -> None:
    text = deployment() + textwrap.dedent("""\
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, annotations: {a: b}}
        spec:
          clusterIP: 10.0.0.10
          sessionAffinity: ClientIP
          externalTrafficPolicy: Local
          internalTrafficPolicy: Local
          ipFamilies: [IPv6]
          ipFamilyPolicy: RequireDualStack
          loadBalancerIP: 1.2.3.4
          loadBalancerSourceRanges: [10.0.0.0/8]
          publishNotReadyAddresses: true
          allocateLoadBalancerNodePorts: false
          healthCheckNodePort: 30000
          externalIPs: [1.2.3.4]
          clusterIPs: [10.0.0.10]
          selector: {app: web}
          ports: [{port: 80, appProtocol: http}]
    """)
    translation = translate(text)
    assert said(translation) == [
        "app.yaml:11:23: warning: metadata.annotations: is ignored: a Service's annotations configure cluster "
        "controllers and load balancers, which capsule does not have",
        "app.yaml:13:3: warning: spec.clusterIP: is ignored: capsule chooses the Service's addresses in the "
        "namespace's network (remove clusterIP, or write None for a headless Service)",
        "app.yaml:14:3: warning: spec.sessionAffinity: is ignored: capsule's Service proxy forwards each "
        "connection to one of the backends, without client affinity",
        "app.yaml:15:3: warning: spec.externalTrafficPolicy: is ignored: a NodePort or LoadBalancer port is "
        "published on the hosts that run a backend; it reaches any backend",
        "app.yaml:16:3: warning: spec.internalTrafficPolicy: is ignored: capsule's Service proxy forwards each "
        "connection to one of the backends, wherever it runs",
        "app.yaml:17:3: warning: spec.ipFamilies: is ignored: capsule chooses the Service's addresses in the "
        "namespace's network (IPv4)",
        "app.yaml:18:3: warning: spec.ipFamilyPolicy: is ignored: capsule chooses the Service's addresses in "
        "the namespace's network (IPv4)",
        "app.yaml:19:3: warning: spec.loadBalancerIP: is ignored: a NodePort or LoadBalancer port is published "
        "on the hosts that run a backend, on the host's own addresses",
        "app.yaml:20:3: warning: spec.loadBalancerSourceRanges: is ignored: a NodePort or LoadBalancer port is "
        "published on the hosts that run a backend, open to every source (firewall the port on the host)",
        "app.yaml:21:3: warning: spec.publishNotReadyAddresses: is ignored: capsule decides which backends a "
        "Service reaches",
        "app.yaml:22:3: warning: spec.allocateLoadBalancerNodePorts: is ignored: a NodePort or LoadBalancer "
        "port is published on the hosts that run a backend; set nodePort to choose the port",
        "app.yaml:23:3: warning: spec.healthCheckNodePort: is ignored: a NodePort or LoadBalancer port is "
        "published on the hosts that run a backend; there is no external load balancer to check it",
        "app.yaml:24:3: warning: spec.externalIPs: is ignored: a NodePort or LoadBalancer port is published on "
        "the hosts that run a backend, on the host's own addresses (remove externalIPs)",
        "app.yaml:25:3: warning: spec.clusterIPs: is ignored: capsule chooses the Service's addresses in the "
        "namespace's network (remove clusterIPs)",
        "app.yaml:27:22: warning: spec.ports[0].appProtocol: is ignored: capsule's Service proxy forwards each "
        "connection to one of the backends as bytes; it does not read the protocol",
    ]
    assert len(failure(text, strict=True)) == len(said(translation))
    # The defaults a cluster fills in are what capsule does: applied quietly.
    quiet = text.replace("ClientIP", "None").replace("Local", "Cluster").replace("[IPv6]", "[IPv4]")
    quiet = quiet.replace("RequireDualStack", "SingleStack").replace("publishNotReadyAddresses: true",
                                                                     "publishNotReadyAddresses: false")
    quiet = quiet.replace("allocateLoadBalancerNodePorts: false", "allocateLoadBalancerNodePorts: true")
    assert not [m for m in said(translate(quiet)) if "Affinity" in m or "Policy" in m or "ipFamil" in m
                or "publishNotReady" in m or "allocateLoad" in m]


@pytest.mark.parametrize(("spec", "messages"), [
    ("{selector: {a: b}, ports: [{port: 80, protocol: SCTP}]}",
     ["app.yaml:4:55: error: spec.ports[0].protocol: found 'SCTP': capsule's Services forward TCP and UDP only "
      "(use TCP or UDP)"]),
    ("{selector: {a: b}, ports: [{port: 0}]}",
     ["app.yaml:4:41: error: spec.ports[0].port: found 0, expected a port number from 1 to 65535"]),
    ("{selector: {a: b}, ports: [{targetPort: 80}]}",
     ["app.yaml:4:34: error: spec.ports[0].port: is required: expected a port number"]),
    ("{selector: {a: b}, ports: [{port: 80, targetPort: 70000}]}",
     ["app.yaml:4:57: error: spec.ports[0].targetPort: found 70000, expected a port number from 1 to 65535"]),
    ("{selector: {a: b}, ports: [{port: 80, targetPort: HTTP}]}",
     ["app.yaml:4:57: error: spec.ports[0].targetPort: 'HTTP' is neither a port number nor a port name: a name "
      "is at most 15 lower-case letters, digits and single '-', with at least one letter"]),
    ("{selector: {a: b}, ports: [{port: 80, targetPort: '8080'}]}",
     ["app.yaml:4:57: error: spec.ports[0].targetPort: '8080' is neither a port number nor a port name: a name "
      "is at most 15 lower-case letters, digits and single '-', with at least one letter (remove the quotes)"]),
    ("{selector: {a: b}, ports: [{port: 80}, {port: 81}]}",
     ["app.yaml:4:34: error: spec.ports[0].name: is required when a Service has several ports (give each port "
      "a name)",
      "app.yaml:4:46: error: spec.ports[1].name: is required when a Service has several ports (give each port "
      "a name)"]),
    ("{selector: {a: b}, ports: [{name: a, port: 80}, {name: a, port: 81}]}",
     ["app.yaml:4:62: error: spec.ports[1].name: port name 'a' is used twice in this Service (give each port "
      "its own name)"]),
    ("{selector: {a: b}, ports: [{name: a, port: 80}, {name: b, port: 80}]}",
     ["app.yaml:4:71: error: spec.ports[1].port: 80/TCP is already a port of this Service (give each port and "
      "protocol once)"]),
    ("{selector: {a: b}, ports: [{port: 80, name: Http}]}",
     ["app.yaml:4:51: error: spec.ports[0].name: 'Http' is not a DNS-1123 label: use lower-case letters, digits "
      "and '-', starting and ending with a letter or digit"]),
    ("{selector: {a: b}, ports: [{port: 80, nodePort: 30080}]}",
     ["app.yaml:4:45: error: spec.ports[0].nodePort: is only for a Service of type NodePort or LoadBalancer "
      "(remove nodePort, or set type: NodePort)"]),
    ("{type: NodePort, selector: {a: b}, ports: [{port: 80, nodePort: 70000}]}",
     ["app.yaml:4:71: error: spec.ports[0].nodePort: found 70000, expected a port number from 1 to 65535"]),
    ("{type: NodePort, clusterIP: None, selector: {a: b}, ports: [{port: 80}]}",
     ["app.yaml:4:35: error: spec.clusterIP: is None (headless), which a Service of type NodePort cannot be "
      "(remove clusterIP, or use type ClusterIP)"]),
    ("{selector: {a: b}}",
     ["app.yaml:4:1: error: spec.ports: is required: a Service needs at least one port (add a port, or write "
      "clusterIP: None for a headless Service that only names its backends)"]),
    ("{selector: {a: b}, ports: http}",
     ["app.yaml:4:33: error: spec.ports: found a string ('http'), expected a list"]),
    ("{type: Balanced, selector: {a: b}, ports: [{port: 80}]}",
     ["app.yaml:4:14: error: spec.type: found 'Balanced', expected ClusterIP or NodePort or LoadBalancer or "
      "ExternalName"]),
])
def test_what_kubernetes_refuses_in_a_service_is_an_error_with_its_place(spec: str, messages: list[str]) -> None:
    assert failure(f"apiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec: {spec}\n") == messages


def test_a_service_name_is_a_dns_1035_label() -> None:
    assert failure("apiVersion: v1\nkind: Service\nmetadata: {name: 1web}\n"
                   "spec: {selector: {a: b}, ports: [{port: 80}]}\n") == [
        "app.yaml:3:18: error: metadata.name: '1web' is not a DNS-1035 label: a Service's name starts with a "
        "letter (lower-case letters, digits and '-' after it)"]


def test_a_service_without_a_selector_selects_nothing_a_warning() -> None:
    text = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {ports: [{port: 80}]}\n"
    assert said(translate(text)) == [
        "app.yaml:4:1: warning: spec.selector: is empty: the Service selects no capsule (capsule has no manual "
        "Endpoints) (select its backends by their labels)"]
    assert failure(text, strict=True) == [
        "app.yaml:4:1: error: spec.selector: is empty: the Service selects no capsule (capsule has no manual "
        "Endpoints) (select its backends by their labels)"]


def test_a_service_that_selects_no_capsule_of_the_input_is_a_note_even_under_strict() -> None:
    tcp_only = SERVICE.replace("    - {name: dns, port: 53, protocol: UDP}\n", "")
    for strict in (False, True):
        translation = translate(tcp_only, strict=strict)  # its backends may come from another file
        assert said(translation) == [
            "app.yaml:5:3: warning: spec.selector: selects no capsule of this input in namespace 'shop' (its "
            "backends may come from another file; check the labels if they should be here)"]
    # The same labels in another namespace are not its backends.
    assert said(translate(deployment() + "---\n" + tcp_only))[0].startswith("app.yaml:13:3: warning: spec.selector: "
                                                                          "selects no capsule")


def test_two_services_with_one_name_in_one_namespace_is_an_error_naming_both() -> None:
    other = SERVICE.replace("{name: web, namespace: shop, labels: {tier: front}}", "{name: web, namespace: shop}")
    assert failure(SERVICE + "---\n" + other) == [
        "app.yaml:12:18: error: metadata.name: Service 'web' in namespace 'shop' is defined twice: here and at "
        "app.yaml:3 (rename or remove one of them)"]
    # One name in two namespaces is two Services.
    assert len(translate(SERVICE + "---\n" + other.replace("namespace: shop", "namespace: shop2")).services) == 2


# --- the capsule format's service document ---------------------------------------------------


def test_a_service_document_reads_back_equal_from_its_own_output() -> None:
    service = Service("web", "shop", (("app", "web"),), (ServicePort(80, "http", "TCP", "http"),
                                                          ServicePort(8443, 443, "TCP", "tls", 30443)),
                      "LoadBalancer", False, (("tier", "front"),))
    headless = Service("peers", selector=(("app", "db"),), headless=True)
    for fmt in ("yaml", "json"):
        again = translate_text(write_capsules([], fmt, [service, headless]), f"out.{fmt}", strict=True)
        assert again.services == [service, headless] and again.capsules == []


@pytest.mark.parametrize("kind", ["service", "Service", "SERVICE"])
def test_a_service_document_is_kind_service_in_any_case_with_apiversion_beta(kind: str) -> None:
    text = f"apiVersion: beta\nkind: {kind}\nmetadata: {{name: web}}\nspec: {{selector: {{a: b}}, ports: [{{port: 80}}]}}\n"
    [service] = translate(text).services
    assert (service.name, service.namespace, service.ports) == ("web", "default", (ServicePort(80, 80),))


@pytest.mark.parametrize(("text", "message"), [
    ("apiVersion: beta\nkind: service\nmetadata: {name: web}\nspec: {selector: {a: b}, ports: [{port: 80}], "
     "clusterIP: 10.0.0.1}\n",
     "app.yaml:4:58: error: spec.clusterIP: found '10.0.0.1', expected 'None' (a headless service) (capsule "
     "chooses a service's addresses; leave clusterIP out, or write None)"),
    ("apiVersion: beta\nkind: service\nmetadata: {name: web}\nspec: {selector: {a: b}, ports: [{port: 80}, "
     "{port: 80}]}\n",
     "app.yaml:4:34: error: spec.ports[0].name: is required when a Service has several ports (give each port "
     "a name)"),
    ("apiVersion: beta\nkind: service\nmetadata: {name: web}\nspec: {type: nodeport, selector: {a: b}, "
     "ports: [{port: 80, prot: UDP}]}\n",
     "app.yaml:4:61: warning: spec.ports[0].prot: is not a field of a service port (did you mean 'port'?)"),
])
def test_a_service_document_is_read_with_the_capsule_formats_diagnostics(text: str, message: str) -> None:
    try:
        messages = said(translate(text))
    except TranslationFailed as failed:
        messages = [d.format() for d in failed.report.diagnostics]
    assert message in messages, messages


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(capsule=capsules(), found=st.lists(services(), max_size=2, unique_by=lambda s: (s.namespace, s.name)),
       fmt=st.sampled_from(["yaml", "json"]))
def test_normalized_capsules_and_services_read_back_equal(capsule, found, fmt: str) -> None:
    again = translate_text(write_capsules([capsule], fmt, found), f"out.{fmt}")
    # Equal as normalized documents (a generated probe path None is written as "/"), and as Services.
    assert [c.to_dict() for c in again.capsules] == [capsule.to_dict()]
    assert again.services == found


# --- output ----------------------------------------------------------------------------------


def test_translate_prints_the_services_after_the_capsules_in_every_format(tmp_path) -> None:
    path = tmp_path / "app.yaml"
    path.write_text(deployment(namespace="shop", replicas="2") + "---\n" + SERVICE)
    run = lambda *extra: subprocess.run(capsule_command() + ["translate", str(path), *extra],  # noqa: E731
                                        capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    out = run()
    assert out.returncode == 0, out.stderr
    assert [d["kind"] for d in yaml.safe_load_all(out.stdout)] == ["capsule", "capsule", "service"]
    as_json = run("-o", "json")
    assert [d["kind"] for d in json.loads(as_json.stdout)] == ["capsule", "capsule", "service"]
    pods = run("--to", "pod")
    documents = list(yaml.safe_load_all(pods.stdout))
    assert [d["kind"] for d in documents] == ["Pod", "Pod", "Service"]
    assert documents[2]["metadata"] == {"name": "web", "namespace": "shop", "labels": {"tier": "front"}}
    assert documents[0]["metadata"]["namespace"] == "shop"
    pods_json = run("--to", "pod", "-o", "json")
    assert [d["kind"] for d in json.loads(pods_json.stdout)["items"]] == ["Pod", "Pod", "Service"]
    # Each output reads back to the same capsules and Services.
    first = translate_text(path.read_text(), "app.yaml")
    for text in (out.stdout, as_json.stdout, pods.stdout, pods_json.stdout):
        again = translate_text(text, "again.yaml")
        assert (again.capsules, again.services) == (first.capsules, first.services)
