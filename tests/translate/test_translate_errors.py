"""Every kind of bad input to `capsule translate`, each with the exact message it gets.

Each test writes one file, runs the command's entry point (`capsule_tui.cli.main`, in
process so the suite stays fast; tests/cli/test_cli_translate.py runs the real console
script), and checks the exit code, that nothing reached standard output, and every
line of standard error: file:line:column: severity: field path: message (hint).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from capsule_tui.cli import main
from translate.source import MAX_INPUT_BYTES


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture):
    """Write `content` to bad.yaml and run `capsule translate bad.yaml [options]`."""
    monkeypatch.chdir(tmp_path)

    def run_translate(content: str | bytes, *options: str, name: str = "bad.yaml"):
        data = content if isinstance(content, bytes) else textwrap.dedent(content).encode()
        (tmp_path / name).write_bytes(data)
        code = main(["translate", name, *options])
        out, err = capsys.readouterr()
        return code, out, err.splitlines()

    return run_translate


def assert_refused(result, expected: list[str]) -> None:
    code, out, err = result
    assert err == expected
    assert out == ""  # nothing half-done reaches standard output
    assert code == 2


def test_not_yaml(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata:
          name: web: x
        """), [
        "bad.yaml:4:12: error: is not valid YAML: mapping values are not allowed in this "
        "context (check the indentation and the colons on this line)",
    ])


def test_document_that_is_not_a_mapping(run) -> None:
    assert_refused(run("""\
        - apiVersion: beta
        - kind: capsule
        """), [
        "bad.yaml:1:1: error: found a list, expected a mapping with apiVersion, kind, "
        "metadata and spec (a document is a mapping of fields, not a list or text)",
    ])


def test_document_that_is_plain_text(run) -> None:
    assert_refused(run("just some words\n"), [
        "bad.yaml:1:1: error: found a string ('just some words'), expected a mapping with "
        "apiVersion, kind, metadata and spec (a document is a mapping of fields, not a list "
        "or text)",
    ])


def test_unknown_kind(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: Foo
        metadata: {name: web}
        """), [
        "bad.yaml:2:7: error: kind 'Foo' is not a capsule or a supported Kubernetes kind; "
        "supported: capsule, Pod, Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job, "
        "CronJob, Service, List, ConfigMap, Secret",
    ])


def test_misspelled_kubernetes_kind_gets_a_suggestion(run) -> None:
    assert_refused(run("""\
        apiVersion: apps/v1
        kind: Deploymnet
        """), [
        "bad.yaml:2:7: error: kind 'Deploymnet' is not a capsule or a supported Kubernetes "
        "kind; supported: capsule, Pod, Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job, "
        "CronJob, Service, List, ConfigMap, Secret (did you mean 'Deployment'?)",
    ])


def test_kubernetes_kind_in_the_wrong_case(run) -> None:
    assert_refused(run("""\
        apiVersion: apps/v1
        kind: deployment
        """), [
        "bad.yaml:2:7: error: kind 'deployment' is not a capsule or a supported Kubernetes "
        "kind; supported: capsule, Pod, Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job, "
        "CronJob, Service, List, ConfigMap, Secret (Kubernetes kinds are written with capitals: "
        "'Deployment')",
    ])


def test_missing_kind(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        metadata: {name: web}
        """), [
        "bad.yaml:1:1: error: kind: is required: expected 'capsule' or a Kubernetes kind "
        "(add 'kind: capsule' and 'apiVersion: beta', or the manifest's Kubernetes kind)",
    ])


def test_wrong_api_version(run) -> None:
    assert_refused(run("""\
        apiVersion: v1
        kind: capsule
        metadata: {name: web}
        spec:
          containers: [{image: nginx}]
        """), [
        "bad.yaml:1:13: error: apiVersion: found 'v1', expected 'beta' "
        "(capsule documents are 'apiVersion: beta')",
    ])


MISSPELLED = """\
    apiVersion: beta
    kind: capsule
    metadata:
      name: web
    spec:
      containers:
        - image: busybox:1.36
          comand: [sleep, "3600"]
    """


