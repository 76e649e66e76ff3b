"""Label selectors for `-l`: `k=v`, `k==v`, `k!=v`, `k` (has the label), `!k` (lacks it).

Several requirements are separated by commas or given as several `-l` options; a
capsule matches when it meets every one, as in kubectl. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from runtime.errors import SelectorError

_KEY = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "exists", "!exists"
    value: str = ""

    def matches(self, labels: Mapping[str, str]) -> bool:
        if self.op == "exists":
            return self.key in labels
        if self.op == "!exists":
            return self.key not in labels
        if self.op == "=":
            return labels.get(self.key) == self.value
        return labels.get(self.key) != self.value


@dataclass(frozen=True)
class Selector:
    requirements: tuple[Requirement, ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        return all(r.matches(labels) for r in self.requirements)

    def __bool__(self) -> bool:
        return bool(self.requirements)


def parse_selector(texts: str | Iterable[str] | None) -> Selector:
    if texts is None:
        return Selector()
    if isinstance(texts, str):
        texts = [texts]
    requirements: list[Requirement] = []
    for text in texts:
        for part in (p.strip() for p in text.split(",")):
            if part:
                requirements.append(_requirement(part))
    return Selector(tuple(requirements))


def _requirement(part: str) -> Requirement:
    if "!=" in part:
        key, value = part.split("!=", 1)
        op = "!="
    elif "==" in part:
        key, value = part.split("==", 1)
        op = "="
    elif "=" in part:
        key, value = part.split("=", 1)
        op = "="
    elif part.startswith("!"):
        key, value, op = part[1:], "", "!exists"
    else:
        key, value, op = part, "", "exists"
    key, value = key.strip(), value.strip()
    if not _KEY.match(key) or any(c in value for c in "=!, "):
        raise SelectorError(
            f"cannot read label selector {part!r}; use key=value, key!=value, key or !key "
            f"(several joined by commas), e.g. -l app=web,tier!=db"
        )
    return Requirement(key, op, value)
