"""Bags as the handhelds see them: the sorting centre's bags and a branch's expected ones, and a
bag's manifest, each only to the sites at either end of the bag (and administrators)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import asyncpg
import msgspec

from delivery.custody import store
from delivery.custody.bags import InvalidBagId, parse_bag_id
from delivery.platform.errors import FieldError, InvalidInput, NotAllowed, NotFound
from delivery.staff.auth import StaffUser

MAX_BAGS = 100


class BagStatus(StrEnum):
    """How far a bag got: filled at the sorting centre, on its way, at its branch."""

    open = "open"
    dispatched = "dispatched"
    arrived = "arrived"


class BagLine(msgspec.Struct, frozen=True, kw_only=True):
    """A bag in a list: where from, where to, how far it got and how many items it holds."""

    bag_id: str
    origin: str
    destination: str
    status: BagStatus
    count: int
    opened_at: datetime
    dispatched_at: datetime | None
    arrived_at: datetime | None


class ManifestItem(msgspec.Struct, frozen=True, kw_only=True):
    """An item in the bag now; `confirmed` once the branch scanned it on its own."""

    tracking_number: str
    document_type: str
    state: str
    confirmed: bool


class Manifest(msgspec.Struct, frozen=True, kw_only=True):
    """A bag and the items in it now; `missing`: once it arrived, those the branch has not
    scanned (empty before)."""

    bag_id: str
    origin: str
    destination: str
    destination_name: str  # in Arabic
    destination_name_en: str
    status: BagStatus
    opened_at: datetime
    dispatched_at: datetime | None
    arrived_at: datetime | None
    count: int
    items: list[ManifestItem]
    missing: list[str]


class BagSide(msgspec.Struct, frozen=True, kw_only=True):
    """Which end of bags a member of staff looks from: those leaving `origin_id`, those going to
    `destination_id`, or (neither) every bag; and the status shown when none is asked for."""

    origin_id: int | None = None
    destination_id: int | None = None
    default_status: BagStatus = BagStatus.open


def side_of(staff: StaffUser) -> BagSide:
    """A sorting centre looks at the bags it sends (open ones first), a branch at the bags on
    their way to it; an administrator at every bag."""
    if staff.role == "admin":
        return BagSide()
    if staff.site_kind == "sorting_centre" and staff.role in ("sorting_clerk", "supervisor"):
        return BagSide(origin_id=staff.site_id)
    if staff.site_kind == "branch" and staff.role in ("branch_clerk", "supervisor"):
        return BagSide(destination_id=staff.site_id, default_status=BagStatus.dispatched)
    raise NotAllowed(f"{staff.role.replace('_', ' ')}s have no bags to see")


def may_see(staff: StaffUser, origin_id: int, destination_id: int) -> bool:
    """Sorting clerks of the origin, branch clerks and supervisors of either end, admins."""
    if staff.role == "admin":
        return True
    ends = {"sorting_clerk": (origin_id,), "branch_clerk": (origin_id, destination_id),
            "supervisor": (origin_id, destination_id)}.get(staff.role, ())
    return staff.site_id is not None and staff.site_id in ends


def status_of(text: str | None, default: BagStatus) -> BagStatus:
    """The `status` asked for; anything but a bag's status is a 422 naming it."""
    if text is None:
        return default
    try:
        return BagStatus(text)
    except ValueError:
        known = ", ".join(BagStatus)
        raise InvalidInput(f"unknown bag status {text!r}", errors=[
            FieldError(field="query:status", message=f"one of {known}")]) from None


def bag_id_of(text: str) -> str:
    """The bag id in the path; a malformed one is a 422 naming it."""
    try:
        return parse_bag_id(text)
    except InvalidBagId:
        raise InvalidInput(f"{text!r} is not a bag id", errors=[
            FieldError(field="path:bag_id", message="a bag id such as BAG0000005724")]) from None


async def bags(conn: asyncpg.Connection, staff: StaffUser, status: str | None) -> list[BagLine]:
    """The bags the member of staff's site sends or expects, in one status, newest first."""
    side = side_of(staff)
    wanted = status_of(status, side.default_status)
    rows = await conn.fetch(store.BAGS, wanted, side.origin_id, side.destination_id, MAX_BAGS)
    return [BagLine(**dict(r)) for r in rows]


async def manifest(conn: asyncpg.Connection, staff: StaffUser, bag_id: str) -> Manifest:
    """What the bag holds now; the same 404 for a bag that does not exist and one of another
    site's."""
    bag = await conn.fetchrow(store.MANIFEST_BAG, bag_id_of(bag_id))
    if bag is None or not may_see(staff, bag["origin_id"], bag["destination_id"]):
        raise NotFound(f"no bag {bag_id} at your site")
    items = [ManifestItem(**dict(r)) for r in await conn.fetch(store.MANIFEST_ITEMS, bag["bag_id"])]
    arrived = bag["status"] == BagStatus.arrived
    return Manifest(
        bag_id=bag["bag_id"], origin=bag["origin"], destination=bag["destination"],
        destination_name=bag["destination_name"], destination_name_en=bag["destination_name_en"],
        status=BagStatus(bag["status"]), opened_at=bag["opened_at"],
        dispatched_at=bag["dispatched_at"], arrived_at=bag["arrived_at"], count=len(items),
        items=items,
        missing=[i.tracking_number for i in items if arrived and not i.confirmed])
