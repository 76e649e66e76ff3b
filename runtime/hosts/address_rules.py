"""What the host part of a URL is, by its written form alone: loopback, or link-local / cloud metadata.

Shared by the engine URL policy (runtime/hosts/url_policy.py: plain tcp only to a
loopback address) and the webhook (runtime/state/webhook.py: never to a link-local or
cloud metadata address, where one request can read the machine's cloud credentials).

The two questions lean opposite ways on purpose. `is_loopback` grants something
(plain tcp without TLS), so it is narrow: the name `localhost` (any case, since names
are case-insensitive) and the standard literal forms only. `localhost.` and
`localhost.evil.example` are names a resolver may send to DNS, and `127.1` is a
form some parsers read differently, so none of them counts. `is_link_local_or_metadata`
refuses something, so it is broad: every form the C library's `inet_aton` reads as an
address (`2852039166`, `0xa9fea9fe`, `0251.0376.0251.0376`, `169.254.43518` are all
169.254.169.254), IPv6 with a zone, IPv4-mapped and NAT64 IPv6, and the well-known
metadata host names with or without a trailing dot.

Pure: this module must not resolve names or do any other I/O. A name that resolves to
127.0.0.1 or 169.254.169.254 today may not tomorrow, and a decision made when the
settings are read must not depend on the network.
"""

from __future__ import annotations

import ipaddress
import re
from ipaddress import IPv4Address, IPv6Address

_LOOPBACK_NAMES = frozenset({"localhost"})

# Names cloud providers give their metadata service inside a machine.
METADATA_NAMES = frozenset({
    "metadata.google.internal", "metadata.goog", "metadata",  # Google Cloud ("metadata": via the search domain)
    "instance-data", "instance-data.ec2.internal",  # AWS
})
# Metadata services outside the link-local ranges (169.254.169.254 is inside 169.254.0.0/16).
METADATA_ADDRESSES = frozenset({
    ipaddress.ip_address("fd00:ec2::254"),  # AWS, IPv6
    ipaddress.ip_address("fd20:ce::254"),  # Google Cloud, IPv6
    ipaddress.ip_address("100.100.100.200"),  # Alibaba Cloud
})
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# One part of an inet_aton address: hexadecimal, octal (a leading 0) or decimal.
_INET_ATON_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")

Address = IPv4Address | IPv6Address


def is_loopback(hostname: str) -> bool:
    """`localhost` or a literal loopback address (127.0.0.0/8, ::1) in its standard form."""
    host = hostname.strip("[]")
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_link_local_or_metadata(hostname: str) -> bool:
    """A link-local address (169.254.0.0/16, fe80::/10), a cloud metadata address or name, in any literal form."""
    host = hostname.strip().strip("[]").lower()
    if host.endswith("."):
        host = host[:-1]
    if host in METADATA_NAMES:
        return True
    address = literal_address(host)
    return address is not None and (address.is_link_local or address in METADATA_ADDRESSES)


def literal_address(hostname: str) -> Address | None:
    """The address a host written as a literal stands for (None for a name), IPv6 seen through to IPv4
    where it carries one (IPv4-mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`)."""
    host = hostname.strip().strip("[]")
    try:
        address: Address = ipaddress.ip_address(host)
    except ValueError:
        found = _inet_aton(host.split()[0] if host.split() else "")
        if found is None:
            return None
        address = found
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return IPv4Address(int(address) & 0xFFFFFFFF)
    return address


def _inet_aton(text: str) -> IPv4Address | None:
    """inet_aton(3)'s reading: 1 to 4 parts, the last one filling the remaining bytes."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4 or not all(_INET_ATON_PART.fullmatch(part) for part in parts):
        return None
    values = [int(p, 16) if p[:2].lower() == "0x" else int(p, 8) if p.startswith("0") else int(p) for p in parts]
    *head, last = values
    if any(value > 255 for value in head) or last >= 256 ** (4 - len(head)):
        return None
    number = last
    for index, value in enumerate(head):
        number += value << (8 * (3 - index))
    return IPv4Address(number)
