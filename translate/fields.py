"""Typed access to a document's fields, with the report kept as a side effect.

Both readers walk their input with a `FieldReader`: every get checks the type, records
an error naming the field path, the line and what was expected, and returns a safe
value so that reading goes on and the user sees every problem in one run, not one per
attempt. `unknown_fields` warns about fields nobody reads and suggests the name the
user probably meant (`comand` → `command`); with strict=True those become errors.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

from translate.diagnostics import FieldOutcome, Path, Report, format_path
from translate.source import Document

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_MISSING = object()


def is_dns1123_label(name: str) -> bool:
    return len(name) <= 63 and bool(_DNS1123_LABEL.fullmatch(name))


_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def is_dns1123_subdomain(text: str) -> bool:
    """A DNS subdomain as Kubernetes checks it (claim names, label prefixes): at most 253 characters."""
    return len(text) <= 253 and _DNS1123_SUBDOMAIN.fullmatch(text) is not None


def label_problem(key: str, value: str) -> str | None:
    """Why Kubernetes would refuse this label (key: [prefix/]name; value: a name or empty), or None."""
    prefix, slash, name = key.rpartition("/")
    if slash and not is_dns1123_subdomain(prefix):
        return f"key '{key}': its prefix '{prefix}' is not a DNS subdomain (such as example.com)"
    if not name or len(name) > 63 or not _LABEL_NAME.fullmatch(name):
        return (f"key '{key}' is not a label name: at most 63 letters, digits, '-', '_' and '.', starting "
                "and ending with a letter or digit")
    if value and (len(value) > 63 or not _LABEL_NAME.fullmatch(value)):
        return (f"value '{value}' of '{key}' is not a label value: at most 63 letters, digits, '-', '_' and "
                "'.', starting and ending with a letter or digit (or empty)")
    return None


# Kubernetes' IANA_SVC_NAME: what a container port's name (and a Service's targetPort by name) may be.
_PORT_NAME = re.compile(r"(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*(?<!-)")
_DNS1035_LABEL = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


def is_port_name(name: str) -> bool:
    """An IANA service name: at most 15 lower-case letters, digits and single '-', one letter at least."""
    return len(name) <= 15 and _PORT_NAME.fullmatch(name) is not None


def dns1035_problem(name: str) -> str | None:
    """Why `name` is not a DNS-1035 label (a Service's name: it starts with a letter), or None."""
    if problem := dns1123_problem(name):
        return problem.replace("DNS-1123", "DNS-1035").replace("starting and ending with a letter or digit",
                                                              "starting with a letter, ending with a letter or digit")
    if not _DNS1035_LABEL.fullmatch(name):
        return (f"'{name}' is not a DNS-1035 label: a Service's name starts with a letter "
                "(lower-case letters, digits and '-' after it)")
    return None


# A workload as a capsule records it: KIND/NAME ("Deployment/web").
_WORKLOAD = re.compile(r"[A-Z][A-Za-z0-9]*/[a-z0-9]([-a-z0-9.]*[a-z0-9])?")


def workload_problem(text: str) -> str | None:
    """Why `text` is not KIND/NAME (the workload a capsule came from), or None."""
    if len(text) > 316 or not _WORKLOAD.fullmatch(text):
        return f"found '{text}', expected KIND/NAME, such as Deployment/web"
    return None


def image_problem(image: str) -> str | None:
    """Why `image` cannot be an image reference (the engine refuses it), or None."""
    if not image.strip() or any(ch.isspace() for ch in image):
        return f"found '{image}', expected an image reference such as nginx:1.27 (an image reference has no spaces)"
    return None


def sysctl_problem(name: str) -> tuple[str, str] | None:
    """Why capsule refuses the sysctl `name` (the message and a hint), or None for a safe one."""
    from translate.spec import SAFE_SYSCTLS

    if name in SAFE_SYSCTLS:
        return None
    return (f"'{name}' is not one of Kubernetes' safe sysctls, which the kubelet refuses unless the "
            f"node allows it; capsule sets only the safe ones",
            f"the safe sysctls: {', '.join(SAFE_SYSCTLS)}")


def gpu_request_problem(requested: int | None, limit: int | None) -> tuple[str, str] | None:
    """A GPU request the limit does not match: Kubernetes takes an extended resource's
    limit as its request and refuses a request that differs (or stands alone)."""
    if requested is None or requested == limit:
        return None
    if limit is None:
        return (f"found a request of {requested} GPUs without a limit",
                "set nvidia.com/gpu in limits (the request may go)")
    return f"found a request of {requested} GPUs and a limit of {limit}", "GPUs cannot be shared: make them equal"


def seccomp_localhost_problem() -> tuple[str, str]:
    return ("is not supported: capsule cannot place a profile file on the host",
            "use type: RuntimeDefault, the engine's default profile")


UNCONFINED_SECCOMP = ("Unconfined runs the container without a seccomp filter, which weakens its "
                      "isolation from the host")


def dns1123_problem(name: str) -> str | None:
    """Why `name` is not a DNS-1123 label, in words, or None when it is one."""
    if not name:
        return "is empty"
    if len(name) > 63:
        return f"is {len(name)} characters long; at most 63 are allowed"
    if not _DNS1123_LABEL.fullmatch(name):
        return (
            f"'{name}' is not a DNS-1123 label: use lower-case letters, digits and '-', "
            "starting and ending with a letter or digit"
        )
    return None


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """The closest known name to a misspelled one, if any is close."""
    matches = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.7)
    return matches[0] if matches else None


