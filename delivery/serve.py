"""`tasheel serve`: migrations, demo data, then the API and a worker in one process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging

import click
import uvicorn

from delivery.demo.seed import seed_if_empty
from delivery.demo.walk import DemoDay, render_walk
from delivery.platform import db
from delivery.platform.migrate import migrate
from delivery.platform.settings import Settings
from delivery.web.app import create_app
from delivery.worker import Worker, build_worker

log = logging.getLogger(__name__)


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
    worker = SupervisedWorker(settings) if with_worker else None
    if worker is not None:
        server.config.app.state.worker_status = worker.status  # reported by /ready
        worker.start()
    started = asyncio.create_task(_once_started(server, settings, host, port, demo))
    try:
        await server.serve()
    finally:
        started.cancel()
        if worker is not None:
            await worker.stop()


class SupervisedWorker:
    """The worker inside `tasheel serve`: started again if it ever stops on an error (never a
    silent dead task), and reported by `/ready` while it is not running."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.worker: Worker | None = None
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self.task = asyncio.create_task(self._run())

    def status(self) -> str:
        running = self.task is not None and not self.task.done() and self.worker is not None
        return "ok" if running else "down"

    async def _run(self) -> None:
        pause = 1.0
        while True:
            self.worker = build_worker(self.settings, handle_signals=False)
            try:
                await self.worker.async_run()
            except Exception:
                log.exception("the worker stopped; starting a new one in %.0f s", pause)
            else:
                log.error("the worker stopped; starting a new one in %.0f s", pause)
            worker, self.worker = self.worker, None
            with contextlib.suppress(Exception):
                await worker.close()
            await asyncio.sleep(pause)
            pause = min(pause * 2, 30.0)

    async def stop(self) -> None:
        """Drain the worker (see `Worker.drain`), then end the supervision."""
        if self.task is None:
            return
        worker = self.worker
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task
        if worker is not None:
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
