"""Every background job of the worker, and what each worker process sets up and tears down."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from delivery.agencies import egress, webhooks
from delivery.custody import tasks as custody_tasks
from delivery.messaging.tasks import start_sms, stop_sms
from delivery.outbox.relay import run_relay
from delivery.outbox.runner import deliver_outbox
from delivery.planning import tasks as planning_tasks
from delivery.privacy import tasks as privacy_tasks

FUNCTIONS: list[Any] = [deliver_outbox]
CRON_JOBS: list[Any] = []
CRON_JOBS += custody_tasks.CRON_JOBS
CRON_JOBS += planning_tasks.CRON_JOBS
CRON_JOBS += privacy_tasks.CRON_JOBS


async def _start_outbox(ctx: dict[str, Any]) -> None:
    ctx["http"] = egress.webhook_client()
    ctx["channels"] = {"webhook": webhooks.deliver}
    ctx["relay_stop"] = asyncio.Event()
    ctx["relay"] = asyncio.create_task(
        run_relay(ctx["settings"].database_url, ctx["redis"], ctx["relay_stop"]))


async def _stop_outbox(ctx: dict[str, Any]) -> None:
    if "relay" in ctx:
        ctx["relay_stop"].set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(ctx["relay"], timeout=5)
    if "http" in ctx:
        await ctx["http"].aclose()


STARTUP = [_start_outbox, start_sms]
SHUTDOWN = [stop_sms, _stop_outbox]
