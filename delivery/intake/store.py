"""SQL for items as agencies hand them over and read them back."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

SELECT_EXISTING = """
SELECT external_ref, tracking_number, fingerprint, comparable
FROM items WHERE agency_id = $1 AND external_ref = ANY($2::text[])
"""
NEXT_SERIALS = "SELECT nextval('item_serial') FROM generate_series(1, $1)"
# ON CONFLICT: a concurrent request may have taken the same reference since we looked.
INSERT_ITEMS = """
INSERT INTO items (tracking_number, agency_id, external_ref, fingerprint, comparable,
    document_type, state, citizen_name, citizen_phone, national_id_hash, national_id_last4,
    language, governorate, district, address_text, landmark, lat, lon, delivery_mode,
    branch_id, assignment_rule, token_hash, created_at, updated_at)
SELECT t.tn, $1, t.ref, t.fp, t.cmp, t.dtype, 'registered', t.name, t.phone, t.nid_hash,
    t.nid4, t.lang, t.gov, t.district, t.addr, t.landmark, t.lat, t.lon, t.mode,
    s.id, t.rule, t.token_hash, $2, $2
FROM unnest($3::text[], $4::text[], $5::bytea[], $6::jsonb[], $7::text[], $8::text[],
            $9::text[], $10::bytea[], $11::text[], $12::text[], $13::text[], $14::text[],
            $15::text[], $16::text[], $17::float8[], $18::float8[], $19::text[], $20::text[],
            $21::text[], $22::bytea[])
    WITH ORDINALITY AS t(tn, ref, fp, cmp, dtype, name, phone, nid_hash, nid4, lang, gov,
                         district, addr, landmark, lat, lon, mode, branch, rule, token_hash, n)
LEFT JOIN sites s ON s.code = t.branch
ORDER BY t.n
ON CONFLICT (agency_id, external_ref) DO NOTHING
RETURNING id, external_ref, tracking_number
"""
ITEM_OUT_COLUMNS = """
i.id, i.tracking_number, i.external_ref, i.document_type, i.state, i.citizen_name,
i.citizen_phone, i.language, i.governorate, i.delivery_mode, i.district,
i.address_text IS NOT NULL AS has_address_text, i.lat IS NOT NULL AS has_location,
i.assignment_rule, i.created_at, i.updated_at, s.code AS branch_code, s.name_en AS branch_name,
i.hold_until
"""
SELECT_ITEM = f"""
SELECT {ITEM_OUT_COLUMNS} FROM items i LEFT JOIN sites s ON s.id = i.branch_id
WHERE i.agency_id = $1 AND i.tracking_number = $2
"""
SELECT_ITEMS_BY_REF = f"""
SELECT {ITEM_OUT_COLUMNS} FROM items i LEFT JOIN sites s ON s.id = i.branch_id
WHERE i.agency_id = $1 AND i.external_ref = $2
"""
# Keyset pagination, newest change first: rows inserted meanwhile land before the cursor.
LIST_ITEMS = f"""
SELECT {ITEM_OUT_COLUMNS} FROM items i LEFT JOIN sites s ON s.id = i.branch_id
WHERE i.agency_id = $1
  AND ($2::text IS NULL OR i.state = $2)
  AND ($3::timestamptz IS NULL OR i.updated_at >= $3)
  AND ($4::timestamptz IS NULL OR (i.updated_at, i.id) < ($4, $5))
ORDER BY i.updated_at DESC, i.id DESC
LIMIT $6
"""
SELECT_EVENTS = """
SELECT e.server_at, e.device_at, e.action, e.to_state, s.code AS site, e.payload->>'reason' AS reason
FROM custody_events e LEFT JOIN sites s ON s.id = e.site_id
WHERE e.item_id = $1 ORDER BY e.seq
"""


class ExistingItem(msgspec.Struct, frozen=True, kw_only=True):
    tracking_number: str
    fingerprint: bytes
    comparable: dict


class NewItemRow(msgspec.Struct, frozen=True, kw_only=True):
    """A row ready for insertion: every value already validated, hashed and assigned."""

    tracking_number: str
    external_ref: str
    fingerprint: bytes
    comparable: dict
    document_type: str
    name: str
    phone: str
    national_id_hash: bytes
    national_id_last4: str
    language: str | None
    governorate: str
    district: str | None
    address_text: str | None
    landmark: str | None
    lat: float | None
    lon: float | None
    mode: str | None
    branch_code: str | None
    assignment_rule: str
    token_hash: bytes


async def existing_items(conn: asyncpg.Connection, agency_id: int,
                         refs: list[str]) -> dict[str, ExistingItem]:
    rows = await conn.fetch(SELECT_EXISTING, agency_id, refs)
    return {r["external_ref"]: ExistingItem(tracking_number=r["tracking_number"],
                                            fingerprint=r["fingerprint"],
                                            comparable=r["comparable"]) for r in rows}


async def next_serials(conn: asyncpg.Connection, count: int) -> list[int]:
    return [r[0] for r in await conn.fetch(NEXT_SERIALS, count)]


async def insert_items(conn: asyncpg.Connection, agency_id: int, at: datetime,
                       rows: list[NewItemRow]) -> dict[str, tuple[int, str]]:
    """Insert in one statement; return external_ref → (id, tracking number) of rows inserted."""
    columns = [[getattr(r, f) for r in rows] for f in (
        "tracking_number", "external_ref", "fingerprint", "comparable", "document_type", "name",
        "phone", "national_id_hash", "national_id_last4", "language", "governorate", "district",
        "address_text", "landmark", "lat", "lon", "mode", "branch_code", "assignment_rule",
        "token_hash")]
    inserted = await conn.fetch(INSERT_ITEMS, agency_id, at, *columns)
    return {r["external_ref"]: (r["id"], r["tracking_number"]) for r in inserted}


async def get_item(conn: asyncpg.Connection, agency_id: int,
                   tracking_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ITEM, agency_id, tracking_number)


async def get_item_by_ref(conn: asyncpg.Connection, agency_id: int,
                          external_ref: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ITEMS_BY_REF, agency_id, external_ref)


async def list_items(conn: asyncpg.Connection, agency_id: int, *, state: str | None,
                     updated_since: datetime | None, after: tuple[datetime, int] | None,
                     limit: int) -> list[asyncpg.Record]:
    after_at, after_id = after if after else (None, None)
    return await conn.fetch(LIST_ITEMS, agency_id, state, updated_since, after_at, after_id,
                            limit)


async def item_events(conn: asyncpg.Connection, item_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_EVENTS, item_id)
