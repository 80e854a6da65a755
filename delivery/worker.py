"""The arq worker: background jobs and scheduled work, sharing one pool per process."""

from __future__ import annotations

from typing import Any

from arq import Worker

from delivery import db
from delivery.app import redis_settings
from delivery.settings import Settings


def _functions() -> list[Any]:
    from delivery import jobs

    return list(jobs.FUNCTIONS)


def _cron_jobs() -> list[Any]:
    from delivery import jobs

    return list(jobs.CRON_JOBS)


async def _startup(ctx: dict[str, Any]) -> None:
    from delivery import jobs

    settings: Settings = ctx["settings"]
    ctx["pool"] = await db.create_pool(settings.database_url or "", min_size=1, max_size=12)
    for start in jobs.STARTUP:
        await start(ctx)


async def _shutdown(ctx: dict[str, Any]) -> None:
    from delivery import jobs

    for stop in jobs.SHUTDOWN:
        await stop(ctx)
    if "pool" in ctx:
        await ctx["pool"].close()


def build_worker(settings: Settings, *, burst: bool = False, handle_signals: bool = True,
                 queue_name: str | None = None) -> Worker:
    """A worker for `settings`; `burst` drains the queue and returns (tests, one-off runs)."""
    kwargs: dict[str, Any] = {"queue_name": queue_name} if queue_name else {}
    return Worker(
        functions=_functions(),
        cron_jobs=_cron_jobs(),
        redis_settings=redis_settings(settings.redis_url or ""),
        ctx={"settings": settings},
        on_startup=_startup,
        on_shutdown=_shutdown,
        burst=burst,
        poll_delay=0.05 if not burst else 0,
        handle_signals=handle_signals,
        max_jobs=6,  # batches of rows: two or three keep the sends busy; the rest for other jobs
        keep_result=3600,
        job_timeout=300,
        **kwargs,
    )
