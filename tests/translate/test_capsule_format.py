"""The capsule YAML reader: every field, the defaults, normalization, and the round trip.

Plain in-process tests over text (no engine). Bad input has its own file,
tests/translate/test_translate_errors.py; here the input is valid, possibly with warnings.
"""

from __future__ import annotations

import copy
import os
import re
import textwrap

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.paths import REPO_ROOT
from translate.host_access import DANGEROUS_CAPABILITIES
from translate.output import write_capsules
from translate.spec import (
    Capsule,
    ConfigMapVolume,
    Container,
    EmptyDirVolume,
    EnvVar,
    HostPathVolume,
    NamedVolume,
    PersistentVolume,
    PodSecurityContext,
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
from translate.translation import TranslationFailed, translate_text


def translate(text: str, *, strict: bool = False):
    return translate_text(textwrap.dedent(text), "web.yaml", strict=strict)


def messages(translation) -> list[str]:
    return [d.format() for d in translation.report.diagnostics]


MINIMAL = textwrap.dedent("""\
    apiVersion: beta
    kind: capsule
    metadata:
      name: web
    spec:
      containers:
        - image: nginx:1.27
    """)


def test_minimal_capsule_gets_every_default() -> None:
    translation = translate(MINIMAL)
    assert messages(translation) == []
    assert translation.capsules == [
        Capsule(name="web", containers=(Container(name="nginx", image="nginx:1.27"),))
    ]
    assert translation.origins == ["web.yaml#1 capsule/web"]
    assert translation.capsules[0].to_dict() == {
        "apiVersion": "beta",
        "kind": "capsule",
        "metadata": {"name": "web", "labels": {}, "annotations": {}},
        "spec": {
            "restartPolicy": "Always",
            "hostLabels": {},
            "shareProcessNamespace": False,
            "initContainers": [],
            "containers": [
                {"name": "nginx", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent"}
            ],
            "volumes": [],
        },
    }


@pytest.mark.parametrize("kind", ["capsule", "Capsule", "CAPSULE", "cApSuLe"])
def test_kind_capsule_in_any_case(kind: str) -> None:
    translation = translate(MINIMAL.replace("kind: capsule", f"kind: {kind}"))
    assert [c.name for c in translation.capsules] == ["web"]
    assert translation.capsules[0].to_dict()["kind"] == "capsule"


@pytest.mark.parametrize(
    ("image", "policy"),
    [
        ("nginx", "Always"),
        ("nginx:latest", "Always"),
        ("nginx:1.27", "IfNotPresent"),
        ("localhost:5000/app", "Always"),
        ("localhost:5000/app:2", "IfNotPresent"),
        ("nginx@sha256:" + "a" * 64, "IfNotPresent"),
    ],
)
def test_pull_policy_defaults_as_kubernetes_does(image: str, policy: str) -> None:
    translation = translate(MINIMAL.replace("nginx:1.27", image))
    assert translation.capsules[0].containers[0].image_pull_policy == policy


FULL = """\
    apiVersion: beta
    kind: capsule
    metadata:
      name: shop
      namespace: store
      workload: StatefulSet/shop
      labels: {app: shop, tier: web}
      annotations: {owner: team-a}
    spec:
      restartPolicy: OnFailure
      hostSelector: host-b
      hostLabels: {disk: ssd}
      hostname: shop-1
      subdomain: shops
      shareProcessNamespace: true
      enableServiceLinks: false
      securityContext:
        fsGroup: 2000
        supplementalGroups: [3000, 3001]
        sysctls: [{name: net.ipv4.ip_unprivileged_port_start, value: "80"}]
      initContainers:
        - name: fetch
          image: busybox:1.36
          command: sh -c 'echo "hello world" > /data/index.html'
          volumeMounts:
            - {name: data, mountPath: /data}
      containers:
        - name: web
          image: nginx:1.27
          imagePullPolicy: Never
          command: [nginx]
          args: [-g, daemon off;]
          workDir: /srv
          labels: {role: front}
          env:
            - {name: MODE, value: prod}
            - name: PASSWORD
              valueFrom:
                secretKeyRef: {name: db, key: password, optional: true}
          ports:
            - {name: http, containerPort: 80, hostPort: 8080}
            - {containerPort: 53, protocol: UDP}
          volumeMounts:
            - {name: data, mountPath: /usr/share/nginx/html, readOnly: true}
            - {name: conf, mountPath: /etc/nginx/conf.d/default.conf, subPath: default.conf}
          resources:
            requests: {cpu: 250m, memory: 64Mi}
            limits: {cpu: 2, memory: 1GB}
          livenessProbe:
            httpGet:
              path: /healthz
              port: http
              host: 127.0.0.1
              scheme: HTTPS
              httpHeaders: [{name: X-Probe, value: "1"}]
            initialDelaySeconds: 5
            periodSeconds: 20
            timeoutSeconds: 3
            successThreshold: 1
            failureThreshold: 4
          readinessProbe:
            tcpSocket: {port: 80}
          startupProbe:
            exec: {command: [cat, /tmp/ready]}
          securityContext:
            privileged: true
            capabilities: {add: [SYS_NICE], drop: [ALL]}
            runAsUser: 1000
            runAsGroup: 1000
            runAsNonRoot: true
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            seccompProfile: {type: RuntimeDefault}
          stdin: true
          tty: true
      volumes:
        - {name: data, driver: local, driverOptions: {type: tmpfs, device: tmpfs}, size: 2GB}
        - name: conf
          configMap:
            name: nginx-conf
            files: {default.conf: "server { listen 80; }\\n"}
            defaultMode: 0600
        - {name: scratch, emptyDir: {medium: Memory, sizeLimit: 64Mi}}
        - {name: cache, emptyDir: {}}
        - {name: logs, hostPath: {path: /var/log/shop, type: DirectoryOrCreate}}
        - name: certs
          secret:
            secretName: tls
            items: [{key: tls.crt, path: cert.pem}]
            defaultMode: 0400
            optional: true
        - {name: db, persistentVolumeClaim: {claimName: shop-db, readOnly: true}}
    """

EXPECTED_FULL = Capsule(
    name="shop",
    labels=(("app", "shop"), ("tier", "web")),
    annotations=(("owner", "team-a"),),
    restart_policy="OnFailure",
    host_selector="host-b",
    host_labels=(("disk", "ssd"),),
    hostname="shop-1",
    share_process_namespace=True,
    namespace="store",
    workload="StatefulSet/shop",
    subdomain="shops",
    enable_service_links=False,
    security_context=PodSecurityContext(
        supplemental_groups=(3000, 3001), fs_group=2000,
        sysctls=(("net.ipv4.ip_unprivileged_port_start", "80"),),
    ),
    init_containers=(
        Container(
            name="fetch",
            image="busybox:1.36",
            command=("sh", "-c", 'echo "hello world" > /data/index.html'),
            volume_mounts=(VolumeMount(name="data", mount_path="/data"),),
        ),
    ),
    containers=(
        Container(
            name="web",
            image="nginx:1.27",
            image_pull_policy="Never",
            command=("nginx",),
            args=("-g", "daemon off;"),
            work_dir="/srv",
            labels=(("role", "front"),),
            env=(
                EnvVar(name="MODE", value="prod"),
                EnvVar(name="PASSWORD",
                       secret_ref=SecretKeyRef(secret="db", key="password", optional=True)),
            ),
            ports=(
                Port(container_port=80, host_port=8080, protocol="TCP", name="http"),
                Port(container_port=53, protocol="UDP"),
            ),
            volume_mounts=(
                VolumeMount(name="data", mount_path="/usr/share/nginx/html", read_only=True),
                VolumeMount(name="conf", mount_path="/etc/nginx/conf.d/default.conf",
                            sub_path="default.conf"),
            ),
            resources=Resources(
                requests=ResourceAmounts(cpu=0.25, memory=67108864),
                limits=ResourceAmounts(cpu=2.0, memory=1_000_000_000),
            ),
            liveness_probe=Probe(
                http_path="/healthz", http_port=80, http_host="127.0.0.1",
                http_scheme="HTTPS", http_headers=(("X-Probe", "1"),),
                initial_delay_seconds=5, period_seconds=20, timeout_seconds=3,
                success_threshold=1, failure_threshold=4,
            ),
            readiness_probe=Probe(tcp_port=80),
            startup_probe=Probe(exec_command=("cat", "/tmp/ready")),
            security_context=SecurityContext(
                privileged=True, capabilities_add=("SYS_NICE",), capabilities_drop=("ALL",),
                run_as_user=1000, run_as_group=1000, read_only_root_filesystem=True,
                run_as_non_root=True, allow_privilege_escalation=False,
            ),
            stdin=True,
            tty=True,
        ),
    ),
    volumes=(
        Volume("data", NamedVolume(driver="local",
                                   driver_options=(("type", "tmpfs"), ("device", "tmpfs")),
                                   size=2_000_000_000)),
        Volume("conf", ConfigMapVolume(config_map="nginx-conf",
                                       files=(("default.conf", "server { listen 80; }\n"),),
                                       default_mode=0o600)),
        Volume("scratch", EmptyDirVolume(medium="Memory", size_limit=67108864)),
        Volume("cache", EmptyDirVolume()),
        Volume("logs", HostPathVolume(path="/var/log/shop", type="DirectoryOrCreate")),
        Volume("certs", SecretVolume(secret="tls", items=(("tls.crt", "cert.pem"),),
                                     default_mode=0o400, optional=True)),
        Volume("db", PersistentVolume(claim_name="shop-db", read_only=True)),
    ),
)


def test_every_field_is_read() -> None:
    translation = translate(FULL)
    assert messages(translation) == []
    assert translation.capsules == [EXPECTED_FULL]


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_normalized_output_reads_back_to_an_equal_capsule_and_identical_output(fmt: str) -> None:
    first = translate(FULL)
    output = write_capsules(first.capsules, fmt)
    again = translate_text(output, f"out.{fmt}")
    assert messages(again) == []
    assert again.capsules == first.capsules
    assert write_capsules(again.capsules, fmt) == output


def test_normalized_output_of_several_capsules_reads_back_in_both_formats() -> None:
    text = MINIMAL + "---\n" + textwrap.dedent(FULL)
    first = translate_text(text, "two.yaml")
    assert [c.name for c in first.capsules] == ["web", "shop"]
    for fmt in ("yaml", "json"):
        output = write_capsules(first.capsules, fmt)
        again = translate_text(output, f"out.{fmt}")
        assert again.capsules == first.capsules
        assert write_capsules(again.capsules, fmt) == output


def test_normalized_yaml_is_block_style_in_spec_order_with_lists_as_kubectl_writes_them() -> None:
    output = write_capsules(translate(MINIMAL).capsules, "yaml")
    assert output == textwrap.dedent("""\
        apiVersion: beta
        kind: capsule
        metadata:
          name: web
          labels: {}
          annotations: {}
        spec:
          restartPolicy: Always
          hostLabels: {}
          shareProcessNamespace: false
          initContainers: []
          containers:
          - name: nginx
            image: nginx:1.27
            imagePullPolicy: IfNotPresent
          volumes: []
        """)


def test_the_pure_python_emitter_writes_what_libyaml_writes() -> None:
    """Output must not depend on whether PyYAML was built with LibYAML."""
    import yaml

    from translate import output

    documents = [c.to_dict() for c in translate(FULL).capsules + translate(MINIMAL).capsules]
    pure = type("PureBlockDumper", (yaml.SafeDumper,), {})
    pure.add_representer(str, output._text)
    assert output._BlockDumper.__mro__[1] is getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    assert yaml.dump_all(documents, Dumper=pure, default_flow_style=False, sort_keys=False, allow_unicode=True,
                         explicit_start=False, width=4096) == output.to_yaml(documents)


@pytest.mark.parametrize(
    ("cpu", "cores"),
    [("250m", 0.25), ("0.5", 0.5), (0.1, 0.1), (2, 2.0), ("1.5", 1.5), ("100m", 0.1), ("1", 1.0)],
)
def test_cpu_becomes_cores(cpu: object, cores: float) -> None:
    text = MINIMAL + f"      resources: {{limits: {{cpu: {cpu!r}}}}}\n".replace("'", '"')
    translation = translate(text)
    assert translation.capsules[0].containers[0].resources.limits.cpu == cores


@pytest.mark.parametrize(
    ("memory", "size"),
    [
        ("64Mi", 67108864),
        ("1G", 1_000_000_000),
        ("1GB", 1_000_000_000),
        ("512MB", 512_000_000),
        ("2GB", 2_000_000_000),
        ("1Gi", 1073741824),
        ("1kb", 1000),
        ("134217728", 134217728),
        (134217728, 134217728),
    ],
)
def test_memory_becomes_bytes(memory: object, size: int) -> None:
    text = MINIMAL + f"      resources: {{requests: {{memory: {memory!r}}}}}\n".replace("'", '"')
    translation = translate(text)
    assert translation.capsules[0].containers[0].resources.requests.memory == size
    out = translation.capsules[0].to_dict()["spec"]["containers"][0]["resources"]
    assert out == {"requests": {"memory": size}}


def test_volume_size_is_a_memory_quantity_in_bytes() -> None:
    text = MINIMAL + "  volumes:\n    - {name: data, size: 512MB}\n"
    volume = translate(text).capsules[0].volumes[0]
    assert volume == Volume("data", NamedVolume(driver="local", size=512_000_000))


def test_containers_without_a_name_are_named_after_their_image() -> None:
    translation = translate("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          initContainers:
            - image: busybox:1.36
          containers:
            - image: docker.io/library/nginx:1.27
            - image: nginx:latest
            - image: registry.k8s.io/pause:3.10
            - image: localhost:5000/team/My_App:1
            - image: redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
            - image: nginx
        """)
    capsule = translation.capsules[0]
    assert [c.name for c in capsule.init_containers] == ["busybox"]
    assert [c.name for c in capsule.containers] == [
        "nginx", "nginx-2", "pause", "my-app", "redis", "nginx-3",
    ]


def test_derived_names_never_take_a_name_the_user_gave() -> None:
    translation = translate("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers:
            - image: nginx
            - image: nginx
            - {name: nginx, image: busybox}
            - {name: nginx-2, image: busybox}
        """)
    assert [c.name for c in translation.capsules[0].containers] == [
        "nginx-3", "nginx-4", "nginx", "nginx-2",
    ]


def test_derived_names_are_stable_across_runs() -> None:
    anonymous = FULL.replace("- name: web\n          image:", "- image:")
    first = translate(anonymous).capsules[0]
    second = translate(anonymous).capsules[0]
    assert first.containers[0].name == second.containers[0].name == "nginx"


def test_lables_spelling_is_read_as_labels_with_a_warning() -> None:
    translation = translate("""\
        apiVersion: beta
        kind: capsule
        metadata:
          name: web
          lables:
            app: web
        spec:
          containers:
            - image: nginx:1.27
        """)
    assert translation.capsules[0].labels == (("app", "web"),)
    assert messages(translation) == [
        "web.yaml:5:3: warning: metadata.lables: is read as 'labels', its spelling in the "
        "capsule format (rename 'lables' to 'labels')"
    ]
    assert any(o.path == "metadata.lables" and o.bucket == "ignored"
               for o in translation.report.outcomes)


def test_lables_spelling_is_an_error_under_strict() -> None:
    with pytest.raises(TranslationFailed) as failure:
        translate(MINIMAL.replace("  name: web\n", "  name: web\n  lables: {a: b}\n"),
                  strict=True)
    assert [d.format() for d in failure.value.diagnostics] == [
        "web.yaml:5:3: error: metadata.lables: is read as 'labels', its spelling in the "
        "capsule format (rename 'lables' to 'labels')"
    ]


def test_restart_policy_and_host_selector_at_the_top_level() -> None:
    text = MINIMAL.replace("spec:\n", "restartPolicy: Never\nhostSelector: host-a\nspec:\n")
    capsule = translate(text).capsules[0]
    assert (capsule.restart_policy, capsule.host_selector) == ("Never", "host-a")
    assert capsule.to_dict()["spec"]["restartPolicy"] == "Never"
    assert capsule.to_dict()["spec"]["hostSelector"] == "host-a"
    assert "restartPolicy" not in capsule.to_dict()


def test_the_same_value_at_the_top_level_and_under_spec_is_accepted() -> None:
    text = MINIMAL.replace("spec:\n", "restartPolicy: Never\nspec:\n  restartPolicy: Never\n")
    assert translate(text).capsules[0].restart_policy == "Never"


@pytest.mark.parametrize(("written", "policy"), [("never", "Never"), ("onfailure", "OnFailure")])
def test_choices_are_matched_in_any_case(written: str, policy: str) -> None:
    text = MINIMAL.replace("spec:\n", f"spec:\n  restartPolicy: {written}\n")
    assert translate(text).capsules[0].restart_policy == policy


def test_env_as_a_map_keeps_order_and_writes_the_list_form() -> None:
    text = MINIMAL + "      env:\n        B: 2\n        A: text\n        DEBUG: true\n        EMPTY:\n"
    capsule = translate(text).capsules[0]
    assert capsule.containers[0].env == (
        EnvVar("B", "2"), EnvVar("A", "text"), EnvVar("DEBUG", "true"), EnvVar("EMPTY", ""),
    )
    assert capsule.to_dict()["spec"]["containers"][0]["env"] == [
        {"name": "B", "value": "2"}, {"name": "A", "value": "text"},
        {"name": "DEBUG", "value": "true"}, {"name": "EMPTY", "value": ""},
    ]


@pytest.mark.parametrize(
    ("written", "words"),
    [
        ('"nginx -g \'daemon off;\'"', ("nginx", "-g", "daemon off;")),
        ("[sleep, '3600']", ("sleep", "3600")),
        ("[sleep, 3600]", ("sleep", "3600")),
        ('"sleep"', ("sleep",)),
    ],
)
def test_command_and_args_take_a_list_or_a_shell_line(written: str, words: tuple) -> None:
    text = MINIMAL + f"      command: {written}\n      args: {written}\n"
    container = translate(text).capsules[0].containers[0]
    assert container.command == words
    assert container.args == words


def test_image_driver_and_volume_type_and_image_are_ignored_with_warnings() -> None:
    translation = translate("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers:
            - image: nginx:1.27
              imageDriver: docker
          volumes:
            - name: data
              volumeType: ssd
              image: busybox
        """)
    assert translation.capsules[0].volumes == (Volume("data", NamedVolume()),)
    assert messages(translation) == [
        "web.yaml:7:7: warning: spec.containers[0].imageDriver: is ignored: images come from "
        "the host's Docker engine and its registries (remove imageDriver; configure "
        "registries on the host's engine)",
        "web.yaml:10:7: warning: spec.volumes[0].volumeType: is ignored: the Docker engine "
        "has no volume types (choose the storage with driver and driverOptions)",
        "web.yaml:11:7: warning: spec.volumes[0].image: is ignored: Docker volumes are not "
        "made from images (copy data into the volume with an init container)",
    ]
    ignored = {o.path for o in translation.report.outcomes if o.bucket == "ignored"}
    assert ignored == {
        "spec.containers[0].imageDriver", "spec.volumes[0].volumeType", "spec.volumes[0].image",
    }


def test_capabilities_create_refuses_are_warned_about_and_kept() -> None:
    translation = translate("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers:
            - image: busybox:1.36
              securityContext:
                capabilities:
                  add: [cap_sys_admin, CHOWN, Net_Admin, NET_ADMIN, SYS_NICE]
          initContainers:
            - image: busybox:1.36
              securityContext: {capabilities: {add: [SYS_PTRACE]}}
        """, strict=True)
    assert messages(translation) == [
        "web.yaml:9:11: warning: spec.containers[0].securityContext.capabilities.add: adds SYS_ADMIN, "
        "NET_ADMIN, which break the container's isolation from the host; capsule create and update refuse "
        "this without --allow-privileged (pass --allow-privileged if this is meant)",
        "web.yaml:12:40: warning: spec.initContainers[0].securityContext.capabilities.add: adds SYS_PTRACE, "
        "which breaks the container's isolation from the host; capsule create and update refuse this without "
        "--allow-privileged (pass --allow-privileged if this is meant)",
    ]
    # Kept as written (Docker reads the spelling), and a warning even under --strict:
    # `create --strict --allow-privileged` takes it.
    [capsule] = translation.capsules
    assert capsule.containers[0].security_context.capabilities_add == (
        "cap_sys_admin", "CHOWN", "Net_Admin", "NET_ADMIN", "SYS_NICE")
    assert all(o.bucket == "applied" for o in translation.report.outcomes)


def test_the_user_guide_lists_exactly_the_refused_capabilities() -> None:
    guide = (REPO_ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")
    table = guide.split("| capability | reaches |", 1)[1].split("\n\n", 1)[0]
    assert re.findall(r"^\| `(\w+)` \|", table, re.MULTILINE) == list(DANGEROUS_CAPABILITIES)


@pytest.mark.parametrize("options, reached", [
    ("{type: none, o: bind, device: /etc}", "type=none,o=bind,device=/etc bind-mount the host path /etc"),
    ("{o: 'ro,rbind', device: /}", "o=ro,rbind,device=/ bind-mount the host path /"),
    ("{type: ext4, device: /dev/sda1}", "type=ext4,device=/dev/sda1 mount the host's /dev/sda1 as ext4"),
    ("{type: proc, device: proc}", "type=proc,device=proc mount a filesystem of type proc on the host"),
])
def test_local_driver_options_that_reach_the_host_are_warned_about_and_kept(options: str, reached: str) -> None:
    translation = translate(MINIMAL + f"  volumes:\n    - {{name: root, driver: local, driverOptions: {options}}}\n",
                            strict=True)
    assert messages(translation) == [
        f"web.yaml:9:35: warning: spec.volumes[0].driverOptions: the local driver options {reached}; capsule "
        f"create and update refuse this without --allow-host-path (pass --allow-host-path if this is meant)"
    ]
    assert isinstance(translation.capsules[0].volumes[0].source, NamedVolume)


@pytest.mark.parametrize("volume", [
    "{name: data}",
    "{name: data, driverOptions: {type: tmpfs, device: tmpfs, o: size=64m}}",
    "{name: data, driverOptions: {type: nfs, o: 'addr=10.0.0.9,rw', device: ':/exports/data'}}",
    "{name: data, driverOptions: {type: cifs, o: 'addr=10.0.0.9', device: '//10.0.0.9/share'}}",
    "{name: data, driver: rexray/ebs, driverOptions: {device: /dev/xvdf}}",  # a plugin: its admin's choice
])
def test_volumes_that_stay_off_the_host_get_no_warning(volume: str) -> None:
    assert messages(translate(MINIMAL + f"  volumes:\n    - {volume}\n", strict=True)) == []


def test_applied_fields_are_recorded_in_the_report() -> None:
    outcomes = translate(FULL).report.outcomes
    applied = {o.path for o in outcomes if o.bucket == "applied"}
    assert {"metadata.name", "spec.containers[0].resources", "spec.volumes[1].configMap",
            "spec.containers[0].livenessProbe"} <= applied
    assert all(o.bucket == "applied" for o in outcomes)


def test_probe_port_names_resolve_to_numbers() -> None:
    text = MINIMAL + (
        "      ports: [{name: web, containerPort: 8080}]\n"
        "      readinessProbe: {tcpSocket: {port: web}}\n"
    )
    probe = translate(text).capsules[0].containers[0].readiness_probe
    assert probe == Probe(tcp_port=8080)


def test_grpc_probes_are_read_and_written_back() -> None:
    text = MINIMAL + (
        "      ports: [{name: grpc, containerPort: 9555}]\n"
        "      readinessProbe: {grpc: {port: grpc, service: hipstershop.CartService}, periodSeconds: 2}\n"
        "      livenessProbe: {grpc: {port: 9555}}\n"
        "      startupProbe: {grpc: {port: 9555, mode: tls}}\n"
    )
    container = translate(text).capsules[0].containers[0]
    assert container.readiness_probe == Probe(grpc_port=9555, grpc_service="hipstershop.CartService", period_seconds=2)
    assert container.liveness_probe == Probe(grpc_port=9555)
    assert container.startup_probe == Probe(grpc_port=9555, grpc_tls=True)
    assert container.readiness_probe.to_dict()["grpc"] == {"port": 9555, "service": "hipstershop.CartService"}


@pytest.mark.parametrize(("probe", "error"), [
    ("{grpc: {service: cart}}", "web.yaml:8:24: error: spec.containers[0].readinessProbe.grpc.port: is required"),
    ("{grpc: {port: 0}}", "web.yaml:8:37: error: spec.containers[0].readinessProbe.grpc.port: found 0, expected a "
                          "port number from 1 to 65535"),
    ("{grpc: {port: cart}}", "web.yaml:8:37: error: spec.containers[0].readinessProbe.grpc.port: found 'cart', which "
                             "is not the name of a port of this container (use a port number)"),
    ("{grpc: {port: 1, mode: SSL}}", "spec.containers[0].readinessProbe.grpc.mode: found 'SSL', expected one of "
                                     "Plaintext, TLS"),
    ("{grpc: {port: 1}, tcpSocket: {port: 1}}", "spec.containers[0].readinessProbe: found tcpSocket and grpc, expected "
                                                "exactly one of exec, httpGet, tcpSocket, grpc"),
])
def test_bad_grpc_probes_are_errors_with_the_place(probe: str, error: str) -> None:
    with pytest.raises(TranslationFailed) as failure:
        translate(MINIMAL + f"      readinessProbe: {probe}\n")
    found = [d.format() for d in failure.value.diagnostics]
    assert len(found) == 1 and error in found[0], found


def test_file_modes_may_be_written_in_octal_or_decimal() -> None:
    base = MINIMAL + "  volumes:\n    - {name: c, configMap: {name: c, defaultMode: MODE}}\n"
    octal = translate(base.replace("MODE", "0640")).capsules[0].volumes[0]
    decimal = translate(base.replace("MODE", "416")).capsules[0].volumes[0]
    assert octal == decimal
    assert octal.source.default_mode == 0o640


def test_documents_keep_input_order_across_files(tmp_path) -> None:
    from translate.translation import translate_paths

    (tmp_path / "b.yaml").write_text(MINIMAL.replace("web", "b-one"))
    (tmp_path / "a.yaml").write_text(
        MINIMAL.replace("web", "a-one") + "---\n"
        + MINIMAL.replace("web", "a-two")
    )
    folder = translate_paths([str(tmp_path)])
    assert [c.name for c in folder.capsules] == ["a-one", "a-two", "b-one"]
    named = translate_paths([str(tmp_path / "b.yaml"), str(tmp_path / "a.yaml")])
    assert [c.name for c in named.capsules] == ["b-one", "a-one", "a-two"]
    assert named.origins[0] == f"{tmp_path / 'b.yaml'}#1 capsule/b-one"


# --- robustness: any value anywhere gives messages, never a crash ----------------------

JUNK = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=True)
    | st.text(max_size=12) | st.sampled_from(["250m", "64Mi", "/data", "data", "TCP", "-"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


def _paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


FULL_DATA = yaml.safe_load(textwrap.dedent(FULL))
FULL_PATHS = [p for p in _paths(FULL_DATA) if p and p != ("kind",)]


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(where=st.sampled_from(FULL_PATHS), junk=JUNK)
def test_any_value_in_any_field_is_reported_never_a_crash(where, junk) -> None:
    data = copy.deepcopy(FULL_DATA)
    node = data
    for part in where[:-1]:
        node = node[part]
    node[where[-1]] = junk
    text = yaml.safe_dump(data, sort_keys=False)
    try:
        translation = translate_text(text, "fuzz.yaml")
    except TranslationFailed as failure:
        assert failure.diagnostics and all(d.severity == "error" for d in failure.diagnostics)
        assert all(d.file == "fuzz.yaml" and d.line for d in failure.diagnostics)
        return
    # Whatever was accepted is normalized output that reads back to itself.
    output = write_capsules(translation.capsules)
    assert translate_text(output, "again.yaml").capsules == translation.capsules


@pytest.mark.parametrize(("written", "options", "said"), [
    ('"type=nfs,o=addr=10.0.0.1,rw,device=:/export"',
     (("type", "nfs"), ("o", "addr=10.0.0.1,rw"), ("device", ":/export")), None),
    ("{type: tmpfs, device: tmpfs}", (("type", "tmpfs"), ("device", "tmpfs")), None),
    ('""', (), None),
    ('"none"', (), "warning: spec.volumes[0].driverOptions: is ignored: 'none' has no key=value pairs"),
])
def test_driver_options_take_the_original_designs_string_form_too(written: str, options: tuple, said: str) -> None:
    """The original design wrote driverOptions as a string; a placeholder never refuses the file."""
    text = MINIMAL + f"  volumes: [{{name: data, driver: local, driverOptions: {written}}}]\n"
    translation = translate(text)
    assert translation.capsules[0].volumes[0].source.driver_options == options
    messages = [d.format().split(": ", 1)[1] for d in translation.report.diagnostics]
    assert len(messages) == (1 if said else 0) and all(m.startswith(said or "") for m in messages), messages


@pytest.mark.parametrize("written", ['"rw,type=nfs"', "[type=nfs]", "3"])
def test_driver_options_that_are_neither_form_are_an_error(written: str) -> None:
    with pytest.raises(TranslationFailed) as caught:
        translate(MINIMAL + f"  volumes: [{{name: data, driver: local, driverOptions: {written}}}]\n")
    assert "spec.volumes[0].driverOptions" in str(caught.value)


# ---------------------------------------------------------------- security settings


SECURE = """\
    apiVersion: beta
    kind: capsule
    metadata: {name: web}
    spec:
      securityContext:
        sysctls: [{name: net.ipv4.tcp_syncookies, value: "1"}]
      containers:
        - image: busybox:1.36
          securityContext: {seccompProfile: {type: RuntimeDefault}}
    """


def test_security_settings_read_and_a_runtime_default_profile_is_the_default() -> None:
    translation = translate(SECURE, strict=True)
    assert messages(translation) == []
    capsule = translation.capsules[0]
    assert capsule.security_context == PodSecurityContext(sysctls=(("net.ipv4.tcp_syncookies", "1"),))
    assert capsule.containers[0].security_context == SecurityContext()


def test_an_unsafe_sysctl_and_a_localhost_profile_are_errors_with_their_place() -> None:
    text = (SECURE.replace("net.ipv4.tcp_syncookies", "kernel.msgmax")
            .replace("RuntimeDefault", "Localhost"))
    with pytest.raises(TranslationFailed) as failure:
        translate(text)
    assert [d.format() for d in failure.value.report.errors] == [
        "web.yaml:6:22: error: spec.securityContext.sysctls[0].name: 'kernel.msgmax' is not one of Kubernetes' "
        "safe sysctls, which the kubelet refuses unless the node allows it; capsule sets only the safe ones "
        "(the safe sysctls: kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, "
        "net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start)",
        "web.yaml:9:48: error: spec.containers[0].securityContext.seccompProfile.type: is not supported: "
        "capsule cannot place a profile file on the host (use type: RuntimeDefault, the engine's default "
        "profile)",
    ]


def test_an_unconfined_profile_is_kept_with_the_warning_that_create_refuses_it() -> None:
    translation = translate(SECURE.replace("RuntimeDefault", "Unconfined"), strict=True)
    assert messages(translation) == [
        "web.yaml:9:42: warning: spec.containers[0].securityContext.seccompProfile.type: Unconfined runs the "
        "container without a seccomp filter, which weakens its isolation from the host; capsule create and "
        "update refuse this without --allow-privileged (pass --allow-privileged if this is meant)"]
    assert translation.capsules[0].containers[0].security_context.seccomp_profile == "Unconfined"
    again = translate_text(write_capsules(translation.capsules, "yaml"), "out.yaml")
    assert again.capsules == translation.capsules


SIDECAR = MINIMAL.replace("spec:\n", textwrap.dedent("""\
    spec:
      initContainers:
        - {name: proxy, image: busybox:1.36, restartPolicy: Always}
        - {name: setup, image: busybox:1.36}
    """))


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_a_native_sidecar_reads_and_reads_back_equal(fmt: str) -> None:
    first = translate(SIDECAR)
    assert messages(first) == []
    assert [(c.name, c.sidecar) for c in first.capsules[0].init_containers] == [("proxy", True), ("setup", False)]
    output = write_capsules(first.capsules, fmt)
    assert output.count("restartPolicy") == 2  # the capsule's and the sidecar's
    again = translate_text(output, f"out.{fmt}")
    assert messages(again) == []
    assert again.capsules == first.capsules


def test_restart_policy_on_a_container_is_only_always_and_only_for_init_containers() -> None:
    text = SIDECAR.replace("restartPolicy: Always", "restartPolicy: Never").replace(
        "    - image: nginx:1.27", "    - image: nginx:1.27\n      restartPolicy: Always")
    with pytest.raises(TranslationFailed) as failure:
        translate(text)
    assert [d.format() for d in failure.value.diagnostics] == [
        "web.yaml:7:57: error: spec.initContainers[0].restartPolicy: found 'Never', expected Always "
        "(a native sidecar)",
        "web.yaml:11:7: error: spec.containers[0].restartPolicy: is allowed only on an init container "
        "(a native sidecar) (remove restartPolicy; members restart by the capsule's restartPolicy)",
    ]
