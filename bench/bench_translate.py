"""Benchmark: translating Kubernetes manifests, in one process and as a whole command.

Goals (issue 2): 1,000 Kubernetes manifests (a mix of the samples) translated in one
process in at most 1 s, and `capsule translate samples/deployment.yaml` as a whole
process in at most 0.5 s. Each figure is printed beside a baseline measured in the
same run, so the ratios mean something on a loaded machine too, and as wall and CPU
time (CPU time is what the work costs; wall time also counts waiting for a core):

- in one process: plain YAML parsing of the same 1,000 manifests (PyYAML's pure
  Python safe_load, and its C loader, which capsule's own reader uses);
- as a process: `python -c pass` (interpreter start-up) and `python -c "import yaml"`.

`--to pod` is measured too, for information: it imports the kubernetes package.

Output (issue 12, item 22): `capsule translate -o yaml` of 2,000 Deployments in one file
against `-o json` of the same file, whole processes; goal: YAML within 1.3x of JSON.

    .venv/bin/python bench/bench_translate.py [--manifests 1000] [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from translate.translation import translate_text  # noqa: E402

SAMPLES = ROOT / "samples"
KUBERNETES_SAMPLES = ("deployment.yaml", "job.yaml", "pod-redis.yaml")
IN_PROCESS_GOAL_S = 1.0
PROCESS_GOAL_S = 0.5


def manifests(count: int) -> list[str]:
    """`count` manifest files, cycling through the Kubernetes samples."""
    texts = [(SAMPLES / name).read_text() for name in KUBERNETES_SAMPLES]
    return [texts[i % len(texts)] for i in range(count)]


def best_of(runs: int, work) -> tuple[float, float]:
    """(wall, CPU) seconds of the fastest of `runs` runs: the least disturbed by other load."""
    best = (float("inf"), float("inf"))
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        work()
        best = min(best, (time.perf_counter() - wall, time.process_time() - cpu))
    return best


def process_time(command: list[str], runs: int) -> tuple[float, float]:
    """Median (wall, CPU) seconds of running `command` to completion.

    CPU is user + system time of the child: on a loaded machine it stays close to what
    the command costs, where wall time also counts the wait for a free core.
    """
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def capsule_command() -> list[str]:
    script = Path(sys.executable).with_name("capsule")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from capsule_tui.cli import main; sys.exit(main())"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifests", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--output-deployments", type=int, default=2000)
    args = parser.parse_args()

    texts = manifests(args.manifests)
    capsules = sum(len(translate_text(t, "bench.yaml").capsules) for t in texts)  # warm up, count
    c_loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    translate_s = best_of(args.runs, lambda: [translate_text(t, "bench.yaml") for t in texts])
    safe_load_s = best_of(args.runs, lambda: [list(yaml.safe_load_all(t)) for t in texts])
    c_load_s = best_of(args.runs, lambda: [list(yaml.load_all(t, Loader=c_loader)) for t in texts])

    deployment = str(SAMPLES / "deployment.yaml")
    python_s = process_time([sys.executable, "-c", "pass"], args.runs)
    import_yaml_s = process_time([sys.executable, "-c", "import yaml"], args.runs)
    translate_cmd_s = process_time(capsule_command() + ["translate", deployment], args.runs)
    to_pod_s = process_time(capsule_command() + ["translate", "--to", "pod", deployment], args.runs)

    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores "
          "(wall times grow with it; CPU times much less)")
    print(f"translate {args.manifests} Kubernetes manifests in one process ({capsules} capsules; "
          f"{', '.join(KUBERNETES_SAMPLES)} in turn), best of {args.runs}:")
    print(f"  {'':<32}   wall      CPU")
    _row("capsule translate_text", translate_s, None, IN_PROCESS_GOAL_S)
    _row("baseline yaml.safe_load", safe_load_s, translate_s)
    _row("baseline yaml C loader", c_load_s, translate_s)
    print(f"one whole process, median of {args.runs}:")
    _row("capsule translate deployment", translate_cmd_s, None, PROCESS_GOAL_S)
    _row("baseline python -c pass", python_s, translate_cmd_s)
    _row("baseline python -c 'import yaml'", import_yaml_s, translate_cmd_s)
    _row("capsule translate --to pod", to_pod_s, None)
    print(f"  --to pod / translate: {to_pod_s[1] / translate_cmd_s[1]:.2f}x CPU "
          "(the kubernetes package is imported for the Pod models)")

    many = Path(tempfile.mkdtemp(prefix="capsule-bench-translate-")) / "deployments.yaml"
    # The sample's ConfigMaps and Secret once, then its Deployment again and again under other names.
    *data, deployment_doc = (SAMPLES / "deployment.yaml").read_text().split("\n---\n")
    copies = [deployment_doc.replace("metadata:\n  name: web\n", f"metadata:\n  name: web-{i}\n", 1)
              for i in range(args.output_deployments)]
    assert copies[0] != copies[1], "the sample's Deployment is no longer named web"
    many.write_text("\n---\n".join(data + copies))
    output_runs = max(3, args.runs // 2)
    as_json = process_time(capsule_command() + ["translate", "-o", "json", str(many)], output_runs)
    as_yaml = process_time(capsule_command() + ["translate", "-o", "yaml", str(many)], output_runs)
    print(f"output of {args.output_deployments} Deployments (with their ConfigMaps and Secret), median of "
          f"{output_runs}:")
    _row("capsule translate -o json", as_json, None)
    _row("capsule translate -o yaml", as_yaml, None)
    ratio = as_yaml[1] / as_json[1]
    print(f"  -o yaml / -o json: {ratio:.2f}x CPU   goal <= 1.30x: {'met' if ratio <= 1.3 else 'MISSED'} "
          f"(LibYAML available: {'yes' if hasattr(yaml, 'CSafeDumper') else 'no, the pure-Python emitter is used'})")
    many.unlink()
    many.parent.rmdir()
    return 0


def _row(label: str, figures: tuple[float, float], measured: tuple[float, float] | None,
         goal: float | None = None) -> None:
    """One line: wall and CPU seconds; the ratio of `measured` to this baseline, or the goal."""
    wall, cpu = figures
    text = f"  {label:<32} {wall:6.3f} s {cpu:6.3f} s"
    if measured is not None:
        text += f"   capsule is {measured[1] / cpu:5.2f}x this"
    if goal is not None:
        # Judged on CPU time: on an idle machine wall time is the same, and this one
        # is rarely idle while other work runs.
        verdict = "met" if cpu <= goal else "MISSED"
        text += f"   goal <= {goal:.1f} s (CPU): {verdict}"
    print(text)


if __name__ == "__main__":
    sys.exit(main())
