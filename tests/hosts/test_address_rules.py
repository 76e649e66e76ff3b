"""The address rules the engine URL policy and the webhook share: pure, literal, no DNS."""

from __future__ import annotations

import socket
from ipaddress import IPv4Address

import pytest

from runtime.hosts.address_rules import is_link_local_or_metadata, is_loopback, literal_address


@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("LOCALHOST", True), ("127.0.0.1", True), ("127.9.9.9", True), ("::1", True),
    ("[::1]", True),
    ("localhost.", False), ("localhost.evil.example", False), ("evil-localhost", False), ("127.1", False),
    ("2130706433", False), ("::ffff:127.0.0.1", False), ("0.0.0.0", False), ("192.0.2.1", False), ("", False),
])
def test_loopback_is_narrow(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize("host", [
    "169.254.169.254", "169.254.0.1", "169.254.255.255", "fe80::1", "fe80::1%25eth0", "[fe80::1]", "febf::1",
    "fd00:ec2::254", "fd20:ce::254", "100.100.100.200", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
    "2852039166", "0xa9fea9fe", "0xA9FEA9FE", "0251.0376.0251.0376", "169.254.43518", "169.16689662",
    "169.254.169.254.", "metadata.google.internal", "METADATA.GOOGLE.INTERNAL.", "metadata.goog", "metadata",
    "instance-data", "instance-data.ec2.internal",
])
def test_link_local_and_metadata_are_broad(host: str) -> None:
    assert is_link_local_or_metadata(host)


@pytest.mark.parametrize("host", [
    "127.0.0.1", "localhost", "192.0.2.10", "10.0.0.1", "::1", "fec0::1", "fd00:ec2::253", "2001:db8::1",
    "hooks.example.test", "metadata.google.internal.example.test", "my-metadata", "169.254.example.test",
    "169.255.0.1", "256.254.169.254", "0x1a9fea9fe", "08.1.1.1", "",
])
def test_everything_else_is_neither(host: str) -> None:
    assert not is_link_local_or_metadata(host)


@pytest.mark.parametrize("text", ["2852039166", "0xa9fea9fe", "0251.0376.0251.0376", "169.254.43518",
                                  "169.16689662", "127.1", "10.0.0.1", "0", "0x7f.1"])
def test_the_numeric_forms_are_read_as_the_c_library_reads_them(text: str) -> None:
    # An independent reading: the C library's inet_aton, which a connect by name would use.
    assert literal_address(text) == IPv4Address(socket.inet_aton(text))


def test_names_are_never_resolved(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_dns(*args: object, **kwargs: object) -> None:
        raise AssertionError("the address rules looked a name up")

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    monkeypatch.setattr(socket, "gethostbyname", no_dns)
    assert not is_loopback("my-laptop") and not is_link_local_or_metadata("imds.example.test")
    assert literal_address("imds.example.test") is None
