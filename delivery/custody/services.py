"""Moving items through their states: load → decide → save, one transaction per change."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.custody import log, store
from delivery.custody.citizen_messages import told
from delivery.custody.item import ItemRef
from delivery.custody.model import Action, Role, Transition, TransitionRefused
from delivery.custody.old_documents import handover_notice
from delivery.outbox import rows as outbox


class Actor(msgspec.Struct, frozen=True, kw_only=True):
    role: Role
    id: int | None = None
    device_id: str | None = None
    site_id: int | None = None


class ChangedMeanwhile(TransitionRefused):
    """Another scan moved the item between our read and our write."""


async def record(conn: asyncpg.Connection, item: ItemRef, transition: Transition, action: Action,
                 actor: Actor, *, now: datetime, device_at: datetime | None = None,
                 payload: dict | None = None, extra_outbox: list[outbox.OutboxRow] = ()) -> None:
    """Save a decided transition: conditional move, chained event, outbox rows (the agency's
    webhook, what the citizen is told).

    The caller owns the transaction. A lost race raises ChangedMeanwhile and must roll back.
    """
    moved = transition.to != item.state
    if moved:
        head = await conn.fetchrow(store.MOVE_ITEM, item.id, item.state, transition.to, now)
        if head is None:
            raise ChangedMeanwhile(
                "wrong_state", f"{item.tracking_number} was changed by another scan just now",
                {"tracking_number": item.tracking_number})
    else:
        head = await conn.fetchrow(store.TOUCH_ITEM, item.id, now)
    await log.append_onto(conn, (head["chain_length"], head["chain_head"]), [event_of(
        item, transition, action, actor, now=now, device_at=device_at, payload=payload)])
    rows = list(extra_outbox)
    if moved:
        rows.append(webhook_of(item, transition, now=now, payload=payload))
        rows += told(item.id, item.state, transition, payload or {}, now=now)
    await outbox.add(conn, rows, now=now)


def event_of(item: ItemRef, transition: Transition, action: Action, actor: Actor, *,
             now: datetime, device_at: datetime | None = None,
             payload: dict | None = None) -> log.Event:
    """The custody event that records `transition` of `item`."""
    return log.Event(
        item_id=item.id, action=str(action), from_state=item.state, to_state=transition.to,
        event_code=transition.event_code, emsevt=transition.emsevt, actor_role=actor.role,
        actor_id=actor.id, device_id=actor.device_id, site_id=actor.site_id,
        device_at=device_at, server_at=now, payload=_with_return_reason(payload, transition))


def _with_return_reason(payload: dict | None, transition: Transition) -> dict:
    """Every event that sends an item back says why (the row's `return_reason`)."""
    if transition.return_reason is None:
        return payload or {}
    return {**(payload or {}), "return_reason": str(transition.return_reason)}


def webhook_of(item: ItemRef, transition: Transition, *, now: datetime,
               payload: dict | None = None) -> outbox.OutboxRow:
    """The agency's notice that `transition` moved `item`, with what its event's `payload`
    recorded for it: a failed attempt's reason, the old document taken back or declared lost."""
    payload = payload or {}
    return outbox.state_webhook(
        agency_id=item.agency_id, item_id=item.id, tracking_number=item.tracking_number,
        external_ref=item.external_ref, state=transition.to, previous=item.state, at=now,
        reason=str(payload.get("reason") or "") or None, return_reason=transition.return_reason,
        old_document=handover_notice(payload.get("old_document")))
