"""One volume of a capsule spec in a few words, for `capsule describe` and the details screen.

Only names and options: a Secret volume is named, never its content; a ConfigMap
volume lists its files' names, not their text.
"""

from __future__ import annotations

from typing import Any


def describe_volume(volume: dict[str, Any]) -> str:
    for kind in ("emptyDir", "hostPath", "configMap", "secret", "persistentVolumeClaim"):
        if kind in volume:
            body = volume[kind] or {}
            if kind == "configMap":
                return f"configMap {body.get('name')} (files: {', '.join(body.get('files') or []) or 'none'})"
            if kind == "secret":
                return f"secret {body.get('secretName')}"
            if kind == "persistentVolumeClaim":
                return f"persistentVolumeClaim {body.get('claimName')} (kept after delete)"
            if kind == "hostPath":
                return f"hostPath {body.get('path')}"
            return "emptyDir" + (" (memory)" if body.get("medium") == "Memory" else "")
    return f"volume (driver {volume.get('driver', 'local')})"
