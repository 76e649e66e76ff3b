"""Secret values that travel beside capsule specs, never inside them.

Kubernetes Secret documents in the input fill a `SecretStore`; specs keep only
references (`SecretKeyRef`, `SecretVolume`). The runtime resolves references when it
builds containers. The store never prints its values: its repr, and `masked()`, show
key names only, so a stray log line or traceback cannot leak them.

As in Kubernetes, a Secret belongs to a namespace and a reference names a Secret of the
referring capsule's own namespace: the store keys values by (namespace, name), and
whatever resolves a capsule's references reads them through `of(capsule.namespace)`, a
view of that namespace only. Two namespaces of one input may each have a Secret `db`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from translate.spec import DEFAULT_NAMESPACE

MASK = "********"


@dataclass
class SecretStore:
    """Every namespace's Secrets: (namespace, name) -> key -> value."""

    _values: dict[tuple[str, str], dict[str, bytes]] = field(default_factory=dict, repr=False)

    def add(self, name: str, data: dict[str, bytes], namespace: str | None = None) -> None:
        self._values.setdefault((namespace or DEFAULT_NAMESPACE, name), {}).update(data)

    def copy(self) -> SecretStore:
        """Another store with the same values, to resolve against without changing this one."""
        return SecretStore({ref: dict(data) for ref, data in self._values.items()})

    def of(self, namespace: str | None) -> SecretScope:
        """The Secrets a capsule of `namespace` (None: the default one) may refer to."""
        return SecretScope(self, namespace or DEFAULT_NAMESPACE)

    def masked(self) -> dict[str, dict[str, str]]:
        """"namespace/name" -> key -> MASK, for every namespace."""
        return {f"{namespace}/{name}": {key: MASK for key in data}
                for (namespace, name), data in sorted(self._values.items())}

    def every_value(self) -> Iterator[bytes]:
        """Each value of every namespace: for `SecretMask` only, which hides them."""
        for data in self._values.values():
            yield from data.values()

    def __repr__(self) -> str:
        return f"SecretStore({self.masked()!r})"

    def __len__(self) -> int:
        return len(self._values)


@dataclass(frozen=True)
class SecretScope:
    """One namespace's Secrets in a store, read by name: what a capsule's references resolve against.

    A live view: what is added to the store later (stored Secrets that `create` resolves)
    shows here too.
    """

    store: SecretStore = field(repr=False)
    namespace: str = DEFAULT_NAMESPACE

    def of(self, namespace: str | None) -> SecretScope:
        """The same store seen from `namespace`: scoping twice is harmless."""
        return self.store.of(namespace)

    def has(self, name: str) -> bool:
        return (self.namespace, name) in self.store._values

    def keys(self, name: str) -> tuple[str, ...]:
        return tuple(sorted(self.store._values.get((self.namespace, name), {})))

    def value(self, name: str, key: str) -> bytes:
        """The raw value; raises KeyError naming the secret and key (never the value)."""
        try:
            return self.store._values[(self.namespace, name)][key]
        except KeyError:
            raise KeyError(f"secret '{self.namespace}/{name}' has no key '{key}'") from None

    def masked(self) -> dict[str, dict[str, str]]:
        """name -> key -> MASK, for this namespace."""
        return {name: {key: MASK for key in data}
                for (namespace, name), data in sorted(self.store._values.items()) if namespace == self.namespace}

    def every_value(self) -> Iterator[bytes]:
        """Every namespace's values, not only this one's: a mask hides too much rather than too little."""
        return self.store.every_value()

    def __repr__(self) -> str:
        return f"SecretScope({self.namespace!r}, {self.masked()!r})"

    def __len__(self) -> int:
        return sum(1 for namespace, _name in self.store._values if namespace == self.namespace)


# A store or one namespace's view of it: what the runtime passes along; `of()` scopes either.
Secrets = SecretStore | SecretScope


# Shorter values are too likely to occur by chance ("1", "yes") to be worth masking.
MIN_MASKED_LENGTH = 4


class SecretMask:
    """Replaces every known secret value in a text with MASK: one for all that a process shows or keeps.

    A failure's reason can quote a container's last output, a probe's output or an
    engine message that quotes a command line, and any of them can hold a value that
    came from a Secret. Every text the runtime stores, prints or sends passes through
    the mask of the process that knows the values (the one that read the Secrets).
    """

    def __init__(self) -> None:
        self._values: list[str] = []

    def hide(self, secrets: Secrets | None) -> None:
        """Mask the values of every namespace of these secrets' store from now on (longest first, so
        overlapping values mask fully)."""
        if secrets is None:
            return
        found = set(self._values)
        for value in secrets.every_value():
            text = value.decode("utf-8", "replace").strip()
            if len(text) >= MIN_MASKED_LENGTH:
                found.add(text)
        self._values = sorted(found, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text

    def __bool__(self) -> bool:
        return bool(self._values)

    def __repr__(self) -> str:
        return f"SecretMask({len(self._values)} values)"
