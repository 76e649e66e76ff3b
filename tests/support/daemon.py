"""How the test infrastructure runs dockerd: binary, environment, state folder, name prefix.

Must not: start or stop anything itself (engines.py and runtime/hosts/settings.py do).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

# Every namespace, link, cgroup and folder the test infrastructure makes starts
# with this, so that it never collides with a developer's setup and so that a
# crashed run's leftovers can be found and removed.
PREFIX = "capsule-t"

_SBIN_PATH = "/usr/local/sbin:/usr/sbin:/sbin:/usr/local/bin:/usr/bin:/bin"


def state_root() -> Path:
    """Engine logs, pid records and extra hosts: $CAPSULE_TEST_STATE or /var/tmp/capsule-t."""
    return Path(os.environ.get("CAPSULE_TEST_STATE") or f"/var/tmp/{PREFIX}")


def find_dockerd() -> str | None:
    """Path of dockerd, also looking in sbin folders that a non-login PATH may lack."""
    return shutil.which("dockerd", path=f"{os.environ.get('PATH', '')}:{_SBIN_PATH}")


def daemon_env() -> dict[str, str]:
    """Environment for dockerd: it runs containerd, runc and iptables found on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{env.get('PATH', '')}:{_SBIN_PATH}"
    return env
