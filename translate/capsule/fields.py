"""Field checks shared by the capsule-format readers (document, containers, volumes).

`FieldReader` (translate/fields.py) gives typed getters; this module adds the checks
the capsule format needs on top of them: a value from a fixed set of choices, counts
with a lower bound, absolute and relative paths, DNS-1123 names, CPU and memory
quantities, and the unknown-field check that also accepts alternative spellings.

Every function records its own errors on the reader and returns a safe value, so that
a reader goes on and reports every problem in one run. Nothing here knows about the
shape of a whole capsule.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable

from translate.diagnostics import Path
from translate.fields import FieldReader, dns1123_problem, dns_subdomain_problem, suggest, type_name
from translate.quantity import QuantityError, parse_cpu, parse_gpus, parse_memory

MISSING = object()
# Docker stores sizes as signed 64-bit integers; anything larger cannot be meant.
MAX_BYTES = 2**63 - 1


def known_fields(
    r: FieldReader,
    path: Path,
    known: Iterable[str],
    *,
    where: str,
    aliases: Iterable[str] = (),
    ignored: Iterable[str] = (),
) -> None:
    """Warn about fields under `path` that the capsule format does not have.

    Fields in `known` that are present are recorded as applied (except those in
    `ignored`, which the caller reports itself). `aliases` are accepted spellings
    that the caller handles; they are never suggested.
    """
    value = r.raw(path)
    if not isinstance(value, dict):
        return
    known = list(known)
    aliases = set(aliases)
    ignored = set(ignored)
    for key in value:
        if key in known:
            if key not in ignored:
                r.applied(path + (key,))
            continue
        if key in aliases:
            continue
        guess = suggest(str(key), known)
        hint = (
            f"did you mean '{guess}'?"
            if guess
            else f"known fields here: {', '.join(sorted(known))}"
        )
        r.warn(path + (key,), f"is not a field of {where}", hint)


def choice(
    r: FieldReader, path: Path, choices: tuple[str, ...], *, default: str, expected: str = ""
) -> str:
    """One of `choices`, matched in any case and returned in its canonical spelling."""
    value = r.raw(path, MISSING)
    if value is MISSING or value is None:
        return default
    expected = expected or "one of " + ", ".join(choices)
    if not isinstance(value, str):
        r.error(path, f"found {type_name(value)}, expected {expected}")
        return default
    for option in choices:
        if value.lower() == option.lower():
            return option
    guess = suggest(value, choices)
    r.error(path, f"found '{value}', expected {expected}",
            f"did you mean '{guess}'?" if guess else None)
    return default


def count(r: FieldReader, path: Path, *, low: int, default: int, expected: str) -> int:
    """A whole number of at least `low` (seconds, thresholds, ids)."""
    value = r.integer(path, default=default, expected=expected)
    if value is None:
        return default
    if value < low:
        r.error(path, f"found {value}, expected {expected} of at least {low}")
        return default
    return value


def port_number(r: FieldReader, path: Path, *, required: bool = False) -> int | None:
    return r.integer(path, required=required, low=1, high=65535, expected="a port number")


def absolute_path(r: FieldReader, path: Path, *, required: bool = False) -> str | None:
    """A path inside a container or on a host; it must start with '/'."""
    value = r.string(path, required=required, expected="an absolute path")
    if value is None:
        return None
    if not value.startswith("/"):
        r.error(path, f"found '{value}', expected an absolute path starting with '/'",
                f"write '/{value}'" if value else None)
        return None
    return value


_RELATIVE_HINT = "name a file or folder below the mount, such as 'conf/app.ini'"


def relative_path_problem(value: str) -> str | None:
    """Why `value` is not a path below some folder (absolute, or climbing out with '..'), or None."""
    if not value or value.startswith("/") or ".." in value.split("/"):
        return f"found '{value}', expected a relative path without '..'"
    return None


def relative_path(r: FieldReader, path: Path, *, required: bool = False) -> str | None:
    """A path below some folder: not absolute and never climbing out with '..'."""
    value = r.string(path, required=required, expected="a relative path")
    if value is None:
        return None
    if problem := relative_path_problem(value):
        r.error(path, problem, _RELATIVE_HINT)
        return None
    return value


def relative_path_key(r: FieldReader, path: Path) -> str | None:
    """The key at the end of `path` as a relative path (a file's name in a mapping of files)."""
    key = path[-1]
    problem = relative_path_problem(key) if isinstance(key, str) else f"found {type_name(key)}, expected a file name"
    if problem:
        r.error(path, problem, _RELATIVE_HINT, of_value=False)
        return None
    return str(key)


def dns_name(r: FieldReader, path: Path, *, required: bool = False) -> str | None:
    """A DNS-1123 label (capsule, container and volume names)."""
    return _checked_name(r, path, required=required, kind="a DNS-1123 label",
                         problem_of=dns1123_problem, nearest=label_from)


def subdomain_name(r: FieldReader, path: Path, *, required: bool = False) -> str | None:
    """A DNS-1123 subdomain (a capsule's name, `my.app.v2`, as Kubernetes names a pod)."""
    return _checked_name(r, path, required=required, kind="a DNS-1123 subdomain",
                         problem_of=dns_subdomain_problem, nearest=subdomain_from)


def _checked_name(r: FieldReader, path: Path, *, required: bool, kind: str,
                  problem_of: Callable[[str], str | None], nearest: Callable[[str], str]) -> str | None:
    """A name of one DNS grammar; an error that offers the nearest valid name otherwise."""
    value = r.string(path, required=required, expected=f"a name ({kind})")
    if value is None:
        return None
    problem = problem_of(value)
    if problem:
        fixed = nearest(value)
        r.error(path, problem, f"for example '{fixed}'" if fixed and fixed != value else None)
        return None
    return value


def subdomain_from(text: str) -> str:
    """The nearest DNS-1123 subdomain to `text` ('My_App.V2' -> 'my-app.v2'); '' if nothing is left."""
    parts = (re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]+", "-", part.lower())).strip("-") for part in text.split("."))
    return ".".join(p for p in parts if p)[:253].rstrip("-.")


def label_from(text: str) -> str:
    """The nearest DNS-1123 label to `text` ('My_App' -> 'my-app'); '' if nothing is left."""
    label = re.sub(r"[^a-z0-9-]+", "-", text.lower())
    label = re.sub(r"-{2,}", "-", label).strip("-")
    return label[:63].rstrip("-")


def cpu(r: FieldReader, path: Path) -> float | None:
    value = r.raw(path, MISSING)
    if value is MISSING or value is None:
        return None
    try:
        cores = parse_cpu(value)
    except QuantityError as exc:
        r.error(path, str(exc))
        return None
    if not math.isfinite(cores):
        r.error(path, f"found {value!r}, which is more CPU than any host has",
                "give cores such as 0.5, 2 or 250m")
        return None
    return cores


def memory(r: FieldReader, path: Path) -> int | None:
    value = r.raw(path, MISSING)
    if value is MISSING or value is None:
        return None
    try:
        size = parse_memory(value)
    except QuantityError as exc:
        r.error(path, str(exc))
        return None
    if size > MAX_BYTES:
        r.error(path, f"found {value!r}, which is more than 2^63-1 bytes",
                "give a size such as 512MB, 2GB or 1Gi")
        return None
    return size


def gpus(r: FieldReader, path: Path) -> int | None:
    value = r.raw(path, MISSING)
    if value is MISSING or value is None:
        return None
    try:
        return parse_gpus(value)
    except QuantityError as exc:
        r.error(path, str(exc))
        return None


def object_name(r: FieldReader, path: Path, expected: str) -> str | None:
    """The name of a ConfigMap or Secret referred to: an object name (a DNS subdomain), since a
    reference to one not in the input is written out and must read back."""
    name = r.string(path, required=True, expected=expected)
    if name is not None and (problem := dns_subdomain_problem(name)):
        r.error(path, problem)
        return None
    return name


def item_mapping(r: FieldReader, path: Path, item: object, what: str) -> bool:
    """True when a list item is a mapping; otherwise report what it should have been."""
    if isinstance(item, dict):
        return True
    r.error(path, f"found {type_name(item)}, expected a mapping ({what})")
    return False
