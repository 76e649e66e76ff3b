"""The layer rule, read from the source: translate/ and runtime/ never import textual,
and translate/ never imports runtime.

A static scan with ast over every module of both packages, so that an import hidden
inside a function (a lazy import) counts as well: the rule is about what a module may
ever load, not about what one test run happened to load.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from support.paths import REPO_ROOT

ROOT = REPO_ROOT


def imported_modules(path: Path) -> set[str]:
    """Every module a file may import, top-level or inside functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
              and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)  # importlib.import_module("textual")
    return found


def modules_of(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no modules found under {package}/"
    return files


def top(name: str) -> str:
    return name.split(".")[0]


@pytest.mark.parametrize("package", ["translate", "runtime"])
def test_never_imports_textual(package: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if top(m) == "textual")
        for path in modules_of(package)
    }
    assert {f: m for f, m in offenders.items() if m} == {}


def test_translate_never_imports_runtime_or_the_ui() -> None:
    forbidden = {"runtime", "capsule_tui"}
    offenders = {
        str(path.relative_to(ROOT)): sorted(m for m in imported_modules(path) if top(m) in forbidden)
        for path in modules_of("translate")
    }
    assert {f: m for f, m in offenders.items() if m} == {}


def test_the_scan_sees_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "def later():\n"
        "    from textual.app import App\n"
        "    import importlib\n"
        "    importlib.import_module('runtime.hosts.settings')\n"
    )
    assert imported_modules(sample) == {"os", "textual.app", "importlib", "runtime.hosts.settings"}
