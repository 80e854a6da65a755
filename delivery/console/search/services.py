"""The console's search and item page: load in the viewer's scope → decide (mask, words, the
chain's verdict) → record the reading."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
import msgspec

from delivery.console.scope import Scope
from delivery.console.search import model, store
from delivery.custody import chain, log
from delivery.platform.privacy import mask_name, mask_phone
from delivery.staff.auth import StaffUser

PAGE_SIZE = 20


class ItemLine(msgspec.Struct, frozen=True, kw_only=True):
    """An item as a search result lists it: personal data masked."""

    tracking_number: str
    external_ref: str
    agency: str
    document_type: str
    state: str
    branch: str | None
    branch_ar: str | None
    branch_en: str | None
    updated_at: datetime
    citizen: str | None
    phone: str | None


class Results(msgspec.Struct, frozen=True, kw_only=True):
    items: list[ItemLine]
    page: int
    has_more: bool


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """One line of the timeline, in words."""

    seq: int
    at: datetime
    device_at: datetime | None
    what_ar: str
    what_en: str
    event_code: str
    to_state: str
    actor_role: str
    username: str | None  # a member of staff's; others are named by `actor_ar` / `actor_en`
    actor_ar: str
    actor_en: str
    device_id: str | None
    place_ar: str | None
    place_en: str | None
    details: list[tuple[str, str]]


class PhoneReveal(msgspec.Struct, frozen=True, kw_only=True):
    """The citizen's number shown in full to a courier: when, to whom, on which handheld."""

    at: datetime
    username: str
    device_id: str


class ItemPage(msgspec.Struct, frozen=True, kw_only=True):
    item: ItemLine
    delivery_mode: str | None
    delivery_day: date | None
    delivery_window: str | None
    events: list[Event]
    breaks: list[str]
    reveals: list[PhoneReveal] = []
    old_document: str | None = None  # the old document this item's hand-over took back
    old_document_of: str | None = None  # the new item this old document was taken back for

    @property
    def verified(self) -> bool:
        return not self.breaks


async def search(conn: asyncpg.Connection, *, text: str | None, scope: Scope,
                 page: int = 1) -> Results:
    """The items in scope that the text names, a page at a time; `model.BadQuery` if unusable."""
    wanted = model.classify(text)
    page = max(page, 1)
    rows = await store.search(conn, tracking_number=wanted.tracking_number,
                              reference=wanted.reference, phone_range=wanted.phone_range,
                              scope=scope, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return Results(items=[_line(r) for r in rows[:PAGE_SIZE]], page=page,
                   has_more=len(rows) > PAGE_SIZE)


async def read_item(conn: asyncpg.Connection, *, tracking_number: str, staff: StaffUser,
                    scope: Scope, now: datetime) -> ItemPage | None:
    """The item and its timeline if in scope (None otherwise, existing or not); the reading is
    recorded with who and when."""
    tn = "".join(tracking_number.split()).upper()
    async with conn.transaction(isolation="repeatable_read"):
        row = await store.get_item(conn, tn, scope)
        if row is None:
            return None
        await store.record_read(conn, staff_id=staff.id, item_id=row["id"], at=now)
        events = await store.timeline(conn, row["id"], list(model.STAFF_ROLES))
        chained = await log.load_chain(conn, row["id"])
        reveals = await store.phone_reveals(conn, row["id"])
    head = chain.Head(length=row["chain_length"], hash=row["chain_head"], state=row["state"])
    breaks = chain.verify_item(tn, chained, head)
    return ItemPage(item=_line(row), delivery_mode=row["delivery_mode"],
                    delivery_day=row["delivery_day"], delivery_window=row["delivery_window"],
                    events=[_event(e) for e in events],
                    breaks=[f"#{b.seq}: {b.detail}" for b in breaks],
                    reveals=[PhoneReveal(at=r["revealed_at"], username=r["username"],
                                         device_id=r["device_id"]) for r in reveals],
                    old_document=row["old_document"], old_document_of=row["old_document_of"])


def _line(row: asyncpg.Record) -> ItemLine:
    name, phone = row["citizen_name"], row["citizen_phone"]
    return ItemLine(
        tracking_number=row["tracking_number"], external_ref=row["external_ref"],
        agency=row["agency"], document_type=row["document_type"], state=row["state"],
        branch=row["branch"], branch_ar=row["branch_ar"], branch_en=row["branch_en"],
        updated_at=row["updated_at"], citizen=mask_name(name) if name else None,
        phone=mask_phone(phone) if phone else None)


def _event(row: asyncpg.Record) -> Event:
    what = model.event_words(row["event_code"])
    role = row["actor_role"]
    actor = model.ACTORS.get(role, (role, role))
    return Event(seq=row["seq"], at=row["server_at"], device_at=row["device_at"],
                 what_ar=what[0], what_en=what[1], event_code=row["event_code"],
                 to_state=row["to_state"], actor_role=role, username=row["username"],
                 actor_ar=actor[0], actor_en=actor[1],
                 device_id=row["device_id"], place_ar=row["site_ar"], place_en=row["site_en"],
                 details=model.payload_parts(row["payload"] or {}))
