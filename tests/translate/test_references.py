"""ConfigMaps and Secrets that are not in the input: kept as references by translate, resolved for create.

translate/references.py resolves with a lookup; here the lookup is a dict, so every
rule (precedence, optional, items, the problems' words) is checked without a store.
The store, the command line and a real member are in tests/cli/test_config_refs.py.
"""

from __future__ import annotations

import json
import textwrap
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from translate.diagnostics import Report
from translate.kubernetes.format import read_kubernetes
from translate.kubernetes.pod_writer import write_pods
from translate.references import CONFIG_MAP, SECRET, ConfigObject, input_first, resolve
from translate.secrets import SecretStore
from translate.source import load_documents
from translate.spec import ConfigMapVolume, EnvVar, SecretKeyRef
from translate.translation import TranslationFailed, translate_paths, translate_text

SCHEMA = json.loads(resources.files("translate").joinpath("capsule.schema.json").read_text("utf-8"))

APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: app
          image: busybox:1.36
          envFrom:
            - configMapRef: {name: settings}
              prefix: CFG_
            - secretRef: {name: creds, optional: true}
          env:
            - {name: CFG_MODE, value: explicit}
            - name: PASSWORD
              valueFrom: {secretKeyRef: {name: db, key: password}}
            - name: LEVEL
              valueFrom: {configMapKeyRef: {name: settings, key: level}}
            - name: MAYBE
              valueFrom: {configMapKeyRef: {name: absent, key: x, optional: true}}
          volumeMounts: [{name: conf, mountPath: /conf}, {name: certs, mountPath: /certs}]
      volumes:
        - name: conf
          configMap:
            name: settings
            items: [{key: app.ini, path: etc/app.ini}]
        - name: certs
          secret: {secretName: db}
