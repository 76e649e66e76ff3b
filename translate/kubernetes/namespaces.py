"""An object's namespace: the application its capsules and Services belong to.

Kubernetes puts an object without `metadata.namespace` (or with an empty one) in
"default"; a namespace is a DNS-1123 label. Capsules of one namespace share a network
where its Services resolve by name, so every reader takes the namespace the same way.
It must not import the kubernetes package.
"""

from __future__ import annotations

from translate.diagnostics import Path
from translate.fields import dns1123_problem
from translate.kubernetes.field_reader import KubeFieldReader
from translate.spec import DEFAULT_NAMESPACE


def read_namespace(r: KubeFieldReader, base: Path) -> str | None:
    """The namespace of the object at `base`: "default" when it has none; None after an error."""
    path = base + ("metadata", "namespace")
    namespace = r.text(path, expected="a namespace (a DNS-1123 label)")
    if r.has(path) and r.raw(path) is not None and not isinstance(r.raw(path), str):
        return None  # r.text reported it
    if not namespace:
        return DEFAULT_NAMESPACE
    if problem := dns1123_problem(namespace):
        r.error(path, problem)
        return None
    return namespace
