"""Unit tests of the pure parts of the operation commands: copy paths, archive checks,
log merging order and formatting, member selection. No engine needed."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from runtime.errors import CopyError, MemberNotFound, UnsafeArchive
from runtime.observe.observed import ObservedCapsule, ObservedContainer
from runtime.ops.copy import MemberPath, _extract_filter, check_archive, parse_copy_arg
from runtime.ops.exec import format_table
from runtime.ops.logs import MemberLogLine, format_log_line, timestamp_key
from runtime.ops.members import ordered_members, pick_member
from support.capsule_cli import capsule_command


def _info(name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    return info


# -- cp argument parsing ------------------------------------------------------------------


def test_parse_copy_arg_member_path() -> None:
    assert parse_copy_arg("web:app:/etc/hosts") == MemberPath("web", "app", "/etc/hosts")
    # An empty member means the first member; a relative path is from the container root.
    assert parse_copy_arg("web::tmp/x") == MemberPath("web", None, "/tmp/x")


@pytest.mark.parametrize("text", ["./web:app:/x", "/tmp/a:b:c", "local.txt", "-", "Web:app:/x"])
def test_parse_copy_arg_local(text: str) -> None:
    assert parse_copy_arg(text) is None


def test_parse_copy_arg_without_path_is_an_error() -> None:
    with pytest.raises(CopyError, match="names no path"):
        parse_copy_arg("web:app:")


# -- archive safety -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "members, needle",
    [
        ([_info("/etc/passwd")], "absolute path"),
        ([_info("dir/../../escape")], "'..'"),
        ([_info("ok"), _info("link", tarfile.LNKTYPE, "../../etc/shadow")], "'..'"),
        ([_info("link", tarfile.LNKTYPE, "/etc/shadow")], "absolute path"),
        ([_info("a", tarfile.SYMTYPE, "/etc"), _info("a/passwd")], "through a symbolic link"),
        ([_info("dev", tarfile.CHRTYPE)], "device or pipe"),
        ([_info("fifo", tarfile.FIFOTYPE)], "device or pipe"),
    ],
)
def test_check_archive_refuses_escapes(members: list[tarfile.TarInfo], needle: str) -> None:
    with pytest.raises(UnsafeArchive, match=needle):
        check_archive(members, origin="web:app:/data")


def test_check_archive_accepts_ordinary_tree() -> None:
    members = [
        _info("data", tarfile.DIRTYPE),
        _info("data/a.txt"),
        _info("data/link", tarfile.SYMTYPE, "/usr/bin/env"),  # a link is harmless as a link
        _info("data/hard", tarfile.LNKTYPE, "data/a.txt"),
    ]
    check_archive(members, origin="web:app:/data")


def test_extract_filter_refuses_writing_through_existing_link(tmp_path: Path) -> None:
    # Second guard: a link already on disk in the destination that leads outside it.
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "sneaky").symlink_to(outside)
    with pytest.raises(tarfile.OutsideDestinationError):
        _extract_filter(_info("sneaky/file"), str(dest))


def test_extract_filter_drops_ownership_and_setuid(tmp_path: Path) -> None:
    info = _info("x")
    info.uid, info.gid, info.uname, info.gname, info.mode = 1234, 1234, "u", "g", 0o4755
    out = _extract_filter(info, str(tmp_path))
    assert (out.uid, out.gid, out.uname, out.gname) == (None, None, None, None)
    assert out.mode == 0o755


def test_real_archive_round_trip_check(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_text("x")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        archive.add(tmp_path / "d", arcname="d")
    with tarfile.open(fileobj=io.BytesIO(buffer.getvalue())) as archive:
        check_archive(archive.getmembers(), origin="x")


# -- logs -------------------------------------------------------------------------------------


def test_timestamp_key_orders_trimmed_fractions_by_time() -> None:
    stamps = [
        "2024-05-01T12:00:00.12345Z",
        "2024-05-01T12:00:00.1234Z",  # earlier, though it sorts later as text
        "2024-05-01T12:00:00Z",
        "2024-05-01T12:00:00.123456789Z",
        "2024-05-01T14:00:00.5+02:00",  # the same instant as 12:00:00.5Z
    ]
    ordered = sorted(stamps, key=timestamp_key)
    assert ordered == [
        "2024-05-01T12:00:00Z",
        "2024-05-01T12:00:00.1234Z",
        "2024-05-01T12:00:00.12345Z",
        "2024-05-01T12:00:00.123456789Z",
        "2024-05-01T14:00:00.5+02:00",
    ]
    assert timestamp_key(None) > timestamp_key(stamps[0])
    assert timestamp_key("garbage") > timestamp_key(stamps[0])


def test_format_log_line_prefix_and_timestamp() -> None:
    line = MemberLogLine("web", "stdout", "hello", "2024-05-01T12:00:00.1Z")
    assert format_log_line(line, width=8) == "web      | 2024-05-01T12:00:00.1Z hello"
    plain = MemberLogLine("sidecar", "stderr", "boom")
    assert format_log_line(plain, width=7) == "sidecar | boom"
    assert format_log_line(plain, width=7, prefix=False) == "boom"


# -- members ----------------------------------------------------------------------------------


def _capsule() -> ObservedCapsule:
    def container(member: str, role: str = "member") -> ObservedContainer:
        return ObservedContainer(id=member, name=f"c.{member}", role=role, member=member, image="i", state="running")

    spec = {"spec": {"containers": [{"name": "web"}, {"name": "api"}]}}
    containers = [container("zz-added"), container("api"), container("web"), container("setup", "init")]
    return ObservedCapsule("local", "c", "u", 1, spec, containers)


def test_members_follow_spec_order_then_added() -> None:
    assert [c.member for c in ordered_members(_capsule())] == ["web", "api", "zz-added"]
    assert pick_member(_capsule(), None).member == "web"
    assert pick_member(_capsule(), "setup").role == "init"


def test_unknown_member_lists_members() -> None:
    with pytest.raises(MemberNotFound, match="its members are: web, api, zz-added, setup"):
        pick_member(_capsule(), "nope")


def test_format_table_aligns_columns() -> None:
    text = format_table(["MEMBER", "PID", "CMD"], [["web", "1", "sleep 1"], ["sidecar", "12345", "sh"]])
    assert text.splitlines() == [
        "MEMBER    PID     CMD",
        "web       1       sleep 1",
        "sidecar   12345   sh",
    ]


# -- copy out through a stand-in engine: a hostile archive writes nothing ------------------------


class _ArchiveEngine:
    """Answers get_archive with a fixed tar, as a compromised container's engine could."""

    def __init__(self, members: list[tuple[tarfile.TarInfo, bytes]], stat: dict) -> None:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w") as archive:
            for info, data in members:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
        self.data, self.stat = buffer.getvalue(), stat

    async def get_archive(self, container: str, path: str) -> tuple[bytes, dict]:
        return self.data, self.stat