def test_misspelled_field_is_a_warning_with_a_suggestion(run) -> None:
    code, out, err = run(MISSPELLED)
    assert err == [
        "bad.yaml:8:7: warning: spec.containers[0].comand: is not a field of a container "
        "(did you mean 'command'?)",
    ]
    assert code == 0
    assert "name: busybox" in out
    assert "comand" not in out and "command" not in out  # reported, never half-applied


def test_misspelled_field_is_an_error_under_strict(run) -> None:
    assert_refused(run(MISSPELLED, "--strict"), [
        "bad.yaml:8:7: error: spec.containers[0].comand: is not a field of a container "
        "(did you mean 'command'?)",
    ])


REACHES_THE_HOST = """\
    apiVersion: beta
    kind: capsule
    metadata: {name: web}
    spec:
      containers:
        - image: busybox:1.36
          securityContext: {capabilities: {add: [SYS_ADMIN]}}
      volumes:
        - name: root
          driver: local
          driverOptions: {type: none, o: bind, device: /etc}
    """


@pytest.mark.parametrize("options", [(), ("--strict",)])
def test_what_create_refuses_without_a_flag_is_a_warning_even_under_strict(run, options) -> None:
    code, out, err = run(REACHES_THE_HOST, *options)
    assert err == [
        "bad.yaml:7:40: warning: spec.containers[0].securityContext.capabilities.add: adds SYS_ADMIN, which "
        "breaks the container's isolation from the host; capsule create and update refuse this without "
        "--allow-privileged (pass --allow-privileged if this is meant)",
        "bad.yaml:11:7: warning: spec.volumes[0].driverOptions: the local driver options "
        "type=none,o=bind,device=/etc bind-mount the host path /etc; capsule create and update refuse this "
        "without --allow-host-path (pass --allow-host-path if this is meant)",
    ]
    # Translated as written: the flags of create decide, not translate.
    assert code == 0 and "SYS_ADMIN" in out and "device: /etc" in out


def test_unknown_field_without_a_close_name_lists_the_known_ones(run) -> None:
    code, _out, err = run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers: [{image: nginx}]
          volumes:
            - name: data
              zzz: 1
        """)
    assert err == [
        "bad.yaml:8:7: warning: spec.volumes[0].zzz: is not a field of a volume (known "
        "fields here: configMap, driver, driverOptions, emptyDir, hostPath, image, name, "
        "persistentVolumeClaim, secret, size, volumeType)",
    ]
    assert code == 0


def test_wrong_types(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata:
          name: web
          labels: [app, web]
        spec:
          restartPolicy: 3
          containers:
            - image: nginx
              ports:
                - containerPort: eighty
              stdin: "yes"
              env: 3
              volumeMounts: {name: data}
        """), [
        "bad.yaml:5:11: error: metadata.labels: found a list, expected a mapping",
        "bad.yaml:7:18: error: spec.restartPolicy: found a number (3), expected one of "
        "Always, OnFailure, Never",
        "bad.yaml:11:26: error: spec.containers[0].ports[0].containerPort: found a string "
        "('eighty'), expected a port number",
        "bad.yaml:12:14: error: spec.containers[0].stdin: found a string ('yes'), expected "
        "true or false",
        "bad.yaml:13:12: error: spec.containers[0].env: found a number (3), expected a map "
        "of NAME: value or a list of {name, value}",
        "bad.yaml:14:21: error: spec.containers[0].volumeMounts: found a mapping, expected a "
        "list of volume mounts",
    ])


def test_containers_that_are_not_a_list(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers: nginx
        """), [
        "bad.yaml:5:15: error: spec.containers: found a string ('nginx'), expected a list "
        "of containers",
    ])


def test_bad_quantities(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers:
            - image: nginx
              resources:
                requests:
                  cpu: lots
                  memory: 12XB
                limits:
                  memory: -1Gi
          volumes:
            - name: data
              size: big
        """), [
        "bad.yaml:9:16: error: spec.containers[0].resources.requests.cpu: found 'lots', "
        "which is not a quantity; expected CPU cores such as 0.5, 2 or 250m",
        "bad.yaml:10:19: error: spec.containers[0].resources.requests.memory: found '12XB', "
        "which is not a quantity; expected bytes such as 67108864, 64Mi, 1Gi, 512MB or 2GB",
        "bad.yaml:12:19: error: spec.containers[0].resources.limits.memory: found '-1Gi'; "
        "memory cannot be negative",
        "bad.yaml:15:13: error: spec.volumes[0].size: found 'big', which is not a quantity; "
        "expected bytes such as 67108864, 64Mi, 1Gi, 512MB or 2GB",
    ])


