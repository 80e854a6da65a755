"""Which network addresses a webhook may reach: public ones only (no SSRF into our network).

Pure: takes addresses, returns a decision. `ipaddress.is_global` misses the forms that carry an
IPv4 address inside an IPv6 one (6to4, NAT64, IPv4-compatible) and some special ranges
(multicast, site-local), so those are unwrapped or refused here explicitly.
"""

from __future__ import annotations

import ipaddress
import re
import socket

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

NAT64 = ipaddress.IPv6Network("64:ff9b::/96")              # RFC 6052: the IPv4 is the last 32 bits
LOCAL_NAT64 = ipaddress.IPv6Network("64:ff9b:1::/48")      # RFC 8215: a private translator
IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")           # deprecated; no server lives there
TEREDO = ipaddress.IPv6Network("2001::/32")                # a tunnel client, never an endpoint
IETF_PROTOCOL = ipaddress.IPv4Network("192.0.0.0/24")      # is_global lets parts of it through
_NUMERIC_V4 = re.compile(r"^[0-9a-fA-FxX.]+$")


def is_public(address: IPAddress) -> bool:
    """True when `address`, and any IPv4 address carried inside it, is on the public internet."""
    if address.is_multicast or address.is_unspecified or address.is_loopback:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return address.is_global and address not in IETF_PROTOCOL
    if address.is_site_local or address in LOCAL_NAT64 or address in IPV4_COMPATIBLE \
            or address in TEREDO:
        return False
    embedded = embedded_ipv4(address)
    if embedded is not None:
        return is_public(embedded)
    return address.is_global


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped, 6to4 or NAT64 address stands for, if it is one."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def literal_address(host: str) -> IPAddress | None:
    """The address a URL host spells out directly, including the integer, octal and hex IPv4
    spellings (`2130706433`, `0x7f.1`, `017700000001`) that resolvers accept; None for a name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if not _NUMERIC_V4.match(host):
        return None
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None
