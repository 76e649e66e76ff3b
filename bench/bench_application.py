"""Benchmark: an application (9 capsules, 6 Services) up and down, against docker-compose.

The application is a Kubernetes manifest this script writes, shaped like
samples/application.yaml, in a namespace of the run's own with every name prefixed by
the run's prefix (`ab<pid>-`), so nothing collides with other users of the engine:

- frontend: a Deployment of 3 replicas with a readiness probe (period 2 s, as in the
  sample; an exec probe, `wget` of its own page, since a tcpSocket probe, the sample's,
  cannot run from this machine for a capsule on a remote host whose port is not
  published: capsule refuses that create; `--probe tcp` for the sample's kind on one
  host) behind a ClusterIP Service 80 -> 8080 and a LoadBalancer on a free port;
- api: a Deployment of 2 replicas behind a Service 7070 -> the named port `grpc-ish`;
- store: a StatefulSet of 2 behind a headless Service (5432), and a second, ClusterIP
  Service in front of the same members (`store-read`, 5433 -> 5432);
- cache: a Deployment of 1 behind a Service 6379 -> 6379;
- client: a Pod that only sleeps, from which the names are checked.

That is 9 capsules (each a pause sandbox and one busybox member) and 6 Services (five
proxies and the headless Service's record). The servers are busybox httpd stand-ins
that answer with their hostname and exit on SIGTERM (a shell trap), as well-behaved
services do, so that `down` measures the tools and not a stop grace period.

The equivalent compose file (docker-compose 1.29, format 2.4, one host) has the same
member containers, one compose service per capsule (compose has no pods: no sandbox,
so 9 containers against capsule's 18 + 6), all on one user-defined network, with the
Service names as network aliases of the members they select (so a name resolves to
the members themselves, as a headless Service does: there is no proxy, no spreading
over backends, no retry of a backend that is gone) and the LoadBalancer's port
published by one frontend container (compose cannot publish one port from three
containers). What compose cannot express: a Service port that differs from its
targetPort (80 -> 8080, 7070 -> grpc-ish, 5433 -> 5432): its aliases answer on the
members' own ports only; readiness (compose's `up -d` waits for no health check, while
capsule returns once the readiness probes pass and the Services know their backends);
Service variables; StatefulSet's stable `POD.SERVICE` names (given here as aliases).

Each round, with the order of the two tools alternating, as whole processes:

- capsule: `capsule create -f app.yaml` (up); then, untimed and at once, from the
  client capsule, one `capsule exec CLIENT -- sh -c 'printf "GET / HTTP/1.0..." | nc -w 5
  SERVICE PORT'` per Service (no sleep: names must answer when create returns; every
  failure is counted and printed); then `capsule delete -f app.yaml` (down);
- floor: bench/floor_application.py, a minimal Engine API script that makes the same
  containers (the network, 5 proxies, the headless record, 9 sandboxes each with its
  member) all at once and removes them with force: the least any tool that runs this
  application as capsule does (a sandbox per capsule, a proxy per Service) must wait
  for on this engine;
- compose: `docker-compose -p PROJECT -f FILE up -d` / `down` (the same check is made
  through `docker exec` on the members' own ports, counted separately: compose makes no
  promise that anything answers when `up -d` returns).

Every up is checked through the engine (docker SDK: every sandbox, member and proxy
running, the headless record created) and every down too (no container of the run's
names or namespace left, no network). Medians over the rounds (after one untimed
warm-up round), ratios capsule / compose for up, down and up+down (and capsule / floor,
floor / compose: the floor against compose bounds what any such tool can reach); the
goal is up and down each at most 0.8x docker-compose on one host.

`--hosts N` then starts N extra test engines (tests/support/hosts.py, their lock held
for as short as this part runs), lets them reach each other, adds them to a CAPSULE_HOME
of the run (without `local`), forms a swarm with `capsule hosts swarm` and times the
same application spread over them (fewer rounds: `--host-rounds`); compose has no
multi-host equivalent, so this prints capsule's medians and their ratio to capsule's own
one-host run. The swarm is left (`capsule hosts swarm --leave --force`, then each engine
leaves whatever swarm it is in), the routes and forwarding rule removed and the hosts
stopped at the end, whatever happens (SIGINT and SIGTERM end the run through the same
clean-up).

`--profile` creates the application once more on the local engine, untimed by the
rounds, and prints every progress line of `capsule create` with the time it arrived,
to show where the time of an up goes.

Every process runs with byte-compiled modules cached (PYTHONPYCACHEPREFIX in the run's
temp folder), as in bench_lifecycle.py; the warm-up round fills that cache.

Usage: .venv/bin/python bench/bench_application.py [--rounds 5] [--hosts 3] [--host-rounds 3]
       [--lock-wait 1800] [--profile] [--no-readiness] [--json]
Needs a local engine (started if there is none, via tests/support/engines.py), the offline
test images and, for the compose comparison, docker-compose. Removes everything it made,
found by its own names, labels and namespace.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FLOOR = Path(__file__).with_name("floor_application.py")
BENCH_LABEL = "capsule-bench"  # on the floor's containers, value: the run's prefix
IMAGE = "busybox:1.36"
SLEEPER = "trap 'exit 0' TERM; sleep 3600 & wait"


def server(port: int) -> str:
    return f"trap 'exit 0' TERM; mkdir -p /w && hostname > /w/index.html && httpd -f -p {port} -h /w & wait"


# -- the application, for capsule and for compose --------------------------------------------------


@dataclass
class App:
    """The run's application: its names, the files, and what each Service answers on."""

    prefix: str  # ab<pid>-
    lb_port: int
    readiness: bool = True
    probe: str = "exec"  # the frontend's readiness probe: exec (wget in the member) or tcp (tcpSocket)
    folder: Path = field(default_factory=Path)

    @property
    def namespace(self) -> str:
        return f"{self.prefix}ns"

    @property
    def project(self) -> str:
        return self.prefix.replace("-", "") + "compose"

    @property
    def client(self) -> str:
        return f"{self.prefix}client"

    def networks(self) -> set[str]:
        """The networks capsule, compose and the floor make for the run."""
        return {f"capsule-ns-{self.namespace}", f"{self.project}_app", f"{self.prefix}floor-net"}

    def checks(self) -> list[tuple[str, int, int]]:
        """(Service name, its port, the targetPort compose's aliases answer on) for each Service."""
        p = self.prefix
        return [(f"{p}frontend", 80, 8080), (f"{p}public", self.lb_port, 8080), (f"{p}api", 7070, 9090),
                (f"{p}store", 5432, 5432), (f"{p}store-read", 5433, 5432), (f"{p}cache", 6379, 6379)]

    # Kubernetes manifest -----------------------------------------------------------------------
    def manifest(self) -> str:
        p, ns = self.prefix, self.namespace
        how = ("tcpSocket: {port: 8080}" if self.probe == "tcp"
               else "exec: {command: [wget, -q, -O, /dev/null, 'http://127.0.0.1:8080/']}")
        probe = (f"          readinessProbe:\n            {how}\n            periodSeconds: 2\n"
                 if self.readiness else "")

        def workload(kind: str, name: str, replicas: int, port: int, port_name: str | None,
                     extra: str = "", container_probe: str = "") -> str:
            named = f"name: {port_name}, " if port_name else ""
            return (f"apiVersion: apps/v1\nkind: {kind}\nmetadata:\n  name: {p}{name}\n  namespace: {ns}\n"
                    f"spec:\n{extra}  replicas: {replicas}\n  selector:\n    matchLabels: {{app: {p}{name}}}\n"
                    f"  template:\n    metadata:\n      labels: {{app: {p}{name}}}\n    spec:\n      containers:\n"
                    f"        - name: {name}\n          image: {IMAGE}\n          command: [sh, -c, {json.dumps(server(port))}]\n"
                    f"          ports:\n            - {{{named}containerPort: {port}}}\n{container_probe}")

        def service(name: str, app: str, ports: str, kind: str = "", headless: bool = False) -> str:
            return (f"apiVersion: v1\nkind: Service\nmetadata:\n  name: {p}{name}\n  namespace: {ns}\n"
                    f"spec:\n{'  type: ' + kind + chr(10) if kind else ''}{'  clusterIP: None' + chr(10) if headless else ''}"
                    f"  selector: {{app: {p}{app}}}\n  ports:\n{ports}")

        documents = [
            workload("Deployment", "frontend", 3, 8080, "http", container_probe=probe),
            service("frontend", "frontend", "    - {name: http, port: 80, targetPort: http}\n"),
            service("public", "frontend", f"    - {{port: {self.lb_port}, targetPort: 8080}}\n", kind="LoadBalancer"),
            workload("Deployment", "api", 2, 9090, "grpc-ish"),
            service("api", "api", "    - {port: 7070, targetPort: grpc-ish}\n"),
            workload("StatefulSet", "store", 2, 5432, None, extra=f"  serviceName: {p}store\n"),
            service("store", "store", "    - {port: 5432}\n", headless=True),
            service("store-read", "store", "    - {port: 5433, targetPort: 5432}\n"),
            workload("Deployment", "cache", 1, 6379, None),
            service("cache", "cache", "    - {port: 6379}\n"),
            (f"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {p}client\n  namespace: {ns}\nspec:\n  containers:\n"
             f"    - name: client\n      image: {IMAGE}\n      command: [sh, -c, {json.dumps(SLEEPER)}]\n"),
        ]
        return "---\n".join(documents)

    # compose file ------------------------------------------------------------------------------
    def compose(self) -> str:
        p = self.prefix
        members = [  # (compose service, hostname, command, aliases, published)
            *[(f"frontend{i}", f"{p}frontend-{i}", server(8080), [f"{p}frontend", f"{p}public"], i == 0)
              for i in range(3)],
            *[(f"api{i}", f"{p}api-{i}", server(9090), [f"{p}api"], False) for i in range(2)],
            *[(f"store{i}", f"{p}store-{i}", server(5432),
               [f"{p}store", f"{p}store-read", f"{p}store-{i}.{p}store"], False) for i in range(2)],
            ("cache0", f"{p}cache-0", server(6379), [f"{p}cache"], False),
            ("client", f"{p}client", SLEEPER, [], False),
        ]
        lines = ['version: "2.4"', "services:"]
        for name, hostname, command, aliases, published in members:
            lines += [f"  {name}:", f"    image: {IMAGE}", f"    hostname: {hostname}",
                      f"    command: {json.dumps(['sh', '-c', command])}", "    restart: always",
                      "    networks:", "      app:"]
            if aliases:
                lines.append(f"        aliases: {json.dumps(aliases)}")
            if published:
                lines.append(f'    ports: ["{self.lb_port}:8080"]')
        lines += ["networks:", "  app: {}"]
        return "\n".join(lines) + "\n"

    def write(self) -> tuple[Path, Path]:
        app, compose = self.folder / f"{self.prefix}app.yaml", self.folder / f"{self.prefix}compose.yaml"
        app.write_text(self.manifest())
        compose.write_text(self.compose())
        return app, compose


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- running --------------------------------------------------------------------------------------


