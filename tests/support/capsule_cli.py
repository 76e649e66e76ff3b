"""What the command-line tests share: running the real `capsule` command, a free port, and
finding (and removing) one capsule's containers and volumes by its labels.

The command runs as a subprocess from the test's virtualenv (the `capsule` script beside
the interpreter, else `python -m capsule_tui.cli`), with standard input closed so that no
prompt can hang a test. Must not: import pytest, or touch anything not labelled with the
capsule's own name.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

CAPSULE = Path(sys.executable).with_name("capsule")


def capsule_command() -> list[str]:
    return [str(CAPSULE)] if CAPSULE.exists() else [sys.executable, "-m", "capsule_tui.cli"]


def cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    """Run `capsule ARGS...` to the end; text output, the environment plus `env`."""
    return subprocess.run(capsule_command() + list(args), capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL)


def cli_ok(*args: str, env: dict[str, str] | None = None) -> str:
    """Run `capsule ARGS...`, which must succeed; its standard output."""
    done = cli(*args, env=env)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def add_test_hosts(hosts: Any) -> None:
    """Put these extra test hosts in the inventory (TLS where they have it) in place of `local`."""
    for host in hosts:
        args = ["hosts", "add", host.name, host.url, "--no-check"]
        args += (["--tls-ca", str(host.tls_ca), "--tls-cert", str(host.tls_cert), "--tls-key", str(host.tls_key)]
                 if host.tls else ["--insecure"])
        cli_ok(*args)
    cli_ok("hosts", "remove", "local")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for a capsule's hostPort)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def capsule_containers(client: Any, name: str) -> list[Any]:
    """Every container (any state) of the capsule `name`, as the docker package sees them."""
    return client.containers.list(ignore_removed=True, all=True, filters={"label": f"capsule.name={name}"})


def remove_capsule_leftovers(client: Any, name: str) -> None:
    """Remove what a test's capsule left behind: its containers and its volumes, by label.

    Through the engine's list answers, tolerating what goes meanwhile: a capsule process
    of the test may still be removing the same things.
    """
    import docker.errors

    labelled = {"label": f"capsule.name={name}"}
    for entry in client.api.containers(all=True, filters=labelled):
        try:
            client.api.remove_container(entry["Id"], force=True)
        except (docker.errors.NotFound, docker.errors.APIError):
            pass  # gone, or being removed already
    for entry in client.api.volumes(filters=labelled).get("Volumes") or []:
        try:
            client.api.remove_volume(entry["Name"], force=True)
        except (docker.errors.NotFound, docker.errors.APIError):
            pass