def test_request_above_its_limit(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers:
            - image: nginx
              resources:
                requests: {cpu: 2}
                limits: {cpu: 500m}
        """), [
        "bad.yaml:8:25: error: spec.containers[0].resources.requests.cpu: found 2 cores, "
        "more than the limit of 0.5 (a request cannot exceed its limit)",
    ])


def test_duplicate_container_names_across_init_and_members(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          initContainers:
            - name: web
              image: busybox
          containers:
            - name: web
              image: nginx
            - name: web
              image: nginx
        """), [
        "bad.yaml:9:13: error: spec.containers[0].name: found 'web', which is already the "
        "name of spec.initContainers[0] (give each container, init containers included, "
        "its own name)",
        "bad.yaml:11:13: error: spec.containers[1].name: found 'web', which is already the "
        "name of spec.initContainers[0] (give each container, init containers included, "
        "its own name)",
    ])


def test_volume_mount_that_names_no_volume(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers:
            - image: nginx
              volumeMounts:
                - name: html
                  mountPath: /usr/share/nginx/html
                - name: cache
                  mountPath: /cache
          volumes:
            - name: htm
        """), [
        "bad.yaml:8:17: error: spec.containers[0].volumeMounts[0].name: found 'html', which "
        "is not a volume in spec.volumes (did you mean 'htm'?)",
        "bad.yaml:10:17: error: spec.containers[0].volumeMounts[1].name: found 'cache', "
        "which is not a volume in spec.volumes (volumes here: htm)",
    ])


def test_mount_path_that_is_not_absolute(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers:
            - image: nginx
              volumeMounts:
                - name: data
                  mountPath: data
          volumes:
            - name: data
        """), [
        "bad.yaml:9:22: error: spec.containers[0].volumeMounts[0].mountPath: found 'data', "
        "expected an absolute path starting with '/' (write '/data')",
    ])


def test_ports_out_of_range(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers:
            - image: nginx
              ports:
                - containerPort: 0
                - containerPort: 80
                  hostPort: 70000
        """), [
        "bad.yaml:8:26: error: spec.containers[0].ports[0].containerPort: found 0, expected "
        "a port number from 1 to 65535",
        "bad.yaml:10:21: error: spec.containers[0].ports[1].hostPort: found 70000, expected "
        "a port number from 1 to 65535",
    ])


def test_same_host_port_twice_in_one_capsule(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers:
            - image: nginx
              ports:
                - {containerPort: 80, hostPort: 8080}
                - {containerPort: 53, hostPort: 8080, protocol: UDP}
            - image: httpd
              ports:
                - {containerPort: 8081, hostPort: 8080}
        """), [
        "bad.yaml:12:43: error: spec.containers[1].ports[0].hostPort: found 8080/TCP, which "
        "spec.containers[0].ports[0].hostPort already publishes (a capsule publishes each "
        "hostPort and protocol once; pick another hostPort)",
    ])


def test_no_containers(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers: []
        """), [
        "bad.yaml:5:3: error: spec.containers: is empty: a capsule needs at least one "
        "container (add a container with at least an image under spec.containers)",
    ])


def test_no_spec_at_all(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        """), [
        "bad.yaml:1:1: error: spec.containers: is required: a capsule needs at least one "
        "container (add a container with at least an image under spec.containers)",
    ])


def test_container_without_image(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        spec:
          containers:
            - name: web
        """), [
        "bad.yaml:6:7: error: spec.containers[0].image: is required: expected an image "
        "reference such as nginx:1.27",
    ])


def test_names_that_are_not_dns_1123_labels(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata:
          name: Web_App
        spec:
          containers:
            - name: front.end
              image: nginx
          volumes:
            - name: -data
        """), [
        "bad.yaml:4:9: error: metadata.name: 'Web_App' is not a DNS-1123 subdomain: use "
        "lower-case letters, digits, '-' and '.', each part between dots starting and ending with a "
        "letter or digit (for example 'web-app')",
        "bad.yaml:7:13: error: spec.containers[0].name: 'front.end' is not a DNS-1123 "
        "label: use lower-case letters, digits and '-', starting and ending with a letter "
        "or digit (for example 'front-end')",
        "bad.yaml:10:13: error: spec.volumes[0].name: '-data' is not a DNS-1123 label: use "
        "lower-case letters, digits and '-', starting and ending with a letter or digit "
        "(for example 'data')",
    ])


