"""ConfigMaps and Secrets in other files, or created before: `create` resolves them, on a real engine.

Each test reads the result inside the real member with the docker package (a second
client): the variable's value, the mounted file's content. The stored Secret is looked
for in every file of the state folder, byte by byte; a reference that cannot be
resolved must fail with exit 2 before anything reaches the engine (nothing with the
capsule's name label is there afterwards).
"""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_containers, cli, remove_capsule_leftovers

pytestmark = pytest.mark.docker

PASSWORD = "s3cret-Config-Refs-41"


def secret_file(folder: Path, name: str, namespace: str = "default") -> Path:
    path = folder / "secret.yaml"
    path.write_text(f"""\
apiVersion: v1
kind: Secret
metadata: {{name: {name}-db, namespace: {namespace}}}
stringData: {{password: {PASSWORD}, user: app}}
---
apiVersion: v1
kind: ConfigMap
metadata: {{name: {name}-settings, namespace: {namespace}}}
data:
  level: debug
  app.ini: |
    [server]
    port = 8080
""")
    return path


def app_file(folder: Path, name: str, *, extra_env: str = "") -> Path:
    path = folder / "app.yaml"
    path.write_text(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  containers:
    - name: app
      image: busybox:1.36
      command: ["sleep", "3600"]
      envFrom:
        - configMapRef: {{name: {name}-settings}}
          prefix: CFG_
      env:
        - name: DB_PASSWORD
          valueFrom: {{secretKeyRef: {{name: {name}-db, key: password}}}}
        - name: LEVEL
          valueFrom: {{configMapKeyRef: {{name: {name}-settings, key: level}}}}
        - name: NOT_THERE
          valueFrom: {{configMapKeyRef: {{name: {name}-absent, key: x, optional: true}}}}
{extra_env}      volumeMounts:
        - {{name: conf, mountPath: /etc/app}}
        - {{name: creds, mountPath: /run/creds}}
  volumes:
    - name: conf
      configMap:
        name: {name}-settings
        items: [{{key: app.ini, path: app.ini}}]
    - name: creds
      secret: {{secretName: {name}-db}}
""")
    return path


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    yield unique_name
    cli("delete", unique_name)
    remove_capsule_leftovers(docker_engine.client, unique_name)


def inside(docker_engine: Any, name: str, *command: str, code: int = 0) -> str:
    result = docker_engine.client.containers.get(f"{name}.app").exec_run(list(command))
    assert result.exit_code == code, result.output
    return result.output.decode()


def member_env(docker_engine: Any, name: str) -> dict[str, str]:
    """The environment capsule `name`'s member process has, from /proc: what the program really sees."""
    environ = inside(docker_engine, name, "cat", "/proc/1/environ").split("\0")
    return dict(entry.split("=", 1) for entry in environ if "=" in entry)


def check_resolved(docker_engine: Any, name: str) -> None:
    env = member_env(docker_engine, name)
    assert env["DB_PASSWORD"] == PASSWORD
    assert env["LEVEL"] == "debug" and env["CFG_level"] == "debug"  # envFrom, with its prefix
    assert env["CFG_app.ini"] == "[server]\nport = 8080\n"
    assert "NOT_THERE" not in env  # optional and missing: left out, as Kubernetes does
    assert inside(docker_engine, name, "cat", "/etc/app/app.ini") == "[server]\nport = 8080\n"
    assert inside(docker_engine, name, "cat", "/run/creds/password") == PASSWORD


def test_references_to_another_file_given_together_resolve(name, docker_engine, tmp_path):
    result = cli("create", "-f", str(app_file(tmp_path, name)), "-f", str(secret_file(tmp_path, name)),
                 "--timeout", "60")
    assert result.returncode == 0, result.stderr
    assert "warning" not in result.stderr, result.stderr
    check_resolved(docker_engine, name)
    assert PASSWORD not in result.stdout + result.stderr


def test_a_secret_created_first_is_stored_sealed_and_resolves_later(name, docker_engine, capsule_home, tmp_path):
    stored = cli("create", "-f", str(secret_file(tmp_path, name)))
    assert stored.returncode == 0, stored.stderr
    assert f"secret/{name}-db stored in namespace default" in stored.stderr
    assert capsule_containers(docker_engine.client, name) == []

    result = cli("create", "-f", str(app_file(tmp_path, name)), "--timeout", "60")
    assert result.returncode == 0, result.stderr
    check_resolved(docker_engine, name)

    secrets = cli("list", "secrets")
    assert secrets.returncode == 0 and f"{name}-db" in secrets.stdout and "password,user" in secrets.stdout
    maps = json.loads(cli("list", "configmaps", "-o", "json").stdout)["items"]
    assert [(m["namespace"], m["name"], m["keys"]) for m in maps] == [("default", f"{name}-settings",
                                                                       ["app.ini", "level"])]
    outputs = [cli(*args) for args in (("list", "secrets", "-o", "yaml"), ("list", "-o", "json"), ("describe", name),
                                       ("events", name, "-o", "json"))]
    assert not any(PASSWORD in o.stdout + o.stderr for o in outputs)

    # Not in plain text anywhere in the state folder (the database, its WAL, the key), and private.
    files = [p for p in capsule_home.rglob("*") if p.is_file()]
    assert any(p.name == "secrets.key" for p in files)
    for path in files:
        assert PASSWORD.encode() not in path.read_bytes(), path
        if path.name.startswith(("state.db", "secrets.key")):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    # apply resolves the same way: the running capsule is what the input says.
    applied = cli("apply", "-f", str(app_file(tmp_path, name)), "--timeout", "60")
    assert applied.returncode == 0 and "unchanged" in applied.stdout + applied.stderr, applied.stderr

    # Deleted, it resolves no more: the next create of the app fails naming it.
    assert cli("delete", name).returncode == 0
    gone = cli("delete", f"secret/{name}-db")
    assert gone.returncode == 0 and f"secret {name}-db deleted from namespace default" in gone.stdout
    assert cli("delete", f"secret/{name}-db").returncode == 1
    again = cli("create", "-f", str(app_file(tmp_path, name)), "--timeout", "60")
    assert again.returncode == 2 and f"Secret 'default/{name}-db'" in again.stderr, again.stderr


def nothing_on_the_engine(docker_engine: Any, name: str) -> None:
    assert capsule_containers(docker_engine.client, name) == []
    labelled = {"label": f"capsule.name={name}"}
    assert docker_engine.client.api.volumes(filters=labelled).get("Volumes") in (None, [])


def test_a_missing_reference_is_exit_2_naming_it_and_leaves_nothing(name, docker_engine, tmp_path):
    result = cli("create", "-f", str(app_file(tmp_path, name)), "--timeout", "60")
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    where = f"{tmp_path / 'app.yaml'}#1 Pod/{name}"
    neither = "which is neither in the input nor created before"
    for field, ref in (("envFrom[0].configMapRef", f"ConfigMap 'default/{name}-settings'"),
                       ("env[DB_PASSWORD].valueFrom.secretKeyRef", f"Secret 'default/{name}-db'"),
                       ("env[LEVEL].valueFrom.configMapKeyRef", f"ConfigMap 'default/{name}-settings'")):
        assert f"{where}: spec.containers[app].{field}: refers to {ref}, {neither}" in result.stderr, result.stderr
    assert f"spec.volumes[conf].configMap: refers to ConfigMap 'default/{name}-settings'" in result.stderr
    assert f"spec.volumes[creds].secret: refers to Secret 'default/{name}-db'" in result.stderr
    assert f"{name}-absent" not in result.stderr  # optional: no complaint
    lines = result.stderr.splitlines()
    assert len(lines) == 5 and all(line.startswith("capsule create: error: ") for line in lines), lines
    nothing_on_the_engine(docker_engine, name)


def test_a_stored_secret_without_the_key_is_exit_2_naming_the_key(name, docker_engine, tmp_path):
    assert cli("create", "-f", str(secret_file(tmp_path, name))).returncode == 0
    extra = f"        - name: TOKEN\n          valueFrom: {{secretKeyRef: {{name: {name}-db, key: token}}}}\n"
    result = cli("create", "-f", str(app_file(tmp_path, name, extra_env=extra)), "--timeout", "60")
    assert result.returncode == 2, result.stderr
    assert (f"spec.containers[app].env[TOKEN].valueFrom.secretKeyRef: Secret 'default/{name}-db' has no key "
            "'token'; its keys are: password, user") in result.stderr, result.stderr
    assert PASSWORD not in result.stdout + result.stderr
    nothing_on_the_engine(docker_engine, name)
    # In another namespace the stored one is not seen: references stay in the capsule's namespace.
    other = cli("create", "-f", str(secret_file(tmp_path, name, namespace="elsewhere")))
    assert other.returncode == 0
    listed = json.loads(cli("list", "secrets", "-n", "elsewhere", "-o", "json").stdout)["items"]
    assert [(s["namespace"], s["name"]) for s in listed] == [("elsewhere", f"{name}-db")]


def test_apply_stores_like_create_and_delete_f_removes_what_the_file_defines(name, docker_engine, tmp_path):
    secrets = secret_file(tmp_path, name)
    applied = cli("apply", "-f", str(secrets))  # only ConfigMaps and Secrets: stored, as create stores them
    assert applied.returncode == 0, applied.stderr
    assert f"secret/{name}-db stored in namespace default" in applied.stderr
    assert f"configmap/{name}-settings stored in namespace default" in applied.stderr
    result = cli("apply", "-f", str(app_file(tmp_path, name)), "--timeout", "60")
    assert result.returncode == 0, result.stderr
    check_resolved(docker_engine, name)

    gone = cli("delete", "-f", str(app_file(tmp_path, name)), "-f", str(secrets))
    assert gone.returncode == 0, gone.stderr
    assert f"capsule {name} deleted" in gone.stdout
    assert f"secret {name}-db deleted from namespace default" in gone.stdout
    assert f"configmap {name}-settings deleted from namespace default" in gone.stdout
    for kind in ("secrets", "configmaps"):
        assert json.loads(cli("list", kind, "-o", "json").stdout)["items"] == []
    nothing_on_the_engine(docker_engine, name)
    # Already gone: said, and no error for -f.
    again = cli("delete", "-f", str(secrets))
    assert again.returncode == 0, again.stderr
    assert f"secret {name}-db was not stored in namespace default" in again.stderr
    assert PASSWORD not in gone.stdout + gone.stderr + again.stdout + again.stderr


def deployment_file(folder: Path, name: str) -> Path:
    path = folder / "deployment.yaml"
    path.write_text(f"""\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  replicas: 1
  selector: {{matchLabels: {{app: {name}}}}}
  template:
    metadata: {{labels: {{app: {name}}}}}
    spec:
      containers:
        - name: app
          image: busybox:1.36
          command: ["sleep", "3600"]
          env:
            - name: DB_PASSWORD
              valueFrom: {{secretKeyRef: {{name: {name}-db, key: password}}}}
""")
    return path


def replicas(name: str) -> list[str]:
    items = json.loads(cli("list", "-o", "json").stdout)["items"]
    return sorted(i["name"] for i in items if i["workload"] == f"Deployment/{name}")


def password_in(docker_engine: Any, replica: str) -> str:
    return member_env(docker_engine, replica).get("DB_PASSWORD", "")


def test_a_scale_takes_the_stored_secret_and_a_scale_f_stores_the_files(name, docker_engine, tmp_path):
    try:
        assert cli("create", "-f", str(secret_file(tmp_path, name))).returncode == 0
        created = cli("create", "-f", str(deployment_file(tmp_path, name)), "--timeout", "60")
        assert created.returncode == 0, created.stderr
        # No -f: the replica's Secret is the one stored in its namespace.
        scaled = cli("scale", f"deployment/{name}", "--replicas", "2", "--timeout", "60")
        assert scaled.returncode == 0, scaled.stderr
        assert len(replicas(name)) == 2 and all(password_in(docker_engine, r) == PASSWORD for r in replicas(name))

        # Stored no more: refused before anything is made, naming the Secret and both ways to give it.
        assert cli("delete", f"secret/{name}-db").returncode == 0
        refused = cli("scale", f"deployment/{name}", "--replicas", "3", "--timeout", "60")
        assert refused.returncode == 2, refused.stderr
        assert f"Secrets {name}-db" in refused.stderr and "neither stored in namespace default" in refused.stderr
        assert "-f FILE" in refused.stderr and len(replicas(name)) == 2

        # -f gives it, and keeps it for the next scale, as create does.
        given = cli("scale", f"deployment/{name}", "--replicas", "3", "-f", str(secret_file(tmp_path, name)),
                    "--timeout", "60")
        assert given.returncode == 0, given.stderr
        assert f"secret/{name}-db stored in namespace default" in given.stderr
        assert len(replicas(name)) == 3 and all(password_in(docker_engine, r) == PASSWORD for r in replicas(name))
        assert cli("scale", f"deployment/{name}", "--replicas", "4", "--timeout", "60").returncode == 0
        assert PASSWORD not in scaled.stdout + scaled.stderr + given.stdout + given.stderr
    finally:
        cli("delete", f"deployment/{name}")
        for replica in replicas(name):
            remove_capsule_leftovers(docker_engine.client, replica)
    assert replicas(name) == [] and capsule_containers(docker_engine.client, name) == []


# -- Secrets are namespaced, as in Kubernetes ------------------------------------------------------

SPACES = ("a", "b")


def namespaced_file(folder: Path, name: str, spaces: tuple[str, ...], *, with_secret: tuple[str, ...]) -> Path:
    """A Pod NAME-X in namespace NAME-X for each X, referring to Secret `db`; the namespaces in
    `with_secret` have a Secret `db` of their own, with a password of their own."""
    documents = []
    for space in spaces:
        namespace = f"{name}-{space}"
        if space in with_secret:
            documents.append(f"""\
apiVersion: v1
kind: Secret
metadata: {{name: db, namespace: {namespace}}}
stringData: {{password: {PASSWORD}-{space}}}
""")
        documents.append(f"""\
apiVersion: v1
kind: Pod
metadata: {{name: {namespace}, namespace: {namespace}}}
spec:
  containers:
    - name: app
      image: busybox:1.36
      command: ["sleep", "3600"]
      env:
        - name: DB_PASSWORD
          valueFrom: {{secretKeyRef: {{name: db, key: password}}}}
""")
    path = folder / f"{'-'.join(spaces)}.yaml"
    path.write_text("---\n".join(documents))
    return path


@pytest.fixture
def spaces(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    """The prefix of the namespaces NAME-a, NAME-b, NAME-c; their capsules and stored Secrets go after."""
    from support.applications import of_namespace

    yield unique_name
    for space in (*SPACES, "c"):
        namespace = f"{unique_name}-{space}"
        cli("delete", namespace)
        cli("delete", "secret/db", "-n", namespace)
        remove_capsule_leftovers(docker_engine.client, namespace)
        assert of_namespace(docker_engine.client, namespace) == {"containers": [], "volumes": [], "networks": []}


def test_two_namespaces_each_with_a_secret_db_give_each_capsule_its_own(spaces, docker_engine, tmp_path):
    name = spaces
    # A third namespace without a `db` of its own: the whole input is refused, naming it; the
    # others' Secrets do not stand in for it, and nothing is made or stored.
    refused = cli("create", "-f", str(namespaced_file(tmp_path, name, (*SPACES, "c"), with_secret=SPACES)),
                  "--timeout", "60")
    assert refused.returncode == 2, refused.stderr
    assert f"refers to Secret '{name}-c/db', which is neither in the input nor created before" in refused.stderr
    assert f"'{name}-a/db'" not in refused.stderr and f"'{name}-b/db'" not in refused.stderr
    assert PASSWORD not in refused.stdout + refused.stderr
    for space in (*SPACES, "c"):
        nothing_on_the_engine(docker_engine, f"{name}-{space}")
        assert json.loads(cli("list", "secrets", "-n", f"{name}-{space}", "-o", "json").stdout)["items"] == []

    created = cli("create", "-f", str(namespaced_file(tmp_path, name, SPACES, with_secret=SPACES)),
                  "--timeout", "60")
    assert created.returncode == 0, created.stderr
    for space in SPACES:
        # What the member's process really has (/proc/1/environ), read through the docker package.
        assert password_in(docker_engine, f"{name}-{space}") == f"{PASSWORD}-{space}"
        assert f"secret/db stored in namespace {name}-{space}" in created.stderr
    assert PASSWORD not in created.stdout + created.stderr

    # Both stored now; a capsule of a third namespace still does not see them.
    alone = cli("create", "-f", str(namespaced_file(tmp_path, name, ("c",), with_secret=())), "--timeout", "60")
    assert alone.returncode == 2, alone.stderr
    assert f"Secret '{name}-c/db'" in alone.stderr and PASSWORD not in alone.stdout + alone.stderr
    nothing_on_the_engine(docker_engine, f"{name}-c")
