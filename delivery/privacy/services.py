"""Removing the personal data of items finished longer ago than the retention period."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from delivery.privacy import model, store

_STATES = sorted(model.PURGED_STATES)


async def due(conn: asyncpg.Connection, *, retention_days: int, now: datetime) -> int:
    """How many items a purge would clear now."""
    return await conn.fetchval(store.COUNT_DUE, _STATES, model.cutoff(now, retention_days))


async def purge(conn: asyncpg.Connection, *, retention_days: int, now: datetime,
                batch: int = model.BATCH) -> int:
    """Clear every due item, `batch` items per transaction; returns how many were cleared.

    The custody log is not touched: its events stay as they were hashed."""
    before = model.cutoff(now, retention_days)
    cleared = 0
    while True:
        async with conn.transaction():
            ids = [r["id"] for r in await conn.fetch(store.CLAIM_DUE, _STATES, before, batch)]
            if ids:
                await _clear(conn, ids, now)
        cleared += len(ids)
        if len(ids) < batch:
            break
    await conn.execute(store.PURGE_IDEMPOTENCY, before)
    return cleared


async def _clear(conn: asyncpg.Connection, ids: list[int], now: datetime) -> None:
    await conn.execute(store.PURGE_ITEMS, ids, list(model.KEPT_COMPARABLE), now)
    await conn.execute(store.PURGE_OUTBOX, ids, list(model.KEPT_OUTBOX_KEYS))
    await conn.execute(store.PURGE_REPORTS, ids)
    await conn.execute(store.PURGE_STOPS, ids)
