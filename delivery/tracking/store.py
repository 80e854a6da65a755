"""SQL behind the citizen's page: the item by its token hash, its events, the citizen's choices."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
import msgspec

_ITEM_COLUMNS = """
i.id, i.tracking_number, i.external_ref, i.agency_id, i.document_type, i.state,
i.citizen_name, i.citizen_phone, i.language, i.chosen_language, a.language AS agency_language,
i.governorate, i.district, i.lat, i.lon,
i.delivery_mode, i.hold_until, i.delivery_day, i.delivery_window, i.location_source,
i.mahalla IS NOT NULL OR i.zuqaq IS NOT NULL OR i.house IS NOT NULL AS has_address,
i.branch_id, s.code AS branch_code, s.name_ar AS branch_name_ar, s.name_en AS branch_name_en,
s.name_ckb AS branch_name_ckb, s.opening_hours AS branch_hours, s.lat AS branch_lat,
s.lon AS branch_lon, g.lat AS capital_lat, g.lon AS capital_lon,
EXISTS (SELECT 1 FROM citizen_reports r WHERE r.item_id = i.id) AS reported, i.pii_purged_at
"""
SELECT_BY_TOKEN = f"""
SELECT {_ITEM_COLUMNS},
    (SELECT coalesce(json_agg(json_build_array(e.event_code, e.server_at) ORDER BY e.seq), '[]')
     FROM custody_events e WHERE e.item_id = i.id) AS events
FROM items i
LEFT JOIN sites s ON s.id = i.branch_id
JOIN agencies a ON a.id = i.agency_id
JOIN governorates g ON g.code = i.governorate
WHERE i.token_hash = $1
"""
SELECT_BY_ID = SELECT_BY_TOKEN.replace("WHERE i.token_hash = $1", "WHERE i.id = $1")
LOCK_BY_TOKEN = f"""
SELECT {_ITEM_COLUMNS}, '[]'::json AS events
FROM items i
LEFT JOIN sites s ON s.id = i.branch_id
JOIN agencies a ON a.id = i.agency_id
JOIN governorates g ON g.code = i.governorate
WHERE i.token_hash = $1
FOR UPDATE OF i
"""
LOCK_BY_ID = LOCK_BY_TOKEN.replace("WHERE i.token_hash = $1", "WHERE i.id = $1")
SELECT_BRANCHES = """
SELECT id, code, name_ar, name_en, name_ckb, opening_hours, lat, lon
FROM sites WHERE kind = 'branch' AND code = ANY($1::text[])
"""
SET_MODE = "UPDATE items SET delivery_mode = $2 WHERE id = $1"
SET_BRANCH = "UPDATE items SET branch_id = $2, assignment_rule = $3 WHERE id = $1"
SET_POINT = """
UPDATE items SET lat = $2, lon = $3, location_source = 'citizen_geolocation' WHERE id = $1
"""
SET_ADDRESS = """
UPDATE items SET district = coalesce($2, district), mahalla = $3, zuqaq = $4, house = $5,
    landmark = coalesce($6, landmark)
WHERE id = $1
"""
# Only when it changes: a page view then costs no write.
SET_CHOSEN_LANGUAGE = """
UPDATE items SET chosen_language = $2 WHERE id = $1 AND chosen_language IS DISTINCT FROM $2
"""
SET_SCHEDULE = "UPDATE items SET delivery_day = $2, delivery_window = $3 WHERE id = $1"
# Each member of staff who scanned the item, with what they did, in order of first appearance.
SELECT_STAFF_OF_ITEM = """
SELECT actor_role AS role, actor_id AS id, array_agg(action ORDER BY seq) AS actions
FROM custody_events
WHERE item_id = $1 AND actor_id IS NOT NULL
  AND actor_role IN ('sorting_clerk', 'branch_clerk', 'courier', 'supervisor')
