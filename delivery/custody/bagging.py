"""Bags: a sorting clerk opens one for a branch, puts received items in, takes them out.

The system takes an item out of an open bag too, when it must not travel in it: its agency
recalled it (at once), or its branch changed since it was bagged (a citizen's choice, found when
the bag is dispatched). That is an `unbag` event by the system in the item's log and an alert
telling the sorting centre to pull the item out (and bag it for its new branch), so the bag
leaves with the rest and arrives where it was sent.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.custody import store
from delivery.custody.bags import new_bag_id
from delivery.custody.model import Action, Role, State, decide
from delivery.custody.services import Actor, record
from delivery.platform.errors import FieldError, InvalidInput, NotAllowed
from delivery.staff.auth import StaffUser


class BagOut(msgspec.Struct, frozen=True, kw_only=True):
    """A bag opened at the sorting centre for one branch."""

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


SYSTEM = Actor(role=Role.system)
_RECALLED = ("{tn} was recalled by its agency: take it out of bag {bag} and keep it in the "
             "sorting centre for the agency")
_REROUTED = "{tn} now goes to {branch}: take it out of bag {bag} and bag it for {branch}"
_MARKED = "{tn} was marked {why} by a supervisor: take it out of bag {bag}"


async def leave_open_bag(conn: asyncpg.Connection, item_id: int, *, why: str,
                         now: datetime) -> None:
    """An item that stays in the sorting centre (recalled by its agency, marked lost or damaged)
    leaves its open bag, if any."""
    bag = await conn.fetchrow(store.LOCK_OPEN_BAG_OF_ITEM, item_id)
    if bag is not None:
        await _leave(conn, bag, item_id, now, why=why,
                     say=_RECALLED if why == "recalled" else _MARKED)


async def sort_out(conn: asyncpg.Connection, bag: asyncpg.Record, *,
                   now: datetime) -> tuple[list[int], list[int]]:
    """The items of a bag about to be dispatched that still go to its branch, and those taken out
    because their branch changed since they were bagged (a citizen's choice or location)."""
    rows = await conn.fetch(store.LOCK_BAG_ITEMS, bag["bag_id"])
    staying = [r["id"] for r in rows if r["branch_id"] == bag["destination_id"]]
    rerouted = [r["id"] for r in rows if r["branch_id"] != bag["destination_id"]]
    await take_out_rerouted(conn, bag, rerouted, now=now)
    return staying, rerouted


async def take_out_rerouted(conn: asyncpg.Connection, bag: asyncpg.Record, item_ids: list[int],
                            *, now: datetime) -> None:
    """Take items bound for another branch out of the bag."""
    for item_id in item_ids:
        await _leave(conn, bag, item_id, now, why="branch_changed", say=_REROUTED)


async def _leave(conn: asyncpg.Connection, bag: asyncpg.Record, item_id: int, now: datetime, *,
                 why: str, say: str) -> None:
    """The system's `unbag`, and an alert asking the sorting centre to pull the item out."""
    if await conn.fetchval(store.REMOVE_FROM_BAG, bag["bag_id"], item_id, now) is None:
        return
    item = await store.scan_item_by_id(conn, item_id)
    transition = decide(State(item.state), Action.unbag, Role.system)
    await record(conn, item.ref(), transition, Action.unbag, SYSTEM, now=now,
                 payload={"bag": bag["bag_id"], "why": why, "branch": item.branch_code})
    await store.add_alert(conn, kind="unbagged", item_id=item_id, site_id=bag["origin_id"],
                          now=now, detail=say.format(tn=item.tracking_number, bag=bag["bag_id"],
                                                     branch=item.branch_code, why=why))
