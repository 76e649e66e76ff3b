"""Docker names of what a capsule makes on a host, readable in `docker ps`.

- sandbox: `<capsule>`; it is the name the engine's 409 arbitrates, so two creates
  of one capsule name race on it and exactly one wins;
- members and init containers: `<capsule>.<container>`; a '.' never occurs in a
  DNS-1123 label, so these never collide with another capsule's sandbox;
- capsule-scoped volumes: `<capsule>.<volume>.<first 8 of uuid>`, so a new capsule
  of the same name never reuses an old one's data;
- persistentVolumeClaim volumes: the claim name itself (they outlive capsules);
- short-lived upload helpers: `<capsule>.<volume>.fill-<first 8 of uuid>`.

Pure string functions; the discovery of what exists goes by labels, never by names.
"""

from __future__ import annotations


def sandbox_name(capsule: str) -> str:
    return capsule


def container_name(capsule: str, container: str) -> str:
    return f"{capsule}.{container}"


def volume_name(capsule: str, volume: str, uuid: str) -> str:
    return f"{capsule}.{volume}.{uuid[:8]}"


def helper_name(capsule: str, volume: str, uuid: str) -> str:
    return f"{capsule}.{volume}.fill-{uuid[:8]}"
