"""The fault suite's table: every fault test says which fault it injects at which point, and
the run ends with a table of faults × points × result (pass, FAIL, skip).

The `name` fixture every fault test uses: a unique capsule name, a CAPSULE_HOME of the
test's own, and everything carrying the name removed afterwards.

A test declares itself with `@pytest.mark.fault("SIGKILL during create", "its sandbox")`; a
parametrized one names its parameters in the fault (`"{signum} during create"`) and takes
its point from its `point` parameter.
The table is printed at the end of every run that ran fault tests, and the last run's
table is recorded in docs/testing.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from support.capsule_cli import remove_capsule_leftovers

_RESULTS: dict[tuple[str, str], list[str]] = defaultdict(list)


@pytest.fixture
def name(unique_name: str, docker_engine: Any, capsule_home: Path) -> Iterator[str]:
    """The capsule's name, in a CAPSULE_HOME of the test's own; what carries it is removed afterwards."""
    yield unique_name
    remove_capsule_leftovers(docker_engine.client, unique_name)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fault(kind, point): a fault test: what is injected, and where")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):  # type: ignore[no-untyped-def]
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("fault")
    if marker is None:
        return
    kind, point = (marker.args + ("", ""))[:2]
    callspec = getattr(item, "callspec", None)
    if callspec is not None:
        # A parametrized test names its parameters in the fault ("{signum} during create"),
        # and its point is its `point` parameter.
        params = {key: getattr(value, "name", value) for key, value in callspec.params.items()}
        kind = str(kind).format(**params)
        point = params.get("point", point)
    if report.when == "call" or (report.when == "setup" and report.skipped):
        verdict = "pass" if report.passed else "skip" if report.skipped else "FAIL"
        _RESULTS[(str(kind), str(point))].append(verdict)


def pytest_terminal_summary(terminalreporter) -> None:  # type: ignore[no-untyped-def]
    if not _RESULTS:
        return
    rows = sorted(_RESULTS.items())
    width_kind = max(len("fault"), *(len(k) for (k, _), _ in rows))
    width_point = max(len("point"), *(len(p) for (_, p), _ in rows))
    terminalreporter.section("fault suite: faults x points x result")
    terminalreporter.write_line(f"{'fault':<{width_kind}}  {'point':<{width_point}}  result")
    for (kind, point), verdicts in rows:
        worst = "FAIL" if "FAIL" in verdicts else "skip" if "skip" in verdicts else "pass"
        terminalreporter.write_line(f"{kind:<{width_kind}}  {point:<{width_point}}  {worst}")
