"""What a test needs from the machine besides the engine, and what happens when it is missing.

The rule tests/conftest.py applies to the engine, for every other need: on a developer's
machine a missing tool (or root) skips the test with the reason; under
CAPSULE_REQUIRE_DOCKER=1 (CI: `.ci/run`, where scripts/setup installs the tools) it
fails the test with the same reason, so that a test cannot stop running there unnoticed.

    tmux = require_tool("tmux", "the terminal UI end-to-end test")

Must not import pytest at module level (bench scripts import tests.support).
"""

from __future__ import annotations

import os
import shutil
from typing import NoReturn

REQUIRED_VARIABLE = "CAPSULE_REQUIRE_DOCKER"


def required() -> bool:
    """True under CI: a missing requirement is a failure, not a skip."""
    return os.environ.get(REQUIRED_VARIABLE) == "1"


def unavailable(reason: str) -> NoReturn:
    """Skip the calling test with `reason`, or fail it under CAPSULE_REQUIRE_DOCKER=1."""
    __tracebackhide__ = True  # the skip's location is the test's line, not this one
    import pytest

    if required():
        pytest.fail(f"{reason}\n({REQUIRED_VARIABLE}=1: what scripts/setup provides must be there; "
                    f"a missing one fails the run instead of skipping)", pytrace=False)
    pytest.skip(reason)


def require_tool(name: str, why: str) -> str:
    """The tool's path on PATH; skips (or fails under CI) saying `why` it is needed."""
    __tracebackhide__ = True
    path = shutil.which(name)
    if path is None:
        unavailable(f"`{name}` is not installed or not on PATH ({why})")
    return path


def require_root(why: str) -> None:
    """Skips (or fails under CI) unless the test runs as root."""
    __tracebackhide__ = True
    if os.geteuid() != 0:
        unavailable(f"not running as root ({why})")
