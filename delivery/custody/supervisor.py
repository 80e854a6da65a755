"""Supervisors' exceptions (lost, damaged, found), new codes and unlocking, and the alert list."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.custody import bagging, proof, store
from delivery.custody.citizen_messages import code_message
from delivery.custody.context import CustodyContext
from delivery.custody.model import Action, Role, State, decide
from delivery.custody.otp import MAX_WRONG_ATTEMPTS
from delivery.custody.services import Actor, record
from delivery.custody.store import ScanItem
from delivery.platform.errors import Conflict, NotFound
from delivery.staff.auth import StaffUser


class ItemStateOut(msgspec.Struct, frozen=True, kw_only=True):
    """The item after a supervisor's action; `locked` while wrong codes block its hand-over."""

    tracking_number: str
    state: State
    locked: bool


class AlertOut(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """Something a supervisor should look at, since when, and what it concerns."""

    kind: str
    detail: str
    since: datetime
    tracking_number: str | None = None
    bag_id: str | None = None
    site: str | None = None
    device_id: str | None = None


async def supervised_item(conn: asyncpg.Connection, staff: StaffUser, tn: str) -> ScanItem:
    """The item, if this supervisor oversees its branch or that branch's sorting centre."""
    item = await store.scan_item(conn, tn.strip().upper())
    if item is None or not _oversees(staff, item):
        raise NotFound(f"no item {tn} at {staff.site_code or 'your site'}")
    return item


def _oversees(staff: StaffUser, item: ScanItem) -> bool:
    return staff.role == Role.admin or staff.site_id in (item.branch_id, item.centre_id)


async def mark(conn: asyncpg.Connection, staff: StaffUser, tn: str, action: Action, reason: str,
               *, now: datetime) -> ItemStateOut:
    """Mark an item lost or damaged (or a lost one found), with the reason in the log."""
    async with conn.transaction():
        item = await supervised_item(conn, staff, tn)
        transition = decide(State(item.state), action, Role.supervisor)
        if transition.out_of_bag:
            await bagging.leave_open_bag(conn, item.id, why=transition.event_code, now=now)
        await record(conn, item.ref(), transition, action, _actor(staff), now=now,
                     payload={"reason": reason})
        await conn.execute(store.SET_HANDOVER, item.id, None, None)
    return ItemStateOut(tracking_number=item.tracking_number, state=transition.to,
                        locked=item.otp_locked)


async def reissue_code(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, tn: str,
                       reason: str, *, now: datetime) -> ItemStateOut:
    """A new code by SMS; the old one stops working and the lock is lifted."""
    return await _new_code(conn, ctx, staff, tn, Action.reissue_code, reason, now=now)


async def unlock(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, tn: str,
                 reason: str, *, now: datetime) -> ItemStateOut:
    """Lift a lock after wrong attempts. The code they were after dies: the citizen gets a new
    one by SMS, so the guesses made so far are worth nothing."""
    return await _new_code(conn, ctx, staff, tn, Action.unlock_code, reason, now=now)


async def _new_code(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, tn: str,
                    action: Action, reason: str, *, now: datetime) -> ItemStateOut:
    async with conn.transaction():
        item = await supervised_item(conn, staff, tn)
        # Scans judging an attempt on the item hold this lock: the count read next is final.
        await conn.execute(store.HOLD_ITEM_BY_ID, item.id)
        fresh = await store.scan_item_by_id(conn, item.id)
        transition = decide(State(fresh.state), action, Role.supervisor)
        locked = fresh.otp_locked or fresh.otp_wrong >= MAX_WRONG_ATTEMPTS
        if action == Action.unlock_code and not locked:
            raise Conflict(f"{fresh.tracking_number} is not locked: send a new code instead if "
                           "the citizen needs one")
        kind = code_message(transition.event_code)
        assert kind is not None  # the table gives both supervisor events a code message
        await proof.issue_code(conn, ctx, fresh, kind=kind, now=now)
        await record(conn, fresh.ref(), transition, action, _actor(staff), now=now, payload={
            "reason": reason, "otp_generation": fresh.otp_generation + 1,
            "wrong_attempts": fresh.otp_wrong})
    return ItemStateOut(tracking_number=fresh.tracking_number, state=fresh.state, locked=False)


def _actor(staff: StaffUser) -> Actor:
    return Actor(role=Role(staff.role), id=staff.id, device_id=staff.device_id,
                 site_id=staff.site_id)


# --- members of staff locked out of hand-overs -------------------------------------------------

class StaffLockOut(msgspec.Struct, frozen=True, kw_only=True):
    """A member of staff after a supervisor's unlock: `locked` while their hand-overs are stopped
    after too many wrong codes or ID digits."""

    username: str
    role: str
    locked: bool


async def unlock_staff(conn: asyncpg.Connection, staff: StaffUser, username: str, reason: str,
                       *, now: datetime) -> StaffLockOut:
    """Let a member of the supervisor's site hand items over again, with the reason recorded."""
    async with conn.transaction():
        member = await conn.fetchrow(store.SELECT_STAFF, username.strip().lower())
        if member is None or not (staff.role == Role.admin or member["site_id"] == staff.site_id):
            raise NotFound(f"no member of staff {username} at {staff.site_code or 'your site'}")
        if await conn.fetchval(store.UNLOCK_STAFF, member["id"], now, staff.id, reason) is None:
            raise Conflict(f"{member['username']} is not locked")
        await conn.execute(store.RESOLVE_STAFF_ALERTS, member["id"], now)
    return StaffLockOut(username=member["username"], role=member["role"], locked=False)


# --- alerts ----------------------------------------------------------------------------------

async def alerts(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, *,
                 now: datetime) -> list[AlertOut]:
    """Everything at the supervisor's site that needs a person to look at it, oldest first."""
    site = None if staff.role == Role.admin else staff.site_id
    return await alerts_of_site(conn, ctx, site, now=now)


async def alerts_of_site(conn: asyncpg.Connection, ctx: CustodyContext, site_id: int | None, *,
                         now: datetime) -> list[AlertOut]:
    """The alerts of a site (a sorting centre's include its branches'; None: everywhere)."""
    states = list(ctx.stuck_after)
    stuck_before = [now - ctx.stuck_after[state] for state in states]
    rows = await conn.fetch(store.ALERTS, site_id, now - ctx.handover_alert_after,
                            now - ctx.manifest_alert_after, states, stuck_before)
    return [AlertOut(**{k: v for k, v in dict(r).items() if v is not None}) for r in rows]
