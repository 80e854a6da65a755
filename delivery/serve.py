"""`tasheel serve`: migrations, demo data, then the API and a worker in one process."""

from __future__ import annotations

import asyncio
import contextlib
import gc

import click
import uvicorn

from delivery.demo.seed import seed_if_empty
from delivery.demo.walk import DemoDay, render_walk
from delivery.platform import db
from delivery.platform.migrate import migrate
from delivery.platform.settings import Settings
from delivery.web.app import create_app
from delivery.worker import build_worker


async def prepare_database(settings: Settings) -> DemoDay | None:
    """Migrate, and seed demo data when the database is empty; return the new demo day if any."""
    conn = await db.connect(settings.database_url or "")
    try:
        await migrate(conn)
        return await seed_if_empty(conn, settings) if settings.demo_seed else None
    finally:
        await conn.close()


async def serve(settings: Settings, *, host: str, port: int, with_worker: bool) -> None:
    """Run until SIGINT/SIGTERM, then stop the worker and the server cleanly."""
    demo = await prepare_database(settings)
    server = uvicorn.Server(uvicorn.Config(
        create_app(settings), host=host, port=port, log_config=None, access_log=False,
        lifespan="on", timeout_graceful_shutdown=5,
        # The app finds the client behind trusted proxies itself (FORWARDED_ALLOW_IPS, see
        # platform.clientaddr), one rule for every limit and test; uvicorn's own rewriting of the
        # peer (on by default for 127.0.0.1) would make a proxy's forwarded hop look like the
        # peer, and a client's forged one with it.
        proxy_headers=False,
    ))
    worker = build_worker(settings, handle_signals=False) if with_worker else None
    worker_task = asyncio.create_task(worker.async_run()) if worker else None
    started = asyncio.create_task(_once_started(server, settings, host, port, demo))
    try:
        await server.serve()
    finally:
        started.cancel()
        if worker is not None and worker_task is not None:
            worker_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker_task
            await worker.close()


async def _once_started(server: uvicorn.Server, settings: Settings, host: str, port: int,
                        demo: DemoDay | None) -> None:
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event for it
        await asyncio.sleep(0.05)
    # What startup built (app, routes, area index, reference data) leaves the garbage
    # collector's full passes: they walked it all again every few thousand objects a batch
    # allocates, a tenth of a 10,000-document batch's time.
    gc.freeze()
    _announce(settings, host, port, demo)


def _announce(settings: Settings, host: str, port: int, demo: DemoDay | None) -> None:
    base = f"http://{host}:{port}"
    lines = [
        f"Tasheel is running at {base}",
        f"  API schema (interactive): {base}/schema",
        f"  readiness:                {base}/ready",
        f"  database: {_where(settings.database_url)}   redis: {_where(settings.redis_url)}",
    ]
    if demo is not None:
        lines += [
            render_walk(demo, base),
            "  try:",
            f"    curl -H 'Authorization: Bearer {demo.agency_key}' {base}/v1/documents",
        ]
    click.echo("\n".join(lines), err=False)


def _where(url: str | None) -> str:
    if url and ("/.data/" in url or "unix://" in url or "host=/" in url):
        return "embedded"
    return "configured"
