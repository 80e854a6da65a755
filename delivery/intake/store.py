"""SQL for items as agencies hand them over and read them back."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.custody import log as custody_log
from delivery.custody import store as custody_store
from delivery.outbox import rows as outbox
from delivery.outbox import store as outbox_store
from delivery.platform.db import Composed

# One lookup of (agency_id, external_ref) per reference: written as `external_ref = ANY(...)`,
# PostgreSQL could instead walk every item of the agency on `items_agency_registered` and test
# each against the whole list (seen: 4 s for a batch of 10,000 once its estimates went stale).
SELECT_EXISTING = """
SELECT i.external_ref, i.tracking_number, i.fingerprint, i.comparable
FROM unnest($2::text[]) AS r (external_ref)
JOIN items i ON i.agency_id = $1 AND i.external_ref = r.external_ref
"""
# Ids come first so that the custody events, whose hashes cover the item id, can be chained
# before anything is sent, and all three tables written by one statement per chunk.
# The identity's sequence is looked up once (a scalar subquery), not per row, where it cost
# several times the nextval itself.
ALLOCATE = """
SELECT nextval((SELECT pg_get_serial_sequence('items', 'id'))::regclass), nextval('item_serial')
FROM generate_series(1, $1)
"""
# The items, their first custody events, their citizens' first SMS and their agency's
# webhooks. The items travel as one jsonb array of NewItemRow (bytes in base64): the server
# reads it about as fast as binary arrays, and the client encodes it far faster. Each item
# carries the hash of its first event, the head of its chain, from which that event is written.
# ON CONFLICT: a concurrent request may have taken a reference since we looked; that item's
# event and messages are then dropped with it.
_IS_NEW = "IN (SELECT id FROM new_items)"
# $1 the agency, $2 the time, $3 the items (NewItemRow, as jsonb).
_NEW_ITEMS = """
    INSERT INTO items (id, tracking_number, agency_id, external_ref, fingerprint, comparable,
        document_type, state, citizen_name, citizen_phone, national_id_hash, national_id_last4,
        language, governorate, district, address_text, landmark, lat, lon, delivery_mode,
        branch_id, assignment_rule, token_hash, created_at, updated_at, chain_length,
        chain_head, old_document_number, location_warning)
    OVERRIDING SYSTEM VALUE
    SELECT t.id, t.tracking_number, $1, t.external_ref, decode(t.fingerprint, 'base64'),
        t.comparable, t.document_type, 'registered', t.name, t.phone,
        decode(t.national_id_hash, 'base64'), t.national_id_last4, t.language, t.governorate,
        t.district, t.address_text, t.landmark, t.lat, t.lon, t.mode, s.id, t.assignment_rule,
        decode(t.token_hash, 'base64'), $2, $2, 1, decode(t.chain_head, 'base64'),
        t.old_document_number, t.location_warning
    FROM jsonb_to_recordset($3::jsonb) AS t (id bigint, tracking_number text,
        external_ref text, fingerprint text, comparable jsonb, document_type text, name text,
        phone text, national_id_hash text, national_id_last4 text, language text,
        governorate text, district text, address_text text, landmark text, lat float8,
        lon float8, mode text, branch_code text, assignment_rule text, token_hash text,
        chain_head text, old_document_number text, location_warning text)
    LEFT JOIN sites s ON s.code = t.branch_code
    ON CONFLICT (agency_id, external_ref) DO NOTHING
    RETURNING id, external_ref, tracking_number, chain_head
