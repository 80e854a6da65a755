"""PostgreSQL connections: one pool per process, JSON codecs, nothing opened at import time."""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from functools import lru_cache
from typing import TypeVar

import asyncpg
import msgspec

T = TypeVar("T")

# What asking the pool for a connection raises while PostgreSQL cannot be reached: refused,
# no socket, starting up or shutting down, out of connections, or no answer in time.
CANNOT_CONNECT = (OSError, TimeoutError, asyncpg.PostgresConnectionError,
                  asyncpg.exceptions.OperatorInterventionError,
                  asyncpg.exceptions.InsufficientResourcesError, asyncpg.InterfaceError,
                  asyncpg.InternalClientError)
# What a connection raises once it is broken: it must not go back to the pool as it is (a
# connection cut in the middle of an operation refuses the next one: "another operation is in
# progress").
BROKEN = (asyncpg.InterfaceError, asyncpg.InternalClientError,
          asyncpg.exceptions.OperatorInterventionError, OSError)


class Unreachable(Exception):
    """PostgreSQL cannot be reached just now (answered as 503 with Retry-After)."""


async def patiently(work: Callable[[], Awaitable[T]], *, for_s: float) -> T:
    """Run `work` again while PostgreSQL cannot be reached (restarting, a lost connection), for
    up to `for_s` seconds: for work whose result is already in hand and must not be lost, such
    as what a provider call answered."""
    loop = asyncio.get_running_loop()
    deadline, pause = loop.time() + for_s, 0.1
    while True:
        try:
            return await work()
        except (*CANNOT_CONNECT, Unreachable):
            if loop.time() + pause > deadline:
                raise
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)


async def take(pool: asyncpg.Pool) -> asyncpg.Connection:
    """A connection from `pool` (to be released to it), or `Unreachable` when PostgreSQL
    cannot give one."""
    try:
        return await pool.acquire()
    except CANNOT_CONNECT as exc:
        raise Unreachable(type(exc).__name__) from exc


@contextlib.asynccontextmanager
async def acquire(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection (see `take`); a broken one is closed rather than pooled again."""
    conn = await take(pool)
    try:
        yield conn
    except BROKEN:
        conn.terminate()
        raise
    finally:
        await pool.release(conn)


# PostgreSQL aborted the transaction to break a deadlock or a serialization conflict: nothing
# of it was written, and the same work run again will most likely go through.
ROLLED_BACK = asyncpg.exceptions.TransactionRollbackError
TRIES = 4


async def retrying(transaction: Callable[[], Awaitable[T]], *, tries: int = TRIES) -> T:
    """Run `transaction` (one whole transaction, begun and ended inside it) until PostgreSQL
    does not abort it to break a deadlock, at most `tries` times, after a short random pause
    that lets the other side finish first."""
    for attempt in range(1, tries + 1):
        try:
            return await transaction()
        except ROLLED_BACK:
            if attempt == tries:
                raise
            await asyncio.sleep(random.uniform(0, 0.02 * 2 ** attempt))
    raise AssertionError("unreachable")


async def _init_connection(conn: asyncpg.Connection) -> None:
    for kind in ("json", "jsonb"):
        await conn.set_type_codec(
            kind, schema="pg_catalog",
            encoder=lambda value: msgspec.json.encode(value).decode(),
            decoder=msgspec.json.decode,
        )


async def create_pool(url: str, *, min_size: int = 2, max_size: int = 10,
                      reset_sessions: bool = True) -> asyncpg.Pool:
    """A pool whose connections speak JSON through msgspec.

    `reset_sessions=False` skips the query asyncpg sends on every release to reset session
    state (settings, LISTEN, session advisory locks, cursors kept open), a round trip per
    request, for a pool on which nothing changes that state. An open transaction is still
    rolled back on release either way.
    """
    return await asyncpg.create_pool(
        url, min_size=min_size, max_size=max_size, init=_init_connection,
        command_timeout=60, reset=None if reset_sessions else _session_unchanged,
    )


async def _session_unchanged(conn: asyncpg.Connection) -> None:
    """Nothing to reset: asyncpg has already rolled back any open transaction."""


async def connect(url: str) -> asyncpg.Connection:
    """A single connection with the same codecs as the pool's."""
    conn = await asyncpg.connect(url)
    await _init_connection(conn)
    return conn


@lru_cache(maxsize=256)
def renumbered(sql: str, first: int) -> str:
    """`sql` with its placeholders $1, $2, … renumbered from `first`, to be part of a larger
    statement whose earlier parts take the parameters before it."""
    return re.sub(r"\$(\d+)", lambda m: f"${int(m[1]) + first - 1}", sql)


@lru_cache(maxsize=256)
def _placeholders(sql: str) -> int:
    return max((int(n) for n in re.findall(r"\$(\d+)", sql)), default=0)


class Composed:
    """One statement made of parts each written on its own with $1, $2, …: a part's
    placeholders are numbered on from the parts before it, so nobody counts parameters by hand.

    Built per call, each part comes with its values, collected in `args` in the same order.
    Built once (a module's constant), parts come without values, and the caller passes the
    values of every part in order. The same parts in the same order always give the same text
    (one prepared statement per shape)."""

    def __init__(self) -> None:
        self._clauses: list[str] = []
        self._count = 0  # placeholders so far
        self.args: list = []

    def with_(self, name: str, sql: str, *args) -> None:
        """Add `name AS (sql)`; `args`, if given, are the values of `sql`'s $1, $2, …"""
        self._clauses.append(f"{name} AS ({self._numbered(sql, args)})")

    def clauses(self, sql: str, *args) -> None:
        """Add WITH-clauses written out in full (`a AS (…), b AS (…)`)."""
        self._clauses.append(self._numbered(sql, args).strip())

    def statement(self, final: str, *args) -> str:
        """The whole text: the WITH-clauses, then `final` (with its own $1, $2, …)."""
        tail = self._numbered(final, args)
        if self.args and len(self.args) != self._count:
            raise ValueError("every part of a statement built per call needs its values")
        return f"WITH {', '.join(self._clauses)}\n{tail}" if self._clauses else tail

    def _numbered(self, sql: str, args: tuple) -> str:
        used = _placeholders(sql)
        if args and used != len(args):
            raise ValueError(f"{len(args)} values for {used} placeholders")
        text = renumbered(sql, self._count + 1)
        self._count += used
        self.args.extend(args)
        return text
