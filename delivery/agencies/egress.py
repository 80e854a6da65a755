"""Reaching an agency's webhook: resolve its host once, check every address, connect to the one
checked (no DNS-rebinding window between the check and the connection).

The connection keeps the URL's hostname for the Host header, TLS SNI and certificate checks;
only the TCP connect is pointed at the pinned address, by a network backend under httpx's own
transport.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

import httpcore
import httpx
import msgspec

from delivery.agencies.addresses import IPAddress, is_public, literal_address
from delivery.platform.errors import FieldError, InvalidInput

Resolve = Callable[[str, int], Awaitable[list[IPAddress]]]

# host → the address checked for it, for the delivery running in this task
_PINNED: ContextVar[Mapping[str, str] | None] = ContextVar("webhook_pinned", default=None)


class Destination(msgspec.Struct, frozen=True, kw_only=True):
    host: str     # as httpx sends it (IDNA-encoded): the key the connection looks up
    address: str  # the checked address the connection goes to


async def system_resolve(host: str, port: int) -> list[IPAddress]:
    """Every address the system resolver gives for `host`."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [ipaddress.ip_address(str(info[4][0]).partition("%")[0]) for info in infos]


async def check_destination(url: str, allow_hosts: tuple[str, ...],
                            resolve: Resolve = system_resolve) -> Destination:
    """The address to connect to for `url`; refuses URLs that are not http(s), and hosts with any
    address outside the public internet (SSRF) unless the host is allowed by configuration."""
    try:
        parts = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise _bad_url("must be an absolute http(s) URL") from None
    host = parts.raw_host.decode("ascii")
    if parts.scheme not in ("https", "http") or not host or len(url) > 2000:
        raise _bad_url("must be an absolute http(s) URL")
    allowed = host in allow_hosts
    if parts.scheme != "https" and not allowed:
        raise _bad_url("must use https")
    addresses = await _addresses(host, parts.port or (443 if parts.scheme == "https" else 80),
                                 resolve)
    if not allowed and not all(is_public(address) for address in addresses):
        raise _bad_url(f"{host} resolves to a private or reserved address")
    return Destination(host=host, address=str(addresses[0]))


async def _addresses(host: str, port: int, resolve: Resolve) -> list[IPAddress]:
    literal = literal_address(host)
    if literal is not None:
        return [literal]
    try:
        addresses = await resolve(host, port)
    except (OSError, UnicodeError):
        addresses = []
    if not addresses:
        raise _bad_url(f"{host} does not resolve")
    return addresses


def _bad_url(message: str) -> InvalidInput:
    return InvalidInput("webhook URL refused", errors=[FieldError(field="/url", message=message)])


@contextlib.contextmanager
def pinned(destination: Destination) -> Iterator[None]:
    """Within the block, connections to `destination.host` go to its checked address only."""
    token = _PINNED.set({destination.host: destination.address})
    try:
        yield
    finally:
        _PINNED.reset(token)


class _PinnedBackend(httpcore.AsyncNetworkBackend):
    """Connects to the pinned address of a host; a host nobody checked is not connected to."""

    def __init__(self) -> None:
        self._backend = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109 (httpcore's signature)
                          local_address: str | None = None,
                          socket_options: Any = None) -> httpcore.AsyncNetworkStream:
        address = (_PINNED.get() or {}).get(host)
        if address is None:
            raise httpcore.ConnectError(f"{host} was not checked before connecting")
        return await self._backend.connect_tcp(address, port, timeout, local_address,
                                               socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._backend.sleep(seconds)


class _PinnedTransport(httpx.AsyncHTTPTransport):
    def __init__(self) -> None:
        super().__init__()
        # httpx takes no network backend, so its pool is rebuilt with one (same defaults).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_PinnedBackend(),
            max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


def webhook_client() -> httpx.AsyncClient:
    """The client deliveries go through: no redirects, no proxies, pinned connections."""
    return httpx.AsyncClient(transport=_PinnedTransport(), follow_redirects=False)