"""
SECRET_DOC = """\
apiVersion: v1
kind: Secret
metadata: {name: db, namespace: shop}
stringData: {password: s3cret-value-42}
"""


def stored(*objects: ConfigObject):  # type: ignore[no-untyped-def]
    table = {(o.kind, o.namespace, o.name): o for o in objects}
    return lambda kind, namespace, name: table.get((kind, namespace, name))


SETTINGS = ConfigObject(CONFIG_MAP, "shop", "settings", {"MODE": "stored", "level": "debug", "app.ini": "[a]\n"})
DB = ConfigObject(SECRET, "shop", "db", {"password": b"s3cret-value-42"})


def test_translate_keeps_every_reference_with_a_warning_and_valid_output(tmp_path: Path) -> None:
    app = tmp_path / "app.yaml"
    app.write_text(APP)
    translation = translate_paths([str(app)])
    warnings = [d.format() for d in translation.report.diagnostics]
    # settings (envFrom, env, volume) and db (env, volume); the optional ones say nothing
    assert len(warnings) == 5, warnings
    assert all(": warning: " in w and "the reference is kept" in w for w in warnings)
    assert sum("ConfigMap 'shop/settings'" in w for w in warnings) == 3
    assert any("spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.name: refers to Secret 'shop/db'"
               in w for w in warnings)
    document = json.loads(json.dumps(translation.capsules[0].to_dict()))
    assert list(Draft202012Validator(SCHEMA).iter_errors(document)) == []
    spec = document["spec"]
    assert spec["containers"][0]["envFrom"] == [{"configMapRef": {"name": "settings"}, "prefix": "CFG_"},
                                                {"secretRef": {"name": "creds", "optional": True}}]
    assert spec["volumes"][0]["configMap"] == {"name": "settings", "defaultMode": 420,
                                               "items": [{"key": "app.ini", "path": "etc/app.ini"}]}
    # The normalized document is capsule input that reads back to the same spec, without a word.
    back = translate_text(json.dumps(document), "normalized.json")
    assert back.capsules == translation.capsules and back.report.diagnostics == []
    # And so is the Pod that --to pod writes.
    report = Report()
    read = read_kubernetes(load_documents(write_pods(translation.capsules), "pods.yaml"), report)
    assert [capsule for capsule, _ in read.capsules] == translation.capsules


def test_a_missing_reference_is_a_warning_even_under_strict(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    translation = translate_paths([str(tmp_path / "app.yaml")], strict=True)
    assert len(translation.capsules) == 1
    assert {d.severity for d in translation.report.diagnostics} == {"warning"}


def test_files_given_together_resolve_without_a_warning(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(APP.replace("name: settings", "name: inline"))
    (tmp_path / "secret.yaml").write_text(SECRET_DOC + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: "
                                          "{name: inline, namespace: shop}\ndata: {level: info, app.ini: x}\n")
    translation = translate_paths([str(tmp_path / "app.yaml"), str(tmp_path / "secret.yaml")])
    assert translation.report.diagnostics == []
    assert [(o.kind, o.ref, o.keys()) for o in translation.config_objects] == [
        ("Secret", "shop/db", ("password",)), ("ConfigMap", "shop/inline", ("app.ini", "level"))]
    assert "s3cret" not in repr(translation.config_objects)  # a repr shows key names only


def test_resolve_fills_every_reference_from_the_stored_objects(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    translation = translate_paths([str(tmp_path / "app.yaml")], warn_missing=False)
    assert translation.report.diagnostics == []
    secrets = SecretStore()
    capsules, problems = resolve(translation.capsules, secrets, stored(SETTINGS, DB), translation.origins)
    assert problems == []
    app = capsules[0].containers[0]
    # envFrom first (with its prefix), env after it and over it; optional and missing: left out.
    assert {e.name: (e.value, e.secret_ref) for e in app.env} == {
        "CFG_MODE": ("explicit", None),
        "CFG_level": ("debug", None),
        "CFG_app.ini": ("[a]\n", None),
        "PASSWORD": (None, SecretKeyRef("db", "password")),
        "LEVEL": ("debug", None),
    }
    assert app.env_from == ()
    assert capsules[0].volumes[0].source == ConfigMapVolume("settings", (("etc/app.ini", "[a]\n"),))
    assert secrets.of("shop").value("db", "password") == b"s3cret-value-42"


def test_a_missing_reference_names_capsule_field_and_namespace_name_key(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(APP)
    translation = translate_paths([str(tmp_path / "app.yaml")], warn_missing=False)
    no_key = ConfigObject(SECRET, "shop", "db", {"user": b"x"})
    other_namespace = ConfigObject(CONFIG_MAP, "default", "settings", {"level": "x"})
    capsules, problems = resolve(translation.capsules, SecretStore(), stored(no_key, other_namespace),
                                 translation.origins)
    where = translation.origins[0]
    assert where.endswith("app.yaml#1 Deployment/web")
    assert problems == [
        f"{where}: spec.containers[app].envFrom[0].configMapRef: refers to ConfigMap 'shop/settings', which is "
        "neither in the input nor created before; give it with the same command (-f app.yaml -f "
        "configmap.yaml), create it first (capsule create -f configmap.yaml), or set optional: true",
        f"{where}: spec.containers[app].env[PASSWORD].valueFrom.secretKeyRef: Secret 'shop/db' has no key "
        "'password'; its keys are: user",
        f"{where}: spec.containers[app].env[LEVEL].valueFrom.configMapKeyRef: refers to ConfigMap "
        "'shop/settings', which is neither in the input nor created before; give it with the same command "
        "(-f app.yaml -f configmap.yaml), create it first (capsule create -f configmap.yaml), or set optional: "
        "true",
        f"{where}: spec.volumes[conf].configMap: refers to ConfigMap 'shop/settings', which is neither in the "
        "input nor created before; give it with the same command (-f app.yaml -f configmap.yaml), create it "
        "first (capsule create -f configmap.yaml), or set optional: true",
    ]
    assert not any("s3cret" in p or ": x" in p for p in problems)


def test_an_input_secret_is_preferred_and_replicas_say_a_problem_once() -> None:
    text = textwrap.dedent(APP).replace("  template:", "  replicas: 3\n  template:")
    translation = translate_text(text + "---\n" + SECRET_DOC, "app.yaml")
    assert len(translation.capsules) == 3
    secrets = translation.secrets
    capsules, problems = resolve(translation.capsules, secrets, stored(ConfigObject(
        SECRET, "shop", "db", {"password": b"stored-other"})), translation.origins)
    assert secrets.of("shop").value("db", "password") == b"s3cret-value-42"
    assert len(problems) == 3  # settings, three places, once for the three replicas
    assert EnvVar("MAYBE") not in capsules[0].containers[0].env


@pytest.mark.parametrize("text", [
    # Kubernetes: a reference to a Secret or ConfigMap not in the input, with an empty name or key.
    "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: a\n    image: busybox:1.36\n"
    "    env:\n    - name: X\n      valueFrom: {secretKeyRef: {name: '', key: k}}\n",
    "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - name: a\n    image: busybox:1.36\n"
    "    env:\n    - name: X\n      valueFrom: {configMapKeyRef: {name: settings, key: ''}}\n",
    # The capsule format: the same references, which its output writes out.
    "apiVersion: beta\nkind: capsule\nmetadata: {name: a}\nspec:\n  containers:\n  - name: a\n"
    "    image: busybox:1.36\n    env:\n    - name: X\n      valueFrom: {secretKeyRef: {name: '', key: k}}\n",
    "apiVersion: beta\nkind: capsule\nmetadata: {name: a}\nspec:\n  containers:\n  - name: a\n"
    "    image: busybox:1.36\n    envFrom:\n    - configMapRef: {name: 'Not A Name'}\n",
    # Volumes of both formats.
    "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers:\n  - {name: a, image: busybox:1.36}\n"
    "  volumes:\n  - name: v\n    secret: {secretName: ''}\n",
    "apiVersion: beta\nkind: capsule\nmetadata: {name: a}\nspec:\n  containers:\n  - {name: a, image: busybox:1.36}\n"
    "  volumes:\n  - name: v\n    configMap: {name: ''}\n",
])
def test_a_reference_with_an_empty_or_impossible_name_or_key_is_an_error_not_an_unreadable_output(text: str) -> None:
    """Found by the reader's fuzz test: kept as a reference, an empty name was written out and the
    output failed the schema; it is an error on its field instead."""
    with pytest.raises(TranslationFailed) as caught:
        translate_text(text, "in.yaml")
    errors = caught.value.report.errors
    assert any(d.path.endswith((".name", ".key", ".secretName")) for d in errors), errors


ORDERED = """\
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers:
    - name: app
      image: busybox:1.36
      envFrom:
        - configMapRef: {name: FIRST}
        - configMapRef: {name: SECOND}
        - secretRef: {name: db}
      env:
        - {name: B, value: explicit}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: local, namespace: shop}
