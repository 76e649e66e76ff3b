"""A Kubernetes container's environment: env and envFrom, resolved at translate time.

Kubernetes order: envFrom first (ConfigMap and Secret keys, with the prefix), then env,
whose entries replace same-named ones. ConfigMap values and fieldRef
(metadata.name, metadata.namespace, metadata.labels['k'], metadata.annotations['k'],
spec.serviceAccountName) become plain values;
Secret values stay `SecretKeyRef`s; a ConfigMap or Secret that is not in the input
stays a reference (`ConfigMapKeyRef`, `EnvFromRef`) for `create` to resolve. The fields
only a running pod has (status.podIP, spec.nodeName, metadata.uid, ...) and
resourceFieldRef stay references that the runtime fills in (translate/pod_fields.py).
`$(VAR)` in a plain env value is expanded from the variables defined before it, as the
kubelet does; one that names a Secret-held variable is an error, because its value must
not be written into a spec, and so is one that names a variable from a ConfigMap not in
the input, whose value is not known yet; one that names a run-time variable stays
`$(VAR)` for the runtime (containers.py writes it so).

It must not import the kubernetes package.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from translate.diagnostics import Path
from translate.kubernetes.context import PodContext
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.fields import (
    ENV_FROM_FIELDS,
    ENV_FROM_REF_FIELDS,
    ENV_VAR_FIELDS,
    ENV_VAR_SOURCE_FIELDS,
    FIELD_SELECTOR_FIELDS,
    KEY_SELECTOR_FIELDS,
    RESOURCE_SELECTOR_FIELDS,
)
from translate.kubernetes.variable_expansion import expand
from translate.pod_fields import CPU_DIVISORS, MEMORY_DIVISORS, RESOURCES, RUN_TIME_FIELDS, divisor_problem
from translate.quantity import QuantityError, parse_cpu, parse_memory
from translate.spec import ConfigMapKeyRef, EnvFromRef, EnvVar, FieldRef, ResourceFieldRef, SecretKeyRef

# Variables: name -> plain value, or None for a Secret reference (no value here).
Variables = dict[str, str | None]

_LABEL_REF = re.compile(r"""^metadata\.(labels|annotations)\[(['"])(.+)\2\]$""")
_RUNTIME_FIELDS = {
    "metadata.labels": "only single labels, metadata.labels['key'], can be resolved",
    "metadata.annotations": "only single annotations, metadata.annotations['key'], can be resolved",
}
_RESOLVABLE = ("metadata.name, metadata.namespace, metadata.uid, metadata.labels['key'], "
               "metadata.annotations['key'], spec.nodeName, spec.serviceAccountName, status.podIP, "
               "status.podIPs, status.hostIP or status.hostIPs")


def run_time_placeholder(name: str) -> str:
    """What `$(NAME)` of a run-time variable expands to while the container is read; the
    container's reader turns it back into `$(NAME)` (YAML text holds "\0" only as an escape)."""
    return f"\0run-time:{name}\0"


_NAME_RULE = "printable ASCII characters except '=', at least one"


def env_name_problem(name: str) -> str | None:
    """Why Kubernetes (since 1.30) and the engine would not take `name` as a variable name, or None."""
    if not name or "=" in name or any(not " " <= ch <= "~" for ch in name):
        return f"'{name}' is not a variable name: a name is {_NAME_RULE}"
    return None


def variables_of(env: tuple[EnvVar, ...], left_out: Mapping[str, str] | None = None) -> Variables:
    """The values `$(NAME)` expands to; None for a Secret's and for a variable left out, which
    `expand` reports instead of keeping the reference as text."""
    variables: dict[str, str | None] = dict.fromkeys(left_out or {})
    for e in env:
        variables[e.name] = run_time_placeholder(e.name) if e.run_time else e.value if e.secret_ref is None \
            else None
    return variables


def unexpandable(r: KubeFieldReader, path: Path, names: tuple[str, ...], ctx: PodContext) -> None:
    """The error for `$(NAME)`s that cannot be expanded: a Secret's value, or a variable left out."""
    left = [n for n in names if n in ctx.left_out]
    outside = [n for n in names if n not in ctx.left_out and n in ctx.outside]
    secret = [n for n in names if n not in ctx.left_out and n not in ctx.outside]
    for name in outside:
        r.error(path, f"refers to $({name}), whose value comes from ConfigMap '{ctx.outside[name]}', which "
                "is not in the input, so it is not known when translating",
                "give the ConfigMap in the same input, or read the variable in the program")
    if secret:
        _hidden_error(r, path, tuple(secret))
    for name in left:
        r.error(path, f"refers to $({name}), which capsule leaves out ({ctx.left_out[name]}); a cluster "
                "would put its value here", f"remove $({name}) from it, or set {name} with a value")


def read_env(r: KubeFieldReader, container: Path, ctx: PodContext) -> tuple[EnvVar, ...]:
    ctx.left_out = {}
    ctx.outside = {}
    ctx.env_from = []
    env: dict[str, EnvVar] = {}
    every: list[EnvFromRef] = []
    for index in range(len(r.items(container + ("envFrom",)))):
        ref = _env_from(r, container + ("envFrom", index), ctx, env)
        if ref is not None:
            every.append(ref)
    # One source that only create can resolve: every envFrom entry is kept, in order, so
    # that create applies them as Kubernetes does (the last source defining a variable
    # wins, env entries win over all); `env` keeps the input's values only for $(VAR) below.
    keep_sources = bool(ctx.env_from)
    if keep_sources:
        ctx.env_from = every
    seen: set[str] = set()
    for index in range(len(r.items(container + ("env",)))):
        path = container + ("env", index)
        var = _env_var(r, path, ctx, env)
        if var is None:
            continue
        if var.name in seen:
            r.warn(path + ("name",), f"'{var.name}' is set twice; this entry replaces the earlier one",
                   "remove one of them")
        seen.add(var.name)
        env[var.name] = var
    if keep_sources:
        return tuple(v for v in env.values() if v.name in seen)
    return tuple(env.values())


def _env_var(r: KubeFieldReader, path: Path, ctx: PodContext, env: dict[str, EnvVar]) -> EnvVar | None:
    if not isinstance(r.raw(path), dict):
        r.mapping(path, required=True)  # the error: expected a mapping
        return None
    r.sort(path, ENV_VAR_FIELDS, where="an env entry")
    name = r.text(path + ("name",), required=True, expected="a variable name")
    if name is None:
        return None
    if problem := env_name_problem(name):
        r.error(path + ("name",), problem)
        return None
    has_value = r.raw(path + ("value",)) not in (None, "")  # Kubernetes allows "" beside valueFrom
    source = r.mapping(path + ("valueFrom",))
    if has_value and source:
        r.error(path + ("valueFrom",), "is set together with value", "keep one of them",
                of_value=False)
        return None
    if source:
        return _value_from(r, path + ("valueFrom",), name, ctx)
    value = r.text(path + ("value",), default="")
    assert value is not None
    expanded, hidden = expand(value, variables_of(tuple(env.values()), ctx.left_out))
    if hidden:
        unexpandable(r, path + ("value",), hidden, ctx)
        return None
    return EnvVar(name, value=expanded)


def _hidden_error(r: KubeFieldReader, path: Path, hidden: tuple[str, ...]) -> None:
    names = ", ".join(f"$({h})" for h in hidden)
    r.error(path, f"refers to {names}, which holds a Secret value that capsule does not "
            "write into a spec", "read the variable in the program instead, e.g. sh -c 'echo $NAME'")


def _value_from(r: KubeFieldReader, path: Path, name: str, ctx: PodContext) -> EnvVar | None:
    source = r.sort(path, ENV_VAR_SOURCE_FIELDS, where="valueFrom")
    chosen = [k for k in ENV_VAR_SOURCE_FIELDS if source.get(k) is not None]
    if len(chosen) != 1:
        r.error(path, f"has {len(chosen)} sources, expected exactly one of configMapKeyRef, "
                "secretKeyRef or fieldRef", of_value=False)
        return None
    kind = chosen[0]
    ref = path + (kind,)
    if kind == "fieldRef":
        return _field_ref(r, ref, name, ctx)
    if kind == "resourceFieldRef":
        return _resource_field_ref(r, ref, name, ctx)
    if kind not in ("configMapKeyRef", "secretKeyRef"):
        ctx.left_out[name] = f"its {kind} is not applied"
        return None  # ignored or rejected by sort() above, with its message
    r.sort(ref, KEY_SELECTOR_FIELDS, where=kind)
    noun = "Secret" if kind == "secretKeyRef" else "ConfigMap"
    source_name = r.object_name(ref + ("name",), noun)
    key = r.text(ref + ("key",), required=True, expected="a key")
    optional = r.boolean(ref + ("optional",))
    if key == "":
        r.error(ref + ("key",), "is empty", f"name a key of the {noun}")
    if source_name is None or not key:
        return None
    if kind == "secretKeyRef":
        if not ctx.check_secret(r, ref, source_name, key, optional):
            return None
        return EnvVar(name, secret_ref=SecretKeyRef(source_name, key, optional))
    entries = ctx.config_map(r, ref + ("name",), source_name, optional)
    if entries is None:  # not in the input: create resolves it, or leaves it out when optional
        ctx.outside[name] = source_name
        return EnvVar(name, config_ref=ConfigMapKeyRef(source_name, key, optional))
    if key not in entries:
        if not optional:
            r.error(ref + ("key",), f"ConfigMap '{source_name}' has no key '{key}'",
                    f"its keys are: {', '.join(sorted(entries)) or 'none'}")
        return None
    value = entries[key]
    if isinstance(value, bytes):
        r.error(ref + ("key",), f"'{key}' is binaryData of ConfigMap '{source_name}'",
                "variables take keys from data")
        return None
    return EnvVar(name, value=value)


def _field_ref(r: KubeFieldReader, path: Path, name: str, ctx: PodContext) -> EnvVar | None:
    r.sort(path, FIELD_SELECTOR_FIELDS, where="fieldRef")
    field_path = r.text(path + ("fieldPath",), required=True, expected=_RESOLVABLE)
    if field_path is None:
        return None
    if field_path == "metadata.name":
        ctx.name_used = True
        return EnvVar(name, value=ctx.capsule_name)
    if field_path == "metadata.namespace":
        return EnvVar(name, value=ctx.namespace)
    if field_path == "spec.serviceAccountName":
        return EnvVar(name, value=ctx.service_account)
    if field_path in RUN_TIME_FIELDS:
        return EnvVar(name, field_ref=FieldRef(field_path))
    match = _LABEL_REF.match(field_path)
    if match:
        table = ctx.labels if match.group(1) == "labels" else ctx.annotations
        return EnvVar(name, value=table.get(match.group(3), ""))  # Kubernetes gives "" too
    why = _RUNTIME_FIELDS.get(field_path)
    if why:
        r.ignored(path + ("fieldPath",), f"'{field_path}' cannot be resolved ({why}); "
                  f"the variable {name} is left out")
        ctx.left_out[name] = f"{field_path}: {why}"
    else:
        r.error(path + ("fieldPath",), f"found '{field_path}', expected {_RESOLVABLE}")
    return None


def _resource_field_ref(r: KubeFieldReader, path: Path, name: str, ctx: PodContext) -> EnvVar | None:
    r.sort(path, RESOURCE_SELECTOR_FIELDS, where="resourceFieldRef")
    container = r.text(path + ("containerName",)) or None
    resource = r.text(path + ("resource",), required=True, expected=" or ".join(RESOURCES))
    raw = r.raw(path + ("divisor",))
    divisor = "1" if raw in (None, "") else str(raw)
    errors = r.error_count
    if container is not None and ctx.container_names and container not in ctx.container_names:
        r.error(path + ("containerName",), f"names no container of the pod: '{container}'",
                f"its containers are: {', '.join(sorted(ctx.container_names))}")
    if resource is not None and resource not in RESOURCES:
        r.error(path + ("resource",), f"found '{resource}', expected one of {', '.join(RESOURCES)}",
                "capsule has only cpu and memory limits and requests")
    elif resource is not None and (problem := divisor_problem(resource, _canonical(resource, divisor))):
        r.error(path + ("divisor",), problem)
    if resource is None or r.error_count > errors:
        return None
    return EnvVar(name, resource_ref=ResourceFieldRef(resource, _canonical(resource, divisor), container))


def _canonical(resource: str, divisor: str) -> str:
    """The allowed divisor equal to `divisor` ('1000m' -> '1', '1024' -> '1Ki'), as Kubernetes
    compares them; `divisor` itself when none is."""
    allowed = CPU_DIVISORS if resource.endswith(".cpu") else MEMORY_DIVISORS
    try:
        amount = Decimal(str(parse_cpu(divisor, kubernetes=True))) if resource.endswith(".cpu") \
            else Decimal(parse_memory(divisor, kubernetes=True))
    except QuantityError:
        return divisor
    return next((k for k, v in allowed.items() if v == amount), divisor)


def _env_from(r: KubeFieldReader, path: Path, ctx: PodContext, env: dict[str, EnvVar]) -> EnvFromRef | None:
    """Expand one envFrom entry into `env` when its source is in the input, else keep it in
    ctx.env_from; the entry as a reference either way (None when it is wrong)."""
    if not isinstance(r.raw(path), dict):
        r.mapping(path, required=True)
        return None
    item = r.sort(path, ENV_FROM_FIELDS, where="an envFrom entry")
    prefix = r.text(path + ("prefix",), default="") or ""
    # ConfigMap and Secret keys are valid names already (letters, digits, '-', '_', '.'): only
    # the prefix can make prefix + key one the engine cannot take.
    if prefix and (problem := env_name_problem(prefix)):
        r.error(path + ("prefix",), problem.replace("variable name", "variable name prefix"))
        return None
    chosen = [k for k in ("configMapRef", "secretRef") if item.get(k) is not None]
    if len(chosen) != 1:
        r.error(path, f"has {len(chosen)} sources, expected exactly one of configMapRef or secretRef",
                of_value=False)
        return None
    kind = chosen[0]
    ref = path + (kind,)
    r.sort(ref, ENV_FROM_REF_FIELDS, where=kind)
    noun = "Secret" if kind == "secretRef" else "ConfigMap"
    source_name = r.object_name(ref + ("name",), noun)
    optional = r.boolean(ref + ("optional",))
    if source_name is None:
        return None
    if kind == "configMapRef":
        entries = ctx.config_map(r, ref + ("name",), source_name, optional)
        kept = EnvFromRef("ConfigMap", source_name, prefix, optional)
        if entries is None:  # not in the input: its keys are known only when create resolves it
            ctx.env_from.append(kept)
            return kept
        for key in sorted(entries):
            value = entries[key]
            if isinstance(value, str):  # Kubernetes takes only data, never binaryData, here
                env[prefix + key] = EnvVar(prefix + key, value=value)
        return kept
    kept = EnvFromRef("Secret", source_name, prefix, optional)
    keys = ctx.secret_keys(source_name)
    if keys is None:
        if not optional:
            ctx.missing(r, ref + ("name",), "Secret", source_name)
        ctx.env_from.append(kept)
        return kept
    for key in keys:
        env[prefix + key] = EnvVar(prefix + key, secret_ref=SecretKeyRef(source_name, key))
    return kept
