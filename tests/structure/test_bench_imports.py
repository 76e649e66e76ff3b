"""The benchmarks and scripts import what exists: a moved or renamed module or name fails here,
not in the middle of a benchmark run.

Every import of the project's modules (runtime, translate, capsule_tui, tests.support)
in bench/ and scripts/, top-level or inside a function, is resolved: the module must
import, and each name taken from it must be there.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from support.paths import REPO_ROOT

SCRIPTS = sorted([*(REPO_ROOT / "bench").glob("*.py"),
                  *(p for p in (REPO_ROOT / "scripts").iterdir()
                    if p.is_file() and p.read_text(errors="replace").startswith("#!/usr/bin/env python"))])
PROJECT = ("runtime", "translate", "capsule_tui", "tests", "support")


def project_imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(module, names taken from it, line) for every project import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                and node.module.split(".")[0] in PROJECT:
            found.append((node.module, [a.name for a in node.names], node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] in PROJECT]
    return found


@pytest.mark.parametrize("path", SCRIPTS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_project_import_resolves(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(REPO_ROOT))  # as the scripts do, for tests.support
    missing = []
    for module_name, names, line in project_imports(path):
        if module_name.split(".")[0] == "support":
            # tests/ is on the tests' path, not on a script's: scripts take tests.support.
            missing.append(f"line {line}: {module_name} (write tests.{module_name})")
            continue
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            missing.append(f"line {line}: {module_name} ({exc})")
            continue
        for name in names:
            if not hasattr(module, name):
                try:
                    importlib.import_module(f"{module_name}.{name}")
                except ImportError:
                    missing.append(f"line {line}: {module_name}.{name}")
    assert missing == [], f"{path.relative_to(REPO_ROOT)} imports what does not exist"


def test_the_scripts_are_found() -> None:
    names = {p.name for p in SCRIPTS}
    assert {"bench_lifecycle.py", "bench_tui.py", "bench_scheduler.py", "kubernetes-mapping"} <= names
