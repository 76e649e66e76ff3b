"""One error tree, one place for exit codes.

- every exception class the runtime defines descends from runtime.errors.CapsuleError
  (the engine client, which knows no capsule, has its own root, EngineError, which the
  service translates at its door);
- the exit code is on the class: 1 for a failed operation, 2 for input the user can fix;
- the command line defines its exit codes and prints its error lines in one module,
  capsule_tui/commands/exits.py.
"""

from __future__ import annotations

import ast
import importlib
import inspect

import pytest

from runtime.engine.errors import EngineError
from runtime.errors import (
    BadRequest,
    BuildCancelled,
    BuildRefused,
    CapsuleError,
    CopyArgumentError,
    HostSettingError,
    InventoryFileError,
    UnknownHost,
    UnknownStrategy,
)
from support.paths import REPO_ROOT
from support.source_scan import imported_modules, project_modules


def exception_classes(module_name: str) -> list[type[BaseException]]:
    module = importlib.import_module(module_name)
    # Errors: Exception's kind. An interruption (Interrupted, a KeyboardInterrupt) is not an error.
    return [cls for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, Exception) and cls.__module__ == module_name]


def test_every_runtime_error_has_one_root() -> None:
    strays, engine_strays = [], []
    for name in project_modules():
        if not name.startswith("runtime"):
            continue
        for cls in exception_classes(name):
            if name.startswith("runtime.engine"):
                if not issubclass(cls, EngineError):
                    engine_strays.append(f"{name}.{cls.__name__}")
            elif not issubclass(cls, CapsuleError):
                strays.append(f"{name}.{cls.__name__}")
    assert strays == [], "runtime errors must descend from runtime.errors.CapsuleError"
    assert engine_strays == [], "the engine client's errors must descend from EngineError"


@pytest.mark.parametrize("cls", [BadRequest, UnknownHost, HostSettingError, InventoryFileError, UnknownStrategy,
                                 BuildRefused, CopyArgumentError])
def test_input_the_user_can_fix_is_exit_code_2(cls: type[CapsuleError]) -> None:
    assert cls.exit_code == 2


def test_a_failed_operation_is_exit_code_1() -> None:
    assert CapsuleError.exit_code == 1
    assert BuildCancelled.exit_code == 1


def _module_level_names(path) -> list[str]:  # type: ignore[no-untyped-def]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in tree.body:
        if isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
            names += [e.id for t in node.targets if isinstance(t, ast.Tuple) for e in t.elts
                      if isinstance(e, ast.Name)]
        elif isinstance(node, ast.FunctionDef):
            names.append(f"def {node.name}")
    return names


def test_the_command_line_has_one_module_for_exit_codes_and_error_lines() -> None:
    found = {}
    for path in sorted((REPO_ROOT / "capsule_tui").rglob("*.py")):
        if path.name == "exits.py":
            continue
        names = [n for n in _module_level_names(path)
                 if n.startswith("EXIT_") or n in ("def error", "def warn", "def _error")]
        if names:
            found[str(path.relative_to(REPO_ROOT))] = names
    assert found == {}, "exit codes and error lines belong to capsule_tui/commands/exits.py"
    elsewhere = {str(path.relative_to(REPO_ROOT)) for path in (REPO_ROOT / "capsule_tui").rglob("*.py")
                 if path.name != "exits.py"
                 and any(n.startswith("runtime.errors.EXIT_") for n in imported_modules(path))}
    assert elsewhere == set(), "commands take their exit codes from capsule_tui/commands/exits.py"
