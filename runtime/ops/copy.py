"""`capsule cp`: files and folders between this machine and a member, both ways.

The engine's archive API carries the data (so it works the same on remote hosts):
`get_archive` brings a tar of the path out, `put_archive` unpacks a tar into a
folder of the container. Destinations follow `docker cp`: into an existing
folder the source keeps its name; otherwise the destination path is the new name.

An archive from a container is untrusted input. Before anything is written, every
entry is checked: no absolute names, no `..` parts (names and hard-link targets),
no device files, nothing written through a symbolic link the archive itself
makes; extraction then runs through tarfile's `tar` filter as a second guard, and
files are owned by the user who runs capsule (ownership is not copied).

This module must not print, and must not follow links on the local side beyond
what the user named.
"""

from __future__ import annotations

import io
import re
import tarfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

from runtime.engine.errors import ContainerNotFound, NotFound
from runtime.errors import CopyArgumentError, CopyError, UnsafeArchive
from runtime.observe.observed import ObservedCapsule
from runtime.ops.members import pick_member

_REMOTE = re.compile(r"^(?P<capsule>[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?):(?P<member>[a-z0-9-]*):(?P<path>.*)$")
_GO_MODE_DIR = 1 << 31  # Go's os.ModeDir, as the engine reports a path's mode


@dataclass(frozen=True)
class MemberPath:
    """`NAME:MEMBER:PATH`; an empty MEMBER means the first member."""

    capsule: str
    member: str | None
    path: str

    def __str__(self) -> str:
        return f"{self.capsule}:{self.member or ''}:{self.path}"


def parse_copy_arg(text: str) -> MemberPath | None:
    """A member path, or None for a local path (write `./a:b:c` for a local name with colons)."""
    match = _REMOTE.match(text)
    if not match:
        return None
    path = match["path"]
    if not path:
        raise CopyArgumentError(f"{text!r} names no path inside the member; write NAME:MEMBER:/path/in/container")
    # Paths in a container are taken from its root, as docker cp does.
    return MemberPath(match["capsule"], match["member"] or None, path if path.startswith("/") else "/" + path)


# -- out of a member ---------------------------------------------------------------------


async def copy_from_member(
    engine: Any, capsule: ObservedCapsule, source: MemberPath, destination: str, *, stdout: BinaryIO | None = None
) -> int:
    """Copy `source` out to the local `destination` ('-' writes the tar to `stdout`); returns bytes read."""
    container = pick_member(capsule, source.member)
    try:
        data, stat = await engine.get_archive(container.id, source.path)
    except ContainerNotFound:
        raise
    except NotFound as exc:
        raise CopyError(
            f"no file or folder {source.path!r} in member {container.member!r} of capsule {capsule.name!r}"
        ) from exc
    if destination == "-":
        if stdout is None:
            raise CopyError("writing an archive to standard output needs an output stream")
        stdout.write(data)
        return len(data)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
        members = archive.getmembers()
        check_archive(members, origin=str(source))
        root = stat.get("name") or (PurePosixPath(members[0].name).parts[0] if members else "")
        target_dir, new_root = _local_target(destination, source_is_dir=_is_dir(stat))
        renamed = [_renamed(m, root, new_root) for m in members]
        try:
            archive.extractall(target_dir, members=renamed, filter=_extract_filter)
        except tarfile.FilterError as exc:
            # A link already on this machine would take the file elsewhere.
            raise UnsafeArchive(f"copying {source} to {destination!r} would write outside it ({exc})") from exc
        except OSError as exc:
            raise CopyError(f"cannot write {destination!r}: {exc.strerror or exc}") from exc
    return len(data)


def _is_dir(stat: dict[str, Any]) -> bool:
    return bool(int(stat.get("mode") or 0) & _GO_MODE_DIR)


def _local_target(text: str, *, source_is_dir: bool) -> tuple[Path, str | None]:
    """The folder to extract into, and the new name of the archive's root (None: keep it)."""
    destination = Path(text)  # Path drops a trailing '/', which says "a folder" here
    if destination.is_dir():
        return destination, None
    if text.endswith("/"):
        raise CopyError(f"local folder {text!r} does not exist; create it first")
    parent = destination.parent
    if not parent.is_dir():
        raise CopyError(f"local folder {str(parent)!r} does not exist; create it first")
    if source_is_dir and destination.exists():
        raise CopyError(f"cannot copy a folder onto the file {text!r}; name a folder instead")
    return parent, destination.name