async def test_copy_from_member_refuses_hostile_archive_and_writes_nothing(tmp_path: Path) -> None:
    from runtime.ops.copy import copy_from_member

    engine = _ArchiveEngine(
        [(_info("data", tarfile.DIRTYPE), b""), (_info("data/ok.txt"), b"fine"), (_info("data/../../evil"), b"x")],
        {"name": "data", "mode": 1 << 31},
    )
    dest = tmp_path / "dest"
    dest.mkdir()
    with pytest.raises(UnsafeArchive, match="'..'"):
        await copy_from_member(engine, _capsule(), MemberPath("c", "web", "/data"), str(dest))
    assert list(dest.iterdir()) == [] and not (tmp_path / "evil").exists()


async def test_copy_from_member_renames_root_to_destination(tmp_path: Path) -> None:
    from runtime.ops.copy import copy_from_member

    engine = _ArchiveEngine(
        [(_info("data", tarfile.DIRTYPE), b""), (_info("data/a.txt"), b"alpha")], {"name": "data", "mode": 1 << 31}
    )
    await copy_from_member(engine, _capsule(), MemberPath("c", None, "/data"), str(tmp_path / "copy"))
    assert (tmp_path / "copy" / "a.txt").read_bytes() == b"alpha"
    # Into an existing folder the source keeps its name.
    await copy_from_member(engine, _capsule(), MemberPath("c", None, "/data"), str(tmp_path / "copy"))
    assert (tmp_path / "copy" / "data" / "a.txt").read_bytes() == b"alpha"


# -- following logs through a stand-in engine -----------------------------------------------------


class _LogEngine:
    """Each container id yields (delay, text) lines; "boom" raises instead."""

    def __init__(self, scripts: dict[str, list[tuple[float, str]]]) -> None:
        self.scripts = scripts

    async def logs(self, container: str, *, follow: bool, tail, timestamps: bool):  # type: ignore[no-untyped-def]
        import asyncio

        from runtime.engine.models import LogLine

        for delay, line in self.scripts[container]:
            await asyncio.sleep(delay)
            if line == "boom":
                raise RuntimeError("stream broke")
            yield LogLine("stdout", line)


async def test_follow_merges_lines_as_they_come_and_ends_with_the_members() -> None:
    from runtime.ops.logs import capsule_logs

    engine = _LogEngine({"web": [(0.0, "w1"), (0.2, "w2")], "api": [(0.1, "a1"), (0.2, "a2")],
                         "zz-added": []})
    got = [(line.member, line.text) async for line in capsule_logs(engine, _capsule(), follow=True)]
    assert got == [("web", "w1"), ("api", "a1"), ("web", "w2"), ("api", "a2")]


async def test_follow_passes_a_member_failure_on_and_stops_the_others() -> None:
    from runtime.ops.logs import capsule_logs

    engine = _LogEngine({"web": [(0.0, "w1"), (0.05, "boom")], "api": [(10.0, "never")], "zz-added": []})
    with pytest.raises(RuntimeError, match="stream broke"):
        async for _ in capsule_logs(engine, _capsule(), follow=True):
            pass


# -- a host that cannot be reached is named (no engine needed) ------------------------------------


def test_unreachable_host_is_named_in_the_error(tmp_path: Path) -> None:
    import os
    import subprocess

    command = capsule_command()
    env = {**os.environ, "CAPSULE_HOME": str(tmp_path), "DOCKER_HOST": f"unix://{tmp_path}/no-engine.sock"}
    for args in (["logs", "web"], ["exec", "web", "--", "true"], ["stop", "web"], ["cp", "web:app:/x", "."]):
        result = subprocess.run([*command, *args], capture_output=True, text=True, env=env, timeout=60,
                                stdin=subprocess.DEVNULL)
        assert result.returncode == 1, result.stderr
        assert result.stderr.startswith(f"capsule {args[0]}: error: cannot look for capsule 'web': no host answered")
        assert f"host 'local' (unix://{tmp_path}/no-engine.sock)" in result.stderr
        assert "Traceback" not in result.stderr


async def test_copy_from_member_will_not_write_through_a_local_link(tmp_path: Path) -> None:
    from runtime.ops.copy import copy_from_member

    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "note.txt").symlink_to(outside)
    engine = _ArchiveEngine([(_info("note.txt"), b"replaced")], {"name": "note.txt", "mode": 0o644})
    with pytest.raises(UnsafeArchive, match="would write outside"):
        await copy_from_member(engine, _capsule(), MemberPath("c", None, "/note.txt"), str(dest / "note.txt"))
    assert outside.read_text() == "keep"
