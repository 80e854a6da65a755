"""Every background job of the worker, and what each worker process sets up and tears down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

import asyncpg

from delivery.agencies import egress, webhooks
from delivery.custody import tasks as custody_tasks
from delivery.messaging.tasks import start_sms, stop_sms
from delivery.outbox import holds
from delivery.outbox.relay import run_relay
from delivery.outbox.runner import deliver_outbox
from delivery.planning import tasks as planning_tasks
from delivery.privacy import tasks as privacy_tasks

log = logging.getLogger(__name__)

FUNCTIONS: list[Any] = [deliver_outbox]
CRON_JOBS: list[Any] = []
CRON_JOBS += custody_tasks.CRON_JOBS
CRON_JOBS += planning_tasks.CRON_JOBS
CRON_JOBS += privacy_tasks.CRON_JOBS


async def _start_outbox(ctx: dict[str, Any]) -> None:
    ctx["http"] = egress.webhook_client()
    ctx["channels"] = {"webhook": webhooks.deliver}
    ctx["worker_id"] = uuid.uuid4()
    heartbeat = holds.Heartbeat(ctx["pool"], ctx["worker_id"])
    ctx["holding"] = heartbeat.holding
    ctx["relay_stop"] = asyncio.Event()
    ctx["background"] = [
        asyncio.create_task(heartbeat.run(ctx["relay_stop"])),
        asyncio.create_task(run_relay(ctx["settings"].database_url, ctx["redis"],
                                      ctx["relay_stop"], heartbeat)),
    ]


async def _stop_outbox(ctx: dict[str, Any]) -> None:
    if "background" in ctx:
        ctx["relay_stop"].set()
        with contextlib.suppress(asyncio.CancelledError, TimeoutError):
            await asyncio.wait_for(asyncio.gather(*ctx["background"]), timeout=5)
    if "worker_id" in ctx:  # its jobs have ended: whatever they still hold goes back now
        try:
            async with ctx["pool"].acquire() as conn:
                await holds.release(conn, ctx["worker_id"])
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("outbox rows not handed back (they will be, once orphaned): %s",
                        type(exc).__name__)
    if "http" in ctx:
        await ctx["http"].aclose()


STARTUP = [_start_outbox, start_sms]
SHUTDOWN = [stop_sms, _stop_outbox]