def _renamed(member: tarfile.TarInfo, root: str, new_root: str | None) -> tarfile.TarInfo:
    if new_root is None or not root:
        return member
    changes = {"name": _swap_root(member.name, root, new_root)}
    if member.islnk():
        changes["linkname"] = _swap_root(member.linkname, root, new_root)
    return member.replace(**changes, deep=False)


def _swap_root(name: str, root: str, new_root: str) -> str:
    name = name.rstrip("/")
    if name == root:
        return new_root
    if name.startswith(root + "/"):
        return new_root + name[len(root):]
    return name


def check_archive(members: list[tarfile.TarInfo], *, origin: str) -> None:
    """Refuse the whole archive if any entry could land outside the destination."""
    links: set[PurePosixPath] = set()
    for member in members:
        names = [member.name] + ([member.linkname] if member.islnk() else [])
        for name in names:
            path = PurePosixPath(name)
            if name.startswith("/") or path.is_absolute():
                raise UnsafeArchive(f"archive from {origin} holds an absolute path {name!r}; nothing was copied")
            if ".." in path.parts:
                raise UnsafeArchive(f"archive from {origin} holds a path with '..' ({name!r}); nothing was copied")
        if member.ischr() or member.isblk() or member.isfifo():
            raise UnsafeArchive(
                f"archive from {origin} holds the device or pipe {member.name!r}; capsule cp copies files, "
                f"folders and links only; nothing was copied"
            )
        path = PurePosixPath(member.name)
        if any(parent in links for parent in path.parents):
            raise UnsafeArchive(
                f"archive from {origin} writes {member.name!r} through a symbolic link it made; nothing was copied"
            )
        if member.issym():
            links.add(path)


def _extract_filter(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo:
    # tar_filter refuses anything whose real path leaves `dest` (links on disk
    # included) and strips set-uid bits; ownership is the caller's, as with docker cp.
    member = tarfile.tar_filter(member, dest)
    return member.replace(uid=None, gid=None, uname=None, gname=None, deep=False)


# -- into a member ----------------------------------------------------------------------


async def copy_to_member(
    engine: Any, capsule: ObservedCapsule, source: str, destination: MemberPath, *, stdin: BinaryIO | None = None
) -> int:
    """Copy the local `source` ('-' reads a tar from `stdin`) into a member; returns bytes sent."""
    container = pick_member(capsule, destination.member)
    where = f"member {container.member!r} of capsule {capsule.name!r}"
    target = await engine.stat_path(container.id, destination.path)
    if source == "-":
        if target is None or not _is_dir(target):
            raise CopyError(f"{destination.path!r} is not a folder in {where}; an archive unpacks into a folder")
        data = (stdin.read() if stdin is not None else b"")
        await engine.put_archive(container.id, destination.path, data)
        return len(data)
    local = Path(source)
    if not local.exists() and not local.is_symlink():
        raise CopyError(f"local file or folder {source!r} does not exist")
    if target is not None and _is_dir(target):
        folder, name = destination.path, local.name or local.resolve().name
    else:
        if target is not None and local.is_dir() and not local.is_symlink():
            raise CopyError(f"cannot copy the folder {source!r} onto the file {destination.path!r} in {where}")
        remote = PurePosixPath(destination.path)
        folder, name = str(remote.parent), remote.name
        parent = await engine.stat_path(container.id, folder)
        if parent is None or not _is_dir(parent):
            raise CopyError(f"folder {folder!r} does not exist in {where}; create it first")
    try:
        data = _pack(local, name)
    except OSError as exc:
        raise CopyError(f"cannot read {source!r}: {exc.strerror or exc}") from exc
    await engine.put_archive(container.id, folder, data)
    return len(data)


def _pack(local: Path, name: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(local, arcname=name, recursive=True, filter=_owned_by_root)
    return buffer.getvalue()


def _owned_by_root(member: tarfile.TarInfo) -> tarfile.TarInfo:
    # As docker cp does: copied files belong to root inside the container.
    member.uid = member.gid = 0
    member.uname = member.gname = "root"
    return member
