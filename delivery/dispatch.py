"""The job behind every outbox row: claim it, hand it to its channel, record what happened."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import msgspec

log = logging.getLogger(__name__)

CLAIM = """
UPDATE outbox SET status = 'sending', attempts = attempts + 1, updated_at = now()
WHERE id = $1 AND status IN ('pending', 'enqueued')
RETURNING id, channel, topic, item_id, agency_id, payload, attempts, created_at
"""
FINISH = """
UPDATE outbox SET status = $2, last_error = $3, payload = $4, updated_at = now()
WHERE id = $1 AND status = 'sending'
"""
RETRY = """
UPDATE outbox SET status = 'pending', last_error = $2, available_at = now() + $3,
    updated_at = now()
WHERE id = $1 AND status = 'sending'
"""
# Waiting is not failing: the claim's attempt is given back.
DEFER = """
UPDATE outbox SET status = 'pending', attempts = attempts - 1, last_error = $2,
    available_at = $3, payload = $4, updated_at = now()
WHERE id = $1 AND status = 'sending'
"""


class Claimed(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    channel: str
    topic: str
    item_id: int | None
    agency_id: int | None
    payload: dict
    attempts: int
    created_at: Any


class Done(msgspec.Struct, frozen=True):
    """Finished for good; `payload` replaces the row's (secrets scrubbed)."""

    payload: dict | None = None
    note: str | None = None


class TryLater(msgspec.Struct, frozen=True):
    error: str
    after: timedelta


class GiveUp(msgspec.Struct, frozen=True):
    """Permanently failed (`failed`) or out of retries (`dead`, visible to supervisors)."""

    error: str
    status: str = "dead"
    payload: dict | None = None


class Defer(msgspec.Struct, frozen=True):
    """Not yet (quiet hours, a busy sender): try again at `until` without spending a retry."""

    until: datetime
    reason: str
    payload: dict | None = None


Result = Done | TryLater | GiveUp | Defer
Handler = Callable[[dict[str, Any], asyncpg.Connection, Claimed], Awaitable[Result]]


async def deliver_outbox(ctx: dict[str, Any], outbox_id: int) -> str:
    """Deliver one outbox row; safe to run twice (the claim lets only one through)."""
    pool: asyncpg.Pool = ctx["pool"]
    async with pool.acquire() as conn:
        row = await conn.fetchrow(CLAIM, outbox_id)
        if row is None:
            return "not pending"
        claimed = Claimed(**dict(row))
        handler: Handler = ctx["channels"][claimed.channel]
        try:
            result = await handler(ctx, conn, claimed)
        except Exception as exc:
            log.exception("outbox delivery crashed", extra={"outbox_id": outbox_id})
            result = TryLater(error=f"internal: {type(exc).__name__}", after=backoff(claimed))
        return await _settle(conn, claimed, result)


async def _settle(conn: asyncpg.Connection, claimed: Claimed, result: Result) -> str:
    if isinstance(result, Done):
        await conn.execute(FINISH, claimed.id, "done", result.note,
                           result.payload if result.payload is not None else claimed.payload)
        return "done"
    if isinstance(result, TryLater):
        await conn.execute(RETRY, claimed.id, result.error, result.after)
        return f"retry in {result.after}"
    if isinstance(result, Defer):
        await conn.execute(DEFER, claimed.id, result.reason, result.until,
                           result.payload if result.payload is not None else claimed.payload)
        return f"deferred until {result.until.isoformat()}"
    await conn.execute(FINISH, claimed.id, result.status, result.error,
                       result.payload if result.payload is not None else claimed.payload)
    return result.status


# Exponential, capped: 10 s, 20 s, 40 s … up to an hour between attempts.
def backoff(claimed: Claimed, *, base_s: float = 10, cap_s: float = 3600) -> timedelta:
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, claimed.attempts - 1)))
