"""SQL behind the help desk: lookups, the code checks, the items the desk may open."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from delivery.console.helpdesk.model import Check
from delivery.console.scope import items_in_scope

# Both parts must match one item in the desk's scope; which part was wrong is not told.
FIND_ITEM = f"""
SELECT i.id FROM items i
WHERE i.tracking_number = $1 AND i.citizen_phone = $2 AND i.pii_purged_at IS NULL
  AND {items_in_scope(3)}
"""
ADD_LOOKUP = "INSERT INTO helpdesk_lookups (staff_id, item_id, at) VALUES ($1, $2, $3)"
# One lookup at a time per member of staff, so the count cannot be raced past.
LOOKUP_LOCK = "SELECT pg_advisory_xact_lock(hashtext('helpdesk-lookup'), $1::int)"
CODES_SENT_SINCE = """
SELECT count(*) FROM outbox
WHERE item_id = $1 AND channel = 'sms' AND topic = $2 AND created_at > $3
"""
RECENT_LOOKUPS = "SELECT count(*) FROM helpdesk_lookups WHERE staff_id = $1 AND at > $2"
# An item is open to the desk only in scope and after one of this member of staff's lookups
# found it lately: an id in the address bar opens nothing by itself.
OPEN_ITEM = f"""
SELECT i.id FROM items i
WHERE i.id = $1 AND {items_in_scope(5)}
  AND EXISTS (SELECT 1 FROM helpdesk_lookups l
              WHERE l.staff_id = $2 AND l.item_id = i.id AND l.at > $3 AND l.at <= $4)
"""
GET_CHECK = """
SELECT item_id, staff_id, code_mac, sent_at, wrong_attempts, confirmed_at
FROM helpdesk_checks WHERE item_id = $1 AND staff_id = $2
"""
LOCK_CHECK = GET_CHECK + "FOR UPDATE"
# A new send replaces the live check: a fresh code, no wrong attempts, not confirmed.
PUT_CHECK = """
INSERT INTO helpdesk_checks (item_id, staff_id, code_mac, sent_at)
VALUES ($1, $2, $3, $4)
ON CONFLICT (item_id, staff_id) DO UPDATE
SET code_mac = EXCLUDED.code_mac, sent_at = EXCLUDED.sent_at, wrong_attempts = 0,
    confirmed_at = NULL
"""
COUNT_WRONG = """
UPDATE helpdesk_checks SET wrong_attempts = wrong_attempts + 1
WHERE item_id = $1 AND staff_id = $2
"""
CONFIRM = """
UPDATE helpdesk_checks SET confirmed_at = $3 WHERE item_id = $1 AND staff_id = $2
"""
# What the desk's page shows of an item (personal data masked by the service).
ITEM_EVENTS = """
SELECT e.action, e.actor_role, e.server_at FROM custody_events e
WHERE e.item_id = $1 ORDER BY e.seq DESC LIMIT $2
"""


async def find_item(conn: asyncpg.Connection, tracking_number: str, phone: str,
                    scope: tuple) -> int | None:
    """The id of the item matching both parts in scope; None otherwise."""
    return await conn.fetchval(FIND_ITEM, tracking_number, phone, *scope)


async def add_lookup(conn: asyncpg.Connection, staff_id: int, item_id: int | None, *,
                     now: datetime) -> None:
    """Record a lookup, with the item it found (None when it found nothing)."""
    await conn.execute(ADD_LOOKUP, staff_id, item_id, now)


async def one_lookup_at_a_time(conn: asyncpg.Connection, staff_id: int) -> None:
    """Hold this member of staff's lookups until the caller's transaction ends."""
    await conn.execute(LOOKUP_LOCK, staff_id)


async def recent_lookups(conn: asyncpg.Connection, staff_id: int, since: datetime) -> int:
    return await conn.fetchval(RECENT_LOOKUPS, staff_id, since)


async def open_item(conn: asyncpg.Connection, item_id: int, staff_id: int, scope: tuple, *,
                    since: datetime, now: datetime) -> bool:
    """Whether the item is in scope and this member of staff found it lately."""
    return await conn.fetchval(OPEN_ITEM, item_id, staff_id, since, now, *scope) is not None


async def get_check(conn: asyncpg.Connection, item_id: int, staff_id: int, *,
                    lock: bool = False) -> Check | None:
    row = await conn.fetchrow(LOCK_CHECK if lock else GET_CHECK, item_id, staff_id)
    return Check(**dict(row)) if row else None


async def codes_sent_since(conn: asyncpg.Connection, item_id: int, kind: str,
                           since: datetime) -> int:
    """How many help desk codes the item's citizen was sent since then, by every desk."""
    return await conn.fetchval(CODES_SENT_SINCE, item_id, kind, since)


async def put_check(conn: asyncpg.Connection, item_id: int, staff_id: int, code_mac: bytes,
                    sent_at: datetime) -> None:
    await conn.execute(PUT_CHECK, item_id, staff_id, code_mac, sent_at)


async def count_wrong(conn: asyncpg.Connection, item_id: int, staff_id: int) -> None:
    await conn.execute(COUNT_WRONG, item_id, staff_id)


async def confirm(conn: asyncpg.Connection, item_id: int, staff_id: int, at: datetime) -> None:
    await conn.execute(CONFIRM, item_id, staff_id, at)


async def item_events(conn: asyncpg.Connection, item_id: int, limit: int = 10) -> list:
    """The item's latest custody events, newest first."""
    return await conn.fetch(ITEM_EVENTS, item_id, limit)
