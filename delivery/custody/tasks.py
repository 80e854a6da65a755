"""Scheduled custody work: holds that expire, delivery attempts used up, the daily anchor. Safe
on many workers.

Each run claims due items with `FOR UPDATE SKIP LOCKED` and moves them through the conditional
update of `services.record`, so two workers never move the same item twice. A day is anchored
once: a second worker's insert of the same day's anchor does nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import msgspec
from arq.cron import cron

from delivery.custody import anchors, proof, store
from delivery.custody.citizen_messages import code_on_entry
from delivery.custody.context import CustodyContext, custody_context
from delivery.custody.model import (
    HOLD_STATES,
    Action,
    Role,
    State,
    decide,
    unreached,
)
from delivery.custody.services import Actor, record
from delivery.platform.settings import anchor_signing_key

BATCH = 200
SCHEDULER = Actor(role=Role.scheduler)


async def expire_holds(conn: asyncpg.Connection, ctx: CustodyContext, *, now: datetime) -> int:
    """Items whose hold ran out go back towards their agency; returns how many moved."""
    return await _drain(conn, store.CLAIM_EXPIRED_HOLDS, (sorted(HOLD_STATES), now), Action.expire_hold,
                        ctx, now)


async def exhaust_attempts(conn: asyncpg.Connection, ctx: CustodyContext, *,
                           now: datetime) -> int:
    """Items back at the branch after the last allowed attempt are offered for pickup."""
    return await _drain(conn, store.CLAIM_EXHAUSTED, (ctx.max_attempts,), Action.max_attempts, ctx, now)


async def _drain(conn: asyncpg.Connection, claim: str, args: tuple, action: Action,
                 ctx: CustodyContext, now: datetime) -> int:
    moved = 0
    while True:
        async with conn.transaction():
            ids = [r["id"] for r in await conn.fetch(claim, *args, BATCH)]
            for item_id in ids:
                await _move(conn, item_id, action, ctx, now)
        moved += len(ids)
        if len(ids) < BATCH:
            return moved


async def _move(conn: asyncpg.Connection, item_id: int, action: Action, ctx: CustodyContext,
                now: datetime) -> None:
    item = await store.scan_item_by_id(conn, item_id)
    transition = decide(State(item.state), action, Role.scheduler)
    if action == Action.expire_hold and item.failed_attempts >= ctx.max_attempts:
        last_failure = await conn.fetchval(store.LAST_FAILURE_REASON, item_id)
        transition = msgspec.structs.replace(transition, return_reason=unreached(last_failure))
    await record(conn, item.ref(), transition, action, SCHEDULER, now=now)
    code = code_on_entry(item.state, transition, ctx.rules_of(item.document_type))
    if code is not None:
        await proof.issue_code(conn, ctx, item, kind=code[0], now=now, hold_days=code[1])


async def expire_holds_job(ctx: dict[str, Any]) -> int:
    """arq cron job: expire holds."""
    async with ctx["pool"].acquire() as conn:
        return await expire_holds(conn, _custody(ctx), now=datetime.now(UTC))


async def exhaust_attempts_job(ctx: dict[str, Any]) -> int:
    """arq cron job: offer pickup after the last failed attempt."""
    async with ctx["pool"].acquire() as conn:
        return await exhaust_attempts(conn, _custody(ctx), now=datetime.now(UTC))


async def anchor_days_job(ctx: dict[str, Any]) -> int:
    """arq cron job: anchor every day that has ended since the last anchor; how many."""
    async with ctx["pool"].acquire() as conn:
        made = await anchors.make_due(conn, anchor_signing_key(ctx["settings"]),
                                      now=datetime.now(UTC))
    return len(made)


def _custody(ctx: dict[str, Any]) -> CustodyContext:
    if "custody" not in ctx:
        ctx["custody"] = custody_context(ctx["settings"])
    return ctx["custody"]


# Every few minutes, at different seconds so the two jobs do not start together.
CRON_JOBS = [
    cron(expire_holds_job, minute=set(range(0, 60, 5)), second=7, unique=True,
         run_at_startup=False),
    cron(exhaust_attempts_job, minute=set(range(0, 60, 5)), second=37, unique=True),
    # Hourly, whatever the worker's time zone: the Baghdad day is anchored at the first run
    # after it ended and settled (anchors.SETTLE), and a worker that was down catches up.
    cron(anchor_days_job, minute={20}, second=13, unique=True, run_at_startup=False,
         timeout=1800),
]
