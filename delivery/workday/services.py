"""A member of staff's working day: load → decide (`model`) → answer, and for a phone reveal,
save the reveal in the same transaction as the check."""

from __future__ import annotations

from datetime import date, datetime

import asyncpg
import msgspec

from delivery.custody.anchors import day_bounds, local_day
from delivery.custody.judge import HANDHELD_ACTIONS
from delivery.custody.model import PLACING
from delivery.platform.cursors import decode_cursor, encode_cursor
from delivery.platform.errors import NotFound
from delivery.platform.privacy import mask_name
from delivery.staff.auth import StaffUser
from delivery.staff.model import StaffRole
from delivery.workday import model, store

STAFF_ROLES = [str(r) for r in StaffRole]
_SCAN_ACTIONS = frozenset(str(a) for a in HANDHELD_ACTIONS)
# The custody table's placing rows as three parallel arrays (for the shelf's returning items).
_PLACING = ([str(s) for s, _ in PLACING], [str(a) for _, a in PLACING],
            [str(p) for p in PLACING.values()])


class SiteOut(msgspec.Struct, frozen=True, kw_only=True):
    """A site: `name` in Arabic, `name_en` in English; `kind` `branch` or `sorting_centre`."""

    code: str
    name: str
    name_en: str
    kind: str
    governorate: str


class ServedBranchOut(msgspec.Struct, frozen=True, kw_only=True):
    """A branch the sorting centre feeds: `name` in Arabic, `name_en` in English."""

    code: str
    name: str
    name_en: str


class CourierOut(msgspec.Struct, frozen=True, kw_only=True):
    """A courier of the branch, to hand items to (`to_courier`)."""

    username: str


class MeOut(msgspec.Struct, frozen=True, kw_only=True):
    """Who is signed in on this handheld, where they work, and who they work with: the branches
    a sorting clerk's centre serves (to open bags for), the couriers of a branch clerk's or
    supervisor's branch (to hand items to)."""

    username: str
    role: str
    site: SiteOut | None
    branches: list[ServedBranchOut]
    couriers: list[CourierOut]


class HeldOut(msgspec.Struct, frozen=True, kw_only=True):
    """An item in a courier's hands; `awaiting` `to_courier` until they scan `take`; `returning`
    (sent back at the door, or an old document taken back) until they `return` it."""

    tracking_number: str
    state: str
    awaiting: str | None = None


class TodayOut(msgspec.Struct, frozen=True, kw_only=True):
    """What the member of staff recorded today (Asia/Baghdad): custody events by scan action and
    failed deliveries by reason (non-zero only), and, for a courier, the items in their hands."""

    date: date
    actions: dict[str, int]
    failures: dict[str, int]
    holding: list[HeldOut]


class ShelfItemOut(msgspec.Struct, frozen=True, kw_only=True):
    """An item of the branch: since when it is in its state, the citizen's initials, the courier
    holding it (out for delivery, failed) and a hand-over the receiving side has not yet
    confirmed (`awaiting`: the giving scan, e.g. `to_courier`, `return`)."""

    tracking_number: str
    document_type: str
    state: str
    since: datetime
    days_waiting: int
    citizen: str | None
    courier: str | None
    awaiting: str | None
    old_document: bool = False  # the citizen's old document is taken back at the hand-over


class ShelfPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page, oldest first; `next_cursor` (null on the last page) goes back as `cursor`."""

    items: list[ShelfItemOut]
    next_cursor: str | None


class PhoneOut(msgspec.Struct, frozen=True, kw_only=True):
    """The citizen's number in full (E.164), shown to the courier holding the item; the reveal
    is recorded."""

    tracking_number: str
    phone: str
    revealed_at: datetime


async def me(conn: asyncpg.Connection, staff: StaffUser) -> MeOut:
    """The member of staff, their site, and the branches or couriers their role works with."""
    site = await store.site(conn, staff.site_id) if staff.site_id else None
    branches, couriers = [], []
    if site is not None and staff.role == StaffRole.sorting_clerk:
        branches = [ServedBranchOut(code=r["code"], name=r["name_ar"], name_en=r["name_en"])
                    for r in await store.branches_served(conn, staff.site_id)]
    if site is not None and site["kind"] == "branch" and staff.role in (
            StaffRole.branch_clerk, StaffRole.supervisor):
        couriers = [CourierOut(username=r["username"])
                    for r in await store.couriers(conn, staff.site_id)]
    return MeOut(username=staff.username, role=staff.role,
                 site=_site(site) if site else None, branches=branches, couriers=couriers)


async def today(conn: asyncpg.Connection, staff: StaffUser, *, now: datetime) -> TodayOut:
    """Today's work of the member of staff, in Baghdad's day."""
    day = local_day(now)
    start, end = day_bounds(day)
    actions = await store.actions_between(conn, staff.id, start, end, STAFF_ROLES)
    is_courier = staff.role == StaffRole.courier
    failures = await store.failures_between(conn, staff.id, start, end) if is_courier else {}
    held = await store.held_by(conn, staff.id, list(model.HELD_BY_COURIER)) if is_courier else []
    return TodayOut(date=day,
                    actions={a: n for a, n in sorted(actions.items()) if a in _SCAN_ACTIONS},
                    failures=dict(sorted(failures.items())),
                    holding=[HeldOut(**dict(r)) for r in held])


async def shelf(conn: asyncpg.Connection, staff: StaffUser, *, state: str | None,
                cursor: str | None, limit: int, now: datetime) -> ShelfPage:
    """The branch's items in one state, oldest in it first, a page at a time."""
    wanted = model.shelf_state(state)
    after = decode_cursor(cursor) if cursor else None
    assert staff.site_id is not None  # the caller checked the branch
    rows = await store.shelf(conn, branch_id=staff.site_id, state=wanted, after=after,
                             limit=limit + 1, placing=_PLACING)
    page = rows[:limit]
    more = len(rows) > limit
    return ShelfPage(items=[_shelf_item(r, now) for r in page],
                     next_cursor=encode_cursor(page[-1]["since"], page[-1]["id"])
                     if more else None)


async def reveal_phone(conn: asyncpg.Connection, staff: StaffUser, tracking_number: str, *,
                       now: datetime) -> PhoneOut:
    """The citizen's number, to the courier holding the item out for delivery, the reveal
    recorded in the same transaction; refused (and not recorded) otherwise."""
    tn = "".join(tracking_number.split()).upper()
    async with conn.transaction():
        row = await store.item_for_reveal(conn, tn)
        held = model.ItemHeld(state=row["state"], courier_id=row["courier_id"],
                              handover_action=row["handover_action"]) if row else None
        model.refuse_phone(held, staff.id, tn)
        assert row is not None
        if row["citizen_phone"] is None:
            raise NotFound(f"no phone number is kept for {tn}")
        await store.add_reveal(conn, item_id=row["id"], staff_id=staff.id,
                               device_id=staff.device_id, at=now)
    return PhoneOut(tracking_number=tn, phone=row["citizen_phone"], revealed_at=now)


def _site(row: asyncpg.Record) -> SiteOut:
    return SiteOut(code=row["code"], name=row["name_ar"], name_en=row["name_en"],
                   kind=row["kind"], governorate=row["governorate"])


def _shelf_item(row: asyncpg.Record, now: datetime) -> ShelfItemOut:
    name = row["citizen_name"]
    return ShelfItemOut(
        tracking_number=row["tracking_number"], document_type=row["document_type"],
        state=row["state"], since=row["since"], days_waiting=model.days_waiting(row["since"], now),
        citizen=mask_name(name) if name else None, courier=row["courier"],
        awaiting=row["awaiting"], old_document=row["old_document"])
