"""Faults during `capsule create -f` of a whole application: a stop signal or SIGKILL at each stage.

The application (its own namespace; names prefixed with the test's): a Deployment of two
replicas whose init container takes a while, behind a Service, and a StatefulSet member
behind a headless Service. The stages are seen from outside through the docker package:
the Services made, a replica's sandbox, its init container running. After the signal,
whatever the create left: `capsule list` shows no row Starting without a live creator,
and one `capsule delete -f` of the same file leaves nothing of the namespace on the
engine (containers, volumes, the namespace's network) and no Service. Ctrl-C or SIGTERM
while the Services are being made leaves nothing half-built: the create undoes the
Services it was making.
"""

from __future__ import annotations

import json
import signal
import subprocess

import pytest

from support.applications import of_namespace, web_manifest
from support.capsule_cli import capsule_command, cli
from support.waiting import wait_until

pytestmark = pytest.mark.docker


STAGES = {
    "its Services": lambda seen, name: f"capsule_svc_{name}_{name}-web" in seen["containers"],
    "a replica's sandbox": lambda seen, name: any(c.startswith(f"{name}-web-") and "." not in c
                                                 for c in seen["containers"]),
    "a replica's init container": lambda seen, name: any(c.endswith(".wait") for c in seen["containers"]),
}


@pytest.mark.fault("{signum} during create of an application")
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL], ids=lambda s: s.name)
@pytest.mark.parametrize("point", list(STAGES))
def test_after_a_signal_delete_by_file_leaves_nothing_of_the_application(signum, point, name, docker_engine,
                                                                        capsule_home, tmp_path):
    client = docker_engine.client
    path = web_manifest(tmp_path, name, replicas=2, init_seconds=20, with_db=True)
    create = subprocess.Popen(capsule_command() + ["create", "-f", str(path)], text=True, stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        reached = wait_until(lambda: STAGES[point](of_namespace(client, name), name) or create.poll() is not None)
        assert reached and create.poll() is None, f"never reached {point}: {create.communicate(timeout=60)}"
    finally:
        create.send_signal(signum)
        out, err = create.communicate(timeout=60)
    assert "Traceback" not in err, err
    if point == "its Services" and signum != signal.SIGKILL:
        # Interrupted while its Services were being made, the create takes them (and the
        # network it made) with it; just after, they stand, as made things do. Either way
        # nothing half-built: no capsule's container, only Services.
        left = of_namespace(client, name)["containers"]
        assert all(c.startswith(f"capsule_svc_{name}_") for c in left), (left, err)
    else:
        assert any(of_namespace(client, name).values()), "the signal left nothing: this case would prove nothing"

    listed = cli("list", "-n", name, "-o", "json")
    assert listed.returncode == 0, listed.stderr
    starting = [i["name"] for i in json.loads(listed.stdout)["items"] if i["status"] == "Starting"]
    assert starting == [], f"rows Starting without a live creator: {starting}"
    deleted = cli("delete", "-f", str(path))
    assert deleted.returncode in (0, 1), deleted.stderr
    assert "Traceback" not in deleted.stderr, deleted.stderr
    assert of_namespace(client, name) == {"containers": [], "volumes": [], "networks": []}, deleted.stdout
    services = cli("services", "-n", name, "-o", "json")
    assert services.returncode == 0 and json.loads(services.stdout)["items"] == []
