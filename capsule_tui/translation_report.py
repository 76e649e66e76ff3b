"""What the create screen says about the YAML being typed: errors, warnings, counts.

`Validation` is the outcome of translating the editor's text once; `report_text`
renders it (every diagnostic with its line, the applied / ignored / rejected
counts, and the capsules it would create). Pure: no textual, no runtime; the
diagnostics never carry Secret values, so neither does this text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text

if TYPE_CHECKING:
    from translate.diagnostics import Diagnostic, Report
    from translate.translation import Translation


@dataclass
class Validation:
    text: str  # the text that was translated (a newer one makes this stale)
    translation: "Translation | None" = None
    diagnostics: list["Diagnostic"] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    yaml: str = ""  # the normalized capsules, for the preview

    @property
    def ok(self) -> bool:
        return self.translation is not None


def validate(text: str, file: str) -> Validation:
    """Translate `text` as the file `file`; never raises for bad input."""
    from translate.diagnostics import Report, TranslationError
    from translate.output import write_capsules
    from translate.translation import TranslationFailed, translate_text

    if not text.strip():
        return Validation(text)
    try:
        translation = translate_text(text, file)
    except TranslationFailed as exc:
        return Validation(text, None, list(exc.report.diagnostics), _counts(exc.report))
    except TranslationError as exc:
        return Validation(text, None, list(exc.diagnostics), _counts(Report()))
    report = translation.report
    return Validation(text, translation, list(report.diagnostics), _counts(report),
                      write_capsules(translation.capsules))


def _counts(report: "Report") -> dict[str, int]:
    found = Counter(outcome.bucket for outcome in report.outcomes)
    return {bucket: found.get(bucket, 0) for bucket in ("applied", "ignored", "rejected")}


def report_text(result: Validation | None) -> Text:
    text = Text()
    if result is None or not result.text.strip():
        return Text("Type or paste a capsule or Kubernetes YAML, or load a file above.", style="dim")
    errors = [d for d in result.diagnostics if d.severity == "error"]
    warnings = [d for d in result.diagnostics if d.severity == "warning"]
    if result.ok and result.translation is not None:
        names = ", ".join(c.name for c in result.translation.capsules) or "none"
        count = len(result.translation.capsules)
        text.append(f"✓ valid: {count} capsule{'s' if count != 1 else ''} ({names})\n", style="bold green")
    else:
        text.append(f"✗ {len(errors)} error{'s' if len(errors) != 1 else ''}: fix them to create\n",
                    style="bold red")
    counts = result.counts
    text.append(f"fields: {counts.get('applied', 0)} applied · {counts.get('ignored', 0)} ignored · "
                f"{counts.get('rejected', 0)} rejected\n")
    for title, items, style in (("errors", errors, "red"), ("warnings", warnings, "yellow")):
        if items:
            text.append(f"\n{title}:\n", style=f"bold {style}")
            for diagnostic in items:
                text.append(f"{diagnostic.format()}\n", style=style)
    text.rstrip()
    return text
