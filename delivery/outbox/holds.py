"""Who holds which outbox rows, and what happens to them when their worker goes.

A job claims its rows under its worker's id (`outbox.held_by`). Each worker beats a heartbeat
(`workers.beat_at`) every `BEAT_S`; the rows of a worker whose last beat is older than
`ORPHANED_AFTER` (killed, frozen, cut off) go back to `pending` and out again through the relay,
within a minute of its death. A worker that stops cleanly hands back at once what it still holds,
and a living worker hands back, at each beat, rows it holds with no job of its own on them (a
claim whose answer was lost with its connection, results that could not be recorded).

After an outage of PostgreSQL every beat is old, the living workers' too: a worker judges others
only once its own beats have gone through for `ORPHANED_AFTER`, by which time every living worker
has beaten again.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import socket
import uuid
from datetime import timedelta

import asyncpg

from delivery.outbox import store
from delivery.platform import db

log = logging.getLogger(__name__)

BEAT_S = 5.0
ORPHANED_AFTER = timedelta(seconds=30)


class Heartbeat:
    """A worker process's heartbeat, beaten until `stop` is set."""

    def __init__(self, pool: asyncpg.Pool, worker_id: uuid.UUID) -> None:
        self.pool, self.worker_id = pool, worker_id
        # Rows the worker's running jobs hold (a job may name a row twice: counted).
        self.holding: collections.Counter[int] = collections.Counter()
        self._healthy_since: float | None = None

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                async with db.acquire(self.pool) as conn, conn.transaction():
                    await conn.execute(store.BEAT, self.worker_id, socket.gethostname(),
                                       os.getpid())
                    # Read now, after the transaction began: see store.RELEASE_STRAYS.
                    held = list(self.holding)
                    if strays := await conn.fetch(store.RELEASE_STRAYS, self.worker_id, held):
                        log.warning("outbox rows held by no job handed back: %d", len(strays))
                if self._healthy_since is None:
                    self._healthy_since = loop.time()
            except (*db.CANNOT_CONNECT, db.Unreachable, asyncpg.PostgresError) as exc:
                if self._healthy_since is not None:
                    log.warning("worker heartbeat waiting for PostgreSQL: %s",
                                type(exc).__name__)
                self._healthy_since = None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=BEAT_S)

    @property
    def may_judge_others(self) -> bool:
        """Whether this worker's own beats have gone through long enough to judge others'."""
        since = self._healthy_since
        return since is not None and (
            asyncio.get_running_loop().time() - since >= ORPHANED_AFTER.total_seconds())


async def hand_back_orphans(conn: asyncpg.Connection,
                            *, after: timedelta = ORPHANED_AFTER) -> list[int]:
    """Rows held by workers that stopped beating, back to `pending`; their ids."""
    return [r["id"] for r in await conn.fetch(store.HAND_BACK_ORPHANS, after)]


async def release(conn: asyncpg.Connection, worker_id: uuid.UUID) -> list[int]:
    """A worker stopping: what it still holds goes back at once, and it is forgotten."""
    async with conn.transaction():
        ids = [r["id"] for r in await conn.fetch(store.RELEASE_HELD, worker_id)]
        await conn.execute(store.FORGET_WORKER, worker_id)
    return ids
