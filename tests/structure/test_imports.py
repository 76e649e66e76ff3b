"""The house rules, read from the source: which layer may import which, and no circles.

- translate/ imports neither runtime/ nor capsule_tui/; runtime/ never imports
  capsule_tui/; neither imports textual.
- runtime/engine/ (the Engine API client) imports nothing of capsule's: it knows no capsule.
- capsule_tui/ reaches the runtime through its door: the modules at runtime/'s top
  level (the service, the flows, the shared values), plus the HostSettings value of
  runtime/hosts/settings.py; never a room behind them, never the engine's errors.
- runtime/'s top level holds only the service, the flows and a few shared values.
- No import cycle between the project's modules, and none between runtime's rooms.

A static scan with ast over every module, so that an import hidden inside a function
(a lazy import) or under TYPE_CHECKING counts as well: the rules are about what a
module may ever load, not about what one test run happened to load.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from support.paths import REPO_ROOT
from support.source_scan import (
    PACKAGES,
    find_cycle,
    import_graph,
    imported_modules,
    module_name,
    project_modules,
    room_graph,
)

RUNTIME_TOP = {
    # the door
    "runtime.service",
    # the flows
    "runtime.create_flow", "runtime.update", "runtime.apply", "runtime.rollback", "runtime.event_follow",
    "runtime.application_flow", "runtime.services_flow", "runtime.workload_flow",
    # what the service and the flows share, and the values they hand out
    "runtime.context", "runtime.errors", "runtime.labels", "runtime.paths", "runtime.views",
    "runtime.selectors", "runtime.concurrently", "runtime.event_loop",
}
# Values the UI builds itself and hands to the service (the hosts form).
UI_MAY_ALSO_IMPORT = {"runtime.hosts.settings"}


def offenders(package: str, forbidden) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    found = {}
    for name, path in project_modules().items():
        if name == package or name.startswith(package + "."):
            bad = sorted(m for m in imported_modules(path) if forbidden(name, m))
            if bad:
                found[str(path.relative_to(REPO_ROOT))] = bad
    return found


def top(name: str) -> str:
    return name.split(".")[0]


# -- the layers ------------------------------------------------------------------------------


@pytest.mark.parametrize("package", ["translate", "runtime"])
def test_never_imports_textual(package: str) -> None:
    assert offenders(package, lambda _, m: top(m) == "textual") == {}


def test_translate_never_imports_runtime_or_the_ui() -> None:
    assert offenders("translate", lambda _, m: top(m) in ("runtime", "capsule_tui")) == {}


def test_runtime_never_imports_the_ui() -> None:
    assert offenders("runtime", lambda _, m: top(m) == "capsule_tui") == {}


def test_the_engine_client_imports_nothing_of_capsules() -> None:
    def foreign(_: str, m: str) -> bool:
        return top(m) in PACKAGES and not (m == "runtime.engine" or m.startswith("runtime.engine."))

    assert offenders("runtime.engine", foreign) == {}


def test_the_ui_and_the_command_line_go_through_the_door() -> None:
    def behind_the_door(_: str, m: str) -> bool:
        if top(m) != "runtime" or m == "runtime":
            return False
        module = m if m in project_modules() else m.rsplit(".", 1)[0]  # `from runtime.x import name`
        return module not in RUNTIME_TOP and module not in UI_MAY_ALSO_IMPORT

    assert offenders("capsule_tui", behind_the_door) == {}


def test_runtime_top_level_holds_the_service_the_flows_and_shared_values() -> None:
    at_top = {name for name, path in project_modules().items()
              if name.startswith("runtime.") and name.count(".") == 1 and path.name != "__init__.py"}
    assert at_top == RUNTIME_TOP, ("a module at runtime/'s top level that is neither the service, a flow nor a "
                                   "shared value belongs in one of runtime/'s rooms")


# -- no circles ------------------------------------------------------------------------------


def test_no_import_cycle_between_modules() -> None:
    assert find_cycle(import_graph(project_modules())) == []


def test_no_cycle_between_runtimes_rooms() -> None:
    assert find_cycle(room_graph(import_graph(project_modules()))) == []


# -- the scan itself -------------------------------------------------------------------------


def test_the_scan_sees_lazy_and_type_checking_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from runtime.state.store import Store\n"
        "def later():\n"
        "    from textual.app import App\n"
        "    import importlib\n"
        "    importlib.import_module('runtime.hosts.settings')\n"
    )
    assert imported_modules(sample) == {
        "os", "typing", "typing.TYPE_CHECKING", "runtime.state.store", "runtime.state.store.Store",
        "textual.app", "textual.app.App", "importlib", "runtime.hosts.settings",
    }


def test_a_cycle_is_found_through_a_function_level_import(tmp_path: Path) -> None:
    package = tmp_path / "runtime"
    (package / "a").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a" / "__init__.py").write_text("")
    (package / "a" / "one.py").write_text("from runtime.b import two\n")
    (package / "b.py").write_text("def later():\n    from runtime.a.one import x\n")
    modules = {module_name(p, tmp_path): p for p in package.rglob("*.py")}
    graph = import_graph(modules)
    assert find_cycle(graph) == ["runtime.a.one", "runtime.b", "runtime.a.one"]
    assert find_cycle(room_graph(graph)) == ["runtime.a", "runtime.b", "runtime.a"]


def test_tests_share_helpers_through_the_support_package_only() -> None:
    """A test that imports another test module runs only when that one is collected too."""
    found = {}
    for path in sorted((REPO_ROOT / "tests").rglob("test_*.py")):
        others = sorted(m for m in imported_modules(path) if m.split(".")[-1].startswith("test_"))
        if others:
            found[str(path.relative_to(REPO_ROOT))] = others
    assert found == {}
