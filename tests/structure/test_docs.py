"""The documentation stays true to the code it describes.

- docs/kubernetes-mapping.md is what scripts/kubernetes-mapping generates from
  translate/kubernetes/fields.py now, so the field tables cannot drift from the page;
- README.md stays a front door (under 300 lines): the rest lives in docs/;
- every relative link of README.md and docs/*.md reaches a file, and a `#anchor` a
  heading of that file;
- every file or module the docs name (`runtime/state/store.py`, `bench_list.py`,
  `runtime.hosts.inventory.load_hosts`) exists, so moving or renaming a module fails
  here until the docs say where it went.

Plain text checks; no engine, no network.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
from functools import cache
from pathlib import Path

import pytest

from support.paths import REPO_ROOT

README = REPO_ROOT / "README.md"
DOCS = REPO_ROOT / "docs"
GENERATOR = REPO_ROOT / "scripts" / "kubernetes-mapping"
MAPPING = DOCS / "kubernetes-mapping.md"
README_MAX_LINES = 300

# Folders whose paths the docs name; a path under one of them must exist.
PATH_ROOTS = ("runtime", "translate", "capsule_tui", "tests", "bench", "scripts", "samples", "docs", r"\.ci")
# Packages whose dotted names the docs use (`runtime.watch.watcher`).
PACKAGES = ("runtime", "translate", "capsule_tui", "tests")
# Paths the docs name as examples of what a user writes, not files of this repository.
EXAMPLE_PATHS: frozenset[str] = frozenset()

_PATH = re.compile(r"(?<![\w./-])((?:" + "|".join(PATH_ROOTS) + r")/[\w./-]*)")
_DOTTED = re.compile(r"(?<![\w./-])((?:" + "|".join(PACKAGES) + r")(?:\.\w+)+)")
_BARE_FILE = re.compile(r"`(\w+\.py)`")
_FOLDER_ROW = re.compile(r"^\| `((?:" + "|".join(PACKAGES) + r")(?:/\w+)*/)` \|(.*)$", re.MULTILINE)
_ROW_FILE = re.compile(r"`(\w+\.(?:py|tcss|json))`")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
_FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)


def doc_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def doc_ids() -> list[str]:
    return [str(p.relative_to(REPO_ROOT)) for p in doc_files()]


def prose(text: str) -> str:
    """The text without fenced code blocks and inline code: where links are links."""
    text = _FENCE.sub("", text)
    return _INLINE_CODE.sub("", text)


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces → '-'."""
    text = re.sub(r"<[^>]+>", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    seen: dict[str, int] = {}
    found = set()
    for _, title in _HEADING.findall(_FENCE.sub("", path.read_text(encoding="utf-8"))):
        base = github_slug(title)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return frozenset(found)


def load_generator():  # type: ignore[no-untyped-def]
    """scripts/kubernetes-mapping has no .py suffix (it is a command), so load it by path."""
    loader = importlib.machinery.SourceFileLoader("kubernetes_mapping", str(GENERATOR))
    spec = importlib.util.spec_from_loader("kubernetes_mapping", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


# --- the generated mapping page ---------------------------------------------------------


def test_kubernetes_mapping_page_is_generated_from_the_field_tables() -> None:
    expected = load_generator().render()
    current = MAPPING.read_text(encoding="utf-8") if MAPPING.exists() else ""
    if current != expected:
        old, new = current.splitlines(), expected.splitlines()
        first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), min(len(old), len(new)))
        pytest.fail(
            f"docs/kubernetes-mapping.md differs from what translate/kubernetes/fields.py gives "
            f"(first at line {first + 1}: {old[first] if first < len(old) else '<end>'!r} should be "
            f"{new[first] if first < len(new) else '<end>'!r}); regenerate it with: scripts/kubernetes-mapping",
            pytrace=False,
        )


def test_the_mapping_page_has_a_section_for_every_field_table() -> None:
    generator = load_generator()
    tables = generator.rule_tables(generator.load_fields_module())
    page = MAPPING.read_text(encoding="utf-8")
    assert len(tables) > 30  # the introspection found the tables, not nothing
    assert [name for name in tables if f"`{name}`" not in page] == []


# --- the README stays a front door ------------------------------------------------------


def test_readme_is_a_front_door() -> None:
    lines = README.read_text(encoding="utf-8").count("\n")
    assert lines < README_MAX_LINES, (
        f"README.md has {lines} lines; keep it under {README_MAX_LINES} and move the rest into docs/"
    )


def test_docs_index_lists_every_page() -> None:
    index = (DOCS / "README.md").read_text(encoding="utf-8")
    linked = {target.split("#")[0] for target in _LINK.findall(prose(index))}
    pages = {p.name for p in DOCS.glob("*.md") if p.name != "README.md"}
    assert sorted(pages - linked) == []


# --- links --------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", doc_files(), ids=doc_ids())
def test_relative_links_reach_a_file_and_a_heading(doc: Path) -> None:
    broken = []
    for target in _LINK.findall(prose(doc.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:: not ours to check
            continue
        path_part, _, anchor = target.partition("#")
        where = (doc.parent / path_part).resolve() if path_part else doc
        if not where.exists() or REPO_ROOT.resolve() not in (where, *where.parents):
            broken.append(f"{target}: no such file")
        elif anchor and where.suffix == ".md" and anchor not in anchors(where):
            broken.append(f"{target}: no heading '#{anchor}' in {where.relative_to(REPO_ROOT.resolve())}")
    assert not broken, f"{doc.relative_to(REPO_ROOT)} has broken links:\n  " + "\n  ".join(broken)


# --- the files and modules the docs name --------------------------------------------------


def _module_name_exists(dotted: str) -> bool:
    """runtime.hosts.inventory.load_hosts: packages, then a module, then a name in it."""
    where = REPO_ROOT
    parts = dotted.split(".")
    for i, part in enumerate(parts):
        if (where / part).is_dir():
            where = where / part
            continue
        module = where / f"{part}.py"
        if module.is_file():
            rest = parts[i + 1:]
            return not rest or re.search(rf"\b{re.escape(rest[0])}\b", module.read_text(encoding="utf-8")) is not None
        init = where / "__init__.py"
        return init.is_file() and re.search(rf"\b{re.escape(part)}\b", init.read_text(encoding="utf-8")) is not None
    return True


@cache
def _files_by_name() -> frozenset[str]:
    names = set()
    for root in ("runtime", "translate", "capsule_tui", "tests", "bench", "scripts"):
        names.update(p.name for p in (REPO_ROOT / root).rglob("*") if p.is_file())
    return frozenset(names)


@pytest.mark.parametrize("doc", doc_files(), ids=doc_ids())
def test_named_files_and_modules_exist(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    missing = []
    for raw in _PATH.findall(text):
        path = raw.rstrip(".,:;")
        if path in EXAMPLE_PATHS:
            continue
        target = REPO_ROOT / path
        if not (target.is_dir() if path.endswith("/") else target.exists()):
            missing.append(path)
    for dotted in _DOTTED.findall(text):
        if not _module_name_exists(dotted):
            missing.append(dotted)
    for name in _BARE_FILE.findall(text):
        if name not in _files_by_name() and name not in EXAMPLE_PATHS:
            missing.append(name)
    for folder, row in _FOLDER_ROW.findall(text):
        missing.extend(folder + name for name in _ROW_FILE.findall(row) if not (REPO_ROOT / folder / name).exists())
    assert not missing, (
        f"{doc.relative_to(REPO_ROOT)} names files or modules that do not exist (moved or renamed? "
        f"say where they went):\n  " + "\n  ".join(sorted(set(missing)))
    )
