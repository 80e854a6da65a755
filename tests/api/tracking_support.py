"""Items in any state with a known tracking token, for the citizen-page tests."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import asyncpg

from delivery.custody import log, s10
from notifications.links import new_tracking_token, token_hash
from tests.helpers import create_agency

_serial = itertools.count(1)
# Karkh, inside the BG-002 demo area; Dora is far to the south-east.
KARKH = (33.3200, 44.3800)
DORA = (33.2520, 44.3900)

INSERT_ITEM = """
INSERT INTO items (tracking_number, agency_id, external_ref, fingerprint, comparable,
    document_type, state, citizen_phone, language, governorate, district,
    address_text, lat, lon, delivery_mode, branch_id, assignment_rule, token_hash, hold_until,
    chosen_language, citizen_name)
VALUES ($1, $2, $3, '\\x00', '{}', $4, $5, '+9647701234567', $6, $13,
    'Karkh', 'mahalla 314, zuqaq 7, house 12', $7, $8, $9,
    (SELECT id FROM sites WHERE code = $10), 'area', $11, $12, $14, $15)
RETURNING id
"""
# The handheld path to each state, as (action, to_state, role) after registration.
PATHS = {
    "registered": [],
    "received": [("receive", "received", "sorting_clerk")],
    "in_transit": [("receive", "received", "sorting_clerk"),
                   ("dispatch", "in_transit", "sorting_clerk")],
}
PATHS["at_branch"] = [*PATHS["in_transit"], ("arrive", "at_branch", "branch_clerk")]
PATHS["out_for_delivery"] = [*PATHS["at_branch"],
                             ("to_courier", "out_for_delivery", "branch_clerk"),
                             ("take", "out_for_delivery", "courier")]
PATHS["delivery_failed"] = [*PATHS["out_for_delivery"], ("fail", "delivery_failed", "courier")]
PATHS["delivered"] = [*PATHS["out_for_delivery"], ("deliver", "delivered", "courier")]
PATHS["ready_for_pickup"] = [*PATHS["at_branch"], ("shelve", "ready_for_pickup", "branch_clerk")]
PATHS["collected"] = [*PATHS["ready_for_pickup"], ("collect", "collected", "branch_clerk")]
PATHS["returning"] = [*PATHS["ready_for_pickup"], ("expire_hold", "returning", "scheduler")]
PATHS["cancelled"] = [("cancel", "cancelled", "agency")]


async def agency_id(conn: asyncpg.Connection, language: str | None = None) -> int:
    """The test agency; one per default language for its citizens (none by default)."""
    code = f"MOI-TEST-{language.upper()}" if language else "MOI-TEST"
    existing = await conn.fetchval("SELECT id FROM agencies WHERE code = $1", code)
    if existing:
        return existing
    await create_agency(conn, code)
    return await conn.fetchval("UPDATE agencies SET language = $2 WHERE code = $1 RETURNING id",
                               code, language)


async def staff_ids(conn: asyncpg.Connection) -> dict[str, int]:
    """One member of staff per scanning role (created once per test database state)."""
    ids = {}
    for role, site in (("sorting_clerk", "SC-BG"), ("branch_clerk", "BG-002"),
                       ("courier", "BG-002")):
        name = f"t-{role.replace('_', '-')}"
        found = await conn.fetchval("SELECT id FROM staff WHERE username = $1", name)
        if found is None:
            found = await conn.fetchval(
                "INSERT INTO staff (username, password_hash, role, site_id) "
                "VALUES ($1, 'x', $2, (SELECT id FROM sites WHERE code = $3)) RETURNING id",
                name, role, site)
        ids[role] = found
    return ids


async def new_item(conn: asyncpg.Connection, *, state: str = "registered",
                   mode: str | None = "home", point: tuple[float, float] | None = KARKH,
                   document_type: str = "passport", language: str | None = None,
                   branch: str = "BG-002", hold_days: int | None = None,
                   governorate: str = "IQ-BG", agency_language: str | None = None,
                   chosen_language: str | None = None,
                   name: str = "Ahmed Ali Hassan") -> tuple[str, int]:
    """An item in `state` with a custody history that got it there; returns (token, id)."""
    token = new_tracking_token()
    serial = next(_serial) + int(datetime.now(UTC).timestamp()) % 1_000_000 * 10
    lat, lon = point if point else (None, None)
    hold = datetime.now(UTC) + timedelta(days=hold_days) if hold_days else None
    item_id = await conn.fetchval(
        INSERT_ITEM, s10.make_tracking_number(serial % 99_999_999 + 1),
        await agency_id(conn, agency_language), f"REF-{serial}", document_type, state, language,
        lat, lon, mode, branch, token_hash(token), hold, governorate, chosen_language, name)
    await _history(conn, item_id, state)
    return token, item_id


async def _history(conn: asyncpg.Connection, item_id: int, state: str) -> None:
    now = datetime.now(UTC) - timedelta(hours=len(PATHS[state]) + 1)
    await log.append_first(conn, [log.Event(
        item_id=item_id, action="register", from_state=None, to_state="registered",
        event_code="registered", emsevt="EMA", actor_role="agency", server_at=now)])
    staff = await staff_ids(conn)
    previous = "registered"
    events = []
    for step, (action, to_state, role) in enumerate(PATHS[state], start=1):
        code = {"receive": "received", "to_courier": "handed_to_courier", "take": "taken",
                "deliver": "delivered", "fail": "delivery_failed", "collect": "collected",
                "arrive": "arrived", "dispatch": "dispatched", "shelve": "shelved",
                "expire_hold": "hold_expired", "cancel": "cancelled"}[action]
        events.append(log.Event(
            item_id=item_id, action=action, from_state=previous, to_state=to_state,
            event_code=code, emsevt=None, actor_role=role, actor_id=staff.get(role),
            server_at=now + timedelta(hours=step)))
        previous = to_state
    await log.append(conn, events)
