"""The arq worker: background jobs and scheduled work, sharing one pool per process."""

from __future__ import annotations

import asyncio
import logging
import signal
from signal import Signals
from typing import Any

import asyncpg
from arq import Worker as ArqWorker
from arq.constants import in_progress_key_prefix
from redis.exceptions import RedisError

from delivery.platform import db
from delivery.platform.runtime import redis_settings
from delivery.platform.settings import Settings

log = logging.getLogger(__name__)

# What a lost server raises; the worker waits and tries again rather than dying.
SERVERS_DOWN = (RedisError, asyncpg.PostgresError, *db.CANNOT_CONNECT)
MAX_PAUSE_S = 5.0
# How long a stopping worker lets its running jobs finish. A job stops beginning provider calls
# at once, so this bounds only calls already under way (Twilio answers or times out within it).
DRAIN_S = 15.0


def _functions() -> list[Any]:
    from delivery import jobs

    return list(jobs.FUNCTIONS)


def _cron_jobs() -> list[Any]:
    from delivery import jobs

    return list(jobs.CRON_JOBS)


async def _startup(ctx: dict[str, Any]) -> None:
    from delivery import jobs

    settings: Settings = ctx["settings"]
    # The pool is the only step that can fail (PostgreSQL away): it is simply tried again.
    ctx["pool"] = await db.create_pool(settings.database_url or "", min_size=1, max_size=12)
    for start in jobs.STARTUP:
        await start(ctx)


async def _shutdown(ctx: dict[str, Any]) -> None:
    from delivery import jobs

    for stop in jobs.SHUTDOWN:
        await stop(ctx)
    if "pool" in ctx:
        await ctx["pool"].close()


class _Outage:
    """A dependency that stopped answering: said once when it starts and once when it ends,
    waited for with a growing pause in between."""

    def __init__(self, what: str) -> None:
        self.what, self.failures = what, 0

    async def wait(self, exc: BaseException) -> None:
        if not self.failures:
            log.warning("worker waiting for %s: %s", self.what, type(exc).__name__)
        self.failures += 1
        await asyncio.sleep(min(MAX_PAUSE_S, 0.1 * 2 ** self.failures))

    def over(self) -> None:
        if self.failures:
            log.warning("worker resumed: %s answers again", self.what)
        self.failures = 0


class Worker(ArqWorker):
    """arq's worker, made to outlive its servers and to drain when stopped."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._redis_outage = _Outage("Redis")
        self._start_outage = _Outage("its servers to start")
        self._stopping: asyncio.Future[None] | None = None
        self.ctx.setdefault("draining", asyncio.Event())

    async def main(self) -> None:
        """Start once PostgreSQL and Redis answer, however long that takes."""
        while True:
            try:
                await super().main()
                return
            except SERVERS_DOWN as exc:
                if self.ctx.get("pool") is not None:  # started: arq's loop itself failed
                    raise
                await self._start_outage.wait(exc)

    async def _poll_iteration(self) -> None:
        """One round of arq's loop, outliving Redis: a round that fails is simply tried again."""
        try:
            await super()._poll_iteration()
        except SERVERS_DOWN as exc:
            await self._redis_outage.wait(exc)
        else:
            self._redis_outage.over()

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

    async def drain(self) -> None:
        """Stop taking jobs; let those running finish within `DRAIN_S` (a job stops beginning
        new provider calls at once, see `ctx["draining"]`), then cancel what is left. The rows a
        cancelled job held go back when the worker shuts down (holds.py)."""
        self.allow_pick_jobs = False
        self.ctx["draining"].set()
        running = [task for task in self.tasks.values() if not task.done()]
        if running:
            _, late = await asyncio.wait(running, timeout=DRAIN_S)
            for task in late:
                task.cancel()

    def handle_sig(self, signum: Signals) -> None:
        """SIGTERM or SIGINT: drain, then stop as arq does (`close` called directly drains too)."""
        if signum == signal.SIGUSR1 or self._stopping is not None:  # arq's close, or a second
            super().handle_sig(signum)
            return
        self._stopping = asyncio.ensure_future(self._drain_then_stop(signum))

    async def _drain_then_stop(self, signum: Signals) -> None:
        await self.drain()
        super().handle_sig(signum)

    async def close(self) -> None:
        if self._pool is not None:
            await self.drain()
        await super().close()

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
    return Worker(
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