data: {A: local, B: local, C: local}
"""


def test_envfrom_sources_apply_in_order_the_last_wins_and_env_wins_over_all() -> None:
    outside = ConfigObject(CONFIG_MAP, "shop", "outside", {"A": "outside"})
    for first, second, a_wins in (("local", "outside", "outside"), ("outside", "local", "local")):
        text = ORDERED.replace("FIRST", first).replace("SECOND", second) + "---\n" + SECRET_DOC
        translation = translate_text(text, "app.yaml")
        container = translation.capsules[0].containers[0]
        assert [(r.kind, r.name) for r in container.env_from] == [  # every source kept, in order
            (CONFIG_MAP, first), (CONFIG_MAP, second), (SECRET, "db")]
        assert [e.name for e in container.env] == ["B"]
        capsules, problems = resolve(translation.capsules, translation.secrets,
                                     input_first(translation.config_objects, stored(outside)), translation.origins)
        assert problems == []
        env = {e.name: e.value or e.secret_ref for e in capsules[0].containers[0].env}
        assert env == {"A": a_wins, "B": "explicit", "C": "local", "password": SecretKeyRef("db", "password")}


# -- Namespaces: a reference names an object of the capsule's own namespace, as in Kubernetes ---

def pod_in(namespace: str) -> str:
    return f"""\
apiVersion: v1
kind: Pod
metadata: {{name: web-{namespace}, namespace: {namespace}}}
spec:
  containers:
    - name: app
      image: busybox:1.36
      env:
        - name: PASSWORD
          valueFrom: {{secretKeyRef: {{name: db, key: password}}}}
        - name: LEVEL
          valueFrom: {{configMapKeyRef: {{name: settings, key: level}}}}
      volumeMounts: [{{name: certs, mountPath: /certs}}]
  volumes:
    - name: certs
      secret: {{secretName: db}}
"""


def objects_in(namespace: str) -> str:
    return f"""\
apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: {namespace}}}
stringData: {{password: password-of-{namespace}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: settings, namespace: {namespace}}}
data: {{level: level-of-{namespace}}}
"""


def test_two_namespaces_of_one_input_each_have_their_own_secret_and_config_map() -> None:
    text = "---\n".join([pod_in("a"), objects_in("a"), objects_in("b"), pod_in("b")])
    translation = translate_text(text, "app.yaml")
    assert translation.report.diagnostics == []
    a, b = translation.capsules
    assert {e.name: e.value for e in a.containers[0].env}["LEVEL"] == "level-of-a"
    assert {e.name: e.value for e in b.containers[0].env}["LEVEL"] == "level-of-b"
    # The specs keep the reference, by name only, as written; the values stay in the store.
    for capsule in (a, b):
        assert {e.name: e.secret_ref for e in capsule.containers[0].env}["PASSWORD"] == SecretKeyRef("db", "password")
        assert "password-of" not in json.dumps(capsule.to_dict())
    assert "password-of" not in write_pods(translation.capsules)
    assert translation.secrets.of("a").value("db", "password") == b"password-of-a"
    assert translation.secrets.of("b").value("db", "password") == b"password-of-b"
    assert [o.ref for o in translation.config_objects] == ["a/db", "a/settings", "b/db", "b/settings"]
    # Nothing outside the input is referred to: create has nothing to resolve.
    assert resolve(translation.capsules, translation.secrets, stored())[1] == []


def test_an_object_of_another_namespace_is_not_found() -> None:
    translation = translate_text("---\n".join([objects_in("a"), pod_in("c")]), "app.yaml")
    warnings = [d.format() for d in translation.report.diagnostics]
    assert any("secretKeyRef.name: refers to Secret 'c/db', which is not in the input" in w for w in warnings)
    assert any("secret.secretName: refers to Secret 'c/db'" in w for w in warnings)
    assert any("configMapKeyRef.name: refers to ConfigMap 'c/settings'" in w for w in warnings)
    # create: neither the input's nor the stored objects of namespace a stand in for c's.
    lookup = input_first(translation.config_objects, stored(ConfigObject(SECRET, "a", "db", {"password": b"x"})))
    problems = resolve(translation.capsules, translation.secrets, lookup, translation.origins)[1]
    assert [p.split(": ", 2)[1:] for p in problems if "Secret" in p] == [
        ["spec.containers[app].env[PASSWORD].valueFrom.secretKeyRef",
         "refers to Secret 'c/db', which is neither in the input nor created before; give it with the same "
         "command (-f app.yaml -f secret.yaml), create it first (capsule create -f secret.yaml), or set "
         "optional: true"],
        ["spec.volumes[certs].secret", "refers to Secret 'c/db', which is neither in the input nor created "
         "before; give it with the same command (-f app.yaml -f secret.yaml), create it first (capsule create -f "
         "secret.yaml), or set optional: true"]]
    assert not translation.secrets.of("c").has("db")


def test_stored_secrets_of_one_name_in_two_namespaces_resolve_in_one_input() -> None:
    """Once refused ("taken from namespaces a and b in one input"): the store had no namespaces."""
    translation = translate_text(pod_in("a") + "---\n" + pod_in("b"), "app.yaml")
    lookup = stored(*(ConfigObject(kind, ns, name, data) for ns in ("a", "b") for kind, name, data in (
        (SECRET, "db", {"password": f"stored-{ns}".encode()}), (CONFIG_MAP, "settings", {"level": f"lvl-{ns}"}))))
    capsules, problems = resolve(translation.capsules, translation.secrets, lookup, translation.origins)
    assert problems == []
    assert translation.secrets.of("a").value("db", "password") == b"stored-a"
    assert translation.secrets.of("b").value("db", "password") == b"stored-b"
    assert [{e.name: e.value for e in c.containers[0].env}["LEVEL"] for c in capsules] == ["lvl-a", "lvl-b"]


def test_a_secret_twice_in_one_namespace_is_still_an_error_naming_namespace_and_name() -> None:
    with pytest.raises(TranslationFailed) as caught:
        translate_text(objects_in("a") + "---\n" + objects_in("a"), "app.yaml")
    errors = [d.format() for d in caught.value.report.errors]
    assert any("Secret 'a/db' is defined twice (first at app.yaml:3)" in e for e in errors), errors
    assert any("ConfigMap 'a/settings' is defined twice" in e for e in errors), errors