"""


def _register() -> str:
    statement = Composed()
    statement.with_("new_items", _NEW_ITEMS)
    statement.with_("first_events", custody_store.insert_first_events(
        "(SELECT id AS item_id, chain_head AS hash FROM new_items)"))
    statement.with_("sms", f"{outbox_store.INSERT_SAME_KIND} WHERE m.item_id {_IS_NEW}")
    statement.with_("webhooks", f"{outbox_store.INSERT_SAME_KIND} WHERE m.item_id {_IS_NEW}")
    return statement.statement("SELECT id, external_ref, tracking_number FROM new_items")


# Parameters: _NEW_ITEMS', then the first events', the SMS' and the webhooks' (see `register`).
REGISTER = _register()
ITEM_OUT_COLUMNS = """
i.id, i.tracking_number, i.external_ref, i.document_type, i.state, i.citizen_name,
i.citizen_phone, i.language, i.governorate, i.delivery_mode, i.district,
i.address_text IS NOT NULL AS has_address_text, i.lat IS NOT NULL AS has_location,
i.assignment_rule, i.created_at, i.updated_at, s.code AS branch_code, s.name_en AS branch_name,
i.hold_until, i.pii_purged_at, i.location_warning
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
  AND ($2::text[] IS NULL OR i.state = ANY ($2))
  AND ($3::timestamptz IS NULL OR i.updated_at >= $3)
  AND ($4::timestamptz IS NULL OR (i.updated_at, i.id) < ($4, $5))
  AND ($7::text IS NULL OR i.document_type = $7)
  AND ($8::text IS NULL OR i.external_ref = $8)
  AND ($9::text IS NULL OR s.code = $9)
ORDER BY i.updated_at DESC, i.id DESC
LIMIT $6
"""
SELECT_EVENTS = """
SELECT e.server_at, e.device_at, e.action, e.to_state, s.code AS site, e.payload->>'reason' AS reason
FROM custody_events e LEFT JOIN sites s ON s.id = e.site_id
WHERE e.item_id = $1 ORDER BY e.seq
"""
# What one item's agency may keep of its hand-overs: the chain's head, the hand-over to the
# citizen with its proof (`judge._proof`) and the citizen's point to measure it against, the
# newest reason it was sent back for, and who at the agency signed for it.
SELECT_HANDOVER_FACTS = """
SELECT encode(i.chain_head, 'hex') AS chain_head, i.lat, i.lon,
    h.server_at AS handed_at, h.payload->'proof' AS proof,
    (SELECT e.payload->>'return_reason' FROM custody_events e
     WHERE e.item_id = i.id AND e.payload ? 'return_reason'
     ORDER BY e.seq DESC LIMIT 1) AS return_reason,
    (SELECT e.payload->'signed_by' FROM custody_events e
     WHERE e.item_id = i.id AND e.action = 'returned' AND e.payload ? 'signed_by'
     ORDER BY e.seq DESC LIMIT 1) AS signed_by,
    h.payload->'old_document' AS old_document_handed, i.old_document_number,
    o.tracking_number AS old_tracking_number, o.state AS old_state,
    n.tracking_number AS old_document_of
FROM items i
LEFT JOIN items o ON o.id = i.old_document_item_id
LEFT JOIN items n ON n.id = i.old_document_of
LEFT JOIN LATERAL (
    SELECT e.server_at, e.payload FROM custody_events e
    WHERE e.item_id = i.id AND e.to_state = i.state AND e.from_state IS DISTINCT FROM e.to_state
      AND i.state IN ('delivered', 'collected')
      AND (e.payload ? 'proof' OR e.payload ? 'old_document')  -- a test mode's has no proof
    ORDER BY e.seq DESC LIMIT 1
) h ON true
WHERE i.id = $1
"""
# An agency's items handed back to it between two instants (`returned`: the agency's signature
# at the sorting centre), each with the newest reason it was sent back for.
# Index: custody_events_returned (migration 0028).
SELECT_RETURNED = """
SELECT i.tracking_number, i.external_ref, i.document_type, e.server_at AS returned_at,
    e.payload->'signed_by' AS signed_by, s.code AS centre,
    (SELECT r.payload->>'return_reason' FROM custody_events r
     WHERE r.item_id = i.id AND r.payload ? 'return_reason'
     ORDER BY r.seq DESC LIMIT 1) AS return_reason
