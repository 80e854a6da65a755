"""SQL for citizens' SMS: the item a message is about, sent messages, opt-outs, dead letters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import asyncpg
import msgspec

from delivery.messaging.model import STATUS_RANK, ItemForSms, opening_hours_text

SELECT_ITEM = """
SELECT i.id, i.citizen_phone, i.language, a.language AS agency_language, a.name AS agency_name,
    i.governorate, i.document_type, i.hold_until,
    s.name_ar, s.name_en, s.name_ckb, s.opening_hours
FROM items i JOIN agencies a ON a.id = i.agency_id LEFT JOIN sites s ON s.id = i.branch_id
WHERE i.id = $1
"""
SELECT_MESSAGE = """
SELECT id, status, provider_sid, calls FROM sms_messages WHERE outbox_id = $1
"""
# Committed before the provider is called: the record that a call may be under way.
BEGIN_SENDING = """
INSERT INTO sms_messages (outbox_id, item_id, kind, language, encoding, segments, cost, status,
    calls)
VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', 1)
ON CONFLICT (outbox_id) DO UPDATE SET status = 'sending', calls = sms_messages.calls + 1,
    language = EXCLUDED.language, encoding = EXCLUDED.encoding, segments = EXCLUDED.segments,
    cost = EXCLUDED.cost, error_code = NULL, error = NULL, updated_at = now()
RETURNING id
"""
MARK_SENT = """
UPDATE sms_messages SET status = $2, provider_sid = $3, sent_at = now(), updated_at = now()
WHERE id = $1
"""
MARK_FAILED_CALL = """
UPDATE sms_messages SET status = $2, error_code = $3, error = $4, updated_at = now()
WHERE id = $1
"""
# Only forward: a row moves when the incoming status outranks the one it has (atomic under races).
APPLY_RECEIPT = """
UPDATE sms_messages SET status = $2, error_code = coalesce($3, error_code), updated_at = now()
WHERE provider_sid = $1 AND coalesce(($4::jsonb ->> status)::int, 0) < $5
RETURNING id
"""
SELECT_BY_SID = "SELECT id, status FROM sms_messages WHERE provider_sid = $1"
OPT_OUT = """
INSERT INTO sms_opt_outs (phone, keyword, opted_out_at) VALUES ($1, $2, $3)
ON CONFLICT (phone) DO NOTHING
"""
OPT_IN = "DELETE FROM sms_opt_outs WHERE phone = $1"
IS_OPTED_OUT = "SELECT EXISTS (SELECT 1 FROM sms_opt_outs WHERE phone = $1)"
SELECT_CHOICE_ITEM = """
SELECT id, state, agency_id, tracking_number, external_ref FROM items
WHERE citizen_phone = $1 AND state = ANY($2::text[])
ORDER BY created_at DESC, id DESC LIMIT 1
"""
SET_DELIVERY_MODE = "UPDATE items SET delivery_mode = $2 WHERE id = $1"
SELECT_DEAD = """
SELECT o.id, o.channel, o.topic, o.status, o.attempts, o.last_error, o.created_at, o.updated_at,
    i.tracking_number, m.status AS sms_status
FROM outbox o LEFT JOIN items i ON i.id = o.item_id LEFT JOIN sms_messages m ON m.outbox_id = o.id
WHERE o.status IN ('dead', 'failed') AND ($1::bigint IS NULL OR o.id < $1)
ORDER BY o.id DESC LIMIT $2
"""
RETRY_DEAD = """
UPDATE outbox SET status = 'pending', attempts = 0, available_at = now(), updated_at = now(),
    last_error = 'retried by hand after: ' || coalesce(last_error, '')
