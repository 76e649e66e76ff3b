"""Write documents out as YAML or JSON text, the same way every time.

`write_capsules` prints normalized capsule documents (`Capsule.to_dict()`), then the
Services' (`Service.to_dict()`), which read back as the same capsules and Services; the
generic `dump_documents` prints any list of plain documents and is what other writers
(the `--to pod` writer) can share. YAML is block style with keys in the order the
documents give them (the spec's order), lists at their key's indentation (as kubectl
writes them), multi-line text as literal blocks, and `---` between documents. JSON prints one document as one
object and several as an array.

Nothing here reads files, knows capsule fields, or sees secret values (specs hold
references only).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import yaml

from translate.spec import Capsule, Service

FORMATS: tuple[str, ...] = ("yaml", "json")


# LibYAML's emitter where PyYAML has it (about 5x faster: 2,000 capsules in 0.7 s, not
# 3.4 s). It writes a list at its key's indentation, as `kubectl get -o yaml` does; the
# pure-Python fallback writes the same, so that output does not depend on the machine.
_BlockDumper = type("_BlockDumper", (getattr(yaml, "CSafeDumper", yaml.SafeDumper),), {})


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Config files inlined from ConfigMaps read best as literal blocks.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _text)


def to_yaml(documents: Iterable[dict[str, Any]]) -> str:
    return yaml.dump_all(
        list(documents),
        Dumper=_BlockDumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        explicit_start=False,
        width=4096,  # long commands stay on one line instead of folding
    )


# Characters YAML does not allow unescaped, or reads as line breaks (NEL, LS, PS), where
# JSON takes them as they are: escaped, so that the output reads again, unchanged,
# through the YAML loader every input goes through.
_NOT_YAML_PRINTABLE = re.compile("[\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


def to_json(documents: list[dict[str, Any]]) -> str:
    body: Any = documents[0] if len(documents) == 1 else documents
    # allow_nan=False: output is always valid JSON (no Infinity), or this is a bug to report.
    text = json.dumps(body, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return _NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def dump_documents(documents: list[dict[str, Any]], fmt: str) -> str:
    """Text of `documents` in `fmt` ('yaml' or 'json')."""
    if fmt == "json":
        return to_json(documents)
    if fmt == "yaml":
        return to_yaml(documents)
    raise ValueError(f"unknown output format {fmt!r}; expected one of {', '.join(FORMATS)}")


def write_capsules(capsules: Iterable[Capsule], fmt: str = "yaml", services: Iterable[Service] = ()) -> str:
    """The normalized capsule documents as text, the Services' after them."""
    documents = [capsule.to_dict() for capsule in capsules] + [service.to_dict() for service in services]
    return dump_documents(documents, fmt)