GROUP BY actor_role, actor_id
ORDER BY min(seq)
"""
INSERT_REPORT = """
INSERT INTO citizen_reports (item_id, branch_id, asked_for_money, complaint, staff, created_at)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (item_id) DO NOTHING
RETURNING id
"""


class TrackedItem(msgspec.Struct, frozen=True, kw_only=True):
    """An item as its citizen's page needs it."""

    id: int
    tracking_number: str
    external_ref: str
    agency_id: int
    document_type: str
    state: str
    citizen_name: str | None
    citizen_phone: str | None
    language: str | None  # the agency's word for this citizen
    chosen_language: str | None  # the citizen's own choice, made on the page
    agency_language: str | None  # the agency's default for its citizens
    governorate: str
    district: str | None
    lat: float | None
    lon: float | None
    delivery_mode: str | None
    hold_until: datetime | None
    delivery_day: date | None
    delivery_window: str | None
    location_source: str | None
    has_address: bool
    branch_id: int | None
    branch_code: str | None
    branch_name_ar: str | None
    branch_name_en: str | None
    branch_name_ckb: str | None
    branch_hours: list | None
    branch_lat: float | None
    branch_lon: float | None
    capital_lat: float
    capital_lon: float
    reported: bool
    pii_purged_at: datetime | None  # personal data removed (PII_RETENTION_DAYS after the end)
    events: list


class BranchRow(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    name_ar: str
    name_en: str
    name_ckb: str
    opening_hours: list
    lat: float
    lon: float


async def get_item(conn: asyncpg.Connection, digest: bytes) -> TrackedItem | None:
    """The item whose token hashes to `digest`, with its events; None when there is none."""
    row = await conn.fetchrow(SELECT_BY_TOKEN, digest)
    return _item(row) if row else None


async def get_item_by_id(conn: asyncpg.Connection, item_id: int) -> TrackedItem | None:
    """`get_item` by the item's id (the help desk has no token)."""
    row = await conn.fetchrow(SELECT_BY_ID, item_id)
    return _item(row) if row else None


async def lock_item(conn: asyncpg.Connection, digest: bytes) -> TrackedItem | None:
    """The same item, row-locked for a change (inside the caller's transaction)."""
    row = await conn.fetchrow(LOCK_BY_TOKEN, digest)
    return _item(row) if row else None


async def lock_item_by_id(conn: asyncpg.Connection, item_id: int) -> TrackedItem | None:
    """`lock_item` by the item's id (an answer by SMS has no token)."""
    row = await conn.fetchrow(LOCK_BY_ID, item_id)
    return _item(row) if row else None


def _item(row: asyncpg.Record) -> TrackedItem:
    values = dict(row)
    values["events"] = [(code, datetime.fromisoformat(at)) for code, at in values["events"]]
    return TrackedItem(**values)


async def branches(conn: asyncpg.Connection, codes: list[str]) -> dict[str, BranchRow]:
    """Branches by code (unknown codes are left out)."""
    rows = await conn.fetch(SELECT_BRANCHES, codes)
    return {r["code"]: BranchRow(**dict(r)) for r in rows}


async def set_mode(conn: asyncpg.Connection, item_id: int, mode: str) -> None:
    await conn.execute(SET_MODE, item_id, mode)


async def set_branch(conn: asyncpg.Connection, item_id: int, branch_id: int, rule: str) -> None:
    await conn.execute(SET_BRANCH, item_id, branch_id, rule)


async def set_point(conn: asyncpg.Connection, item_id: int, lat: float, lon: float) -> None:
    await conn.execute(SET_POINT, item_id, lat, lon)


async def set_address(conn: asyncpg.Connection, item_id: int, *, district: str | None,
                      mahalla: str | None, zuqaq: str | None, house: str | None,
                      landmark: str | None) -> None:
    await conn.execute(SET_ADDRESS, item_id, district, mahalla, zuqaq, house, landmark)


async def set_chosen_language(conn: asyncpg.Connection, item_id: int, language: str) -> None:
    """The language the citizen chose on their page (their SMS follow it)."""
    await conn.execute(SET_CHOSEN_LANGUAGE, item_id, language)


async def set_schedule(conn: asyncpg.Connection, item_id: int, day: date, window: str) -> None:
    await conn.execute(SET_SCHEDULE, item_id, day, window)


async def staff_of_item(conn: asyncpg.Connection, item_id: int) -> list[dict]:
    """[{role, id, actions}] of the staff in the item's custody log."""
    rows = await conn.fetch(SELECT_STAFF_OF_ITEM, item_id)
    return [{"role": r["role"], "id": r["id"], "actions": list(r["actions"])} for r in rows]


async def insert_report(conn: asyncpg.Connection, *, item_id: int, branch_id: int | None,
                        asked_for_money: bool, complaint: str, staff: list[dict],
                        at: datetime) -> int | None:
    """The citizen's answer; None when the item already has one."""
    return await conn.fetchval(INSERT_REPORT, item_id, branch_id, asked_for_money, complaint,
                               staff, at)
