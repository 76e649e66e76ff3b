"""Offline test images: built from files on this machine, imported into an engine.

No registry is reachable, so the images the tests and samples name are made here:
- `capsule-test/busybox:latest` (also tagged busybox:1.36, busybox:latest,
  busybox:1.35): Debian's static /bin/busybox plus one symlink per applet;
- `registry.k8s.io/pause:3.10`: pause.c next to this file, compiled with
  `gcc -static`, alone in the rootfs as /pause.
Root filesystems are cached as tarballs keyed by their inputs, and an image is
imported only when its tag is missing or was built from other inputs, so a
re-run costs a few inspect calls.
Must not: pull, replace an image pulled from a registry under one of these
names (a developer's real busybox:latest stays and serves as well), or import
pytest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import struct
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ImageBuildError

BUSYBOX_IMAGE = "capsule-test/busybox:latest"
BUSYBOX_ALIASES = ("busybox:1.36", "busybox:latest", "busybox:1.35")
PAUSE_IMAGE = "registry.k8s.io/pause:3.10"
TEST_IMAGES = (BUSYBOX_IMAGE, *BUSYBOX_ALIASES, PAUSE_IMAGE)

# Records which inputs an imported image was built from; a different value means
# the image is stale (or not ours at all when the label is absent).
SOURCE_LABEL = "capsule.test-image-source"

# Bump when the way a rootfs is laid out changes, to invalidate caches.
_LAYOUT_VERSION = "2"
_EPOCH = 1_700_000_000  # fixed mtimes make the tarballs reproducible
_DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_PAUSE_SOURCE = Path(__file__).with_name("pause.c")
_REPO_ROOT = Path(__file__).resolve().parents[2]


def default_cache_dir() -> Path:
    """Where built tarballs live: $CAPSULE_TEST_CACHE or .capsule-test/ in the repo."""
    return Path(os.environ.get("CAPSULE_TEST_CACHE") or _REPO_ROOT / ".capsule-test")


@dataclass(frozen=True)
class ImageSpec:
    """One image to import: its own name, extra tags, rootfs tarball and config."""

    name: str
    aliases: tuple[str, ...]
    tarball: Path
    source_key: str
    changes: tuple[str, ...] = field(default=())

    def import_changes(self) -> list[str]:
        return [*self.changes, f"LABEL {SOURCE_LABEL}={self.source_key}"]


# ---------------------------------------------------------------- rootfs tarballs

def _is_static_elf(path: Path) -> bool:
    """True when the ELF file has no program interpreter (no dynamic loader)."""
    with path.open("rb") as f:
        header = f.read(64)
        if header[:4] != b"\x7fELF" or header[4] != 2 or header[5] != 1:
            return True  # not 64-bit little-endian: do not second-guess it
        phoff, = struct.unpack_from("<Q", header, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", header, 0x36)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    pt_interp = 3
    return all(struct.unpack_from("<I", table, i * phentsize)[0] != pt_interp
               for i in range(phnum))


def _find_busybox() -> Path:
    candidate = Path(os.environ.get("CAPSULE_TEST_BUSYBOX", "/bin/busybox"))
    if not candidate.is_file():
        raise ImageBuildError(
            f"{candidate} not found: the offline busybox test image needs Debian's "
            "busybox-static package (apt-get install busybox-static; scripts/test does "
            "this when run as root)."
        )
    if not _is_static_elf(candidate):
        raise ImageBuildError(
            f"{candidate} is dynamically linked and cannot run alone in an image: "
            "install busybox-static instead of busybox (apt-get install busybox-static)."
        )
    return candidate


def _applet_paths(busybox: Path) -> list[str]:
    result = subprocess.run([str(busybox), "--list-full"], capture_output=True, text=True,
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        raise ImageBuildError(f"`{busybox} --list-full` failed: {result.stderr.strip()}")
    return [line.strip().lstrip("/") for line in result.stdout.splitlines() if line.strip()]


def _add_dir(tar: tarfile.TarFile, name: str, mode: int = 0o755) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = tarfile.DIRTYPE, mode, _EPOCH
    tar.addfile(info)


def _add_file(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, _EPOCH
    tar.addfile(info, io.BytesIO(data))


def _add_symlink(tar: tarfile.TarFile, name: str, target: str) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mode, info.mtime = tarfile.SYMTYPE, target, 0o777, _EPOCH
    tar.addfile(info)


def _busybox_rootfs(busybox: Path, out: Path) -> None:
    binary = busybox.read_bytes()
    applets = _applet_paths(busybox)
    links: dict[str, str] = {}
    for path in applets:
        name = path.rsplit("/", 1)[-1]
        # `busybox --list` names busybox itself: linking it would replace the
        # binary with a link to itself.
        if name == "busybox" or not name:
            continue
        # Every applet in /bin (like the official image, so any PATH finds it),
        # and also where busybox says it belongs (/sbin/ip, /usr/bin/env, ...).
        links.setdefault(f"bin/{name}", "busybox")
        if not path.startswith("bin/"):
            links.setdefault(path, "/bin/busybox")
    if "bin/sh" not in links or "bin/httpd" not in links:
        raise ImageBuildError(f"{busybox} lacks the sh or httpd applet; install busybox-static.")

    with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
        for d in ("bin", "sbin", "usr", "usr/bin", "usr/sbin", "usr/local", "usr/local/bin",
                  "etc", "home", "var", "var/www", "dev", "proc", "sys", "run"):
            _add_dir(tar, d)
        _add_dir(tar, "root", 0o700)
        _add_dir(tar, "tmp", 0o1777)
        _add_dir(tar, "var/tmp", 0o1777)
        _add_file(tar, "bin/busybox", binary, 0o755)
        _add_file(tar, "etc/passwd", (
            b"root:x:0:0:root:/root:/bin/sh\n"
            b"daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
            b"www-data:x:33:33:www-data:/var/www:/bin/false\n"
            b"nobody:x:65534:65534:nobody:/home:/bin/false\n"))
        _add_file(tar, "etc/group", b"root:x:0:\ndaemon:x:1:\nwww-data:x:33:\nnobody:x:65534:\n")
        for name, target in sorted(links.items()):
            _add_symlink(tar, name, target)


def _pause_rootfs(out: Path) -> None:
    gcc = shutil.which("gcc")
    if gcc is None:
        raise ImageBuildError(
            "gcc not found: the sandbox test image registry.k8s.io/pause:3.10 is compiled "
            "from tests/support/pause.c. Install gcc and libc6-dev (scripts/test does this "
            "when run as root)."
        )
    with tempfile.TemporaryDirectory(prefix="capsule-t-pause-") as tmp:
        binary = Path(tmp) / "pause"
        result = subprocess.run(
            [gcc, "-static", "-O2", "-s", "-Wall", "-o", str(binary), str(_PAUSE_SOURCE)],
            capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:
            raise ImageBuildError(
                f"gcc -static failed to build pause: {result.stderr.strip()[-800:]}. "
                "A static build needs libc6-dev (apt-get install libc6-dev).")
        with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as tar:
            _add_file(tar, "pause", binary.read_bytes(), 0o755)


def _cached(cache_dir: Path, stem: str, key: str, build) -> Path:
    """Return the tarball for `key`, building it once (atomically) when absent."""
    target = cache_dir / f"{stem}-{key}.tar"
    if target.is_file():
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    for old in cache_dir.glob(f"{stem}-*.tar"):
        if old != target:  # another session may have just written the same one
            old.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{stem}-", suffix=".tar", dir=cache_dir)
    os.close(fd)
    try:
        build(Path(tmp))
        os.replace(tmp, target)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target


def _key(*parts: bytes) -> str:
    digest = hashlib.sha256(_LAYOUT_VERSION.encode())
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()[:16]


def build_test_images(cache_dir: Path | None = None) -> list[ImageSpec]:
    """Build (or find in the cache) the rootfs tarballs of all test images."""
    cache_dir = cache_dir or default_cache_dir()
    busybox = _find_busybox()
    busybox_key = _key(busybox.read_bytes())
    busybox_tar = _cached(cache_dir, "busybox", busybox_key,
                          lambda out: _busybox_rootfs(busybox, out))

    gcc = shutil.which("gcc") or ""
    gcc_id = subprocess.run([gcc, "--version"], capture_output=True,
                            stdin=subprocess.DEVNULL).stdout if gcc else b"no gcc"
    pause_key = _key(_PAUSE_SOURCE.read_bytes(), gcc_id)
    pause_tar = _cached(cache_dir, "pause", pause_key, _pause_rootfs)

    return [
        ImageSpec(BUSYBOX_IMAGE, BUSYBOX_ALIASES, busybox_tar, busybox_key,
                  (f"ENV PATH={_DEFAULT_PATH}", 'CMD ["sh"]')),
        # Same entrypoint and user as the real registry.k8s.io/pause image.
        ImageSpec(PAUSE_IMAGE, (), pause_tar, pause_key,
                  ('ENTRYPOINT ["/pause"]', "USER 65535:65535")),
    ]


# ---------------------------------------------------------------- importing

def _split(name: str) -> tuple[str, str]:
    repo, _, tag = name.rpartition(":")
    if "/" in tag or not repo:  # "host:port/repo" without a tag
        return name, "latest"
    return repo, tag


def _inspect(api: Any, name: str) -> dict | None:
    import docker.errors

    try:
        return api.inspect_image(name)
    except docker.errors.ImageNotFound:
        return None


def _label(image: dict | None) -> str | None:
    if image is None:
        return None
    return ((image.get("Config") or {}).get("Labels") or {}).get(SOURCE_LABEL)


def _pulled(image: dict | None) -> bool:
    """True for an image that came from a registry (it has a repo digest).

    Such an image under a test name is a developer's real one and is kept;
    anything else under our names (an ad-hoc import) is replaced by ours.
    """
    return image is not None and bool(image.get("RepoDigests"))


def _import(api: Any, spec: ImageSpec) -> str:
    with spec.tarball.open("rb") as f:
        return _import_data(api, f.read(), spec.name, spec.import_changes())


def _import_data(api: Any, data: bytes, name: str, changes: list[str]) -> str:
    repo, tag = _split(name)
    output = api.import_image_from_data(data, repository=repo, tag=tag, changes=changes)
    # The engine reports import errors inside a 200 response's JSON stream.
    for line in str(output).splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and message.get("error"):
            raise ImageBuildError(f"importing {name} failed: {message['error']}")
    image = _inspect(api, name)
    if image is None:
        raise ImageBuildError(f"importing {name} reported success but the tag is missing")
    return image["Id"]


def import_rootfs(client: Any, data: bytes, name: str, labels: Mapping[str, str]) -> str:
    """Import a rootfs tarball (bytes) as image `name`, carrying `labels`; return the image's id.

    For an image a test makes for itself: give it the session's labels (the
    `session_labels` fixture) so that the session's sweep (`engines.remove_test_objects`)
    removes it even when the test's own cleanup did not run, and remove it by its id.
    """
    api = getattr(client, "api", client)
    changes = [f"LABEL {json.dumps(key)}={json.dumps(value)}" for key, value in labels.items()]
    return _import_data(api, data, name, changes)


def ensure_test_images(client: Any, cache_dir: Path | None = None,
                       specs: list[ImageSpec] | None = None) -> list[str]:
    """Make every test image present on the engine behind `client`.

    `client` is a docker.DockerClient (or its low-level APIClient). Returns the
    names that had to be imported or tagged (empty when all were in place).
    """
    api = getattr(client, "api", client)
    changed: list[str] = []
    for spec in specs or build_test_images(cache_dir):
        image = _inspect(api, spec.name)
        if _pulled(image) and not spec.name.startswith("capsule-test/"):
            image_id = image["Id"]  # e.g. a real pause:3.10 pulled earlier: keep it
        elif _label(image) != spec.source_key:
            image_id = _import(api, spec)
            changed.append(spec.name)
        else:
            image_id = image["Id"]
        for alias in spec.aliases:
            current = _inspect(api, alias)
            if current is not None and current["Id"] == image_id:
                continue
            if _pulled(current):
                continue  # the real image from a registry: it serves as well
            repo, tag = _split(alias)
            api.tag(image_id, repo, tag, force=True)
            changed.append(alias)
    return changed
