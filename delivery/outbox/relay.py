"""The outbox relay: committed outbox rows become arq jobs, and nothing is lost on the way.

PostgreSQL keeps every row's fate (pending → enqueued → sending → done | pending again | dead);
Redis only carries the wake-up call. If Redis is down, enqueuing fails, the claiming transaction
rolls back and the rows wait. If Redis loses its data, rows stuck in `enqueued` or `sending` are
handed back to `pending` after `STALE_AFTER` and go out again; rows held by a worker that died
go back as soon as its heartbeat is old (holds.py).

Rows travel in batches: one job for up to `JOB_ROWS` ready rows of one channel (fewer, so that
a small backlog is still shared among workers), named after its first row and that row's
hand-over count.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import asyncpg
from redis.exceptions import RedisError

from delivery.outbox import store
from delivery.outbox.holds import Heartbeat, hand_back_orphans

log = logging.getLogger(__name__)

BATCH = 500
POLL_S = 1.0
STALE_AFTER = timedelta(minutes=10)  # longer than any job may run (job_timeout is 300 s)
# Looking for stale rows scans the outbox, so it runs once a minute (stale is ten minutes old),
# not on every wake-up: every statement that adds outbox rows wakes every relay. Rows of a dead
# worker (holds.py) are found by an index of the few rows being sent: every ten seconds.
REQUEUE_EVERY_S = 60.0
ORPHANS_EVERY_S = 10.0
JOB = "deliver_outbox"
# Most rows per job: SMS go out concurrently within a job; other channels (agency webhooks, one
# endpoint's slowness at a time) take fewer, so that one slow endpoint holds back few others.
JOB_ROWS = {"sms": 50}
OTHER_JOB_ROWS = 10
SPREAD = 8  # a small backlog still becomes this many jobs: more than one worker takes at once


async def relay_once(conn: asyncpg.Connection, redis: Any) -> int:
    """Enqueue one batch of ready rows; return how many. Several relays may run at once."""
    async with conn.transaction():
        rows = await conn.fetch(store.CLAIM_READY, BATCH)
        await _enqueue(redis, job_batches(rows))
        if rows:
            await conn.execute(store.MARK_ENQUEUED, [r["id"] for r in rows])
    return len(rows)


def job_batches(rows: Sequence[Any]) -> list[list[Any]]:
    """Ready rows (with `id`, `channel`) cut into jobs of one channel each, in order."""
    by_channel: dict[str, list[Any]] = collections.defaultdict(list)
    for row in rows:
        by_channel[row["channel"]].append(row)
    batches = []
    for channel, same in by_channel.items():
        size = min(JOB_ROWS.get(channel, OTHER_JOB_ROWS), math.ceil(len(same) / SPREAD))
        batches += [same[i:i + size] for i in range(0, len(same), size)]
    return batches


def job_id(batch: Sequence[Any]) -> str:
    # Each hand-over is a new job; a replay (the relay's transaction rolled back) is not.
    return f"outbox:{batch[0]['id']}:{batch[0]['enqueues']}"


async def _enqueue(redis: Any, batches: list[list[Any]]) -> None:
    queued = await _gather(*(redis.enqueue_job(JOB, [r["id"] for r in batch],
                                                _job_id=job_id(batch)) for batch in batches))
    # arq refuses an id it still knows: a replayed hand-over whose job may hold other rows.
    # A fresh job is safe, since the claim lets each row through to one job only.
    await _gather(*(redis.enqueue_job(JOB, [r["id"] for r in batch],
                                      _job_id=f"{job_id(batch)}:{secrets.token_hex(4)}")
                    for batch, job in zip(batches, queued, strict=True) if job is None))


async def _gather(*calls: Any) -> list[Any]:
    """Run the calls at once; raise the first failure once all have ended."""
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return outcomes


async def requeue_stale(conn: asyncpg.Connection, *, older_than: timedelta = STALE_AFTER) -> int:
    """Hand back rows whose job vanished (Redis lost its data, a worker died mid-job)."""
    return len(await conn.fetch(store.REQUEUE_STALE, older_than))


async def run_relay(database_url: str, redis: Any, stop: asyncio.Event,
                    heartbeat: Heartbeat | None = None) -> None:
    """Relay until `stop` is set; woken early by NOTIFY, else polls every second. With the
    worker's `heartbeat`, it also hands back the rows of workers that died."""
    from delivery.platform import db

    wake = asyncio.Event()
    conn: asyncpg.Connection | None = None
    loop = asyncio.get_running_loop()
    next_requeue = next_orphans = loop.time()
    while not stop.is_set():
        try:
            if conn is None or conn.is_closed():
                conn = await db.connect(database_url)
                await conn.add_listener("outbox", lambda *_: wake.set())
            if loop.time() >= next_requeue:
                await requeue_stale(conn)
                next_requeue = loop.time() + REQUEUE_EVERY_S
            if heartbeat is not None and loop.time() >= next_orphans:
                if heartbeat.may_judge_others and (orphans := await hand_back_orphans(conn)):
                    log.warning("outbox rows of a stopped worker handed back: %d", len(orphans))
                next_orphans = loop.time() + ORPHANS_EVERY_S
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
