"""Type-confused Kubernetes manifests never crash the reader (issue 12, item 16).

A realistic Deployment (with a ConfigMap, a Secret, probes, volumes, resources, a
StatefulSet claim and two Services) has values at random places replaced by values of the wrong type:
lists, mappings, numbers, booleans, null, odd text. Whatever comes in, `capsule
translate` either succeeds or exits 2 with every error naming its file, line and
field; never an internal error (exit 70). Checked in-process (fast, many examples) and
through the command for a few (the exit code users see).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from importlib import resources
from typing import Any

import jsonschema
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.capsule_cli import capsule_command
from translate.diagnostics import TranslationError
from translate.kubernetes.pod_writer import write_pods
from translate.output import write_capsules
from translate.translation import TranslationFailed, translate_text

SCHEMA = json.loads(resources.files("translate").joinpath("capsule.schema.json").read_text("utf-8"))

MANIFEST: list[dict[str, Any]] = list(yaml.safe_load_all("""\
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {GREETING: hello, index.html: "<p>hi</p>"}
---
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {password: not-a-real-one}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}, annotations: {note: x}}
    spec:
      restartPolicy: Always
      securityContext: {runAsUser: 1000}
      initContainers:
        - {name: init, image: busybox:1.36, command: [sh, -c, "true"]}
      containers:
        - name: app
          image: busybox:1.36
          command: [sh, -c]
          args: ["echo $(GREETING); sleep 1"]
          workingDir: /www
          env:
            - {name: GREETING, valueFrom: {configMapKeyRef: {name: settings, key: GREETING}}}
            - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
            - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
          envFrom: [{configMapRef: {name: settings}, prefix: CFG_}]
          ports: [{name: http, containerPort: 8080, hostPort: 18080, protocol: TCP}]
          resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: "1", memory: 128Mi}}
          readinessProbe: {httpGet: {path: /, port: http}, periodSeconds: 5}
          livenessProbe: {exec: {command: [cat, /tmp/ok]}, failureThreshold: 3}
          volumeMounts:
            - {name: www, mountPath: /www}
            - {name: scratch, mountPath: /scratch, readOnly: false}
            - {name: creds, mountPath: /creds}
          securityContext: {capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}
      volumes:
        - {name: www, configMap: {name: settings, items: [{key: index.html, path: index.html}]}}
        - {name: scratch, emptyDir: {sizeLimit: 10Mi}}
        - {name: creds, secret: {secretName: creds, defaultMode: 0400}}
---
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
        - {name: db, image: busybox:1.36, volumeMounts: [{name: data, mountPath: /data}]}
  volumeClaimTemplates:
    - metadata: {name: data}
      spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default, labels: {app: web}}
spec:
  type: NodePort
  selector: {app: web}
  sessionAffinity: None
  ports:
    - {name: http, port: 80, targetPort: http, protocol: TCP, nodePort: 30080}
    - {name: metrics, port: 9090, targetPort: 9090}
---
apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 5432, targetPort: 5432}]
"""))


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a value in the manifest (mapping keys and list positions)."""
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, prefix + (index,))
    return found


PATHS = _paths(MANIFEST)

CONFUSED = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["", "1e1000", "8Ei", "-0", "$(X)", "..", "a b", "Ki", "0x10", "∞"]),
    st.lists(st.one_of(st.integers(), st.text(max_size=4), st.none()), max_size=3),
    st.dictionaries(st.text(max_size=4), st.one_of(st.integers(), st.text(max_size=4), st.none()), max_size=3),
)


def _replace(manifest: list, path: tuple, value: Any) -> None:
    node = manifest
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def confused(changes: list[tuple[tuple, Any]]) -> str:
    manifest = copy.deepcopy(MANIFEST)
    for path, value in changes:
        try:
            _replace(manifest, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced what this path went through
    return yaml.safe_dump_all(manifest, sort_keys=False, allow_unicode=True)


CHANGES = st.lists(st.tuples(st.sampled_from(PATHS), CONFUSED), min_size=1, max_size=4)


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "400")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(CHANGES)
def test_the_reader_reports_type_confusion_as_errors_with_a_field_never_a_crash(changes) -> None:
    text = confused(changes)
    try:
        translation = translate_text(text, "app.yaml")
    except TranslationFailed as failed:
        for diagnostic in failed.report.errors:  # where: the file and line, and the field below a document
            assert diagnostic.file == "app.yaml" and diagnostic.line is not None, diagnostic.format()
        return
    # What was accepted is written out as valid JSON, validates, and reads back the same (item 18).
    written = write_capsules(translation.capsules, "json", translation.services)
    documents = json.loads(written)
    for document in documents if isinstance(documents, list) else [documents]:
        jsonschema.validate(document, SCHEMA)
    again = translate_text(written, "out.json")
    assert (again.capsules, again.services) == (translation.capsules, translation.services)
    try:
        json.loads(write_pods(translation.capsules, "json", translation.services))
    except TranslationError:
        pass  # a capsule a Pod cannot express: said as an error, with the field


# Below the kind (a wrong kind is the dispatcher's message, which names the kind itself).
SERVICE_PATHS = [path for path in PATHS if MANIFEST[path[0]]["kind"] == "Service" and path[1:2] not in ((), ("kind",))]


@settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "300")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(SERVICE_PATHS), CONFUSED), min_size=1, max_size=3))
def test_a_type_confused_service_is_an_error_with_its_field_never_a_crash(changes) -> None:
    text = confused(changes)
    try:
        translation = translate_text(text, "app.yaml")
    except TranslationFailed as failed:
        for diagnostic in failed.report.errors:
            # Below the document's kind, every error names the field it is about.
            assert diagnostic.line is not None and diagnostic.path, diagnostic.format()
        return
    written = write_capsules(translation.capsules, "json", translation.services)
    for document in json.loads(written):
        jsonschema.validate(document, SCHEMA)
    again = translate_text(written, "out.json")
    assert again.services == translation.services


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(CHANGES)
def test_the_command_exits_0_or_2_on_type_confusion(tmp_path_factory, changes) -> None:
    path = tmp_path_factory.mktemp("fuzz") / "app.yaml"
    path.write_text(confused(changes))
    for extra in ([], ["--to", "pod"], ["-o", "json"]):
        result = subprocess.run(capsule_command() + ["translate", str(path), *extra], capture_output=True,
                                text=True, stdin=subprocess.DEVNULL, timeout=60)
        assert result.returncode in (0, 2), result.stderr
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
