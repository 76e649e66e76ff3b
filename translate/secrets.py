"""Secret values that travel beside capsule specs, never inside them.

Kubernetes Secret documents in the input fill a `SecretStore`; specs keep only
references (`SecretKeyRef`, `SecretVolume`). The runtime resolves references when it
builds containers. The store never prints its values: its repr, and `masked()`, show
key names only, so a stray log line or traceback cannot leak them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MASK = "********"


@dataclass
class SecretStore:
    _values: dict[str, dict[str, bytes]] = field(default_factory=dict, repr=False)

    def add(self, name: str, data: dict[str, bytes]) -> None:
        self._values.setdefault(name, {}).update(data)

    def has(self, name: str) -> bool:
        return name in self._values

    def keys(self, name: str) -> tuple[str, ...]:
        return tuple(sorted(self._values.get(name, {})))

    def value(self, name: str, key: str) -> bytes:
        """The raw value; raises KeyError naming the secret and key (never the value)."""
        try:
            return self._values[name][key]
        except KeyError:
            raise KeyError(f"secret '{name}' has no key '{key}'") from None

    def masked(self) -> dict[str, dict[str, str]]:
        return {name: {key: MASK for key in data} for name, data in self._values.items()}

    def __repr__(self) -> str:
        return f"SecretStore({self.masked()!r})"

    def __len__(self) -> int:
        return len(self._values)
