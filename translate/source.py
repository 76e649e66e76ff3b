"""Read YAML or JSON input into plain data, remembering where every field was written.

Readers need line and column numbers for their messages, which `yaml.safe_load` throws
away, so this module composes the node tree and builds the data itself, recording the
position of each field by its path. It also guards the door: inputs larger than
`MAX_INPUT_BYTES`, bytes that are not UTF-8, recursive aliases and alias "bombs" (a few
lines that expand to billions of nodes) are refused before anything is expanded.

It knows nothing about capsules or Kubernetes.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

import yaml

from translate.diagnostics import Diagnostic, Path, TranslationError

MAX_INPUT_BYTES = 4 * 1024 * 1024
# Nodes built after aliases are expanded; a real manifest has a few thousand at most.
MAX_NODES = 100_000

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_plain_scalar_tags: dict[str, str] = {}


class _Loader(_BaseLoader):  # type: ignore[misc, valid-type]
    """The safe loader with a memo for plain scalars' tags.

    Even the C loader resolves every scalar's tag in Python, by trying the implicit
    regexes one after another; manifests repeat the same words (`name`, `image`, `TCP`)
    thousands of times, and a plain scalar's tag depends on its text alone.
    """

    def resolve(self, kind, value, implicit):  # type: ignore[no-untyped-def]
        if kind is yaml.ScalarNode and implicit[0]:
            tag = _plain_scalar_tags.get(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(_plain_scalar_tags) < 4096:
                    _plain_scalar_tags[value] = tag
            return tag
        return super().resolve(kind, value, implicit)


_scalars = yaml.constructor.SafeConstructor()

_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass
class Document:
    """One YAML document: its data plus where each field stands in the file.

    Positions are looked up lazily in the composed node tree (`node`), by walking it
    along the field path: most documents never need one, and recording every field's
    position up front cost more than parsing. Documents made from data alone (no node)
    may carry explicit position tables instead.
    """

    file: str
    index: int  # 0-based position in the file
    data: Any
    start_line: int
    node: Any = None  # the yaml node `data` was built from
    base: Path = ()  # where `data` stands inside `node` (an item of a top-level list)
    # Explicit tables for documents without a node: path -> (line, column), 1-based.
    key_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)
    value_positions: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path, *, of_value: bool = False) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one.

        Of a mapping entry: where its key is written (or its value, with of_value);
        of a sequence item: where the item starts.
        """
        if self.node is None:
            table = self.value_positions if of_value else self.key_positions
            probe = tuple(path)
            while probe:
                if probe in table:
                    return table[probe]
                probe = probe[:-1]
            return (self.start_line, 1)
        mark = _locate(self.node, tuple(self.base) + tuple(path), of_value=of_value)
        if mark is None:
            return (self.start_line, 1)
        return (mark.line + 1, mark.column + 1)

    def diagnostic(
        self,
        severity: str,
        path: Path,
        message: str,
        hint: str | None = None,
        *,
        of_value: bool = False,
    ) -> Diagnostic:
        from translate.diagnostics import format_path

        line, column = self.position(path, of_value=of_value)
        return Diagnostic(severity, self.file, line, column, format_path(path), message, hint)  # type: ignore[arg-type]


def _locate(node: yaml.Node, path: Path, *, of_value: bool) -> Any:
    """The mark of the deepest part of `path` found in the node tree."""
    mark = None
    for part in path:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == part:
                    mark = value_node.start_mark if of_value else key_node.start_mark
                    node = value_node
                    break
            else:
                return mark
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            return mark
    return mark


def read_input(path: str) -> tuple[str, bytes]:
    """Bytes of a file, or of standard input for '-', bounded by MAX_INPUT_BYTES."""
    label = "<stdin>" if path == "-" else path
    try:
        if path == "-":
            raw = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
        else:
            with open(path, "rb") as handle:
                raw = handle.read(MAX_INPUT_BYTES + 1)
    except FileNotFoundError:
        raise TranslationError(
            [Diagnostic("error", label, None, None, "", "no such file", "check the path")]
        ) from None
    except IsADirectoryError:
        raise TranslationError(
            [Diagnostic("error", label, None, None, "", "is a folder, not a file",
                        "name a .yaml file, or a folder where the command takes one")]
        ) from None
    except OSError as exc:
        raise TranslationError(
            [Diagnostic("error", label, None, None, "", f"cannot be read: {exc.strerror}")]
        ) from None
    return label, raw


def load_documents(raw: bytes | str, file: str) -> list[Document]:
    """Parse every document in `raw`; raise TranslationError naming file, line and column."""
    text = _decode(raw, file)
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        raise TranslationError([_yaml_error(exc, file, text)]) from None
    except yaml.YAMLError as exc:
        raise TranslationError(
            [Diagnostic("error", file, None, None, "", f"is not valid YAML: {exc}")]
        ) from None
    documents = []
    for index, node in enumerate(nodes):
        if node is None:
            continue
        doc = Document(file=file, index=index, data=None, start_line=node.start_mark.line + 1, node=node)
        doc.data = _Builder(doc).build(node)
        documents.append(doc)
    return documents


