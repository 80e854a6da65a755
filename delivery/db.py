"""PostgreSQL connections: one pool per process, JSON codecs, nothing opened at import time."""

from __future__ import annotations

import re

import asyncpg
import msgspec


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


def renumbered(sql: str, first: int) -> str:
    """`sql` with its placeholders $1, $2, … renumbered from `first`, to be part of a larger
    statement whose earlier parts take the parameters before it."""
    return re.sub(r"\$(\d+)", lambda m: f"${int(m[1]) + first - 1}", sql)
