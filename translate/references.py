"""References to ConfigMaps and Secrets that are not in the input, resolved for `create`.

The readers keep such a reference in the spec (translate/spec.py: `ConfigMapKeyRef`,
`EnvFromRef`, an unresolved `ConfigMapVolume`; Secrets are references anyway), so
that `translate` writes it and `create` can run it. `resolve` looks each one up, as
Kubernetes does, in the capsule's own namespace: the input's own Secrets first (a
`SecretStore`, by namespace and name, as the runtime reads them), then the objects
stored by an earlier `capsule create -f` (the caller's `lookup`, by kind, the capsule's
namespace and name). ConfigMap values are inlined; stored Secret values join the
`SecretStore` under that namespace and stay references. A reference marked optional whose object
or key is missing is left out, as Kubernetes does. Every other miss is a problem that
names the capsule, the field and namespace/name/key; the caller refuses the whole
input, before anything is built.

Order, as Kubernetes: envFrom entries in order (a variable several sources define takes
the last one's value), then `env`, whose entries win. When one envFrom source is not in
the input the reader keeps every envFrom entry of that container, the input's own too, so
the order holds. Limit: `$(NAME)` in an env value is expanded by the reader from the
input's values only (one from a source outside it is refused there).

Pure: no I/O, nothing outside translate/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from translate.secrets import SecretStore
from translate.spec import (
    DEFAULT_NAMESPACE,
    Capsule,
    ConfigMapVolume,
    Container,
    EnvVar,
    SecretKeyRef,
    SecretVolume,
)

CONFIG_MAP = "ConfigMap"
SECRET = "Secret"
MISSING_HINT = ("give it with the same command (-f app.yaml -f {kind}.yaml), create it first "
                "(capsule create -f {kind}.yaml), or set optional: true")


@dataclass(frozen=True)
class ConfigObject:
    """One ConfigMap or Secret: key -> text (or bytes, binaryData); a Secret's values are bytes.

    Its repr and `keys()` show key names only, never a value.
    """

    kind: str  # CONFIG_MAP or SECRET
    namespace: str
    name: str
    data: dict[str, str | bytes] = field(default_factory=dict, repr=False, compare=False)

    def keys(self) -> tuple[str, ...]:
        return tuple(sorted(self.data))

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}"


# (kind, namespace, name) -> the stored object, or None
Lookup = Callable[[str, str, str], "ConfigObject | None"]


@dataclass
class _Resolver:
    secrets: SecretStore
    lookup: Lookup
    problems: list[str] = field(default_factory=list)
    where: str = ""
    namespace: str = DEFAULT_NAMESPACE

    def problem(self, field_path: str, message: str, hint: str | None = None) -> None:
        text = f"{self.where}: {field_path}: {message}" + (f"; {hint}" if hint else "")
        if text not in self.problems:  # the replicas of one workload say it once
            self.problems.append(text)

    def missing(self, field_path: str, kind: str, name: str) -> None:
        self.problem(field_path, f"refers to {kind} '{self.namespace}/{name}', which is neither in the input "
                     "nor created before", MISSING_HINT.format(kind=kind.lower()))

    def config_map(self, name: str) -> ConfigObject | None:
        return self.lookup(CONFIG_MAP, self.namespace, name)

    def secret_keys(self, field_path: str, name: str, optional: bool) -> tuple[str, ...] | None:
        """The keys of the capsule's namespace's Secret `name`, its stored values added to the store
        (under that namespace); None when it is missing."""
        own = self.secrets.of(self.namespace)
        if own.has(name):
            return own.keys(name)
        found = self.lookup(SECRET, self.namespace, name)
        if found is None:
            if not optional:
                self.missing(field_path, SECRET, name)
            return None
        self.secrets.add(name, {k: v if isinstance(v, bytes) else v.encode() for k, v in found.data.items()},
                         self.namespace)
        return found.keys()


def resolve(capsules: list[Capsule], secrets: SecretStore, lookup: Lookup,
            origins: list[str] | None = None) -> tuple[list[Capsule], list[str]]:
    """The capsules with every outside reference resolved, and the problems (empty when all resolved).

    Stored Secrets that are referred to are added to `secrets`, under their namespace.
    """
    resolver = _Resolver(secrets, lookup)
    out = []
    for index, capsule in enumerate(capsules):
        origin = origins[index] if origins and index < len(origins) and origins[index] else ""
        # Where the capsule came from ("app.yaml#1 Deployment/web") rather than its name, which
        # differs for each replica: one problem is said once.
        resolver.where = origin or f"capsule {capsule.name}"
        resolver.namespace = capsule.namespace or DEFAULT_NAMESPACE
        out.append(_capsule(resolver, capsule))
    return out, resolver.problems


def input_first(objects: list[ConfigObject], stored: Lookup) -> Lookup:
    """The input's own ConfigMaps and Secrets before the stored ones: an input's envFrom keeps
    every source in order when one of them is outside it (translate/kubernetes/env.py).

    Both are found by the capsule's namespace and name, as the reader finds the input's.
    """
    given = {(o.kind, o.namespace, o.name): o for o in objects}

    def find(kind: str, namespace: str, name: str) -> ConfigObject | None:
        return given.get((kind, namespace, name)) or stored(kind, namespace, name)

    return find


def has_references(capsule: Capsule) -> bool:
    """Whether the capsule still holds a ConfigMap reference that only `resolve` can fill."""
    return any(c.env_from or any(e.config_ref is not None for e in c.env) for c in capsule.all_containers) or any(
        isinstance(v.source, ConfigMapVolume) and not v.source.resolved for v in capsule.volumes)


def _capsule(r: _Resolver, capsule: Capsule) -> Capsule:
    inits = tuple(_container(r, c, f"spec.initContainers[{c.name}]") for c in capsule.init_containers)
    members = tuple(_container(r, c, f"spec.containers[{c.name}]") for c in capsule.containers)
    volumes = tuple(_volume(r, v) for v in capsule.volumes)
    return replace(capsule, init_containers=inits, containers=members, volumes=volumes)


def _container(r: _Resolver, container: Container, where: str) -> Container:
    env: dict[str, EnvVar] = {}
    for number, ref in enumerate(container.env_from):
        path = f"{where}.envFrom[{number}].{'configMapRef' if ref.kind == CONFIG_MAP else 'secretRef'}"
        if ref.kind == CONFIG_MAP:
            found = r.config_map(ref.name)
            if found is None:
                if not ref.optional:
                    r.missing(path, CONFIG_MAP, ref.name)
                continue
            for key in found.keys():
                value = found.data[key]
                if isinstance(value, str):  # Kubernetes takes only data, never binaryData, here
                    env[ref.prefix + key] = EnvVar(ref.prefix + key, value=value)
            continue
        keys = r.secret_keys(path, ref.name, ref.optional)
        for key in keys or ():
            env[ref.prefix + key] = EnvVar(ref.prefix + key, secret_ref=SecretKeyRef(ref.name, key))
    for var in container.env:
        path = f"{where}.env[{var.name}].valueFrom"
        if var.secret_ref is not None:
            _secret_key(r, f"{path}.secretKeyRef", var.secret_ref)
        if var.config_ref is None:
            env[var.name] = var
            continue
        ref = var.config_ref
        found = r.config_map(ref.config_map)
        if found is None:
            if not ref.optional:
                r.missing(f"{path}.configMapKeyRef", CONFIG_MAP, ref.config_map)
            env.pop(var.name, None)  # Kubernetes leaves the variable out
            continue
        if ref.key not in found.data:
            if not ref.optional:
                r.problem(f"{path}.configMapKeyRef", f"ConfigMap '{found.ref}' has no key '{ref.key}'",
                          f"its keys are: {', '.join(found.keys()) or 'none'}")
            env.pop(var.name, None)
            continue
        value = found.data[ref.key]
        if isinstance(value, bytes):
            r.problem(f"{path}.configMapKeyRef", f"key '{ref.key}' of ConfigMap '{found.ref}' is binaryData",
                      "variables take keys from data")
            continue
        env[var.name] = EnvVar(var.name, value=value)
    return replace(container, env=tuple(env.values()), env_from=())


def _secret_key(r: _Resolver, path: str, ref: SecretKeyRef) -> None:
    keys = r.secret_keys(path, ref.secret, ref.optional)
    if keys is not None and ref.key not in keys and not ref.optional:
        r.problem(path, f"Secret '{r.namespace}/{ref.secret}' has no key '{ref.key}'",
                  f"its keys are: {', '.join(keys) or 'none'}")


def _volume(r: _Resolver, volume):  # type: ignore[no-untyped-def]
    source = volume.source
    path = f"spec.volumes[{volume.name}]"
    if isinstance(source, SecretVolume):
        keys = r.secret_keys(f"{path}.secret", source.secret, source.optional)
        for key, _file in source.items:
            if keys is not None and key not in keys and not source.optional:
                r.problem(f"{path}.secret.items", f"Secret '{r.namespace}/{source.secret}' has no key '{key}'",
                          f"its keys are: {', '.join(keys) or 'none'}")
        return volume
    if not isinstance(source, ConfigMapVolume) or source.resolved:
        return volume
    found = r.config_map(source.config_map)
    if found is None:
        if not source.optional:
            r.missing(f"{path}.configMap", CONFIG_MAP, source.config_map)
        return replace(volume, source=ConfigMapVolume(source.config_map, (), source.default_mode))
    files = []
    for key, file_path in source.items or tuple((k, k) for k in found.keys()):
        if key not in found.data:
            if not source.optional:  # Kubernetes fails the mount; optional skips the key
                r.problem(f"{path}.configMap.items", f"ConfigMap '{found.ref}' has no key '{key}'",
                          f"its keys are: {', '.join(found.keys()) or 'none'}")
            continue
        content = found.data[key]
        if isinstance(content, bytes):
            try:
                content = content.decode("utf-8")
            except UnicodeDecodeError:
                r.problem(f"{path}.configMap", f"key '{key}' of ConfigMap '{found.ref}' holds binary data, "
                          "which capsule cannot inline", "mount it from a hostPath instead")
                continue
        files.append((file_path, content))
    return replace(volume, source=ConfigMapVolume(source.config_map, tuple(files), source.default_mode))
