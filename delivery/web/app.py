"""The Litestar application: `create_app(settings)` assembles routes, state and error handling."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterator
from typing import Any, Literal

import msgspec
from litestar import Litestar, MediaType, Response, get
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import Provide
from litestar.handlers.base import BaseRouteHandler
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from delivery.platform import db, logs
from delivery.platform.edge import StrictRequest, check_parameters
from delivery.platform.errors import Unauthenticated
from delivery.platform.requests import (
    connection_release_middleware,
    provide_connection,
    provide_settings,
)
from delivery.platform.runtime import redis_client
from delivery.platform.settings import Settings
from delivery.web import schema_viewer
from delivery.web.openapi import API_DESCRIPTION, TasheelOpenAPIConfig
from delivery.web.problems import EXCEPTION_HANDLERS

READY_TIMEOUT_S = 1.0
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id_middleware(app: ASGIApp) -> ASGIApp:
    """Give every request an id (the caller's `X-Request-Id` if sane) and echo it back."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.match(given) else secrets.token_hex(8)
        token = logs.request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        finally:
            logs.request_id.reset(token)

    return middleware


@get("/health", include_in_schema=True, tags=["operations"], sync_to_thread=False,
     summary="The process is up")
def health() -> dict[str, str]:
    """The process is up (it says nothing about its dependencies)."""
    return {"status": "ok"}


class ReadyOut(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Whether the service can work: each of its dependencies, and the verdict."""

    status: Literal["ready", "unavailable"]
    postgres: Literal["ok", "down"]
    redis: Literal["ok", "down"]
    # Only where the process runs a worker of its own (`tasheel serve`).
    worker: Literal["ok", "down"] | None = None


@get("/ready", tags=["operations"], summary="The service and its dependencies answer")
async def ready(state: State) -> Response[ReadyOut]:
    """PostgreSQL and Redis both answer, and the process's own worker (under `tasheel serve`)
    runs: 200; otherwise 503 naming what is down."""
    checks = await asyncio.gather(_check_postgres(state), _check_redis(state))
    worker = state.worker_status() if "worker_status" in state else None
    ok = all(c == "ok" for c in checks) and worker in (None, "ok")
    return Response(ReadyOut(status="ready" if ok else "unavailable", postgres=checks[0],
                             redis=checks[1], worker=worker),
                    status_code=200 if ok else 503, media_type=MediaType.JSON)


async def _check_postgres(state: State) -> str:
    try:
        async with asyncio.timeout(READY_TIMEOUT_S), state.pool.acquire() as conn:
            await conn.fetchval("SELECT 1")
        return "ok"
    except Exception:
        return "down"


async def _check_redis(state: State) -> str:
    try:
        async with asyncio.timeout(READY_TIMEOUT_S):
            await state.redis.ping()
        return "ok"
    except Exception:
        return "down"


async def metrics_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """With METRICS_TOKEN set, /metrics answers only `Authorization: Bearer <that token>`."""
    expected = connection.app.state.settings.metrics_token
    if expected is None:
        return  # documented: production sets the token or keeps /metrics off the public network
    scheme, _, given = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secrets.compare_digest(given.strip().encode(),
                                                                expected.encode()):
        raise Unauthenticated("the metrics token is required (Authorization: Bearer …)")


class MetricsController(PrometheusController):
    guards = [metrics_guard]


def _lifespan(settings: Settings):
    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if not settings.database_url or not settings.redis_url:
            raise RuntimeError("create_app needs DATABASE_URL and REDIS_URL (the CLI fills them)")
        # No route changes session state on a pooled connection (no SET, LISTEN, session-level
        # advisory lock or held cursor: the relay and migrations keep connections of their own),
        # so resetting each one on release would cost every request a round trip for nothing.
        app.state.pool = await db.create_pool(settings.database_url, reset_sessions=False)
        # Redis is not waited for: intake and scans need only PostgreSQL, the truth.
        app.state.redis = redis_client(settings.redis_url)
        try:
            for start in app.state.on_start:
                await start(app.state)
            yield
        finally:
            await app.state.redis.aclose()
            await app.state.pool.close()

    return lifespan


def create_app(settings: Settings) -> Litestar:
    """The whole HTTP service, configured by `settings` and nothing else."""
    from delivery.web import handlers as routes

    state = State({"settings": settings, "on_start": list(routes.STARTUP)})
    prometheus = PrometheusConfig(app_name="tasheel", prefix="tasheel", group_path=True,
                                  exclude=["/metrics"])
    return Litestar(
        route_handlers=[health, ready, MetricsController, *routes.HANDLERS,
                        schema_viewer.vendor_files()],
        state=state,
        # A handler asks for `conn` (one connection for the whole request, shared with its
        # actor dependency) or `settings` instead of reaching into `state`; the last middleware
        # gives back a connection whose request an actor dependency refused.
        dependencies={"conn": Provide(provide_connection),
                      "settings": Provide(provide_settings, sync_to_thread=False)},
        lifespan=[_lifespan(settings)],
        middleware=[request_id_middleware, prometheus.middleware, connection_release_middleware],
        exception_handlers=EXCEPTION_HANDLERS,
        # Hostile input is refused here, for every route, before any handler reads it (a layer
        # with a `before_request` of its own would replace `check_parameters`: none has one).
        request_class=StrictRequest,
        before_request=check_parameters,
        request_max_body_size=settings.max_body_bytes,
        openapi_config=TasheelOpenAPIConfig(
            title="Tasheel", version="1", path="/schema", description=API_DESCRIPTION,
            use_handler_docstrings=True,
            render_plugins=[schema_viewer.SwaggerUI(path=["/", "/swagger"])],
            components=Components(
                security_schemes={
                    "agencyKey": SecurityScheme(type="http", scheme="bearer",
                                                description="An agency API key"),
                    "staffToken": SecurityScheme(type="http", scheme="bearer",
                                                 bearer_format="JWT",
                                                 description="A staff access token"),
                }),
        ),
        logging_config=None,  # JSON logs are configured once per process (delivery.platform.logs)
        debug=False,
    )