def test_name_longer_than_a_dns_subdomain(run) -> None:
    name = "a" * 254
    assert_refused(run(f"""\
        apiVersion: beta
        kind: capsule
        metadata: {{name: {name}}}
        spec:
          containers: [{{image: nginx}}]
        """), [
        "bad.yaml:3:18: error: metadata.name: is 254 characters long; at most 253 are allowed "
        f"(for example '{'a' * 253}')",
    ])


def test_restart_policy_given_twice_with_different_values(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata: {name: web}
        restartPolicy: Never
        spec:
          restartPolicy: Always
          containers: [{image: nginx}]
        """), [
        "bad.yaml:6:3: error: spec.restartPolicy: differs from the top-level restartPolicy "
        "('Never') (give restartPolicy once, under spec)",
    ])


def test_lables_together_with_labels(run) -> None:
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata:
          name: web
          labels: {a: b}
          lables: {c: d}
        spec:
          containers: [{image: nginx}]
        """), [
        "bad.yaml:6:3: error: metadata.lables: is given together with 'labels' (merge them "
        "into 'labels')",
    ])


def test_yaml_alias_bomb_is_refused_before_it_expands(run) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for letter, previous in zip("bcdefghi", "abcdefgh", strict=True):
        lines.append(f"{letter}: &{letter} [" + ",".join([f"*{previous}"] * 9) + "]")
    assert_refused(run("\n".join(lines) + "\n"), [
        "bad.yaml:1:38: error: expands to more than 100000 values (YAML aliases repeat "
        "content) (remove the anchors (&) and aliases (*) that repeat large blocks)",
    ])


def test_oversized_file(run) -> None:
    content = b"# " + b"x" * MAX_INPUT_BYTES + b"\n"
    assert_refused(run(content), [
        "bad.yaml: error: is larger than 4 MiB (split it into several files; a capsule "
        "manifest is a few KiB)",
    ])


def test_file_that_is_not_utf8(run) -> None:
    content = "apiVersion: beta\nkind: capsule\nmetadata:\n  name: café\n".encode("latin-1")
    assert_refused(run(content), [
        "bad.yaml:4:12: error: is not UTF-8 text: byte 0xe9 cannot be decoded (save the "
        "file as UTF-8)",
    ])


def test_volume_keys_indented_at_the_list_dash_as_in_the_original_spec(run) -> None:
    # The original format spec's sample: the volume's keys line up with its dash.
    assert_refused(run("""\
        apiVersion: beta
        kind: capsule
        metadata:
          name: web
        spec:
          containers:
            - name: web
              image: nginx
              volumeMounts:
                - name: data
                  mountPath: /data
          volumes:
            - name: data
            driver: local
            size: 1GB
        """), [
        "bad.yaml:14:5: error: is not valid YAML: while parsing a block collection did not "
        "find expected '-' indicator ('driver' is indented at the level of the list dash "
        "above it; indent it 6 spaces so it belongs to that list item)",
    ])


def test_every_error_of_every_file_is_reported_in_file_order(run, tmp_path: Path, capsys) -> None:
    (tmp_path / "first.yaml").write_text("kind: Foo\n")
    (tmp_path / "second.yaml").write_bytes(b"name: \xff\n")
    code = main(["translate", "first.yaml", "second.yaml", "missing.yaml"])
    out, err = capsys.readouterr()
    assert err.splitlines() == [
        "first.yaml:1:7: error: kind 'Foo' is not a capsule or a supported Kubernetes kind; "
        "supported: capsule, Pod, Deployment, ReplicaSet, ReplicationController, StatefulSet, DaemonSet, Job, "
        "CronJob, Service, List, ConfigMap, Secret",
        "second.yaml:1:7: error: is not UTF-8 text: byte 0xff cannot be decoded (save the "
        "file as UTF-8)",
        "missing.yaml: error: no such file (check the path)",
    ]
    assert (code, out) == (2, "")
