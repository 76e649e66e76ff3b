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

    def copy(self) -> SecretStore:
        """Another store with the same values, to resolve against without changing this one."""
        return SecretStore({name: dict(data) for name, data in self._values.items()})

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

    def hide(self, secrets: SecretStore | None) -> None:
        """Mask these secrets' values from now on (longest first, so overlapping values mask fully)."""
        if secrets is None:
            return
        found = set(self._values)
        for name in secrets.masked():
            for key in secrets.keys(name):
                text = secrets.value(name, key).decode("utf-8", "replace").strip()
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
