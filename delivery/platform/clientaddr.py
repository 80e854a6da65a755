"""The client address of a request, for every per-address limit.

Behind a reverse proxy the direct peer is the proxy. Only when that peer is one of the trusted
proxies (FORWARDED_ALLOW_IPS) is `X-Forwarded-For` believed, read from the right: each trusted
proxy appends the address it saw, so the rightmost hop that is not a trusted proxy is the client.
Hops further left are whatever the client chose to send, and are never believed.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


@lru_cache(maxsize=8)
def trusted_networks(spec: str | Iterable[str]) -> tuple[Network, ...]:
    """The trusted proxies of FORWARDED_ALLOW_IPS (IPs or CIDRs, comma-separated)."""
    parts = spec.split(",") if isinstance(spec, str) else spec
    networks = []
    for part in (p.strip() for p in parts):
        if not part:
            continue
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ValueError(f"FORWARDED_ALLOW_IPS holds IP addresses or CIDRs, comma-separated:"
                             f" {part!r} is not one") from None
    return tuple(networks)


def client_address(peer: str | None, forwarded_for: str | None,
                   trusted: tuple[Network, ...]) -> str:
    """The client's address: the peer, or the rightmost untrusted X-Forwarded-For hop when the
    peer is a trusted proxy."""
    if not peer:
        return UNKNOWN
    if not _is_trusted(peer, trusted) or not forwarded_for:
        return peer
    client = peer
    for hop in reversed([h.strip() for h in forwarded_for.split(",")]):
        if _address(hop) is None:
            break  # garbage in the header: believe nothing further left
        client = hop
        if not _is_trusted(hop, trusted):
            break
    return client


def _is_trusted(address: str, trusted: tuple[Network, ...]) -> bool:
    ip = _address(address)
    return ip is not None and any(ip in network for network in trusted)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
