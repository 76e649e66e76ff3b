"""Docker names of what a capsule makes on a host, readable in `docker ps`.

- sandbox: `<capsule>`; it is the name the engine's 409 arbitrates, so two creates
  of one capsule name race on it and exactly one wins. A capsule name with dots (a DNS
  subdomain, `my.app.v2`, as Kubernetes names pods) has `<capsule>_sandbox`: as
  `<capsule>` it could be another capsule's member (capsule `web`, member `main`, and
  capsule `web.main`); no capsule or member name holds a '_';
- members and init containers: `<capsule>.<container>`; a '.' never occurs in a
  container name (a DNS-1123 label), so these never collide with another capsule's
  sandbox, nor with each other (the last '.' separates the capsule's name);
- capsule-scoped volumes: `<capsule>.<volume>.<first 8 of uuid>`, so a new capsule
  of the same name never reuses an old one's data;
- persistentVolumeClaim volumes: the claim name itself (they outlive capsules);
- short-lived upload helpers: `<capsule>.<volume>.fill-<first 8 of uuid>`.

Pure string functions; the discovery of what exists goes by labels, never by names.
"""

from __future__ import annotations


def sandbox_name(capsule: str) -> str:
    return f"{capsule}_sandbox" if "." in capsule else capsule


def sandbox_hostname(capsule: str) -> str:
    """The sandbox's hostname for a capsule without one of its own: its name, cut to 63
    characters without a trailing '-' or '.', as the kubelet cuts a pod's (Linux takes 64)."""
    return capsule[:63].rstrip("-.")


def container_name(capsule: str, container: str) -> str:
    return f"{capsule}.{container}"


def volume_name(capsule: str, volume: str, uuid: str) -> str:
    return f"{capsule}.{volume}.{uuid[:8]}"


def helper_name(capsule: str, volume: str, uuid: str) -> str:
    return f"{capsule}.{volume}.fill-{uuid[:8]}"
