"""The arq worker: background jobs and scheduled work, sharing one pool per process."""

from __future__ import annotations

import asyncio
from typing import Any

from arq import Worker
from arq.constants import in_progress_key_prefix

from delivery.platform import db
from delivery.platform.runtime import redis_settings
from delivery.platform.settings import Settings


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


class _Worker(Worker):
    async def start_jobs(self, job_ids: list[bytes]) -> None:
        """Start the listed jobs that are not running yet, here or in another worker."""
        # A running job stays queued until done, so every poll lists it again, and arq spends
        # four round trips on each to find that out: one pipelined EXISTS for all of them instead.
        ids = [job_id for job_id in job_ids if job_id.decode() not in self.tasks]
        if ids:
            async with self.pool.pipeline(transaction=False) as pipe:
                for job_id in ids:
                    pipe.exists(in_progress_key_prefix + job_id.decode())
                running = await pipe.execute()
            ids = [job_id for job_id, elsewhere in zip(ids, running, strict=True) if not elsewhere]
        await super().start_jobs(ids)

    async def async_run(self) -> None:
        """Run until stopped; stopped by SIGTERM or SIGINT, shut down cleanly as `run` does."""
        try:
            await super().async_run()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # cancelled by the caller, who closes
                raise
            await self.close()


def build_worker(settings: Settings, *, burst: bool = False, handle_signals: bool = True,
                 queue_name: str | None = None, resolve: Any = None) -> Worker:
    """A worker for `settings`; `burst` drains the queue and returns (tests, one-off runs);
    `resolve` replaces the system resolver for webhook hosts (tests of what is connected to)."""
    kwargs: dict[str, Any] = {"queue_name": queue_name} if queue_name else {}
    ctx: dict[str, Any] = {"settings": settings} | ({"resolve": resolve} if resolve else {})
    return _Worker(
        functions=_functions(),
        cron_jobs=_cron_jobs(),
        redis_settings=redis_settings(settings.redis_url or ""),
        ctx=ctx,
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
