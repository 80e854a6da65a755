"""The outbox: what a state change must cause outside the database, written in its transaction."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.outbox import store

SMS = "sms"
WEBHOOK = "webhook"
STATE_CHANGED = "item.state_changed"


class OutboxRow(msgspec.Struct, frozen=True, kw_only=True):
    channel: str
    topic: str
    item_id: int | None
    agency_id: int | None
    payload: dict
    available_at: datetime | None = None


async def add(conn: asyncpg.Connection, rows: list[OutboxRow], *, now: datetime) -> None:
    """Queue rows in the caller's transaction (one statement, whatever their number)."""
    if not rows:
        return
    await conn.execute(store.INSERT_OUTBOX, *columns_of(rows, now=now))


def columns_of(rows: list[OutboxRow], *, now: datetime) -> list[list]:
    """The rows as the column arrays store.INSERT_OUTBOX takes."""
    return [[r.channel for r in rows], [r.topic for r in rows], [r.item_id for r in rows],
            [r.agency_id for r in rows], [_json_text(r.payload) for r in rows],
            [r.available_at or now for r in rows]]


class SameKind(msgspec.Struct, frozen=True, kw_only=True):
    """Outbox rows that differ only in their item and payload: what is shared, once."""

    channel: str
    topic: str
    agency_id: int | None
    available_at: datetime
    item_ids: list[int | None]
    payloads: list[str]  # JSON text


def same_kind_args(rows: SameKind) -> list:
    """store.INSERT_SAME_KIND's arguments, in order."""
    return [rows.channel, rows.topic, rows.agency_id, rows.available_at, rows.item_ids,
            rows.payloads]


def _json_text(value: dict) -> str:
    return msgspec.json.encode(value).decode()


def state_webhook(*, agency_id: int, item_id: int, tracking_number: str, external_ref: str,
                  state: str, previous: str | None, at: datetime,
                  reason: str | None = None, return_reason: str | None = None,
                  old_document: dict | None = None) -> OutboxRow:
    """The agency's notice that one of its items changed state, and why: the reason recorded
    for the change (a failed attempt's), the return's when it sends the item back, and what
    became of the old document at a hand-over that takes one back."""
    payload = _state_payload(tracking_number, external_ref, state, previous, at.isoformat())
    if reason:
        payload["reason"] = reason
    if return_reason is not None:
        payload["return_reason"] = str(return_reason)
    if old_document is not None:
        payload["old_document"] = old_document
    return OutboxRow(channel=WEBHOOK, topic=STATE_CHANGED, item_id=item_id, agency_id=agency_id,
                     payload=payload)


def state_webhooks(*, agency_id: int, items: list[tuple[int, str, str]], state: str,
                   previous: str | None, at: datetime) -> SameKind:
    """`state_webhook` for many items (id, tracking number, external ref) of one agency that
    changed state together."""
    when = at.isoformat()
    return SameKind(channel=WEBHOOK, topic=STATE_CHANGED, agency_id=agency_id, available_at=at,
                    item_ids=[item_id for item_id, _, _ in items],
                    payloads=[_json_text(_state_payload(tn, ref, state, previous, when))
                              for _, tn, ref in items])


def _state_payload(tracking_number: str, external_ref: str, state: str, previous: str | None,
                   at: str) -> dict:
    return {"event": STATE_CHANGED, "tracking_number": tracking_number,
            "external_ref": external_ref, "state": state, "previous_state": previous, "at": at}


def citizen_sms(*, item_id: int, kind: str, values: dict | None = None) -> OutboxRow:
    """A message to the item's citizen; the worker renders it when it sends.

    Secrets the message must carry (the tracking token, a one-time code) travel in `values`
    and are scrubbed from the row once the message is sent.
    """
    return OutboxRow(channel=SMS, topic=kind, item_id=item_id, agency_id=None,
                     payload={"kind": kind, "values": values or {}})


def citizen_sms_many(*, item_ids: list[int], kind: str, values: list[dict],
                     now: datetime) -> SameKind:
    """`citizen_sms` for many items at once, `values[i]` for `item_ids[i]`."""
    return SameKind(channel=SMS, topic=kind, agency_id=None, available_at=now,
                    item_ids=list(item_ids),
                    payloads=[_json_text({"kind": kind, "values": v}) for v in values])
