"""The job behind outbox rows: claim a batch, hand it to its channels, record what happened.

One job carries a few dozen rows of one channel (`relay.JOB_ROWS`). The claim lets each row through to
one job only, so a job replayed or duplicated by the relay does nothing twice. Each row keeps its
own fate: a batch settles row by row (done, retry, deferral, dead letter), in one statement.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import msgspec

from delivery.outbox import store
from delivery.platform import db

log = logging.getLogger(__name__)

# Rows of a channel without a batch handler delivered at once in one worker process, each on a
# pooled connection: the rest of the pool stays free for the batch channels.
PER_ROW_CONCURRENCY = 6
# How long a job waits for PostgreSQL to come back, to claim its rows and to record what became
# of them, before it gives up (the rows then go back after `relay.STALE_AFTER`): what was sent
# must be recorded as sent.
SETTLE_PATIENCE_S = 120.0


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
# One row at a time, on a connection of the job's (agency webhooks).
Handler = Callable[[dict[str, Any], asyncpg.Connection, Claimed], Awaitable[Result]]
# A whole batch, one result per row in order; takes connections from ctx["pool"] as it needs.
BatchHandler = Callable[[dict[str, Any], list[Claimed]], Awaitable[list[Result]]]


async def deliver_outbox(ctx: dict[str, Any], outbox_ids: int | list[int]) -> str:
    """Deliver a batch of outbox rows (or one); safe to run twice (the claim lets one through)."""
    ids = [outbox_ids] if isinstance(outbox_ids, int) else list(outbox_ids)
    pool: asyncpg.Pool = ctx["pool"]
    holder = ctx.get("worker_id")  # the rows are held under it (holds.py)
    holding: collections.Counter[int] = ctx.get("holding", collections.Counter())
    holding.update(ids)  # before the claim: the heartbeat leaves these rows alone
    try:
        rows = await db.patiently(lambda: _claim_on(pool, ids, holder), for_s=SETTLE_PATIENCE_S)
        if not rows:
            return "not pending"
        claimed = sorted((Claimed(**dict(row)) for row in rows), key=lambda c: c.id)
        results = await _deliver(ctx, claimed)
        await db.patiently(lambda: _settle_on(pool, claimed, results, holder),
                           for_s=SETTLE_PATIENCE_S)
        return summary(results)
    finally:
        for row_id in ids:
            holding[row_id] -= 1
            if holding[row_id] <= 0:
                del holding[row_id]


async def _claim_on(pool: asyncpg.Pool, ids: list[int],
                    holder: uuid.UUID | None) -> list[asyncpg.Record]:
    async with db.acquire(pool) as conn:
        return await conn.fetch(store.CLAIM, ids, holder)


async def _settle_on(pool: asyncpg.Pool, claimed: list[Claimed], results: list[Result],
                     holder: uuid.UUID | None) -> None:
    async with db.acquire(pool) as conn:
        await settle(conn, claimed, results, holder=holder)


async def _deliver(ctx: dict[str, Any], claimed: list[Claimed]) -> list[Result]:
    by_channel: dict[str, list[int]] = collections.defaultdict(list)
    for index, row in enumerate(claimed):
        by_channel[row.channel].append(index)
    results: list[Result | None] = [None] * len(claimed)
    for channel, indexes in by_channel.items():
        rows = [claimed[i] for i in indexes]
        for i, result in zip(indexes, await _deliver_channel(ctx, channel, rows), strict=True):
            results[i] = result
    return results  # type: ignore[return-value]


async def _deliver_channel(ctx: dict[str, Any], channel: str,
                           rows: list[Claimed]) -> list[Result]:
    batch: BatchHandler | None = ctx.get("batch_channels", {}).get(channel)
    if batch is None:
        return await _one_by_one(ctx, ctx["channels"][channel], rows)
    try:
        return await batch(ctx, rows)
    except Exception as exc:
        log.exception("outbox batch crashed", extra={"outbox_ids": [r.id for r in rows]})
        return [crashed(row, exc) for row in rows]


async def _one_by_one(ctx: dict[str, Any], handler: Handler,
                      rows: list[Claimed]) -> list[Result]:
    limit: asyncio.Semaphore = ctx.setdefault("row_slots",
                                              asyncio.Semaphore(PER_ROW_CONCURRENCY))

    async def one(row: Claimed) -> Result:
        async with limit, db.acquire(ctx["pool"]) as conn:
            try:
                return await handler(ctx, conn, row)
            except Exception as exc:
                log.exception("outbox delivery crashed", extra={"outbox_id": row.id})
                return crashed(row, exc)

    return list(await asyncio.gather(*(one(row) for row in rows)))


def crashed(claimed: Claimed, exc: BaseException) -> TryLater:
    """A delivery that failed on our side: try again after the usual backoff."""
    return TryLater(error=f"internal: {type(exc).__name__}", after=backoff(claimed))


async def settle(conn: asyncpg.Connection, claimed: Sequence[Claimed],
                 results: Sequence[Result], *, holder: uuid.UUID | None = None) -> None:
    """Record every row's result in one statement; rows no longer `sending` under `holder`
    are left alone."""
    columns: list[list[Any]] = [[] for _ in range(7)]
    for row, result in zip(claimed, results, strict=True):
        for column, value in zip(columns, (row.id, *_settlement(row, result)), strict=True):
            column.append(value)
    await conn.execute(store.SETTLE, *columns, holder)


def _settlement(claimed: Claimed, result: Result) -> tuple[Any, ...]:
    """(status, attempts refund, last_error, payload, delay, until) for one row."""
    if isinstance(result, Done):
        return "done", 0, result.note, _payload(claimed, result.payload), None, None
    if isinstance(result, TryLater):
        return "pending", 0, result.error, None, result.after, None
    if isinstance(result, Defer):
        return "pending", -1, result.reason, _payload(claimed, result.payload), None, result.until
    return result.status, 0, result.error, _payload(claimed, result.payload), None, None


def _payload(claimed: Claimed, given: dict | None) -> dict:
    return given if given is not None else claimed.payload


def summary(results: Sequence[Result]) -> str:
    """How a batch ended, e.g. `done 48, deferred 2`."""
    names = {Done: "done", TryLater: "retry", Defer: "deferred"}
    counts = collections.Counter(
        names.get(type(r)) or getattr(r, "status", "dead") for r in results)
    return ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))


# Exponential, capped: 10 s, 20 s, 40 s … up to an hour between attempts.
def backoff(claimed: Claimed, *, base_s: float = 10, cap_s: float = 3600) -> timedelta:
    return timedelta(seconds=min(cap_s, base_s * 2 ** max(0, claimed.attempts - 1)))
