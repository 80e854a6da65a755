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
from delivery.custody.item import ItemRef
from delivery.custody.model import ENTRY, Action
from delivery.custody.old_documents import old_external_ref
from delivery.custody.services import Actor
from delivery.outbox import rows as outbox


async def take_back(conn: asyncpg.Connection, ctx: CustodyContext, actor: Actor, item: ItemRef,
                    *, holder_id: int | None, now: datetime,
                    device_at: datetime | None) -> int:
    """Register the old document of `item` (just handed over by `actor`; held by the courier
    `holder_id`, none at a counter); its id."""
    entry = ENTRY[Action.take_old]
    serial = await conn.fetchval(store.NEXT_SERIAL)
    tracking_number = s10.make_tracking_number(serial, ctx.service_indicator)
    external_ref = old_external_ref(item.external_ref)
    old_id = await conn.fetchval(
        store.INSERT_OLD_DOCUMENT, item.id, tracking_number, external_ref,
        hashlib.sha256(secrets.token_bytes(32)).digest(), holder_id, now, chain.GENESIS_HASH)
    await log.append_first(conn, [log.Event(
        item_id=old_id, action=str(Action.take_old), from_state=None, to_state=entry.to,
        event_code=entry.event_code, emsevt=entry.emsevt, actor_role=actor.role,
        actor_id=actor.id, device_id=actor.device_id, site_id=actor.site_id,
        device_at=device_at, server_at=now,
        payload={"old_document_of": item.tracking_number,
                 "return_reason": str(entry.return_reason)})])
    await outbox.add(conn, [outbox.state_webhook(
        agency_id=item.agency_id, item_id=old_id, tracking_number=tracking_number,
        external_ref=external_ref, state=entry.to, previous=None, at=now,
        return_reason=entry.return_reason)], now=now)
    return old_id
