"""Capsule YAML files the command-line tests write: one busybox member, maybe one init container.

    path = busybox_capsule(tmp_path, name, init=["sleep", "4"])

The commands are written as JSON lists, which YAML reads as flow sequences.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

BUSYBOX = "busybox:1.36"


def busybox_capsule(folder: Path, name: str, *, app: Sequence[str] = ("sleep", "3600"),
                    init: Sequence[str] | None = None, init_name: str = "wait", file_name: str | None = None) -> Path:
    """Write `<folder>/<file_name or name>.yaml`: capsule `name` with member `app` (and init `init_name`)."""
    lines = ["apiVersion: beta", "kind: capsule", f"metadata: {{name: {name}}}", "spec:"]
    if init is not None:
        lines += ["  initContainers:",
                  f'    - {{name: {init_name}, image: "{BUSYBOX}", command: {json.dumps(list(init))}}}']
    lines += ["  containers:", f'    - {{name: app, image: "{BUSYBOX}", command: {json.dumps(list(app))}}}']
    path = folder / f"{file_name or name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path