class Failed(Exception):
    pass


def run(command: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and the process's own CPU seconds; a failure ends the run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    result = run(command, env)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        raise Failed(f"{' '.join(command)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return elapsed, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def answers(output: str) -> bool:
    return " 200 " in output.splitlines()[0] if output.strip() else False


def check_names(exec_prefix: list[str], app: App, compose: bool, env: dict[str, str]) -> list[str]:
    """Ask every Service by name from the client, no sleep; what failed, as lines to print."""
    failures = []
    for name, port, target in app.checks():
        request = f'printf "GET / HTTP/1.0\\r\\n\\r\\n" | nc -w 5 {name} {target if compose else port}'
        done = run([*exec_prefix, "sh", "-c", request], env, timeout=60)
        if done.returncode != 0 or not answers(done.stdout):
            failures.append(f"{name}:{target if compose else port}: exit {done.returncode}, "
                            f"{(done.stdout + done.stderr).strip()[:200]!r}")
    return failures


class Engines:
    """The docker SDK clients of the engines the application runs on (an independent view)."""

    def __init__(self, clients: dict[str, Any]) -> None:
        self.clients = clients

    def containers(self, app: App, names: set[str]) -> dict[str, tuple[str, str]]:
        """Every container of the run's namespace or names, on every engine: name -> (host, state)."""
        found = {}
        for host, client in self.clients.items():
            for c in client.api.containers(all=True):
                name = (c.get("Names") or ["/"])[0].lstrip("/")
                labels = c.get("Labels") or {}
                if (name in names or labels.get("capsule.namespace") == app.namespace
                        or labels.get("com.docker.compose.project") == app.project
                        or labels.get(BENCH_LABEL) == app.prefix):
                    found[name] = (host, c.get("State") or "")
        return found

    def networks(self, app: App) -> list[str]:
        wanted = app.networks()
        return [f"{host}:{n['Name']}" for host, client in self.clients.items()
                for n in client.api.networks() if n["Name"] in wanted]

    def sweep(self, app: App, names: set[str]) -> list[str]:
        removed = []
        for name, (host, _) in self.containers(app, names).items():
            with contextlib.suppress(Exception):
                self.clients[host].api.remove_container(name, force=True, v=True)
                removed.append(f"{host}:{name}")
        for host, client in self.clients.items():
            for n in client.api.networks():
                if n["Name"] in app.networks():
                    with contextlib.suppress(Exception):
                        client.api.remove_network(n["Id"])
                        removed.append(f"{host}:{n['Name']}")
        return removed


def expected_capsule(capsule_cmd: list[str], app_file: Path, env: dict[str, str]) -> tuple[dict[str, str], dict]:
    """The containers `create` must leave (name -> state) and the capsule and Service names, from translate."""
    done = run([*capsule_cmd, "translate", "-o", "json", str(app_file)], env)
    if done.returncode != 0:
        raise Failed(f"capsule translate failed:\n{done.stderr}")
    expected, names = {}, {"capsules": [], "services": []}
    for doc in json.loads(done.stdout):
        meta, spec = doc["metadata"], doc.get("spec") or {}
        if doc["kind"] == "capsule":
            names["capsules"].append(meta["name"])
            expected[meta["name"]] = "running"
            for c in spec.get("containers") or []:
                expected[f"{meta['name']}.{c['name']}"] = "running"
        elif doc["kind"] == "service":
            names["services"].append(meta["name"])
            headless = spec.get("clusterIP") == "None"
            expected[f"capsule_svc_{meta.get('namespace')}_{meta['name']}"] = "created" if headless else "running"
    return expected, names


def verify_up(engines: Engines, app: App, expected: dict[str, str]) -> dict[str, str]:
    found = engines.containers(app, set(expected))
    wrong = {n: found.get(n, (None, "missing"))[1] for n, state in expected.items()
             if found.get(n, (None, ""))[1] != state}
    if wrong:
        raise Failed(f"after up, not as expected (name: state): {wrong}")
    return {n: host for n, (host, _) in found.items()}


def verify_down(engines: Engines, app: App, names: set[str]) -> None:
    left = engines.containers(app, names)
    networks = engines.networks(app)
    if left or networks:
        raise Failed(f"after down, left: containers {sorted(left)}, networks {networks}")


# -- the rounds ----------------------------------------------------------------------------------


@dataclass
class Figures:
    times: dict[str, list[float]] = field(default_factory=dict)
    cpu: dict[str, list[float]] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    spread: list[dict[str, int]] = field(default_factory=list)

    def add(self, key: str, figures: tuple[float, float]) -> None:
        self.times.setdefault(key, []).append(figures[0])
        self.cpu.setdefault(key, []).append(figures[1])

    def fail(self, key: str, lines: list[str]) -> None:
        self.failures.setdefault(key, []).extend(lines)

    def medians(self) -> dict[str, float]:
        return {k: statistics.median(v) for k, v in self.times.items()}


def capsule_round(label: str, capsule_cmd: list[str], app: App, app_file: Path, env: dict[str, str],
                  engines: Engines, expected: dict[str, str], figures: Figures | None) -> None:
    up = timed([*capsule_cmd, "create", "-f", str(app_file)], env)
    failures = check_names([*capsule_cmd, "exec", app.client, "--"], app, False, env)  # at once: no sleep
    where = verify_up(engines, app, expected)
    down = timed([*capsule_cmd, "delete", "-f", str(app_file)], env)
    verify_down(engines, app, set(expected))
    if figures is not None:
        figures.add(f"{label}/up", up)
        figures.add(f"{label}/down", down)
        figures.add(f"{label}/up+down", (up[0] + down[0], up[1] + down[1]))
        figures.fail(label, failures)
        hosts: dict[str, int] = {}
        for host in where.values():
            hosts[host] = hosts.get(host, 0) + 1
        figures.spread.append(hosts)
    for line in failures:
        print(f"  {label}: name check failed: {line}", file=sys.stderr)


def compose_round(compose: list[str], app: App, compose_file: Path, env: dict[str, str], engines: Engines,
                  figures: Figures | None) -> None:
    base = [*compose, "-p", app.project, "-f", str(compose_file)]
    up = timed([*base, "up", "-d"], env)
    failures = check_names(["docker", "exec", f"{app.project}_client_1"], app, True, env)
    found = engines.containers(app, set())
    running = [n for n, (_, state) in found.items() if state == "running"]
    if len(running) != 9:
        raise Failed(f"compose up: {len(running)} containers running, expected 9: {sorted(found)}")
    down = timed([*base, "down"], env)
    verify_down(engines, app, set())
    if figures is not None:
        figures.add("compose/up", up)
        figures.add("compose/down", down)
        figures.add("compose/up+down", (up[0] + down[0], up[1] + down[1]))
        figures.fail("compose", failures)
    for line in failures:
        print(f"  compose: name check failed: {line}", file=sys.stderr)


def floor_round(app: App, capsules: int, proxies: int, env: dict[str, str], engines: Engines,
                figures: Figures | None) -> None:
    args = [app.prefix, str(capsules), str(proxies), app.prefix]
    up = timed([sys.executable, str(FLOOR), "up", *args], env)
    found = engines.containers(app, set())
    running = [n for n, (_, state) in found.items() if state == "running"]
    if len(running) != 2 * capsules + proxies or len(found) != len(running) + 1:
        raise Failed(f"floor up: {len(running)} of {len(found)} containers running: {sorted(found)}")
    down = timed([sys.executable, str(FLOOR), "down", *args], env)
    verify_down(engines, app, set())
    if figures is not None:
        figures.add("floor/up", up)
        figures.add("floor/down", down)
        figures.add("floor/up+down", (up[0] + down[0], up[1] + down[1]))


def profile_create(capsule_cmd: list[str], app_file: Path, env: dict[str, str]) -> list[tuple[float, str]]:
    """One `capsule create`, each output line with the seconds since the process started."""
    lines: list[tuple[float, str]] = []
    started = time.perf_counter()
    with subprocess.Popen([*capsule_cmd, "create", "-f", str(app_file)], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, env=env, stdin=subprocess.DEVNULL) as process:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append((time.perf_counter() - started, line.rstrip()))
    lines.append((time.perf_counter() - started, f"(process exited, code {process.returncode})"))
    return lines


# -- several hosts ---------------------------------------------------------------------------------


def on_hosts(count: int, rounds: int, capsule_cmd: list[str], app: App, app_file: Path,
             base_env: dict[str, str], home: Path, lock_wait: float) -> tuple[Figures, list[str]]:
    from tests.support import engines as support

    notes: list[str] = []
    env = {**base_env, "CAPSULE_HOME": str(home)}
    home.mkdir(mode=0o700, exist_ok=True)
    waited = time.perf_counter()
    while True:  # the hosts' lock: other sessions' test runs hold it for minutes at a time
        try:
            hosts = support.start_extra_hosts(count)
            break
        except support.EngineError as exc:
            if "another test session" not in str(exc) or time.perf_counter() - waited > lock_wait:
                raise
    notes.append(f"{count} extra hosts started in {time.perf_counter() - waited:.1f} s (lock wait included)")
    engines = Engines({})
    figures = Figures()
    try:
        hosts.interconnect()
        for host in hosts:
            args = ["hosts", "add", host.name, host.url, "--no-check"]
            args += (["--tls-ca", str(host.tls_ca), "--tls-cert", str(host.tls_cert), "--tls-key", str(host.tls_key)]
                     if host.tls else ["--insecure"])
            timed([*capsule_cmd, *args], env)
        timed([*capsule_cmd, "hosts", "remove", "local"], env)
        swarm = run([*capsule_cmd, "hosts", "swarm"], env, timeout=120)
        if swarm.returncode != 0:
            raise Failed(f"capsule hosts swarm failed:\n{swarm.stdout}\n{swarm.stderr}")
        notes += [line for line in swarm.stdout.splitlines() if line.strip()]
        engines = Engines({host.name: host.client for host in hosts})
        expected, _ = expected_capsule(capsule_cmd, app_file, env)
        try:
            for round_no in range(rounds + 1):
                capsule_round(f"capsule-{count}-hosts", capsule_cmd, app, app_file, env, engines, expected,
                              figures if round_no else None)
        finally:
            run([*capsule_cmd, "delete", "-f", str(app_file)], env, timeout=120)
            for line in engines.sweep(app, set(expected)):
                notes.append(f"swept after the hosts' rounds: {line}")
    finally:
        left = run([*capsule_cmd, "hosts", "swarm", "--leave", "--force"], env, timeout=120)
        notes.append(f"capsule hosts swarm --leave --force: exit {left.returncode}")
        for host in hosts:
            with contextlib.suppress(Exception):
                host.client.swarm.leave(force=True)
        with contextlib.suppress(Exception):
            hosts.separate()
        hosts.close()
    return figures, notes


# -- the run ---------------------------------------------------------------------------------------


def bench(rounds: int, host_count: int, host_rounds: int, profile: bool, readiness: bool,
          lock_wait: float = 1800.0, probe: str = "exec") -> dict:
    sys.path.insert(0, str(ROOT))
    from tests.support import engines as support  # finds or starts the engine, imports the test images

    engine = support.ensure_local_engine()
    support.ensure_test_images(engine.client)
    capsule = Path(sys.executable).with_name("capsule")
    capsule_cmd = [str(capsule)] if capsule.exists() else [sys.executable, "-m", "capsule_tui.cli"]
    compose = shutil.which("docker-compose")
    temp = Path(tempfile.mkdtemp(prefix="capsule-bench-app-"))
    home = temp / "home"
    home.mkdir(mode=0o700)
    env = {**os.environ, "CAPSULE_HOME": str(home), "PYTHONPYCACHEPREFIX": str(temp / "pycache")}
    env.pop("DOCKER_HOST", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    app = App(prefix=f"ab{os.getpid()}-", lb_port=free_port(), readiness=readiness, probe=probe, folder=temp)
    app_file, compose_file = app.write()
    local = Engines({"local": engine.client})
    figures = Figures()
    result: dict[str, Any] = {"rounds": rounds, "compose": bool(compose), "prefix": app.prefix,
                              "readiness_probe": probe if readiness else None, "lb_port": app.lb_port}
    expected: dict[str, str] = {}
    try:
        expected, names = expected_capsule(capsule_cmd, app_file, env)
        result["capsules"], result["services"] = len(names["capsules"]), len(names["services"])
        result["containers"] = {"capsule": len(expected), "compose": 9}
        proxies = sum(1 for state in expected.values() if state == "running") - 2 * len(names["capsules"])
        for round_no in range(rounds + 1):  # round 0: the untimed warm-up
            tools = ["capsule", "floor"] + (["compose"] if compose else [])
            shift = round_no % len(tools)  # rotate the order so no tool always goes first
            for tool in tools[shift:] + tools[:shift]:
                keep = figures if round_no else None
                if tool == "capsule":
                    capsule_round("capsule", capsule_cmd, app, app_file, env, local, expected, keep)
                elif tool == "floor":
                    floor_round(app, len(names["capsules"]), proxies, env, local, keep)
                else:
                    compose_round([str(compose)], app, compose_file, env, local, keep)
        if profile:
            lines = profile_create(capsule_cmd, app_file, env)
            result["profile"] = lines
            run([*capsule_cmd, "delete", "-f", str(app_file)], env)
            verify_down(local, app, set(expected))
        if host_count:
            try:
                host_figures, notes = on_hosts(host_count, host_rounds, capsule_cmd, app, app_file, env,
                                               temp / "home-hosts", lock_wait)
            except Failed as exc:  # the one-host figures stand; say why the hosts' are missing
                host_figures, notes = Figures(), [f"over {host_count} hosts: FAILED: {exc}"]
                result["host_failed"] = str(exc)
            figures.times.update(host_figures.times)
            figures.cpu.update(host_figures.cpu)
            figures.failures.update(host_figures.failures)
            result["host_spread"] = host_figures.spread
            result["host_notes"] = notes
            if host_figures.times:
                result["hosts"], result["host_rounds"] = host_count, host_rounds
    finally:
        with contextlib.suppress(Exception):
            run([*capsule_cmd, "delete", "-f", str(app_file)], env, timeout=120)
        if compose:
            with contextlib.suppress(Exception):
                run([str(compose), "-p", app.project, "-f", str(compose_file), "down"], env, timeout=120)
        swept = local.sweep(app, set(expected))
        if swept:
            result["swept"] = swept
        shutil.rmtree(temp, ignore_errors=True)
        engine.stop()  # only if this run started it
    result.update(median=figures.medians(), all=figures.times,
                  cpu_median={k: statistics.median(v) for k, v in figures.cpu.items()},
                  failures=figures.failures, load_average=os.getloadavg())
    return result


def report(result: dict) -> str:
    median = result["median"]
    load = ", ".join(f"{x:.1f}" for x in result["load_average"])
    lines = [f"capsule application benchmark: {result['capsules']} capsules, {result['services']} Services "
             f"({result['containers']['capsule']} containers; compose: {result['containers']['compose']}), "
             f"readiness probe: {result['readiness_probe'] or 'none'}",
             f"median of {result['rounds']} rounds on one host (load average at the end: {load})", "",
             f"{'wall seconds':26}{'up':>10}{'down':>10}{'up+down':>10}{'CPU up':>10}{'CPU down':>10}"]
    tools = [t for t in ("capsule", "floor", "compose") if f"{t}/up" in median]
    if "hosts" in result:
        tools.append(f"capsule-{result['hosts']}-hosts")
    for tool in tools:
        label = tool if "hosts" not in tool else f"capsule, {result['hosts']} hosts ({result['host_rounds']} rounds)"
        lines.append(f"{label:26}" + "".join(f"{median[f'{tool}/{p}']:>10.3f}" for p in ("up", "down", "up+down"))
                     + "".join(f"{result['cpu_median'][f'{tool}/{p}']:>10.3f}" for p in ("up", "down")))
    verdict = None
    if "compose/up" in median:
        ratios = [median[f"capsule/{p}"] / median[f"compose/{p}"] for p in ("up", "down", "up+down")]
        lines.append(f"{'capsule / compose':26}" + "".join(f"{f'{r:.2f}x':>10}" for r in ratios) + "   (goal <= 0.8x)")
        verdict = ratios[0] <= 0.8 and ratios[1] <= 0.8
    for top, base, note in (("capsule", "floor", ""), ("floor", "compose", "   (the best reachable)")):
        if f"{top}/up" in median and f"{base}/up" in median:
            ratios = [median[f"{top}/{p}"] / median[f"{base}/{p}"] for p in ("up", "down", "up+down")]
            lines.append(f"{f'{top} / {base}':26}" + "".join(f"{f'{r:.2f}x':>10}" for r in ratios) + note)
    if "hosts" in result:
        tool = f"capsule-{result['hosts']}-hosts"
        ratios = [median[f"{tool}/{p}"] / median[f"capsule/{p}"] for p in ("up", "down", "up+down")]
        label = f"{result['hosts']} hosts / one host"
        lines.append(f"{label:26}" + "".join(f"{f'{r:.2f}x':>10}" for r in ratios))
        lines.append(f"containers per host (sandboxes, members, Services), each round: {result['host_spread']}")
    lines.append("")
    failures = result["failures"]
    for tool in (t for t in tools if t != "floor"):
        key = tool
        count = len(failures.get(key, []))
        rounds = result["host_rounds"] if "hosts" in tool else result["rounds"]
        lines.append(f"name checks right after up, {tool}: {count} failed of {rounds * 6}"
                     + (" (compose promises nothing here)" if tool == "compose" else ""))
        lines += [f"  {line}" for line in failures.get(key, [])]
    if "profile" in result:
        lines += ["", "one `capsule create -f` of the application, each output line as it arrived (s):"]
        lines += [f"  {at:7.3f}  {text}" for at, text in result["profile"]]
    if "host_notes" in result:
        lines += ["", *result["host_notes"]]
    if "swept" in result:
        lines += ["", f"left over and swept at the end: {result['swept']}"]
    if verdict is not None:
        lines += ["", "goal (up and down <= 0.8x compose, names answer when create returns): "
                  + ("met" if verdict and not failures.get("capsule") else "NOT met")]
    else:
        lines += ["", "docker-compose is not installed: no compose comparison"]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds on one host (default 5)")
    parser.add_argument("--hosts", type=int, default=0, help="also time the application over N extra hosts")
    parser.add_argument("--host-rounds", type=int, default=3, help="timed rounds over the extra hosts (default 3)")
    parser.add_argument("--lock-wait", type=float, default=1800.0,
                        help="seconds to wait for the extra hosts' lock (default 1800)")
    parser.add_argument("--profile", action="store_true", help="print one create's output lines with their times")
    parser.add_argument("--probe", choices=("exec", "tcp"), default="exec",
                        help="the frontend's readiness probe (default exec; tcp works on one host only)")
    parser.add_argument("--no-readiness", action="store_true", help="no readiness probe on the frontend")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()

    def stop(signo: int, _frame: object) -> None:
        raise SystemExit(f"bench: signal {signo}: cleaning up")

    signal.signal(signal.SIGTERM, stop)
    try:
        result = bench(args.rounds, args.hosts, args.host_rounds, args.profile, not args.no_readiness,
                       args.lock_wait, args.probe)
    except Failed as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, indent=2) if args.json else report(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
