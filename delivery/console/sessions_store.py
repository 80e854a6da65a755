"""SQL of console sessions: opened at login, refreshed on each page, ended at logout."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from delivery.staff.model import StaffAccount

INSERT_SESSION = """
INSERT INTO staff_sessions (secret_hash, staff_id, token_gen, created_at, last_seen_at)
VALUES ($1, $2, $3, $4, $4)
"""
# A live session is refreshed and its account returned in one statement; a session idle too
# long, too old, ended, or of an account that changed since (generation) returns nothing.
TOUCH_SESSION = """
WITH live AS (
    UPDATE staff_sessions SET last_seen_at = $2
    WHERE secret_hash = $1 AND ended_at IS NULL
      AND last_seen_at > $2::timestamptz - make_interval(secs => $3)
      AND created_at > $2::timestamptz - make_interval(secs => $4)
    RETURNING staff_id, token_gen
)
SELECT s.id, s.username, s.role, s.site_id, t.code AS site_code, t.kind AS site_kind,
    s.governorate
FROM live JOIN staff s ON s.id = live.staff_id AND s.active AND s.token_gen = live.token_gen
LEFT JOIN sites t ON t.id = s.site_id
"""
END_SESSION = """
UPDATE staff_sessions SET ended_at = $2 WHERE secret_hash = $1 AND ended_at IS NULL
"""


async def open_session(conn: asyncpg.Connection, *, secret_hash: bytes, staff_id: int,
                       token_gen: int, now: datetime) -> None:
    await conn.execute(INSERT_SESSION, secret_hash, staff_id, token_gen, now)


async def touch_session(conn: asyncpg.Connection, secret_hash: bytes, *, now: datetime,
                        idle_s: int, max_s: int) -> StaffAccount | None:
    """The session's account, now, if the session is still live (and it is kept alive)."""
    row = await conn.fetchrow(TOUCH_SESSION, secret_hash, now, float(idle_s), float(max_s))
    return StaffAccount(**dict(row)) if row is not None else None


async def end_session(conn: asyncpg.Connection, secret_hash: bytes, *, now: datetime) -> None:
    await conn.execute(END_SESSION, secret_hash, now)
