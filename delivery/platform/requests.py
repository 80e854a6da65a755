"""What a request's handlers and dependencies may ask for by name: its PostgreSQL connection
(`conn`) and the settings (`settings`). `create_app` registers both for the whole app.

Every dependency of one request that asks for `conn` gets the same connection (Litestar
resolves a dependency once per request), so the actor check and the handler share it.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from litestar import Request
from litestar.datastructures import State
from litestar.types import ASGIApp, Receive, Scope, Send

from delivery.platform import db
from delivery.platform.clientaddr import client_address, trusted_networks
from delivery.platform.settings import Settings

# The headers of an answer meant for its caller alone (a staff member's own data, citizens'
# details): no cache on the way or on the device keeps it.
NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"}

_HELD = "tasheel_connection"  # scope key: (pool, connection) while the request holds one


async def provide_connection(request: Request[Any, Any, Any],
                             state: State) -> AsyncIterator[asyncpg.Connection]:
    """One pooled connection for the request, given back once the handler has returned or
    raised (Litestar throws the handler's exception in at the `yield`), before the response
    is sent."""
    pool: asyncpg.Pool = state.pool
    conn = await db.take(pool)
    request.scope[_HELD] = (pool, conn)  # type: ignore[literal-required]
    try:
        yield conn
    finally:
        request.scope.pop(_HELD, None)  # type: ignore[misc]
        await pool.release(conn)


def provide_settings(state: State) -> Settings:
    """The settings the app was created with."""
    return state.settings


def connection_release_middleware(app: ASGIApp) -> ASGIApp:
    """Give back a connection `provide_connection` could not.

    Litestar runs the cleanup of generator dependencies only once all of a request's
    dependencies are resolved: when a later one fails (an actor dependency refusing the
    request with 401), the generator is never resumed and the connection would wait for the
    garbage collector. Releasing twice is harmless (asyncpg ignores a released connection).
    """

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await app(scope, receive, send)
        finally:
            if (held := scope.pop(_HELD, None)) is not None:  # type: ignore[misc]
                pool, conn = held
                await pool.release(conn)

    return middleware


def request_client(request: Request[Any, Any, Any]) -> str:
    """The address of the request's client, for per-address limits (see `clientaddr`)."""
    settings: Settings = request.app.state.settings
    peer = request.client.host if request.client else None
    return client_address(peer, request.headers.get("x-forwarded-for"),
                          _trusted(settings.forwarded_allow_ips))


# The setting is parsed once, not on every request that is counted.
_trusted = functools.lru_cache(maxsize=4)(trusted_networks)
