"""`capsule translate` as a user runs it: the real console script in a subprocess.

Covers standard input, JSON for one and for several capsules, several files, a
folder, exit codes, standard output vs standard error, `--version`/`--help`, and
that the command never loads the UI or the Docker and Kubernetes clients.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

SCRIPT = Path(sys.executable).parent / "capsule"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "capsule_tui.cli"]


def capsule(*args: str, stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*COMMAND, *args], input=stdin, capture_output=True, text=True, cwd=cwd, timeout=60
    )


def document(name: str, image: str = "busybox:1.36", extra: str = "") -> str:
    return textwrap.dedent(f"""\
        apiVersion: beta
        kind: capsule
        metadata:
          name: {name}
        spec:
          containers:
            - image: {image}
        """) + extra


def test_reads_standard_input() -> None:
    result = capsule("translate", "-", stdin=document("web", "nginx:1.27"))
    assert (result.returncode, result.stderr) == (0, "")
    assert yaml.safe_load(result.stdout) == {
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


def test_errors_from_standard_input_name_it() -> None:
    result = capsule("translate", "-", stdin="kind: capsule\nmetadata: [\n")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("<stdin>:3:1: error: is not valid YAML")


def test_json_prints_one_capsule_as_an_object_and_several_as_an_array(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(document("one"))
    (tmp_path / "two.yaml").write_text(document("two") + "---\n" + document("three"))
    single = capsule("translate", "-o", "json", "one.yaml", cwd=tmp_path)
    assert single.returncode == 0
    assert json.loads(single.stdout)["metadata"]["name"] == "one"
    several = capsule("translate", "--output", "json", "two.yaml", cwd=tmp_path)
    assert several.returncode == 0
    assert [c["metadata"]["name"] for c in json.loads(several.stdout)] == ["two", "three"]
    # The array is valid input again and translates to the same text.
    (tmp_path / "out.json").write_text(several.stdout)
    again = capsule("translate", "-o", "json", "out.json", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, several.stdout)


def test_several_files_print_as_yaml_documents_in_order(tmp_path: Path) -> None:
    (tmp_path / "b.yaml").write_text(document("bee"))
    (tmp_path / "a.yaml").write_text(document("ay"))
    result = capsule("translate", "b.yaml", "a.yaml", cwd=tmp_path)
    assert result.returncode == 0
    assert [d["metadata"]["name"] for d in yaml.safe_load_all(result.stdout)] == ["bee", "ay"]
    assert result.stdout.count("\n---\n") == 1


def test_normalized_output_translates_to_identical_output(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(document(
        "web", "nginx:1.27",
        "      ports: [{containerPort: 80, hostPort: 8080}]\n"
        "      resources: {requests: {cpu: 250m, memory: 64Mi}, limits: {memory: 1GB}}\n"
        "  volumes: [{name: data, size: 512MB}]\n",
    ))
    first = capsule("translate", "web.yaml", cwd=tmp_path)
    assert first.returncode == 0
    second = capsule("translate", "-", stdin=first.stdout)
    assert (second.returncode, second.stderr, second.stdout) == (0, "", first.stdout)


def test_a_folder_means_its_yaml_yml_and_json_files_sorted(tmp_path: Path) -> None:
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "c.yaml").write_text(document("cee"))
    (folder / "a.yml").write_text(document("ay"))
    (folder / "b.json").write_text(json.dumps(yaml.safe_load(document("bee"))))
    (folder / "notes.txt").write_text("not a manifest")
    (folder / "sub").mkdir()
    (folder / "sub" / "d.yaml").write_text(document("dee"))
    result = capsule("translate", "manifests", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    names = [d["metadata"]["name"] for d in yaml.safe_load_all(result.stdout)]
    assert names == ["ay", "bee", "cee"]


def test_an_empty_folder_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = capsule("translate", "empty", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "empty: error: is a folder with no .yaml, .yml or .json files (name the files, or a "
        "folder that has some)",
    ]


def test_warnings_go_to_stderr_and_documents_to_stdout(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(document("web", extra="      imageDriver: docker\n"))
    result = capsule("translate", "web.yaml", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr.splitlines() == [
        "web.yaml:8:7: warning: spec.containers[0].imageDriver: is ignored: images come from "
        "the host's Docker engine and its registries (remove imageDriver; configure "
        "registries on the host's engine)",
    ]
    assert "warning" not in result.stdout
    assert yaml.safe_load(result.stdout)["metadata"]["name"] == "web"


def test_strict_turns_the_warning_into_an_error_and_prints_nothing(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(document("web", extra="      imageDriver: docker\n"))
    result = capsule("translate", "--strict", "web.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith("web.yaml:8:7: error: spec.containers[0].imageDriver:")


def test_any_error_exits_2_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(document("good"))
    (tmp_path / "bad.yaml").write_text(document("Bad"))
    result = capsule("translate", "good.yaml", "bad.yaml", "missing.yaml", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""  # nothing half-done, not even the good file
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == "missing.yaml: error: no such file (check the path)"


@pytest.mark.parametrize(
    "args",
    [["translate"], ["translate", "x.yaml", "-o", "xml"], ["translate", "--to", "helm", "x"],
     ["no-such-command"]],
)
def test_usage_errors_exit_2(args: list[str]) -> None:
    result = capsule(*args)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "usage: capsule" in result.stderr
    assert "Traceback" not in result.stderr


def test_version_and_help() -> None:
    version = capsule("--version")
    assert version.returncode == 0
    assert version.stdout.startswith("capsule ")
    assert version.stdout.split()[1][0].isdigit()
    helped = capsule("--help")
    assert helped.returncode == 0
    assert "translate" in helped.stdout
    sub = capsule("translate", "--help")
    assert sub.returncode == 0
    for option in ("--output", "--to", "--strict", "FILE"):
        assert option in sub.stdout


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "capsule_tui.cli", "translate", "-", "-o", "json"],
        input=document("web"), capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0
    assert json.loads(result.stdout)["metadata"]["name"] == "web"


def test_translate_never_imports_the_ui_or_the_engine_and_kubernetes_clients(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(document("web", extra=(
        "      resources: {requests: {cpu: 250m, memory: 64Mi}}\n"
    )))
    probe = textwrap.dedent("""\
        import sys
        from capsule_tui.cli import main
        code = main(["translate", "web.yaml", "-o", "json"])
        heavy = ("textual", "httpx", "docker", "kubernetes", "rich")
        loaded = sorted({m.split(".")[0] for m in sys.modules} & set(heavy))
        # The exit codes come from runtime.errors (standard library only); nothing else of the runtime.
        loaded += sorted(m for m in sys.modules if m.startswith("runtime.") and m != "runtime.errors")
        print("CODE", code, "LOADED", ",".join(loaded), file=sys.stderr)
        """)
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            cwd=tmp_path, timeout=60)
    assert result.stderr.splitlines()[-1] == "CODE 0 LOADED "
    assert json.loads(result.stdout)["spec"]["containers"][0]["resources"] == {
        "requests": {"cpu": 0.25, "memory": 67108864}
    }


def test_kubernetes_documents_go_to_the_kubernetes_reader(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(textwrap.dedent("""\
        apiVersion: v1
        kind: Pod
        metadata: {name: pod-web}
        spec:
          containers: [{name: web, image: nginx:1.27}]
        """))
    (tmp_path / "web.yaml").write_text(document("capsule-web"))
    result = capsule("translate", "web.yaml", "pod.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    docs = list(yaml.safe_load_all(result.stdout))
    assert [d["metadata"]["name"] for d in docs] == ["capsule-web", "pod-web"]
    assert docs[1]["spec"]["containers"][0]["image"] == "nginx:1.27"


def test_to_pod_writes_pods_that_translate_back_to_the_same_capsule(tmp_path: Path) -> None:
    (tmp_path / "web.yaml").write_text(document(
        "web", "nginx:1.27",
        "      ports: [{containerPort: 80, hostPort: 8080}]\n"
        "      resources: {requests: {cpu: 250m, memory: 64Mi}}\n",
    ))
    pods = capsule("translate", "--to", "pod", "web.yaml", cwd=tmp_path)
    assert pods.returncode == 0, pods.stderr
    pod = yaml.safe_load(pods.stdout)
    assert (pod["apiVersion"], pod["kind"], pod["metadata"]["name"]) == ("v1", "Pod", "web")
    (tmp_path / "pod.yaml").write_text(pods.stdout)
    back = capsule("translate", "pod.yaml", cwd=tmp_path)
    direct = capsule("translate", "web.yaml", cwd=tmp_path)
    assert back.returncode == 0, back.stderr
    assert back.stdout == direct.stdout
