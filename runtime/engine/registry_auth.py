"""Registry credentials for image pulls, read from the user's Docker config; image references.

Uses the docker package's auth module (config.json, `DOCKER_CONFIG`, credential
stores and helpers) so capsule sees exactly the logins `docker login` made. The
result feeds `EngineClient.pull_image(ref, auth=...)`, which puts it into the
X-Registry-Auth header.

Rules: the docker package is imported only when credentials are actually looked
up (a pull), so commands that never pull never pay for it; credentials are never
logged, formatted into messages, or shown by repr().
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from runtime.engine.errors import EngineError


class RegistryAuthError(EngineError):
    """The Docker config or its credential helper could not give credentials."""


class RegistryCredentials(dict[str, Any]):
    """An auth config dict whose repr never shows the secret inside it."""

    def __repr__(self) -> str:
        return f"<registry credentials for {self.get('serveraddress') or self.get('ServerAddress') or '?'}>"

    __str__ = __repr__


def split_image_ref(ref: str) -> tuple[str, str]:
    """(repository, tag or digest) of an image reference; no tag means "latest".

    A colon after the last slash starts a tag ("host:5000/app" has none).
    """
    if "@" in ref:
        name, digest = ref.split("@", 1)
        return name, digest
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        return ref[:colon], ref[colon + 1 :]
    return ref, "latest"


def registry_of(ref: str) -> str:
    """The registry an image reference pulls from ("docker.io" when none is named)."""
    from docker.auth import resolve_repository_name
    from docker.errors import InvalidRepository

    repository, _ = split_image_ref(ref)
    try:
        registry, _ = resolve_repository_name(repository)
    except InvalidRepository as exc:
        raise RegistryAuthError(f"image reference {ref!r} is not valid: {exc}. Fix the image name.") from exc
    return str(registry)


def auth_for_image(ref: str, *, config_path: str | None = None) -> RegistryCredentials | None:
    """Credentials the user's Docker config holds for the registry of `ref`, or None."""
    from docker import auth
    from docker.errors import DockerException

    registry = registry_of(ref)
    try:
        config = auth.load_config(config_path)
        found = auth.resolve_authconfig(config, registry)
    except DockerException as exc:
        # The helper's message names the helper and the failure, never the secret.
        raise RegistryAuthError(
            f"cannot read the Docker login for registry {registry!r}: {exc}. "
            f"Fix the credential helper in the Docker config or run `docker login {registry}` again."
        ) from exc
    if not found:
        return None
    credentials = RegistryCredentials(found)
    credentials.setdefault("serveraddress", credentials.get("ServerAddress") or registry)
    return credentials


def encode_auth_header(auth: Mapping[str, Any]) -> str:
    """The X-Registry-Auth header value for an auth config."""
    from docker.auth import encode_header

    return encode_header(dict(auth)).decode("ascii")


def registry_auth_header(ref: str, *, config_path: str | None = None) -> str | None:
    """The X-Registry-Auth header for pulling `ref`, or None when there is no login for it."""
    credentials = auth_for_image(ref, config_path=config_path)
    return encode_auth_header(credentials) if credentials else None
