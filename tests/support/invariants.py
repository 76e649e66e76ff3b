"""What must hold after any fault, checked the same way after every one (the fault suite).

After a fault at any point of a create, delete or update, and then one `capsule list`
and one `capsule delete NAME`:
- no row is Starting without a live creator (the faulted process is gone by then);
- nothing carrying the capsule's name remains on the engine: containers, volumes,
  networks (every printed "deleted" is true on the engine);
- no secret value appears in any output, row or file of the state directory.
Everything is read through independent paths: the docker package for the engine, the
files of CAPSULE_HOME as bytes. Must not import pytest: it returns what is wrong, the
test asserts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from support.capsule_cli import cli


def on_engine(client: Any, name: str) -> dict[str, list[str]]:
    """Everything on the engine that carries the capsule's name label.

    The engine's own list answers (the low-level API), read in one call each: the docker
    package's high-level lists inspect every entry after listing, and fail when a
    container goes in between, which is exactly what happens in the middle of a fault.
    """
    labelled = {"label": f"capsule.name={name}"}
    return {
        "containers": sorted(c["Names"][0].lstrip("/") for c in client.api.containers(all=True, filters=labelled)),
        "volumes": sorted(v["Name"] for v in client.api.volumes(filters=labelled).get("Volumes") or []),
        "networks": sorted(n["Name"] for n in client.api.networks(filters=labelled)),
    }


def settle_and_check(client: Any, name: str, home: Path, *, secret: str | None = None,
                     outputs: tuple[str, ...] = ()) -> list[str]:
    """Run `capsule list` and `capsule delete NAME`, then return every broken promise (none: [])."""
    problems: list[str] = []
    listed = cli("list", "-o", "json")
    if listed.returncode != 0:
        return [f"capsule list failed after the fault: {listed.stderr.strip()}"]
    rows = [item for item in json.loads(listed.stdout)["items"] if item["name"] == name]
    for row in rows:
        if row["status"] == "Starting":
            problems.append(f"row Starting without a live creator: {row['reason']}")
    deleted = cli("delete", name)
    said_deleted = f"capsule {name} deleted" in deleted.stdout
    if deleted.returncode not in (0, 1):
        problems.append(f"capsule delete exited {deleted.returncode}: {deleted.stderr.strip()}")
    left = on_engine(client, name)
    if any(left.values()):
        what = "after a delete that said deleted" if said_deleted else "after list and delete"
        problems.append(f"left on the engine {what}: {left}")
    if rows and deleted.returncode != 0 and not any(left.values()):
        problems.append(f"delete failed although nothing was left: {deleted.stderr.strip()}")
    if secret:
        texts = [*outputs, listed.stdout, listed.stderr, deleted.stdout, deleted.stderr]
        if any(secret in text for text in texts):
            problems.append("a secret value appeared in an output")
        for path in home.rglob("*"):
            if path.is_file() and secret.encode() in path.read_bytes():
                problems.append(f"a secret value is in {path}")
    return problems
