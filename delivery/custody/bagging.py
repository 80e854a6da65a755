"""Bags: a sorting clerk opens one for a branch, puts received items in, takes them out."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.custody import store
from delivery.custody.bags import InvalidBagId, new_bag_id, parse_bag_id
from delivery.custody.proof import ScanRefused
from delivery.custody.store import ScanItem
from delivery.errors import FieldError, InvalidInput, NotAllowed
from delivery.staff.auth import StaffUser


class BagOut(msgspec.Struct, frozen=True, kw_only=True):
    bag_id: str
    destination: str
    status: str
    opened_at: datetime


async def open_bag(conn: asyncpg.Connection, staff: StaffUser, destination: str, *,
                   now: datetime) -> BagOut:
    """A new open bag from the clerk's sorting centre to one of the branches it serves."""
    branch = await conn.fetchrow(store.SELECT_BRANCH, destination.strip().upper())
    if branch is None or branch["kind"] != "branch":
        raise InvalidInput(f"no branch {destination}", errors=[
            FieldError(field="/destination", message="a branch code, see `tasheel sites list`")])
    if branch["sorting_centre"] != staff.site_id:
        raise NotAllowed(f"branch {branch['code']} is not served by {staff.site_code}")
    bag_id = new_bag_id(await conn.fetchval(store.NEXT_BAG_SERIAL))
    await conn.execute(store.INSERT_BAG, bag_id, staff.site_id, branch["id"], staff.id, now)
    return BagOut(bag_id=bag_id, destination=branch["code"], status="open", opened_at=now)


def bag_code(code: str | None) -> str:
    """The canonical bag id of a scanned code, or a refusal the clerk understands."""
    if not code:
        raise ScanRefused("this scan needs the bag's id (`bag`)", code="bag_required")
    try:
        return parse_bag_id(code)
    except InvalidBagId:
        raise ScanRefused(f"{code} is not a valid bag id (check digit)",
                          code="invalid_bag") from None


async def locked_bag(conn: asyncpg.Connection, bag_id: str) -> asyncpg.Record:
    """The bag row, locked for this transaction."""
    bag = await conn.fetchrow(store.LOCK_BAG, bag_id)
    if bag is None:
        raise ScanRefused(f"no bag {bag_id}", code="not_found")
    return bag


async def _open_bag_here(conn: asyncpg.Connection, staff: StaffUser, bag_id: str):
    bag = await locked_bag(conn, bag_id)
    if bag["origin_id"] != staff.site_id:
        raise ScanRefused(f"bag {bag_id} belongs to another sorting centre", code="wrong_site")
    if bag["status"] != "open":
        raise ScanRefused(f"bag {bag_id} is closed ({bag['status']})", code="bag_closed")
    return bag


async def put_in_bag(conn: asyncpg.Connection, staff: StaffUser, item: ScanItem, code: str | None,
                     now: datetime) -> str:
    """Add a received item to an open bag for its own branch."""
    bag = await _open_bag_here(conn, staff, bag_code(code))
    if bag["destination_id"] != item.branch_id:
        raise ScanRefused(f"{item.tracking_number} goes to {item.branch_code}; bag "
                          f"{bag['bag_id']} is for {bag['destination_code']}", code="wrong_bag")
    current = await conn.fetchval(store.SELECT_OPEN_BAG_OF_ITEM, item.id)
    if current is not None:
        raise ScanRefused(f"{item.tracking_number} is already in bag {current}",
                          code="already_done")
    await conn.execute(store.ADD_TO_BAG, bag["bag_id"], item.id, now)
    return bag["bag_id"]


async def take_from_bag(conn: asyncpg.Connection, staff: StaffUser, item: ScanItem,
                        code: str | None, now: datetime) -> str:
    """Take an item out of an open bag."""
    bag = await _open_bag_here(conn, staff, bag_code(code))
    if await conn.fetchval(store.REMOVE_FROM_BAG, bag["bag_id"], item.id, now) is None:
        raise ScanRefused(f"{item.tracking_number} is not in bag {bag['bag_id']}",
                          code="not_in_bag")
    return bag["bag_id"]