def load_file(path: str) -> list[Document]:
    label, raw = read_input(path)
    return load_documents(raw, label)


# --- internals -----------------------------------------------------------------------


def _decode(raw: bytes | str, file: str) -> str:
    if isinstance(raw, str):
        size = len(raw.encode("utf-8", "surrogatepass"))
        text = raw
    else:
        size = len(raw)
        text = None
    if size > MAX_INPUT_BYTES:
        raise TranslationError(
            [
                Diagnostic(
                    "error", file, None, None, "",
                    f"is larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB",
                    "split it into several files; a capsule manifest is a few KiB",
                )
            ]
        )
    if text is None:
        assert isinstance(raw, bytes)
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
            raise TranslationError(
                [
                    Diagnostic(
                        "error", file, line, column, "",
                        f"is not UTF-8 text: byte 0x{raw[exc.start]:02x} cannot be decoded",
                        "save the file as UTF-8",
                    )
                ]
            ) from None
    return text


def _yaml_error(exc: yaml.MarkedYAMLError, file: str, text: str) -> Diagnostic:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    column = mark.column + 1 if mark else None
    problem = exc.problem or "is not valid YAML"
    context = f" {exc.context}" if exc.context else ""
    message = f"is not valid YAML:{context} {problem}".replace("  ", " ")
    hint = "check the indentation and the colons on this line"
    if mark is not None and "\t" in _indentation(text, mark.line):
        # PyYAML only says "found character that cannot start any token".
        message = "is not valid YAML: a tab in the indentation"
        hint = "YAML indents with spaces only; replace the tab with spaces"
    elif mark is not None and (
        "expected <block end>" in problem or "expected '-' indicator" in problem
    ):
        hint = _indentation_hint(text, mark.line, exc)
    return Diagnostic("error", file, line, column, "", message.strip(), hint)


def _indentation(text: str, line_index: int) -> str:
    """The blanks (spaces and tabs) that start line `line_index`."""
    lines = text.splitlines()
    line = lines[line_index] if 0 <= line_index < len(lines) else ""
    return line[: len(line) - len(line.lstrip(" \t"))]


def _indentation_hint(text: str, line_index: int, exc: yaml.MarkedYAMLError) -> str:
    """Explain the usual cause of "expected <block end>": a key at the level of a list dash."""
    lines = text.splitlines()
    if line_index >= len(lines):
        return "check the indentation of this line"
    bad = lines[line_index]
    indent = len(bad) - len(bad.lstrip(" "))
    key = bad.strip().split(":", 1)[0]
    for previous in reversed(lines[:line_index]):
        stripped = previous.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        prev_indent = len(previous) - len(stripped)
        if stripped.startswith("- ") and prev_indent == indent:
            return (
                f"'{key}' is indented at the level of the list dash above it; "
                f"indent it {indent + 2} spaces so it belongs to that list item"
            )
        if prev_indent < indent:
            break
    return f"'{key}' does not line up with the keys around it; fix its indentation"


class _Builder:
    """Turns a composed node tree into plain data, counting nodes as aliases expand."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.count = 0
        self.active: set[int] = set()  # collections being built: a repeat is a recursive alias

    def fail(self, node: yaml.Node, message: str, hint: str) -> TranslationError:
        return TranslationError(
            [
                Diagnostic(
                    "error", self.doc.file, node.start_mark.line + 1,
                    node.start_mark.column + 1, "", message, hint,
                )
            ]
        )

    def build(self, node: yaml.Node) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(
                node,
                f"expands to more than {MAX_NODES} values (YAML aliases repeat content)",
                "remove the anchors (&) and aliases (*) that repeat large blocks",
            )
        kind = node.__class__
        if kind is yaml.ScalarNode:
            tag = node.tag
            if tag == _STR_TAG or tag == _TIMESTAMP_TAG:
                return node.value  # dates stay as written: Kubernetes treats them as strings
            return _scalars.construct_object(node)
        marker = id(node)
        if marker in self.active:
            raise self.fail(node, "contains an alias that refers to itself", "remove the recursive alias")
        self.active.add(marker)
        try:
            if kind is yaml.SequenceNode:
                return [self.build(child) for child in node.value]
            return self._mapping(node)
        finally:
            self.active.discard(marker)

    def _mapping(self, node: yaml.MappingNode) -> dict:
        result: dict[Any, Any] = {}
        merged: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    value = self.build(source)
                    if not isinstance(value, dict):
                        raise self.fail(source, "merge key '<<' needs a mapping", "merge only mappings")
                    for k, v in value.items():
                        merged.setdefault(k, v)
                continue
            key = self.build(key_node)
            if isinstance(key, (list, dict)):
                raise self.fail(key_node, "has a key that is a list or mapping", "keys must be plain names")
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise self.fail(
                    key_node,
                    f"has the key '{key}' twice in one mapping",
                    "remove or rename one of them",
                )
            result[key] = self.build(value_node)
        for k, v in merged.items():
            result.setdefault(k, v)
        return result
