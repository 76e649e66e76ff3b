"""A host of an application lost in the middle of its create: a swarm of two test hosts, one cut.

The application spans both hosts (an overlay network per namespace). Once a replica's
init container runs on the first host, the second host's link is cut: the create ends within its timeout, saying
which capsules could not be made there; the first host's capsules and Services stand.
With the link back, `capsule delete -f` leaves nothing of the namespace on either host
(containers, volumes, the overlay network), read through each host's own unix socket,
except an overlay the swarm holds for an attachment the engine leaked, which delete and
gc name with its fix; once that fix is applied (the cut host's engine restarted), gc
removes it, and the swarm capsule made is left again.
"""

from __future__ import annotations

import subprocess
import time

import pytest

from support.applications import of_namespace, web_manifest
from support.capsule_cli import add_test_hosts, capsule_command, cli, cli_ok
from support.waiting import wait_until

pytestmark = pytest.mark.multihost


@pytest.mark.fault("a host of an application cut during its create", "a replica's init container")
def test_a_host_cut_during_an_application_create_ends_in_time_and_delete_by_file_cleans_both(
        swarm_hosts, capsule_home, unique_name, tmp_path) -> None:  # type: ignore[no-untyped-def]
    first, second = swarm_hosts[0], swarm_hosts[1]
    add_test_hosts((first, second))
    cli_ok("hosts", "swarm")
    name, path = unique_name, web_manifest(tmp_path, unique_name, replicas=4, init_seconds=3, with_db=False)
    create = subprocess.Popen(capsule_command() + ["create", "-f", str(path), "--timeout", "30"], text=True,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    began = None
    try:
        def a_replica_begun() -> bool:  # its init container exists on the first host
            return any(c.endswith(".wait") for c in of_namespace(first.local_client, name)["containers"])
        reached = wait_until(lambda: a_replica_begun() or create.poll() is not None)
        assert reached and create.poll() is None, f"never saw a replica begun: {create.communicate(timeout=60)}"
        second.cut()
        began = time.monotonic()
        out, err = create.communicate(timeout=120)
        took = time.monotonic() - began
    finally:
        if create.poll() is None:
            create.kill()
        if began is not None:
            second.restore()
    assert create.returncode == 1, (out, err)
    assert "Traceback" not in err
    assert second.name in err and took < 60, (took, err)  # said which host, within the create's bound
    assert any(c.startswith(f"{name}-web-") for c in of_namespace(first.local_client, name)["containers"])

    deleted = cli("delete", "-f", str(path))
    assert "Traceback" not in deleted.stderr, deleted.stderr
    nothing = {"containers": [], "volumes": [], "networks": []}
    assert of_namespace(second.local_client, name) == nothing, (deleted.stdout, deleted.stderr)
    left = of_namespace(first.local_client, name)
    if left != nothing:
        # Docker 20.10 may leak the cut host's network attachment (runtime/services/network_holders.py):
        # then only the overlay stays on the manager, and both delete and gc say so, naming the fix.
        overlay = f"capsule-ns-{name}"
        assert left == {**nothing, "networks": [overlay]}, (left, deleted.stdout, deleted.stderr)
        said = f"network {overlay} left on host {first.name}: the swarm still counts the network attachment"
        assert said in deleted.stderr and f"restart the Docker engine on {second.name}" in deleted.stderr, \
            deleted.stderr
        swept = cli("gc", "--grace", "0")
        assert f"host {first.name}: kept network {overlay}" in swept.stderr, swept.stderr
        assert f"removed network {overlay}" not in swept.stdout, swept.stdout  # not said removed while it stays
        # The fix it names: that host's engine restarted (killed: a stop waits on the stuck attachment,
        # as does leaving the swarm), then gc removes the network.
        second.kill()
        second.revive()
        removed = f"host {first.name}: removed network {overlay}"
        assert wait_until(lambda: removed in cli("gc", "--grace", "0").stdout, timeout=90), \
            of_namespace(first.local_client, name)
    assert of_namespace(first.local_client, name) == nothing
    assert "left the swarm" in cli_ok("hosts", "swarm", "--leave", "--force")
