"""What the readers of one pod share: the input's data, the pod's metadata, its defaults.

Containers resolve `configMapKeyRef`, `fieldRef` and `envFrom` here; volumes look up
ConfigMaps; both check Secret references the same way. It must not import the
kubernetes package.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from translate.diagnostics import Path
from translate.kubernetes.config import ConfigData
from translate.kubernetes.field_reader import KubeFieldReader
from translate.kubernetes.security import ContainerDefaults
from translate.spec import DEFAULT_NAMESPACE

SECRET_MISSING_HINT = (
    "add the Secret document to the input (any file given to the command), "
    "or set optional: true"
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
    # Whether anything took the pod's own name (fieldRef metadata.name): each replica then
    # needs a reading of its own.
    name_used: bool = False

    def check_secret(self, r: KubeFieldReader, ref: Path, name: str, key: str | None,
                     optional: bool, *, name_field: str = "name") -> bool:
        """Whether a reference to Secret `name` (and `key`) at `ref` may stand; errors say why not."""
        keys = self.data.secret_keys.get(name)
        if keys is None:
            if name in self.external_secrets or optional:
                return True
            r.error(ref + (name_field,), f"refers to Secret '{name}', which is not in the input",
                    SECRET_MISSING_HINT)
            return False
        if key is not None and key not in keys and not optional:
            r.error(ref + ("key",), f"Secret '{name}' has no key '{key}'",
                    f"its keys are: {', '.join(keys) or 'none'}")
            return False
        return True

    def config_map(self, r: KubeFieldReader, path: Path, name: str,
                   optional: bool) -> dict[str, str | bytes] | None:
        """The ConfigMap's entries; None (with an error unless optional) when it is missing."""
        entries = self.data.config_maps.get(name)
        if entries is None and not optional:
            r.error(path, f"refers to ConfigMap '{name}', which is not in the input",
                    "add the ConfigMap document to the input, or set optional: true")
        return entries
