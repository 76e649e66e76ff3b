"""What the create and import screens say about the YAML: errors, warnings, counts, fields.

`Validation` is the outcome of translating the editor's text once; `report_text`
renders it (every diagnostic with its line, the applied / ignored / rejected
counts, and the capsules and services it would create); `outcomes_text` lists every field's
outcome with its line (the import screen). Pure: no textual, no runtime; the
diagnostics never carry Secret values, so neither does this text. A diagnostic can
quote the file, so its text is shown with control characters escaped (safe_text.py).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text

from capsule_tui.formatters.safe_text import shown

if TYPE_CHECKING:
    from translate.diagnostics import Diagnostic, Report
    from translate.translation import Translation


@dataclass(frozen=True)
class OutcomeLine:
    """One input field's fate, with the line it is written on (the import screen lists them)."""

    bucket: str  # applied | ignored | rejected
    line: int
    document: str  # e.g. "pod.yaml#1 Deployment/web"
    path: str  # e.g. "spec.template.spec.containers[0].image"
    note: str = ""


@dataclass
class Validation:
    text: str  # the text that was translated (a newer one makes this stale)
    translation: Translation | None = None
    diagnostics: list[Diagnostic] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    yaml: str = ""  # the normalized capsules, for the preview
    outcomes: list[OutcomeLine] = field(default_factory=list)  # only when asked (validate(lines=True))

    @property
    def ok(self) -> bool:
        return self.translation is not None


def validate(text: str, file: str, *, lines: bool = False) -> Validation:
    """Translate `text` as the file `file`; never raises for bad input.

    `lines`: also place every field outcome on its line (one more parse of the text).
    """
    from translate.diagnostics import Report, TranslationError
    from translate.output import write_capsules
    from translate.translation import TranslationFailed, translate_text

    if not text.strip():
        return Validation(text)
    try:
        translation = translate_text(text, file)
    except TranslationFailed as exc:
        return Validation(text, None, list(exc.report.diagnostics), _counts(exc.report),
                          outcomes=outcome_lines(text, file, exc.report) if lines else [])
    except TranslationError as exc:
        return Validation(text, None, list(exc.diagnostics), _counts(Report()))
    report = translation.report
    return Validation(text, translation, list(report.diagnostics), _counts(report),
                      write_capsules(translation.capsules, services=translation.services),
                      outcome_lines(text, file, report) if lines else [])


_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _path(text: str) -> tuple[str | int, ...]:
    """'spec.containers[0].image' -> ('spec', 'containers', 0, 'image'); the inverse of format_path."""
    return tuple(int(index) if index else key for key, index in _PART.findall(text))


def outcome_lines(text: str, file: str, report: Report) -> list[OutcomeLine]:
    """Each outcome of `report` with its line in `text` (the document's first line when not found)."""
    from translate.diagnostics import TranslationError
    from translate.source import load_documents

    try:
        documents = load_documents(text.encode("utf-8"), file)
    except TranslationError:
        return []
    found: list[OutcomeLine] = []
    for outcome in report.outcomes:
        # The reader's label: "FILE#N [BASE ]KIND/NAME" (BASE: an item of a List document).
        head, _, rest = outcome.document.rpartition("#")
        number, _, base = rest.partition(" ")
        base = base.rpartition(" ")[0] if " " in base else ""
        line = 0
        if number.isdigit() and 0 < int(number) <= len(documents) and head == file:
            line = documents[int(number) - 1].position(_path(base) + _path(outcome.path))[0]
        found.append(OutcomeLine(outcome.bucket, line, outcome.document, outcome.path, outcome.note))
    return found


def outcomes_text(result: Validation | None) -> Text:
    """The field outcomes, rejected and ignored first (with why), then applied; each with its line."""
    if result is None or not result.outcomes:
        return Text("")
    text = Text()
    styles = {"rejected": "red", "ignored": "yellow", "applied": "green"}
    for bucket in ("rejected", "ignored", "applied"):
        items = [o for o in result.outcomes if o.bucket == bucket]
        if not items:
            continue
        text.append(f"{bucket} ({len(items)})\n", style=f"bold {styles[bucket]}")
        for item in sorted(items, key=lambda o: o.line):
            text.append(f"  line {item.line:<4} ", style="dim")
            text.append(shown(item.path))
            if item.note and bucket != "applied":
                text.append(f": {shown(item.note)}", style=styles[bucket])
            text.append("\n")
    text.rstrip()
    return text


def _counts(report: Report) -> dict[str, int]:
    found = Counter(outcome.bucket for outcome in report.outcomes)
    return {bucket: found.get(bucket, 0) for bucket in ("applied", "ignored", "rejected")}


def report_text(result: Validation | None, *, verb: str = "create") -> Text:
    """The validation's summary; `verb` is what the screen does with valid YAML (create, update)."""
    text = Text()
    if result is None or not result.text.strip():
        return Text("Type or paste a capsule or Kubernetes YAML, or load a file above.", style="dim")
    errors = [d for d in result.diagnostics if d.severity == "error"]
    warnings = [d for d in result.diagnostics if d.severity == "warning"]
    if result.ok and result.translation is not None:
        names = shown(", ".join(c.name for c in result.translation.capsules)) or "none"
        count = len(result.translation.capsules)
        line = f"✓ valid: {count} capsule{'s' if count != 1 else ''} ({names})"
        services = result.translation.services
        if services:
            listed = shown(", ".join(f"{s.namespace}/{s.name}" for s in services))
            line += f", {len(services)} service{'s' if len(services) != 1 else ''} ({listed})"
        text.append(line + "\n", style="bold green")
    else:
        text.append(f"✗ {len(errors)} error{'s' if len(errors) != 1 else ''}: fix them to {verb}\n",
                    style="bold red")
    counts = result.counts
    text.append(f"fields: {counts.get('applied', 0)} applied · {counts.get('ignored', 0)} ignored · "
                f"{counts.get('rejected', 0)} rejected\n")
    for title, items, style in (("errors", errors, "red"), ("warnings", warnings, "yellow")):
        if items:
            text.append(f"\n{title}:\n", style=f"bold {style}")
            for diagnostic in items:
                text.append(f"{shown(diagnostic.format(), block=True)}\n", style=style)
    text.rstrip()
    return text
