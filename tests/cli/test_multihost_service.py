"""The whole `capsule` command over several real hosts: tcp and TLS engines in namespaces.

The inventory is written with `capsule hosts add` (and the implicit `local` dropped),
then create / list / describe / logs / exec / delete run as processes, as a user runs
them. Every claim about a host is checked through that host's own docker client
(`extra_hosts[i].client`, or `local_client` over its unix socket while it is cut off).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.multihost

SLEEPER = ["sh", "-c", "echo hello from $(hostname); sleep 600"]


def capsule_cli(*args: str, env: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    """The whole `capsule` process (CAPSULE_HOME from the test's environment unless `env`)."""
    return subprocess.run([sys.executable, "-m", "capsule_tui.cli", *args], capture_output=True, text=True,
                          env=env or os.environ.copy(), timeout=timeout, stdin=subprocess.DEVNULL)


def ok(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    result = capsule_cli(*args, env=env)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def configure(extra_hosts, env: dict | None = None) -> None:  # type: ignore[no-untyped-def]
    """Every extra host in the inventory (labelled index=N), and not the local engine."""
    for host in extra_hosts:
        args = ["hosts", "add", host.name, host.url, "--label", f"index={host.index}", "--no-check"]
        if host.tls:
            args += ["--tls-ca", str(host.tls_ca), "--tls-cert", str(host.tls_cert), "--tls-key", str(host.tls_key)]
        else:
            args.append("--insecure")
        ok(*args, env=env)
    ok("hosts", "remove", "local", env=env)


def capsule_file(folder: Path, name: str, *, host: str | None = None, cpu: str = "100m",
                 command: list[str] | None = None, labels: dict[str, str] | None = None) -> Path:
    doc = {
        "apiVersion": "beta", "kind": "capsule",
        "metadata": {"name": name, "labels": {"test": "multihost-service"}},
        "spec": {
            "restartPolicy": "Always",
            "containers": [{"name": "main", "image": "busybox:1.36", "command": command or SLEEPER,
                            "resources": {"requests": {"cpu": cpu, "memory": "16Mi"}}}],
        },
    }
    if host:
        doc["spec"]["hostSelector"] = host
    if labels:
        doc["spec"]["hostLabels"] = labels
    path = folder / f"{name}.json"
    path.write_text(json.dumps(doc))
    return path


def containers_named(host, name: str, *, local: bool = False) -> list:  # type: ignore[no-untyped-def]
    """The capsule's containers on one host, from the engine itself."""
    client = host.local_client if local else host.client
    return client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={name}"})


def listed(env: dict | None = None) -> dict[str, dict]:
    return {item["name"]: item for item in json.loads(ok("list", "-o", "json", env=env).stdout)["items"]}


def test_create_on_tcp_and_tls_hosts_then_list_describe_logs_exec_delete(
        extra_hosts, capsule_home, tmp_path, unique_name) -> None:  # type: ignore[no-untyped-def]
    configure(extra_hosts)
    plain, tls_host = extra_hosts[0], extra_hosts.tls_host
    on_plain, on_tls = f"{unique_name}-p", f"{unique_name}-t"
    files = [capsule_file(tmp_path, on_plain, host=plain.name), capsule_file(tmp_path, on_tls, host=tls_host.name)]
    try:
        created = json.loads(ok("create", "-f", str(files[0]), "-f", str(files[1]), "-o", "json").stdout)
        assert {(r["name"], r["host"], r["status"]) for r in created} == {
            (on_plain, plain.name, "Running"), (on_tls, tls_host.name, "Running")}
        # Each landed on the host it names, and only there (the engines' own view).
        for name, target in ((on_plain, plain), (on_tls, tls_host)):
            here = containers_named(target, name)
            assert sorted(c.name for c in here) == sorted([name, f"{name}.main"])
            assert all(c.status == "running" for c in here)
            for other in extra_hosts:
                if other is not target:
                    assert containers_named(other, name) == []

        items = listed()
        assert (items[on_plain]["host"], items[on_plain]["status"]) == (plain.name, "Running")
        assert (items[on_tls]["host"], items[on_tls]["status"]) == (tls_host.name, "Running")
        sandbox = tls_host.client.containers.get(on_tls)
        assert items[on_tls]["ip"] == sandbox.attrs["NetworkSettings"]["IPAddress"]

        # Another machine (another CAPSULE_HOME) with the same hosts sees both, from the labels alone.
        other_home = tmp_path / "second-home"
        other_home.mkdir()
        other_env = {**os.environ, "CAPSULE_HOME": str(other_home)}
        configure(extra_hosts, env=other_env)
        seen = listed(other_env)
        assert {(seen[n]["host"], seen[n]["status"]) for n in (on_plain, on_tls)} == {
            (plain.name, "Running"), (tls_host.name, "Running")}

        detail = json.loads(ok("describe", on_tls, "-o", "json").stdout)
        detail = detail[0] if isinstance(detail, list) else detail
        assert detail["host"] == tls_host.name
        member = next(m for m in detail["members"] if m["name"] == "main")
        assert tls_host.client.containers.get(f"{on_tls}.main").id.startswith(member["container_id"])
        assert member["state"] == "running"

        # logs and exec must reach the member on the TLS host: its own hostname proves which container.
        hostname = tls_host.client.containers.get(f"{on_tls}.main").exec_run(["hostname"]).output.decode().strip()
        logs = ok("logs", on_tls)
        assert f"hello from {hostname}" in logs.stdout
        marker = f"written-over-tls-{unique_name}"
        ok("exec", on_tls, "--", "sh", "-c", f"echo {marker} > /tmp/marker")
        made = tls_host.client.containers.get(f"{on_tls}.main").exec_run(["cat", "/tmp/marker"])
        assert made.output.decode().strip() == marker
        echoed = ok("exec", on_tls, "--", "cat", "/tmp/marker")
        assert echoed.stdout.strip() == marker

        # Deleted from the second home: the first one notices at its next list.
        ok("delete", on_plain, on_tls, env=other_env)
        assert containers_named(plain, on_plain) == [] and containers_named(tls_host, on_tls) == []
        assert not ({on_plain, on_tls} & set(listed()))
    finally:
        for name in (on_plain, on_tls):
            capsule_cli("delete", name)


def test_no_host_fits_lists_every_host_and_dry_run_creates_nothing(
        extra_hosts, capsule_home, tmp_path, unique_name) -> None:  # type: ignore[no-untyped-def]
    configure(extra_hosts)
    greedy = capsule_file(tmp_path, f"{unique_name}-big", cpu="1000")
    refused = capsule_cli("create", "-f", str(greedy))
    assert refused.returncode == 1, refused.stderr
    count = len(extra_hosts)
    assert (f"cannot place capsule '{unique_name}-big': 0/{count} hosts available: {count} insufficient cpu "
            f"(needs 1000 CPU, at most ") in refused.stderr
    for host in extra_hosts:
        cpus = host.client.info()["NCPU"]
        assert f"\n  {host.name}: insufficient cpu: needs 1000 CPU, " in refused.stderr
        assert f" (of {cpus} CPU, " in refused.stderr
    refused_one = capsule_cli("create", "-f", str(greedy), "--host", extra_hosts[1].name)
    assert refused_one.returncode == 1
    assert "0/1 hosts available: 1 insufficient cpu" in refused_one.stderr
    assert f"  {extra_hosts[1].name}: insufficient cpu" in refused_one.stderr

    dry_name = f"{unique_name}-dry"
    wanted = capsule_file(tmp_path, dry_name, labels={"index": str(extra_hosts[1].index)})
    dry = capsule_cli("create", "-f", str(wanted), "--dry-run", "--strategy", "binpack")
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    assert lines[0] == f"{dry_name}: placement: host '{extra_hosts[1].name}' (strategy binpack, score " \
        + lines[0].split("score ")[1]
    for host in extra_hosts:
        line = next(line for line in lines if line.startswith(f"  {host.name}: "))
        if host is extra_hosts[1]:
            assert line.startswith(f"  {host.name}: chosen, score ")
        else:
            assert line == (f"  {host.name}: does not match host labels: needs index={extra_hosts[1].index}; "
                            f"host has index={host.index}")
    dry_refused = capsule_cli("create", "-f", str(greedy), "--dry-run")
    assert dry_refused.returncode == 1
    assert f"0/{count} hosts available: {count} insufficient cpu" in dry_refused.stderr

    # Nothing was created anywhere, and nothing recorded.
    for host in extra_hosts:
        assert containers_named(host, dry_name) == [] and containers_named(host, f"{unique_name}-big") == []
    assert not ({dry_name, f"{unique_name}-big"} & set(listed()))


def test_a_cut_off_host_during_list_and_create(extra_hosts, capsule_home, tmp_path, unique_name) -> None:  # type: ignore[no-untyped-def]
    configure(extra_hosts)
    victim, survivor = extra_hosts[0], extra_hosts.tls_host
    on_victim, on_survivor = f"{unique_name}-v", f"{unique_name}-s"
    landed, stranded = f"{unique_name}-l", f"{unique_name}-x"
    ok("create", "-f", str(capsule_file(tmp_path, on_victim, host=victim.name)),
       "-f", str(capsule_file(tmp_path, on_survivor, host=survivor.name)))
    try:
        victim.cut()
        started = time.monotonic()
        items = listed()
        elapsed = time.monotonic() - started
        # One connect timeout (3 s) plus a process start and the other hosts' work.
        assert elapsed < 10.0, elapsed
        assert items[on_victim]["status"] == "Unknown"
        assert items[on_victim]["reason"].startswith(f"host {victim.name} unreachable")
        assert items[on_survivor]["status"] == "Running"

        # Placement skips the cut host: the capsule lands elsewhere, whole.
        created = json.loads(ok("create", "-f", str(capsule_file(tmp_path, landed)), "-o", "json").stdout)
        (result,) = created
        assert result["host"] != victim.name and result["status"] == "Running"
        for host in extra_hosts:
            here = containers_named(host, landed, local=host is victim)
            if host.name == result["host"]:
                assert sorted(c.name for c in here) == sorted([landed, f"{landed}.main"])
                assert all(c.status == "running" for c in here)
            else:
                assert here == [], host.name

        # A capsule that may only go to the cut host fails cleanly, with the reason.
        failed = capsule_cli("create", "-f", str(capsule_file(tmp_path, stranded, host=victim.name)))
        assert failed.returncode == 1
        assert f"0/{len(extra_hosts)} hosts available: 1 unreachable, {len(extra_hosts) - 1} does not match " \
               f"hostSelector" in failed.stderr
        assert f"  {victim.name}: unreachable: " in failed.stderr
        for host in extra_hosts:
            assert containers_named(host, stranded, local=host is victim) == []
    finally:
        victim.restore()
    items = listed()
    assert items[on_victim]["status"] == "Running" and items[on_victim]["host"] == victim.name
    assert stranded not in items
    ok("delete", on_victim, on_survivor, landed)
    for host in extra_hosts:
        for name in (on_victim, on_survivor, landed):
            assert containers_named(host, name) == []
