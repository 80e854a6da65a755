"""The outbox: what a state change must cause outside the database, written in its transaction."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

SMS = "sms"
WEBHOOK = "webhook"

# Payloads travel as JSON text and are cast on the server: as a jsonb[] through the
# connection's Python codec they cost several times more per row (benchmarks/intake.py).
INSERT_OUTBOX = """
INSERT INTO outbox (channel, topic, item_id, agency_id, payload, available_at)
SELECT channel, topic, item_id, agency_id, payload::jsonb, available_at
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::bigint[], $5::text[], $6::timestamptz[])
    AS o (channel, topic, item_id, agency_id, payload, available_at)
"""


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
    await conn.execute(INSERT_OUTBOX, *columns_of(rows, now=now))


def columns_of(rows: list[OutboxRow], *, now: datetime) -> list[list]:
    """The rows as the column arrays INSERT_OUTBOX takes."""
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


def same_kind(rows: list[OutboxRow], *, now: datetime) -> SameKind:
    """`rows` (at least one) as SameKind; ValueError if they differ in more than item and
    payload."""
    first = rows[0]
    kind = (first.channel, first.topic, first.agency_id, first.available_at)
    if any((r.channel, r.topic, r.agency_id, r.available_at) != kind for r in rows):
        raise ValueError("outbox rows of different kinds")
    return SameKind(channel=first.channel, topic=first.topic, agency_id=first.agency_id,
                    available_at=first.available_at or now, item_ids=[r.item_id for r in rows],
                    payloads=[_json_text(r.payload) for r in rows])


# SameKind rows in one statement: $1-$4 what they share, $5 the items, $6 the payloads (see
# same_kind_args). Ends with its FROM clause (alias m) so that a caller may add a WHERE.
INSERT_SAME_KIND = """
INSERT INTO outbox (channel, topic, item_id, agency_id, payload, available_at)
SELECT $1::text, $2::text, m.item_id, $3::bigint, m.payload::jsonb, $4::timestamptz
FROM unnest($5::bigint[], $6::text[]) AS m (item_id, payload)
"""


def same_kind_args(rows: SameKind) -> list:
    """INSERT_SAME_KIND's arguments, in order."""
    return [rows.channel, rows.topic, rows.agency_id, rows.available_at, rows.item_ids,
            rows.payloads]


def _json_text(value: dict) -> str:
    return msgspec.json.encode(value).decode()


def state_webhook(*, agency_id: int, item_id: int, tracking_number: str, external_ref: str,
                  state: str, previous: str | None, at: datetime) -> OutboxRow:
    """The agency's notice that one of its items changed state."""
    return OutboxRow(channel=WEBHOOK, topic="item.state_changed", item_id=item_id,
                     agency_id=agency_id, payload={
                         "event": "item.state_changed", "tracking_number": tracking_number,
                         "external_ref": external_ref, "state": state,
                         "previous_state": previous, "at": at.isoformat(),
                     })


def citizen_sms(*, item_id: int, kind: str, values: dict | None = None) -> OutboxRow:
    """A message to the item's citizen; the worker renders it when it sends.

    Secrets the message must carry (the tracking token, a one-time code) travel in `values`
    and are scrubbed from the row once the message is sent.
    """
    return OutboxRow(channel=SMS, topic=kind, item_id=item_id, agency_id=None,
                     payload={"kind": kind, "values": values or {}})
