"""CPU and memory quantities: parse what users write, normalize to cores and bytes.

The parser itself is the kubernetes package's `parse_quantity`, loaded straight from
its file: importing `kubernetes.utils` runs the package's `__init__`, which pulls in
the whole generated API client (about 0.4 s). The quantity module only needs the
standard library's decimal, so loading it alone keeps `capsule translate` fast.

The capsule format also accepts the decimal byte suffixes people write by hand
(512MB, 2GB, 1KB), which Kubernetes spells 512M, 2G, 1k; they mean the same. A
Kubernetes manifest gets Kubernetes' own grammar, exactly (`kubernetes=True`): no
spaces, and only its suffixes (a `1K` or `2GB` there would be refused by a cluster).

Every amount must fit what the engine takes: memory in bytes and CPU in nano-cores
are signed 64-bit numbers there.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path

# Hand-written decimal suffixes that Kubernetes spells without the trailing B.
_BYTE_SUFFIXES = {"KB": "k", "MB": "M", "GB": "G", "TB": "T", "PB": "P", "EB": "E"}
_BYTE_SUFFIX_RE = re.compile(r"^\s*([0-9.eE+-]+)\s*(KB|MB|GB|TB|PB|EB)\s*$", re.IGNORECASE)
# resource.Quantity's grammar: a signed decimal, then a binary or decimal SI suffix or an exponent.
_KUBERNETES_QUANTITY = re.compile(
    r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?$")
_KUBERNETES_HINT = "no spaces; the suffixes are Ki, Mi, Gi, ... or k, M, G, ...; 1K is written 1k"
# The engine's HostConfig.Memory and NanoCpus are int64.
MAX_BYTES = 2**63 - 1
MAX_CORES = (2**63 - 1) // 10**9


class QuantityError(ValueError):
    """A quantity that cannot be parsed; the message says what is expected."""


@cache
def _kubernetes_parse_quantity() -> Callable[[object], Decimal]:
    spec = importlib.util.find_spec("kubernetes")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("the kubernetes package is required to parse quantities")
    path = Path(next(iter(spec.submodule_search_locations))) / "utils" / "quantity.py"
    module_spec = importlib.util.spec_from_file_location("_capsule_k8s_quantity", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module.parse_quantity


def _to_decimal(value: object, kubernetes: bool = False) -> Decimal:
    if kubernetes and isinstance(value, str) and not _KUBERNETES_QUANTITY.match(value):
        _to_decimal(value)  # not a quantity at all ('two'): said as such
        raise QuantityError(f"found {value!r}, which is not a Kubernetes quantity: {_KUBERNETES_HINT}")
    if isinstance(value, bool):
        raise QuantityError(f"found {value!r}, expected a number or a quantity string")
    if isinstance(value, float):
        # Decimal(0.1) is 0.1000000000000000055...: rounding that up to the millicore
        # would turn the 0.1 the user wrote into 0.101. Go through its shortest text.
        if value != value or value in (float("inf"), float("-inf")):
            raise QuantityError(f"found {value!r}, which is not a quantity")
        value = Decimal(repr(value))
    if isinstance(value, str):
        match = _BYTE_SUFFIX_RE.match(value)
        if match:
            value = match.group(1) + _BYTE_SUFFIXES[match.group(2).upper()]
        value = value.strip()
    try:
        amount = _kubernetes_parse_quantity()(value)
    except (ValueError, TypeError, ArithmeticError) as exc:
        raise QuantityError(f"found {value!r}, which is not a quantity") from exc
    if not amount.is_finite():  # Decimal accepts 'NaN' and 'Infinity'; no resource is that
        raise QuantityError(f"found {value!r}, which is not a quantity")
    return amount


def parse_cpu(value: object, *, kubernetes: bool = False) -> float:
    """Cores as a number: '250m' -> 0.25, 2 -> 2.0, '1.5' -> 1.5."""
    try:
        cores = _to_decimal(value, kubernetes)
    except QuantityError as exc:
        raise QuantityError(
            f"{exc}; expected CPU cores such as 0.5, 2 or 250m"
        ) from None
    if cores < 0:
        raise QuantityError(f"found {value!r}; CPU cannot be negative")
    if cores > MAX_CORES:
        raise QuantityError(f"found {value!r}, more CPU than an engine can be given (at most {MAX_CORES} cores)")
    # Kubernetes resolves CPU to the millicore; anything finer is rounded up as it does.
    millicores = (cores * 1000).to_integral_value(rounding="ROUND_CEILING")
    return float(millicores / 1000)


def parse_memory(value: object, *, kubernetes: bool = False) -> int:
    """Bytes as an integer: '64Mi' -> 67108864, '1G' and '1GB' -> 1000000000."""
    try:
        amount = _to_decimal(value, kubernetes)
    except QuantityError as exc:
        examples = "67108864, 64Mi or 1G" if kubernetes else "67108864, 64Mi, 1Gi, 512MB or 2GB"
        raise QuantityError(f"{exc}; expected bytes such as {examples}") from None
    if amount < 0:
        raise QuantityError(f"found {value!r}; memory cannot be negative")
    size = int(amount.to_integral_value(rounding="ROUND_CEILING"))
    if size > MAX_BYTES:
        raise QuantityError(f"found {value!r}, more memory than an engine can be given (at most 8Ei less one byte)")
    return size


# The extended resource Kubernetes' NVIDIA device plugin advertises; the engine's
# device requests (driver "nvidia") give a container that many GPUs.
GPU_RESOURCE = "nvidia.com/gpu"
# More GPUs than any machine holds: a larger count is a typo, and the engine takes an int.
MAX_GPUS = 1024


def parse_gpus(value: object, *, kubernetes: bool = False) -> int:
    """Whole devices of an extended resource: '2' or 2 -> 2 (Kubernetes refuses fractions, '500m')."""
    try:
        amount = _to_decimal(value, kubernetes)
    except QuantityError as exc:
        raise QuantityError(f"{exc}; expected a whole number of GPUs such as 1 or 2") from None
    if amount < 0 or amount != amount.to_integral_value():
        raise QuantityError(f"found {value!r}; GPUs are counted whole (1, 2, ...), not in parts")
    if amount > MAX_GPUS:
        raise QuantityError(f"found {value!r}, more GPUs than a host holds (at most {MAX_GPUS})")
    return int(amount)


def format_cpu(cores: float) -> str:
    """Kubernetes spelling for cores: 0.25 -> '250m', 2.0 -> '2'."""
    millicores = round(cores * 1000)
    return str(millicores // 1000) if millicores % 1000 == 0 else f"{millicores}m"


def format_bytes(size: int) -> str:
    """A short human form for tables and messages: 1.5 GB, 64.0 MiB stays decimal."""
    for unit, factor in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if size >= factor:
            return f"{size / factor:.1f} {unit}"
    return f"{size} B"
