"""A host lost in the middle of a create: its link cut, or its engine killed, then back.

The create's clean-up cannot reach the host; the create ends in bounded time with the
reason; while the host is away, `capsule delete` says it could not delete (never
"deleted"); once the host is back, `capsule list` shows the capsule Failed (never
Starting) and one `capsule delete` removes all of it. The extra engines run in network
namespaces of the test's own (tests/support/hosts.py); each is read through its own
unix socket with the docker package, an independent client, even while its link is cut.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import capsule_command, cli
from support.capsule_files import busybox_capsule
from support.invariants import on_engine, settle_and_check

pytestmark = pytest.mark.multihost


def configure(extra_hosts: Any) -> None:
    for host in extra_hosts:
        args = ["hosts", "add", host.name, host.url, "--no-check"]
        if host.tls:
            args += ["--tls-ca", str(host.tls_ca), "--tls-cert", str(host.tls_cert), "--tls-key", str(host.tls_key)]
        else:
            args.append("--insecure")
        assert cli(*args).returncode == 0


def capsule_file(folder: Path, name: str) -> Path:
    return busybox_capsule(folder, name, init=["sleep", "4"])


FAULTS: dict[str, tuple[Callable[[Any], None], Callable[[Any], None]]] = {
    "its link cut": (lambda host: host.cut(), lambda host: host.restore()),
    "its engine killed": (lambda host: host.kill(), lambda host: host.revive()),
}


@pytest.mark.fault("host lost during create: {fault}", "its init container")
@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_host_lost_mid_create_leaves_a_true_record_and_one_delete_cleans_up(fault, extra_hosts, capsule_home,
                                                                             tmp_path, unique_name):
    configure(extra_hosts)
    victim = next(h for h in extra_hosts if not h.tls)
    lose, bring_back = FAULTS[fault]
    name = unique_name
    process = subprocess.Popen(capsule_command() + ["create", "-f", str(capsule_file(tmp_path, name)), "--host",
                                                    victim.name, "--timeout", "8"],
                               text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while f"{name}.wait" not in on_engine(victim.local_client, name)["containers"]:
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.05)
    lose(victim)
    try:
        began = time.monotonic()
        out, err = process.communicate(timeout=120)
        took = time.monotonic() - began
        assert process.returncode == 1, err
        assert "Traceback" not in err and "internal error" not in err, err
        assert took < 60, f"create went on for {took:.1f} s after its host was lost"
        refused = cli("delete", name)
        assert refused.returncode == 1 and f"capsule {name} deleted" not in refused.stdout, refused.stdout
    finally:
        bring_back(victim)
    assert settle_and_check(victim.client, name, capsule_home, outputs=(out, err)) == []
