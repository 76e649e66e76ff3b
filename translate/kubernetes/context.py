"""What the readers of one pod share: the input's data, the pod's metadata, its defaults.

Containers resolve `configMapKeyRef`, `fieldRef` and `envFrom` here; volumes look up
ConfigMaps; both check Secret references the same way. As in Kubernetes, a reference
names a ConfigMap or Secret of the pod's own namespace. A ConfigMap or Secret that is
not in the input (in that namespace) is no error: the reference is kept (with a warning when translating),
and `create` resolves it from the ConfigMaps and Secrets stored earlier
(translate/references.py). It must not import the kubernetes package.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from translate.diagnostics import Path
from translate.kubernetes.config import ConfigData
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.security import ContainerDefaults
from translate.spec import DEFAULT_NAMESPACE, EnvFromRef

MISSING_HINT = (
    "capsule create resolves it from the other files given with it or from a {noun} created before "
    "(capsule create -f {kind}.yaml); set optional: true if it may be missing"
)


@dataclass
class PodContext:
    data: ConfigData
    capsule_name: str
    namespace: str = DEFAULT_NAMESPACE
    # The pod's own labels and annotations, which fieldRef reads.
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    # Secrets provided where the capsule runs (the capsule.dev/external-secrets annotation).
    external_secrets: frozenset[str] = frozenset()
    volume_names: frozenset[str] = frozenset()
    # What fieldRef spec.serviceAccountName reads (Kubernetes' default: "default"), and the
    # names a resourceFieldRef's containerName may take.
    service_account: str = "default"
    container_names: frozenset[str] = frozenset()
    # Pod-level securityContext: defaults for every container.
    security_defaults: ContainerDefaults = field(default_factory=ContainerDefaults)
    # The container being read: variables capsule leaves out (name -> why), which a
    # $(NAME) in its command, args or env must not keep as literal text.
    left_out: dict[str, str] = field(default_factory=dict)
    # The container being read: variables from a ConfigMap not in the input (name -> its
    # ConfigMap), whose value is not known yet; and its envFrom entries kept as references.
    outside: dict[str, str] = field(default_factory=dict)
    env_from: list[EnvFromRef] = field(default_factory=list)
    # Whether anything took the pod's own name (fieldRef metadata.name): each replica then
    # needs a reading of its own.
    name_used: bool = False

    def check_secret(self, r: KubeFieldReader, ref: Path, name: str, key: str | None,
                     optional: bool, *, name_field: str = "name") -> bool:
        """Whether a reference to Secret `name` (and `key`) at `ref` may stand; errors say why not."""
        keys = self.secret_keys(name)
        if keys is None:
            if name not in self.external_secrets and not optional:
                self.missing(r, ref + (name_field,), "Secret", name)
            return True
        if key is not None and key not in keys and not optional:
            r.error(ref + ("key",), f"Secret '{self.namespace}/{name}' has no key '{key}'",
                    f"its keys are: {', '.join(keys) or 'none'}")
            return False
        return True

    def secret_keys(self, name: str) -> tuple[str, ...] | None:
        """The keys of the pod's namespace's Secret `name` in the input; None when it is not there."""
        return self.data.secret_keys.get((self.namespace, name))

    def config_map(self, r: KubeFieldReader, path: Path, name: str,
                   optional: bool) -> dict[str, str | bytes] | None:
        """The ConfigMap's entries; None (with a warning unless optional) when it is not in
        the input, and the caller keeps the reference."""
        entries = self.data.config_maps.get((self.namespace, name))
        if entries is None and not optional:
            self.missing(r, path, "ConfigMap", name)
        return entries

    def missing(self, r: KubeFieldReader, path: Path, noun: str, name: str) -> None:
        """The warning for a reference kept because its object is not in the input (none
        when `create` reads the input: it resolves the reference or fails naming it)."""
        if self.data.warn_missing:
            # A warning even under --strict: nothing is left out, and create decides.
            r.report.diagnostics.append(r.doc.diagnostic(
                "warning", path, f"refers to {noun} '{self.namespace}/{name}', which is not in the input; the "
                "reference is kept", MISSING_HINT.format(kind=noun.lower(), noun=noun)))
