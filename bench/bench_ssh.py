"""Benchmark: an ssh:// host against the same engine over tcp.

One extra test engine (a network namespace, tests/support/hosts.py) is reached two
ways side by side: `tcp://ADDRESS:2375` and `ssh://root@ADDRESS:2222/its/socket` through
an sshd in the same namespace (tests/support/ssh_server.py). Each round times, as whole
processes and alternating which goes first:

- up and down: `capsule create -f FILE --host H` of a capsule with 3 busybox members,
  then `capsule delete NAME`;
- list: `capsule list -o json` with that one host in the inventory.

Every create is checked through the docker package (the containers really run).
Prints the medians and the ssh/tcp ratios; the goal is create+delete within 1.3x of tcp.
Also prints how many SSH logins one create cost (sshd's log): never more than one per
command, and none once the host's keeper holds the connection (commands keep it between
them as a user's do, runtime/engine/ssh/keep.py; the warm-up round starts the keeper).
`CAPSULE_SSH_KEEP=0 .venv/bin/python bench/bench_ssh.py` measures every command
logging in itself.

Usage: .venv/bin/python bench/bench_ssh.py [--rounds 7] [--json]
Needs root (network namespaces, sshd); removes everything it made.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from runtime.hosts.inventory import Inventory, save_inventory  # noqa: E402
from runtime.hosts.settings import HostSettings  # noqa: E402
from tests.support import engines  # noqa: E402
from tests.support.ssh_server import SshServer, home  # noqa: E402

MEMBERS = 3
PREFIX = "bench-ssh"


def capsule_file(folder: Path, name: str) -> Path:
    members = "\n".join(f'    - {{name: m{i}, image: "busybox:1.36", command: ["sh", "-c", '
                        f'"trap \'exit 0\' TERM; sleep 3600 & wait"]}}' for i in range(MEMBERS))
    path = folder / f"{name}.yaml"
    path.write_text(f"apiVersion: beta\nkind: capsule\nmetadata: {{name: {name}}}\nspec:\n  containers:\n{members}\n")
    return path


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(command[3:6])} ... failed ({result.returncode}): {result.stderr.strip()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="capsule-bench-ssh-"))
    capsule = [sys.executable, "-m", "capsule_tui.cli"]
    print("starting an extra Docker engine and an sshd in front of it ...", flush=True)
    with engines.start_extra_hosts(1) as extra:
        host = extra[0]
        server = SshServer.start(host, work / "sshd")
        try:
            user_home = home(work / "home", server)
            envs = {}
            for way, url in (("tcp", host.url), ("ssh", server.url())):
                state = work / f"state-{way}"
                state.mkdir(mode=0o700)
                save_inventory(Inventory(state / "hosts.yaml", True, (HostSettings(way, url, insecure=True),)))
                envs[way] = {**os.environ, "HOME": str(user_home), "CAPSULE_HOME": str(state),
                             "DOCKER_CONFIG": str(work / "docker-config"),
                             "PYTHONPYCACHEPREFIX": str(work / "pycache")}
                for name in ("DOCKER_HOST", "DOCKER_CONTEXT", "SSH_AUTH_SOCK", "PYTHONDONTWRITEBYTECODE"):
                    envs[way].pop(name, None)
            figures: dict[str, dict[str, list[float]]] = {w: {"up": [], "down": [], "list": []} for w in envs}
            logins: list[int] = []
            for round_number in range(args.rounds + 1):  # round 0 warms up (byte-code, images, first login)
                order = ["tcp", "ssh"] if round_number % 2 else ["ssh", "tcp"]
                for way in order:
                    name = f"{PREFIX}-{way}-{round_number}"
                    path = capsule_file(work, name)
                    before = server.logins()
                    up = timed(capsule + ["create", "-f", str(path), "--host", way], envs[way])
                    if way == "ssh":
                        logins.append(server.logins() - before)
                    running = host.client.containers.list(filters={"label": f"capsule.name={name}"})
                    if len(running) != MEMBERS + 1:
                        raise SystemExit(f"{name}: {len(running)} containers running, wanted {MEMBERS + 1}")
                    listed = timed(capsule + ["list", "-o", "json"], envs[way])
                    down = timed(capsule + ["delete", name], envs[way])
                    if round_number:
                        figures[way]["up"].append(up)
                        figures[way]["down"].append(down)
                        figures[way]["list"].append(listed)
        finally:
            server.close()
    median = {w: {k: statistics.median(v) for k, v in f.items()} for w, f in figures.items()}
    print(f"\n{args.rounds} rounds, a capsule of {MEMBERS} members; medians in seconds")
    print(f"{'':8}{'tcp':>8}{'ssh':>8}{'ssh/tcp':>9}")
    for key in ("up", "down", "list"):
        print(f"{key:8}{median['tcp'][key]:8.3f}{median['ssh'][key]:8.3f}{median['ssh'][key] / median['tcp'][key]:9.2f}")
    both = {w: median[w]["up"] + median[w]["down"] for w in median}
    ratio = both["ssh"] / both["tcp"]
    print(f"{'up+down':8}{both['tcp']:8.3f}{both['ssh']:8.3f}{ratio:9.2f}   goal <= 1.30: "
          f"{'met' if ratio <= 1.3 else 'NOT met'}")
    print(f"SSH logins per create: {logins[0]} in the warm-up round, then {sorted(set(logins[1:]))}")
    if args.json:
        print(json.dumps({"median": median, "ratio_up_down": ratio, "logins_per_create": logins}))


if __name__ == "__main__":
    main()