def type_name(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, int):
        return f"a number ({value})"
    if isinstance(value, float):
        return f"a number ({value})"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"a string ('{shown}')"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class FieldReader:
    """Reads one document, collecting diagnostics and field outcomes into a Report."""

    def __init__(self, doc: Document, report: Report, *, strict: bool = False, label: str = ""):
        self.doc = doc
        self.report = report
        self.strict = strict
        self.label = label or f"{doc.file}#{doc.index + 1}"

    # --- reporting -------------------------------------------------------------------

    def error(self, path: Path, message: str, hint: str | None = None, *, of_value: bool = True) -> None:
        self.report.diagnostics.append(self.doc.diagnostic("error", path, message, hint, of_value=of_value))
        self.report.outcomes.append(FieldOutcome(self.label, format_path(path), "rejected", message))

    def warn(self, path: Path, message: str, hint: str | None = None) -> None:
        """A field left out of the capsule; an error instead under --strict."""
        severity = "error" if self.strict else "warning"
        self.report.diagnostics.append(self.doc.diagnostic(severity, path, message, hint))
        bucket = "rejected" if self.strict else "ignored"
        self.report.outcomes.append(FieldOutcome(self.label, format_path(path), bucket, message))

    def note(self, path: Path, message: str, hint: str | None = None) -> None:
        """Something left out that changes nothing that runs: a warning even under --strict."""
        self.report.diagnostics.append(self.doc.diagnostic("warning", path, message, hint))
        self.report.outcomes.append(FieldOutcome(self.label, format_path(path), "ignored", message))

    def applied(self, path: Path, note: str = "") -> None:
        self.report.outcomes.append(FieldOutcome(self.label, format_path(path), "applied", note))

    def ignored(self, path: Path, why: str, hint: str | None = None) -> None:
        """A known field that capsule does not apply: always a warning naming why."""
        self.warn(path, f"is ignored: {why}", hint)

    @property
    def error_count(self) -> int:
        return len([d for d in self.report.diagnostics if d.severity == "error"])

    # --- navigation ------------------------------------------------------------------

    def raw(self, path: Path, default: Any = None) -> Any:
        node: Any = self.doc.data
        for part in path:
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    return default
            elif not isinstance(node, dict) or part not in node:
                return default
            node = node[part]
        return node

    def has(self, path: Path) -> bool:
        return self.raw(path, _MISSING) is not _MISSING

    # --- typed getters ---------------------------------------------------------------

    def _expect(self, path: Path, value: Any, expected: str) -> None:
        self.error(path, f"found {type_name(value)}, expected {expected}")

    def string(self, path: Path, *, required: bool = False, default: str | None = None,
               expected: str = "a string") -> str | None:
        value = self.raw(path, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.error(path, f"is required: expected {expected}", of_value=False)
            return default
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            self._expect(path, value, expected)
            return default
        if isinstance(value, (int, float)):
            return str(value)  # YAML reads `tag: 1.36` as a number; the user meant text
        return value

    def integer(self, path: Path, *, required: bool = False, default: int | None = None,
                low: int | None = None, high: int | None = None,
                expected: str = "a whole number") -> int | None:
        value = self.raw(path, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.error(path, f"is required: expected {expected}", of_value=False)
            return default
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self._expect(path, value, expected)
            return default
        if (low is not None and value < low) or (high is not None and value > high):
            self.error(path, f"found {value}, expected {expected} from {low} to {high}")
            return default
        return value

    def boolean(self, path: Path, *, default: bool = False) -> bool:
        value = self.raw(path, _MISSING)
        if value is _MISSING or value is None:
            return default
        if not isinstance(value, bool):
            self._expect(path, value, "true or false")
            return default
        return value

    def mapping(self, path: Path, *, required: bool = False) -> dict[str, Any]:
        value = self.raw(path, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.error(path, "is required: expected a mapping", of_value=False)
            return {}
        if not isinstance(value, dict):
            self._expect(path, value, "a mapping")
            return {}
        return value

    def items(self, path: Path, *, required: bool = False, expected: str = "a list") -> list[Any]:
        value = self.raw(path, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.error(path, f"is required: expected {expected}", of_value=False)
            return []
        if not isinstance(value, list):
            self._expect(path, value, expected)
            return []
        return value

    def string_list(self, path: Path, *, split_string: bool = False) -> tuple[str, ...]:
        """A list of strings; with split_string a single string is split like a shell line."""
        value = self.raw(path, _MISSING)
        if value is _MISSING or value is None:
            return ()
        if isinstance(value, str) and split_string:
            import shlex

            try:
                return tuple(shlex.split(value))
            except ValueError as exc:
                self.error(path, f"cannot be split into words: {exc}", "check the quotes")
                return ()
        if not isinstance(value, list):
            self._expect(path, value, "a list of strings")
            return ()
        out = []
        for index, item in enumerate(value):
            if isinstance(item, (dict, list)) or item is None or isinstance(item, bool):
                self._expect(path + (index,), item, "a string")
                continue
            out.append(str(item))
        return tuple(out)

    def string_map(self, path: Path) -> tuple[tuple[str, str], ...]:
        """A map of string to string (labels, annotations, selectors)."""
        value = self.mapping(path)
        out = []
        for key, item in value.items():
            if isinstance(item, (dict, list)) or item is None:
                self._expect(path + (key,), item, "a string value")
                continue
            out.append((str(key), str(item).lower() if isinstance(item, bool) else str(item)))
        return tuple(out)

    def labels(self, path: Path) -> tuple[tuple[str, str], ...]:
        """Labels (or a label selector's map) as Kubernetes checks them: each it would refuse is an error."""
        labels = self.string_map(path)
        for key, value in labels:
            if problem := label_problem(key, value):
                self.error(path + (key,), problem, of_value=False)
        return labels

    def unknown_fields(self, path: Path, known: Iterable[str], *, where: str = "") -> None:
        """Warn about every field under `path` that no reader handles, with a suggestion."""
        value = self.raw(path)
        if not isinstance(value, dict):
            return
        known = list(known)
        for key in value:
            if key in known:
                continue
            guess = suggest(key, known)
            place = where or (format_path(path) or "the document")
            hint = f"did you mean '{guess}'?" if guess else f"known fields here: {', '.join(sorted(known))}"
            self.warn(path + (key,), f"is not a field of {place}", hint)