WHERE id = $1 AND status IN ('dead', 'failed')
RETURNING id
"""
SELECT_OUTBOX_STATUS = "SELECT status FROM outbox WHERE id = $1"
WAKE_RELAY = "SELECT pg_notify('outbox', '')"


class SentMessage(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    status: str
    provider_sid: str | None
    calls: int


class DeadLetter(msgspec.Struct, frozen=True, kw_only=True):
    """An outbox row that stopped: out of retries (`dead`) or refused for good (`failed`)."""

    id: int
    channel: str
    topic: str
    status: str
    attempts: int
    last_error: str | None
    created_at: dt.datetime
    updated_at: dt.datetime
    tracking_number: str | None
    sms_status: str | None


async def get_item(conn: asyncpg.Connection, item_id: int | None) -> ItemForSms | None:
    """The item an SMS is about, with its agency and branch; None when it is gone."""
    row = await conn.fetchrow(SELECT_ITEM, item_id) if item_id is not None else None
    if row is None:
        return None
    names = ({"ar": row["name_ar"], "en": row["name_en"], "ckb": row["name_ckb"]}
             if row["name_ar"] else None)
    return ItemForSms(
        id=row["id"], phone=row["citizen_phone"], language=row["language"],
        agency_language=row["agency_language"], agency_name=row["agency_name"],
        governorate=row["governorate"], document_type=row["document_type"],
        hold_until=row["hold_until"], branch_names=names,
        branch_hours=opening_hours_text(row["opening_hours"]))


async def get_message(conn: asyncpg.Connection, outbox_id: int) -> SentMessage | None:
    """The message recorded for an outbox row, if any call was ever begun."""
    row = await conn.fetchrow(SELECT_MESSAGE, outbox_id)
    return SentMessage(**dict(row)) if row else None


async def begin_sending(conn: asyncpg.Connection, *, outbox_id: int, item_id: int | None,
                        kind: str, language: str, encoding: str, segments: int,
                        cost: Decimal) -> int:
    """Record (and commit: call outside a transaction) that a provider call is about to happen."""
    return await conn.fetchval(BEGIN_SENDING, outbox_id, item_id, kind, language, encoding,
                               segments, cost)


async def mark_sent(conn: asyncpg.Connection, message_id: int, *, status: str, sid: str) -> None:
    """The provider accepted the message."""
    await conn.execute(MARK_SENT, message_id, status, sid)


async def mark_failed_call(conn: asyncpg.Connection, message_id: int, *, status: str,
                           code: int | None, error: str) -> None:
    """The call ended without a message (`retry`, `rejected`) or with an unknown outcome."""
    await conn.execute(MARK_FAILED_CALL, message_id, status, code, error[:500])


async def apply_receipt(conn: asyncpg.Connection, *, sid: str, status: str,
                        error_code: int | None) -> bool:
    """Move the message forward to `status`; False when it is unknown or already further on."""
    moved = await conn.fetchval(APPLY_RECEIPT, sid, status, error_code, dict(STATUS_RANK),
                                STATUS_RANK.get(status, 0))
    return moved is not None


async def opt_out(conn: asyncpg.Connection, phone: str, keyword: str, now: dt.datetime) -> None:
    await conn.execute(OPT_OUT, phone, keyword, now)


async def opt_in(conn: asyncpg.Connection, phone: str) -> None:
    await conn.execute(OPT_IN, phone)


async def is_opted_out(conn: asyncpg.Connection, phone: str) -> bool:
    return await conn.fetchval(IS_OPTED_OUT, phone)


async def latest_choice_item(conn: asyncpg.Connection, phone: str,
                             states: list[str]) -> asyncpg.Record | None:
    """The phone's most recent item still open to a delivery-or-pickup choice."""
    return await conn.fetchrow(SELECT_CHOICE_ITEM, phone, states)


async def set_delivery_mode(conn: asyncpg.Connection, item_id: int, mode: str) -> None:
    await conn.execute(SET_DELIVERY_MODE, item_id, mode)


async def dead_letters(conn: asyncpg.Connection, *, before: int | None,
                       limit: int) -> list[DeadLetter]:
    """Stopped outbox rows, newest first."""
    return [DeadLetter(**dict(r)) for r in await conn.fetch(SELECT_DEAD, before, limit)]


async def retry_dead(conn: asyncpg.Connection, outbox_id: int) -> bool:
    """Put a stopped row back in line with a fresh retry budget; False if it was not stopped."""
    if await conn.fetchval(RETRY_DEAD, outbox_id) is None:
        return False
    await conn.execute(WAKE_RELAY)
    return True


async def outbox_status(conn: asyncpg.Connection, outbox_id: int) -> str | None:
    return await conn.fetchval(SELECT_OUTBOX_STATUS, outbox_id)
