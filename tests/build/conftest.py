"""What the builder's engine tests share: a capsule name whose leftovers go after the test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from support.capsule_cli import remove_capsule_leftovers


@pytest.fixture
def name(unique_name: str, docker_engine: Any) -> Iterator[str]:
    """The capsule's name; anything labelled with it (containers, volumes) is removed after the test."""
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)