FROM custody_events e
JOIN items i ON i.id = e.item_id
LEFT JOIN sites s ON s.id = e.site_id
WHERE e.action = 'returned' AND e.server_at >= $2 AND e.server_at < $3 AND i.agency_id = $1
ORDER BY e.server_at, e.id
"""


class ExistingItem(msgspec.Struct, frozen=True, kw_only=True):
    tracking_number: str
    fingerprint: bytes
    comparable: dict


class NewItemRow(msgspec.Struct, frozen=True, kw_only=True):
    """A row ready for insertion: every value already validated, hashed and assigned."""

    id: int
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
    chain_head: bytes  # the hash of the item's first custody event
    old_document_number: str | None = None
    location_warning: str | None = None  # see `intake.placement`

# --- idempotency keys ----------------------------------------------------------------------------

# One request per key at a time ($1 the key, $2 the agency), until its transaction ends.
LOCK_KEY = "SELECT pg_advisory_xact_lock(hashtextextended($1, $2))"
SELECT_KEY = """
SELECT request_hash, status_code, response FROM idempotency_keys
WHERE agency_id = $1 AND key = $2
"""
INSERT_KEY = """
INSERT INTO idempotency_keys (agency_id, key, request_hash, status_code, response)
VALUES ($1, $2, $3, $4, $5)
"""


async def existing_items(conn: asyncpg.Connection, agency_id: int,
                         refs: list[str]) -> dict[str, ExistingItem]:
    rows = await conn.fetch(SELECT_EXISTING, agency_id, refs)
    return {r["external_ref"]: ExistingItem(tracking_number=r["tracking_number"],
                                            fingerprint=r["fingerprint"],
                                            comparable=r["comparable"]) for r in rows}


async def allocate(conn: asyncpg.Connection, count: int) -> list[tuple[int, int]]:
    """(item id, tracking serial) for `count` new items."""
    return [(r[0], r[1]) for r in await conn.fetch(ALLOCATE, count)]


async def register(conn: asyncpg.Connection, agency_id: int, at: datetime,
                   items: list[NewItemRow], events: custody_log.FirstEvents,
                   sms: outbox.SameKind, webhooks: outbox.SameKind) -> dict[str, tuple[int, str]]:
    """Write new items with their first events and outbox rows in one statement; return
    external_ref → (id, tracking number) of the items written (a reference taken meanwhile by
    a concurrent request is left out, with its event and messages)."""
    written = await conn.fetch(REGISTER, agency_id, at, items,
                               *custody_log.first_events_args(events),
                               *outbox.same_kind_args(sms), *outbox.same_kind_args(webhooks))
    return {r["external_ref"]: (r["id"], r["tracking_number"]) for r in written}


async def get_item(conn: asyncpg.Connection, agency_id: int,
                   tracking_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ITEM, agency_id, tracking_number)


async def get_item_by_ref(conn: asyncpg.Connection, agency_id: int,
                          external_ref: str) -> asyncpg.Record | None:
    return await conn.fetchrow(SELECT_ITEMS_BY_REF, agency_id, external_ref)


async def list_items(conn: asyncpg.Connection, agency_id: int, *, states: list[str] | None,
                     document_type: str | None = None, external_ref: str | None = None,
                     branch: str | None = None, updated_since: datetime | None,
                     after: tuple[datetime, int] | None, limit: int) -> list[asyncpg.Record]:
    after_at, after_id = after if after else (None, None)
    return await conn.fetch(LIST_ITEMS, agency_id, states, updated_since, after_at, after_id,
                            limit, document_type, external_ref, branch)


async def item_events(conn: asyncpg.Connection, item_id: int) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_EVENTS, item_id)


async def returned_between(conn: asyncpg.Connection, agency_id: int, start: datetime,
                           end: datetime) -> list[asyncpg.Record]:
    return await conn.fetch(SELECT_RETURNED, agency_id, start, end)


async def handover_facts(conn: asyncpg.Connection, item_id: int) -> asyncpg.Record:
    return await conn.fetchrow(SELECT_HANDOVER_FACTS, item_id)
