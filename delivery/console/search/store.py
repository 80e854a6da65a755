"""SQL of the console's search and item page; every statement about items takes the viewer's
scope (`delivery/console/scope.py`)."""

from __future__ import annotations

import asyncpg

from delivery.console.scope import Scope, items_in_scope

_ITEM_COLUMNS = """
    i.id, i.tracking_number, i.external_ref, a.code AS agency, a.name AS agency_name,
    i.document_type, i.state, b.code AS branch, b.name_ar AS branch_ar, b.name_en AS branch_en,
    i.updated_at, i.citizen_name, i.citizen_phone"""
_ITEM_JOINS = """
FROM items i JOIN agencies a ON a.id = i.agency_id LEFT JOIN sites b ON b.id = i.branch_id"""

# Any of: the tracking number, the agency's reference, a phone whose reversed number lies in
# [$3, $4) (its tail; the index items_phone_tail). Null values match nothing.
SEARCH = f"""
SELECT {_ITEM_COLUMNS}
{_ITEM_JOINS}
WHERE (i.tracking_number = $1 OR i.external_ref = $2
       OR (reverse(i.citizen_phone) COLLATE "C" >= $3::text
           AND reverse(i.citizen_phone) COLLATE "C" < $4::text))
  AND {items_in_scope(5)}
ORDER BY i.updated_at DESC, i.id DESC
LIMIT $8 OFFSET $9
"""
# With the old document a new item took back, or the new item an old document was taken for.
ITEM = f"""
SELECT {_ITEM_COLUMNS}, i.delivery_mode, i.delivery_day, i.delivery_window, i.chain_length,
    i.chain_head, o.tracking_number AS old_document, n.tracking_number AS old_document_of
{_ITEM_JOINS}
LEFT JOIN items o ON o.id = i.old_document_item_id
LEFT JOIN items n ON n.id = i.old_document_of
WHERE i.tracking_number = $1 AND {items_in_scope(2)}
"""
# Every event of the item with who and where: staff by their account (an agency's event
# carries the agency's id, so only staff roles are looked up).
TIMELINE = """
SELECT e.seq, e.event_code, e.from_state, e.to_state, e.actor_role, st.username,
    e.device_id, e.server_at, e.device_at, e.payload, s.name_ar AS site_ar, s.name_en AS site_en
FROM custody_events e
LEFT JOIN staff st ON st.id = e.actor_id AND e.actor_role = ANY($2::text[])
LEFT JOIN sites s ON s.id = e.site_id
WHERE e.item_id = $1
ORDER BY e.seq
"""
# Each time the citizen's phone number was shown in full to a courier, oldest first.
PHONE_REVEALS = """
SELECT r.revealed_at, s.username, r.device_id
FROM phone_reveals r JOIN staff s ON s.id = r.staff_id
WHERE r.item_id = $1
ORDER BY r.revealed_at, r.id
"""
RECORD_READ = "INSERT INTO ops_reads (staff_id, item_id, read_at) VALUES ($1, $2, $3)"


async def search(conn: asyncpg.Connection, *, tracking_number: str | None, reference: str | None,
                 phone_range: tuple[str | None, str | None], scope: Scope, limit: int,
                 offset: int) -> list[asyncpg.Record]:
    """Items in scope matching any of the values, most recently changed first."""
    return await conn.fetch(SEARCH, tracking_number, reference, *phone_range, *scope.args(),
                            limit, offset)


async def get_item(conn: asyncpg.Connection, tracking_number: str,
                   scope: Scope) -> asyncpg.Record | None:
    """The item if it is in scope, else None (whether or not it exists)."""
    return await conn.fetchrow(ITEM, tracking_number, *scope.args())


async def timeline(conn: asyncpg.Connection, item_id: int,
                   staff_roles: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(TIMELINE, item_id, staff_roles)


async def phone_reveals(conn: asyncpg.Connection, item_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(PHONE_REVEALS, item_id)


async def record_read(conn: asyncpg.Connection, *, staff_id: int, item_id: int, at) -> None:
    await conn.execute(RECORD_READ, staff_id, item_id, at)
