"""The outbox relay: committed outbox rows become arq jobs, and nothing is lost on the way.

PostgreSQL keeps every row's fate (pending → enqueued → sending → done | pending again | dead);
Redis only carries the wake-up call. If Redis is down, enqueuing fails, the claiming transaction
rolls back and the rows wait. If Redis loses its data, rows stuck in `enqueued` or `sending` are
handed back to `pending` after `STALE_AFTER` and go out again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from typing import Any

import asyncpg
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

BATCH = 500
POLL_S = 1.0
STALE_AFTER = timedelta(minutes=10)  # longer than any job may run (job_timeout is 300 s)
JOB = "deliver_outbox"

CLAIM_READY = f"""
SELECT id, enqueues FROM outbox
WHERE status = 'pending' AND available_at <= now()
ORDER BY available_at, id
LIMIT {BATCH}
FOR UPDATE SKIP LOCKED
"""
MARK_ENQUEUED = """
UPDATE outbox SET status = 'enqueued', enqueues = enqueues + 1, updated_at = now()
WHERE id = ANY($1::bigint[])
"""
REQUEUE_STALE = """
UPDATE outbox SET status = 'pending', updated_at = now()
WHERE status IN ('enqueued', 'sending') AND updated_at < now() - $1::interval
RETURNING id
"""


async def relay_once(conn: asyncpg.Connection, redis: Any) -> int:
    """Enqueue one batch of ready rows; return how many. Several relays may run at once."""
    async with conn.transaction():
        rows = await conn.fetch(CLAIM_READY)
        for row in rows:
            # Each hand-over is a new job; a replay (this transaction rolled back) is not.
            await redis.enqueue_job(JOB, row["id"], _job_id=f"outbox:{row['id']}:{row['enqueues']}")
        if rows:
            await conn.execute(MARK_ENQUEUED, [r["id"] for r in rows])
    return len(rows)


async def requeue_stale(conn: asyncpg.Connection, *, older_than: timedelta = STALE_AFTER) -> int:
    """Hand back rows whose job vanished (Redis lost its data, a worker died mid-job)."""
    return len(await conn.fetch(REQUEUE_STALE, older_than))


async def run_relay(database_url: str, redis: Any, stop: asyncio.Event) -> None:
    """Relay until `stop` is set; woken early by NOTIFY, else polls every second."""
    from delivery import db

    wake = asyncio.Event()
    conn: asyncpg.Connection | None = None
    while not stop.is_set():
        try:
            if conn is None or conn.is_closed():
                conn = await db.connect(database_url)
                await conn.add_listener("outbox", lambda *_: wake.set())
            await requeue_stale(conn)
            while await relay_once(conn, redis) == BATCH:
                pass
        except (OSError, asyncpg.PostgresError, RedisError) as exc:
            log.warning("outbox relay waiting: %s", type(exc).__name__)
        except Exception:
            log.exception("outbox relay error")
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(_first(wake, stop), timeout=POLL_S)
    if conn is not None and not conn.is_closed():
        await conn.close()


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
