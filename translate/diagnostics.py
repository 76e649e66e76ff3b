"""Diagnostics: what went wrong or was left out, and exactly where.

Every reader reports through these types so that the command line, the terminal UI
and the tests all see the same messages. A diagnostic names the file, the line and
column, the field path (`spec.containers[1].resources.requests.cpu`), what was found,
what was expected, and how to fix it.

The translation report sorts every input field into one of three buckets, so nothing
is silently dropped: applied, ignored (with a warning), rejected (an error).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

Severity = Literal["error", "warning"]
Bucket = Literal["applied", "ignored", "rejected"]

PathPart = str | int
Path = tuple[PathPart, ...]


def format_path(path: Sequence[PathPart]) -> str:
    """('spec', 'containers', 1, 'image') -> 'spec.containers[1].image'."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


@dataclass(frozen=True)
class Diagnostic:
    severity: Severity
    file: str
    line: int | None
    column: int | None
    path: str
    message: str
    hint: str | None = None

    def format(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field_part = f"{self.path}: " if self.path else ""
        text = f"{where}: {self.severity}: {field_part}{self.message}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def __str__(self) -> str:
        return self.format()


@dataclass(frozen=True)
class FieldOutcome:
    """Where one input field went: applied to the spec, ignored, or rejected."""

    document: str  # e.g. "pod.yaml#1 Deployment/web"
    path: str
    bucket: Bucket
    note: str = ""


@dataclass
class Report:
    """Everything a translation said, in the order it was said."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    outcomes: list[FieldOutcome] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "warning"]

    def extend(self, other: Report) -> None:
        self.diagnostics.extend(other.diagnostics)
        self.outcomes.extend(other.outcomes)


class TranslationError(Exception):
    """Raised when input cannot be translated; carries every error found, not just the first."""

    def __init__(self, diagnostics: Iterable[Diagnostic]):
        self.diagnostics = list(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))
