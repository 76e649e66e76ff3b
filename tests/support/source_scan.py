"""Reading the project's imports from its source (ast), for the structure tests.

Every import counts: top-level, inside a function, under TYPE_CHECKING, and
`importlib.import_module("name")` with a literal name.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from support.paths import REPO_ROOT

PACKAGES = ("runtime", "translate", "capsule_tui")


def module_name(path: Path, root: Path = REPO_ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def project_modules(root: Path = REPO_ROOT) -> dict[str, Path]:
    return {module_name(p, root): p for package in PACKAGES for p in sorted((root / package).rglob("*.py"))}


def imported_modules(path: Path) -> set[str]:
    """Every module a file may import, top-level, inside functions or under TYPE_CHECKING.

    `from a.b import c` counts as `a.b.c` (a module, when c is one) and as `a.b`.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Call) and isinstance(node.func, (ast.Attribute, ast.Name))
              and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
              and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.add(node.args[0].value)  # importlib.import_module("textual")
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (names that are not modules are dropped)."""
    return {name: {m for m in imported_modules(path) if m in modules and m != name}
            for name, path in modules.items()}


def find_cycle(graph: dict[str, Iterable[str]]) -> list[str]:
    """One cycle of the graph as [a, b, ..., a], or [] when it has none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return []


def room_of(module: str) -> str:
    """runtime.build.builder -> runtime.build; a module at runtime/'s top is a room of its own."""
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "runtime" and len(parts) > 2 else module


def room_graph(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    rooms: dict[str, set[str]] = {}
    for source, targets in graph.items():
        if not source.startswith("runtime."):
            continue
        for target in targets:
            if target.startswith("runtime.") and room_of(source) != room_of(target):
                rooms.setdefault(room_of(source), set()).add(room_of(target))
    return rooms
