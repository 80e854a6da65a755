"""The old document taken back at a new one's hand-over becomes an item of its own.

It gets a tracking number of the same S10 series, the new item's agency, type and branch, no
citizen data (so no SMS, no tracking page), and a custody log that starts in `returning` in the
hands of whoever took it (`model.ENTRY`). From there it travels back like any returning
item: the courier's `return`, the branch's `send_back`, the sorting centre's `accept`, and the
agency's signature (`returned`). The agency is told at once (webhook), and reads it on its own.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import asyncpg

from delivery.custody import chain, log, s10, store
from delivery.custody.context import CustodyContext
from delivery.custody.item import ScanItem
from delivery.custody.model import ENTRY, Action, Role
from delivery.custody.old_documents import old_external_ref
from delivery.outbox import rows as outbox
from delivery.staff.auth import StaffUser


async def take_back(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser,
                    item: ScanItem, *, now: datetime, device_at: datetime) -> int:
    """Register the old document of `item` (just handed over by `staff`); its id."""
    entry = ENTRY[Action.take_old]
    serial = await conn.fetchval(store.NEXT_SERIAL)
    tracking_number = s10.make_tracking_number(serial, ctx.service_indicator)
    external_ref = old_external_ref(item.external_ref)
    old_id = await conn.fetchval(
        store.INSERT_OLD_DOCUMENT, item.id, tracking_number, external_ref,
        hashlib.sha256(secrets.token_bytes(32)).digest(),
        staff.id if staff.role == Role.courier else None, now, chain.GENESIS_HASH)
    await log.append_first(conn, [log.Event(
        item_id=old_id, action=str(Action.take_old), from_state=None, to_state=entry.to,
        event_code=entry.event_code, emsevt=entry.emsevt, actor_role=staff.role,
        actor_id=staff.id, device_id=staff.device_id, site_id=staff.site_id,
        device_at=device_at, server_at=now,
        payload={"old_document_of": item.tracking_number,
                 "return_reason": str(entry.return_reason)})])
    await outbox.add(conn, [outbox.state_webhook(
        agency_id=item.agency_id, item_id=old_id, tracking_number=tracking_number,
        external_ref=external_ref, state=entry.to, previous=None, at=now,
        return_reason=entry.return_reason)], now=now)
    return old_id
