"""A FieldReader that reads fields the way Kubernetes does.

It adds two things to `translate.fields.FieldReader`: `sort`, which puts every field
of an object in its bucket from the tables in translate/kubernetes/fields.py, and
strict getters. Kubernetes refuses a number where it expects a string (an env value, a
command word, a label or annotation value); YAML reads `1.10` as 1.1 and `0755` as 493,
so quietly turning numbers into text would change what the user wrote. Here they are
errors that say to quote the value; the other way round, a quoted number where
Kubernetes wants a number (`containerPort: "8080"`) is an error too. A null in a list of
strings (`args: [a, null]`) is "", as Kubernetes decodes it: no word moves.

It must not import the kubernetes package.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from translate.diagnostics import FieldOutcome, Path, format_path
from translate.fields import FieldReader, dns_subdomain_problem, type_name
from translate.kubernetes.fields import Rule

_MISSING = object()
_UNSEEN = object()


class KubeFieldReader(FieldReader):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # path -> node: a workload is read field by field, mostly deep below
        # spec.template.spec, so walking from the root for every field would dominate.
        self._nodes: dict[Path, Any] = {(): self.doc.data}

    def raw(self, path: Path, default: Any = None) -> Any:
        node = self._node(path)
        return default if node is _MISSING else node

    def _node(self, path: Path) -> Any:
        node = self._nodes.get(path, _UNSEEN)
        if node is not _UNSEEN:
            return node
        parent = self._node(path[:-1])
        part = path[-1]
        if isinstance(part, int):
            found = parent[part] if isinstance(parent, list) and 0 <= part < len(parent) else _MISSING
        else:
            found = parent.get(part, _MISSING) if isinstance(parent, dict) else _MISSING
        self._nodes[path] = found
        return found

    def sort(self, path: Path, table: Mapping[str, Rule], where: str) -> dict[str, Any]:
        """Put each field of the mapping at `path` in its bucket; return the mapping.

        Applied fields are only recorded here: the caller maps them. An ignored or
        rejected field whose value is empty (null, [], {}, "") carries nothing, so it is
        recorded without a message; so is a value listed in the rule's `same`.
        """
        value = self.mapping(path)
        prefix = format_path(path)
        outcomes = self.report.outcomes
        for key, item in value.items():
            rule = table.get(key)
            if rule is None:
                continue  # reported by unknown_fields below, with a suggestion
            field_path = path + (key,)
            if rule.bucket == "applied":
                outcomes.append(FieldOutcome(self.label, f"{prefix}.{key}" if prefix else key, "applied"))
            elif _carries_nothing(item) or any(item == s and type(item) is type(s) for s in rule.same):
                note = "empty" if _carries_nothing(item) else "capsule behaves this way already"
                outcomes.append(FieldOutcome(self.label, format_path(field_path), "applied", note))
            elif rule.bucket == "ignored":
                self.ignored(field_path, rule.why, rule.hint)
            else:
                self.error(field_path, f"is not supported: {rule.why}", rule.hint, of_value=False)
        if not table.keys() >= value.keys():
            self.unknown_fields(path, table.keys(), where=where)
        return value

    def text(self, path: Path, *, required: bool = False, default: str | None = None,
             expected: str = "a string") -> str | None:
        """A string as Kubernetes requires it: a number is an error, not text."""
        value = self.raw(path, _MISSING)
        if value is _MISSING or value is None:
            if required:
                self.error(path, f"is required: expected {expected}", of_value=False)
            return default
        if not isinstance(value, str):
            self.error(path, f"found {type_name(value)}, expected {expected}",
                       "quote the value" if isinstance(value, (int, float)) else None)
            return default
        return value

    def object_name(self, path: Path, noun: str) -> str | None:
        """The name of an object referred to (a ConfigMap, a Secret): a DNS subdomain, as Kubernetes
        names objects. One not in the input is kept as a reference and written out, so it must read back."""
        name = self.text(path, required=True, expected=f"the name of a {noun}")
        if name is not None and (problem := dns_subdomain_problem(name)):
            self.error(path, problem)
            return None
        return name

    def texts(self, path: Path) -> tuple[str, ...]:
        """A list of strings (command, args): a single string or a number is an error."""
        value = self.raw(path, _MISSING)
        if value is _MISSING or value is None:
            return ()
        if not isinstance(value, list):
            hint = "write it as a list: [\"sh\", \"-c\", \"...\"]" if isinstance(value, str) else None
            self.error(path, f"found {type_name(value)}, expected a list of strings", hint)
            return ()
        out = []
        for index in range(len(value)):
            item = self.text(path + (index,), default="")
            if item is not None:
                out.append(item)
        return tuple(out)

    def integer(self, path: Path, *, required: bool = False, default: int | None = None,
                low: int | None = None, high: int | None = None,
                expected: str = "a whole number") -> int | None:
        """A number as Kubernetes requires it: quoted text is an error, not a number."""
        value = self.raw(path, _MISSING)
        if isinstance(value, str):
            self.error(path, f"found a string ('{value}'), expected {expected}",
                       "remove the quotes" if value.strip().lstrip("-").isdigit() else None)
            return default
        return super().integer(path, required=required, default=default, low=low, high=high, expected=expected)

    def string_map(self, path: Path) -> tuple[tuple[str, str], ...]:
        """A map of string to string (labels, annotations, selectors): other values are errors."""
        for key, item in self.mapping(path).items():
            if not isinstance(item, str) and item is not None and not isinstance(item, (dict, list)):
                self.error(path + (key,), f"found {type_name(item)}, expected a string", "quote the value")
        return tuple((k, v) for k, v in super().string_map(path) if isinstance(self.raw(path + (k,)), str))


def _carries_nothing(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""
