"""SQL of a member of staff's working day: their site and people, what they did today, their
branch's shelf, and the phone numbers revealed to couriers."""

from __future__ import annotations

from datetime import datetime

import asyncpg

SITE = "SELECT code, name_ar, name_en, kind, governorate FROM sites WHERE id = $1"
BRANCHES_SERVED = """
SELECT code, name_ar, name_en FROM sites WHERE sorting_centre = $1 AND kind = 'branch'
ORDER BY code
"""
COURIERS = """
SELECT username FROM staff WHERE site_id = $1 AND role = 'courier' AND active ORDER BY username
"""

# The events a member of staff ($1, as one of the staff roles $4) recorded in [$2, $3).
ACTIONS_BETWEEN = """
SELECT action, count(*) AS n FROM custody_events
WHERE actor_id = $1 AND server_at >= $2 AND server_at < $3 AND actor_role = ANY($4::text[])
GROUP BY action
"""
FAILURES_BETWEEN = """
SELECT payload->>'reason' AS reason, count(*) AS n FROM custody_events
WHERE actor_id = $1 AND server_at >= $2 AND server_at < $3 AND actor_role = 'courier'
  AND action = 'fail'
GROUP BY 1
"""
# Also what the courier sent back at the door or took back (an old document) and has not yet
# brought back to the branch (`return`): a returning item whose newest event is still theirs.
HELD_BY = """
SELECT i.tracking_number, i.state, i.handover_action AS awaiting FROM items i
WHERE i.courier_id = $1 AND (i.state = ANY($2::text[]) OR (i.state = 'returning' AND (
    SELECT e.actor_role = 'courier' AND e.actor_id = $1 AND e.action <> 'return'
    FROM custody_events e WHERE e.item_id = i.id ORDER BY e.seq DESC LIMIT 1)))
ORDER BY i.updated_at, i.id
"""

# A branch's items in one state, oldest arrival in it first, a page after ($3, $4).
# `since`: the newest event that moved the item into its state (the row's updated_at also moves
# with events that leave the state alone, such as a courier's `take`). A returning item counts
# only while at the branch: the newest of its placing events ($6, $7, $8: the rows of the
# custody table that put an item somewhere, `custody.places`) did not leave it at the centre.
SHELF = """
SELECT s.id, s.tracking_number, s.document_type, s.state, s.since, s.citizen_name,
    CASE WHEN s.state IN ('out_for_delivery', 'delivery_failed') THEN c.username END AS courier,
    s.handover_action AS awaiting, s.old_document
FROM (
    SELECT i.id, i.tracking_number, i.document_type, i.state, i.citizen_name, i.courier_id,
        i.handover_action, i.old_document_number IS NOT NULL AS old_document,
        coalesce((SELECT e.server_at FROM custody_events e
                  WHERE e.item_id = i.id AND e.to_state = i.state
                    AND e.from_state IS DISTINCT FROM e.to_state
                  ORDER BY e.seq DESC LIMIT 1), i.updated_at) AS since
    FROM items i
    WHERE i.branch_id = $1 AND i.state = $2
      AND (i.state <> 'returning' OR coalesce((
          SELECT p.place FROM custody_events e
          JOIN unnest($6::text[], $7::text[], $8::text[]) AS p (from_state, action, place)
            ON p.from_state = e.from_state AND p.action = e.action
          WHERE e.item_id = i.id ORDER BY e.seq DESC LIMIT 1), 'branch') = 'branch')
) s
LEFT JOIN staff c ON c.id = s.courier_id
WHERE $3::timestamptz IS NULL OR (s.since, s.id) > ($3, $4)
ORDER BY s.since, s.id
LIMIT $5
"""

# The item a courier asks the phone number of, held against a change of state or courier until
# the reveal is written.
ITEM_FOR_REVEAL = """
SELECT id, state, courier_id, handover_action, citizen_phone FROM items
WHERE tracking_number = $1 FOR SHARE
"""
INSERT_REVEAL = """
INSERT INTO phone_reveals (item_id, staff_id, device_id, revealed_at) VALUES ($1, $2, $3, $4)
"""


async def site(conn: asyncpg.Connection, site_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(SITE, site_id)


async def branches_served(conn: asyncpg.Connection, centre_id: int) -> list[asyncpg.Record]:
    """The branches a sorting centre feeds, by code."""
    return await conn.fetch(BRANCHES_SERVED, centre_id)


async def couriers(conn: asyncpg.Connection, branch_id: int) -> list[asyncpg.Record]:
    """The active couriers of a branch, by username."""
    return await conn.fetch(COURIERS, branch_id)


async def actions_between(conn: asyncpg.Connection, staff_id: int, start: datetime,
                          end: datetime, roles: list[str]) -> dict[str, int]:
    rows = await conn.fetch(ACTIONS_BETWEEN, staff_id, start, end, roles)
    return {r["action"]: r["n"] for r in rows}


async def failures_between(conn: asyncpg.Connection, staff_id: int, start: datetime,
                           end: datetime) -> dict[str, int]:
    rows = await conn.fetch(FAILURES_BETWEEN, staff_id, start, end)
    return {r["reason"] or "other": r["n"] for r in rows}


async def held_by(conn: asyncpg.Connection, courier_id: int,
                  states: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(HELD_BY, courier_id, states)


async def shelf(conn: asyncpg.Connection, *, branch_id: int, state: str,
                after: tuple[datetime, int] | None, limit: int,
                placing: tuple[list[str], list[str], list[str]]) -> list[asyncpg.Record]:
    since, item_id = after if after else (None, None)
    return await conn.fetch(SHELF, branch_id, state, since, item_id, limit, *placing)


async def item_for_reveal(conn: asyncpg.Connection, tracking_number: str) -> asyncpg.Record | None:
    """The item, locked in share mode for the caller's transaction; None when there is none."""
    return await conn.fetchrow(ITEM_FOR_REVEAL, tracking_number)


async def add_reveal(conn: asyncpg.Connection, *, item_id: int, staff_id: int, device_id: str,
                     at: datetime) -> None:
    await conn.execute(INSERT_REVEAL, item_id, staff_id, device_id, at)
