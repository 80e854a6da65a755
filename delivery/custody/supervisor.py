"""Supervisors' exceptions (lost, damaged, found), new codes and unlocking, and the alert list."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.custody import proof, store
from delivery.custody.context import CustodyContext
from delivery.custody.model import Action, Role, State, decide
from delivery.custody.services import Actor, record
from delivery.custody.store import ScanItem
from delivery.errors import Conflict, NotFound
from delivery.staff.auth import StaffUser

CODE_STATES = frozenset({State.out_for_delivery, State.ready_for_pickup})


class ItemStateOut(msgspec.Struct, frozen=True, kw_only=True):
    tracking_number: str
    state: str
    locked: bool


class AlertOut(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
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
        await record(conn, item.ref(), transition, action, _actor(staff), now=now,
                     payload={"reason": reason})
        await conn.execute(store.SET_HANDOVER, item.id, None, None)
    return ItemStateOut(tracking_number=item.tracking_number, state=transition.to,
                        locked=item.otp_locked)


async def reissue_code(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, tn: str,
                       *, now: datetime) -> ItemStateOut:
    """A new code by SMS; the old one stops working and the lock is lifted."""
    async with conn.transaction():
        item = await supervised_item(conn, staff, tn)
        if item.state not in CODE_STATES:
            raise Conflict(f"{item.tracking_number} is {item.state}: no code to reissue")
        await conn.execute("SELECT 1 FROM items WHERE id = $1 FOR UPDATE", item.id)
        fresh = await store.scan_item_by_id(conn, item.id)
        await proof.issue_code(conn, ctx, fresh, kind="otp_reissued", now=now)
    return ItemStateOut(tracking_number=item.tracking_number, state=item.state, locked=False)


async def unlock(conn: asyncpg.Connection, staff: StaffUser, tn: str) -> ItemStateOut:
    """Lift the lock and forget the wrong attempts; the current code stays valid."""
    item = await supervised_item(conn, staff, tn)
    await conn.execute(store.UNLOCK_OTP, item.id)
    return ItemStateOut(tracking_number=item.tracking_number, state=item.state, locked=False)


def _actor(staff: StaffUser) -> Actor:
    return Actor(role=Role.supervisor, id=staff.id, device_id=staff.device_id,
                 site_id=staff.site_id)


# --- alerts ----------------------------------------------------------------------------------

# $1: the supervisor's site (NULL: everything, for administrators); items by branch or centre.
_MINE = "($1::bigint IS NULL OR b.id = $1 OR b.sorting_centre = $1)"
UNCONFIRMED_HANDOVERS = f"""
SELECT 'unconfirmed_handover' AS kind, i.tracking_number, NULL AS bag_id, b.code AS site,
    NULL AS device_id, i.handover_since AS since,
    i.handover_action || ' not confirmed by the receiving side' AS detail
FROM items i LEFT JOIN sites b ON b.id = i.branch_id
WHERE i.handover_since < $2 AND {_MINE}
"""
UNCONFIRMED_MANIFEST = f"""
SELECT 'unconfirmed_manifest' AS kind, i.tracking_number, g.bag_id, b.code AS site,
    NULL AS device_id, g.arrived_at AS since,
    'in the manifest of bag ' || g.bag_id || ' but never scanned at the branch' AS detail
FROM bag_items bi JOIN bags g USING (bag_id) JOIN items i ON i.id = bi.item_id
    JOIN sites b ON b.id = g.destination_id
WHERE g.status = 'arrived' AND bi.removed_at IS NULL AND bi.confirmed_at IS NULL
    AND g.arrived_at < $3 AND {_MINE}
"""
RECORDED = f"""
SELECT a.kind, i.tracking_number, NULL AS bag_id, b.code AS site, a.device_id,
    a.created_at AS since, a.detail
FROM custody_alerts a LEFT JOIN items i ON i.id = a.item_id LEFT JOIN sites b ON b.id = a.site_id
WHERE a.resolved_at IS NULL AND {_MINE}
"""
LOCKED = f"""
SELECT 'locked' AS kind, i.tracking_number, NULL AS bag_id, b.code AS site, NULL AS device_id,
    i.updated_at AS since, 'locked after wrong codes: reissue a code' AS detail
FROM items i LEFT JOIN sites b ON b.id = i.branch_id WHERE i.otp_locked AND {_MINE}
"""
STUCK = f"""
SELECT 'stuck' AS kind, i.tracking_number, NULL AS bag_id, b.code AS site, NULL AS device_id,
    i.updated_at AS since, i.state || ' since ' || to_char(i.updated_at, 'YYYY-MM-DD HH24:MI')
    AS detail
FROM items i LEFT JOIN sites b ON b.id = i.branch_id
WHERE i.state = ANY($4::text[]) AND i.updated_at < $2 - interval '2 days' AND {_MINE}
"""
FLAGGED_CLOCKS = """
SELECT 'clock' AS kind, NULL AS tracking_number, NULL AS bag_id, t.code AS site, s.device_id,
    max(s.server_at) AS since, 'device clock ' || array_to_string(s.clock_flags, ', ') AS detail
FROM scans s JOIN staff f ON f.id = s.staff_id LEFT JOIN sites t ON t.id = f.site_id
WHERE s.clock_flags <> '{}' AND ($1::bigint IS NULL OR f.site_id = $1)
GROUP BY t.code, s.device_id, s.clock_flags
"""
ALERTS = " UNION ALL ".join([UNCONFIRMED_HANDOVERS, UNCONFIRMED_MANIFEST, RECORDED, LOCKED,
                             STUCK, FLAGGED_CLOCKS]) + " ORDER BY since"
STUCK_STATES = ["received", "in_transit", "at_branch", "delivery_failed", "returning"]


async def alerts(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, *,
                 now: datetime) -> list[AlertOut]:
    """Everything at the supervisor's site that needs a person to look at it, oldest first."""
    site = None if staff.role == Role.admin else staff.site_id
    rows = await conn.fetch(ALERTS, site, now - ctx.handover_alert_after,
                            now - ctx.manifest_alert_after, STUCK_STATES)
    return [AlertOut(**{k: v for k, v in dict(r).items() if v is not None}) for r in rows]
