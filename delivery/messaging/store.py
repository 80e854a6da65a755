"""SQL for citizens' SMS: the item a message is about, sent messages, opt-outs, dead letters."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import asyncpg
import msgspec

from delivery.messaging.model import STATUS_RANK, ItemForSms, opening_hours_text
from delivery.platform import db
from delivery.platform.coalesce import Coalescer

ITEM_COLUMNS = """
SELECT i.id, i.tracking_number, i.state, i.token_hash, i.failed_attempts, i.citizen_phone,
    i.language, i.chosen_language, a.language AS agency_language, a.name AS agency_name,
    i.governorate, i.document_type, i.hold_until, a.test_mode,
    s.name_ar, s.name_en, s.name_ckb, s.opening_hours
FROM items i JOIN agencies a ON a.id = i.agency_id LEFT JOIN sites s ON s.id = i.branch_id
"""
SELECT_ITEMS = ITEM_COLUMNS + "WHERE i.id = ANY($1::bigint[])"
SELECT_MESSAGES = """
SELECT outbox_id, id, status, provider_sid, calls FROM sms_messages
WHERE outbox_id = ANY($1::bigint[])
"""
# One statement per group: the outcomes of calls that ended, and (committed before their calls)
# the messages about to be handed to the provider.
WRITE_RECORDS = """
WITH finished AS (
    UPDATE sms_messages m SET status = v.status, provider_sid = coalesce(v.sid, m.provider_sid),
        error_code = v.code, error = v.error,
        sent_at = CASE WHEN v.sid IS NULL THEN m.sent_at ELSE now() END, updated_at = now()
    FROM unnest($8::bigint[], $9::text[], $10::text[], $11::int[], $12::text[])
        AS v(id, status, sid, code, error)
    WHERE m.id = v.id
    RETURNING m.id
)
INSERT INTO sms_messages (outbox_id, item_id, kind, language, encoding, segments, cost, status,
    calls)
SELECT v.*, 'sending', 1
FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::int[],
            $7::numeric[]) AS v
ON CONFLICT (outbox_id) DO UPDATE SET status = 'sending', calls = sms_messages.calls + 1,
    language = EXCLUDED.language, encoding = EXCLUDED.encoding, segments = EXCLUDED.segments,
    cost = EXCLUDED.cost, error_code = NULL, error = NULL, updated_at = now()
RETURNING outbox_id, id
"""
# The records connection runs WRITE_RECORDS hundreds of times a second with arrays of a few
# rows: planning each call afresh (PostgreSQL's choice for it) costs more than running it. A plan
# made once must then not scan: made while the tables are small (a new install), a scan would be
# kept while they grow, for the statement's join and for its foreign-key checks alike. Every row
# it touches is found by a key.
RECORDS_SESSION = "SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off"
# Each record statement waits this long for others to join it: a busy worker then writes its
# records in about half the statements, for a few milliseconds more before and after each call.
RECORDS_GATHER_S = 0.003
RECORDS_PATIENCE_S = 60.0
MARK_UNKNOWN = """
UPDATE sms_messages SET status = $2, error_code = NULL, error = $3, updated_at = now()
WHERE id = ANY($1::bigint[])
"""
OPTED_OUT_AMONG = "SELECT phone FROM sms_opt_outs WHERE phone = ANY($1::text[])"
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
SELECT_CHOICE_ITEM = """
SELECT id, state, agency_id, tracking_number, external_ref FROM items
WHERE citizen_phone = $1 AND state = ANY($2::text[])
ORDER BY created_at DESC, id DESC LIMIT 1
"""
SET_DELIVERY_MODE = "UPDATE items SET delivery_mode = $2 WHERE id = $1"
# The last message that reached the phone, and its item: a bare "1" or "2" answers it.
SELECT_LAST_SENT = """
SELECT m.kind, m.item_id FROM items i JOIN sms_messages m ON m.item_id = i.id
WHERE i.citizen_phone = $1 AND m.provider_sid IS NOT NULL
ORDER BY m.id DESC LIMIT 1
"""
SELECT_DEAD = """
SELECT o.id, o.channel, o.topic, o.status, o.attempts, o.last_error, o.created_at, o.updated_at,
    i.tracking_number, m.status AS sms_status
FROM outbox o LEFT JOIN items i ON i.id = o.item_id LEFT JOIN sms_messages m ON m.outbox_id = o.id
WHERE o.status IN ('dead', 'failed') AND ($1::bigint IS NULL OR o.id < $1)
    AND ($3::bigint IS NULL OR (o.channel = 'sms' AND i.branch_id = $3))
ORDER BY o.id DESC LIMIT $2
"""
RETRY_DEAD = """
UPDATE outbox SET status = 'pending', attempts = 0, available_at = now(), updated_at = now(),
    last_error = 'retried by hand after: ' || coalesce(last_error, '')
WHERE id = $1 AND status IN ('dead', 'failed')
    AND ($2::bigint IS NULL OR (channel = 'sms' AND EXISTS (
        SELECT 1 FROM items i WHERE i.id = outbox.item_id AND i.branch_id = $2)))
RETURNING id
"""
# The row's status, if the site (none: every site) may see it.
SELECT_OUTBOX_STATUS = """
SELECT o.status FROM outbox o LEFT JOIN items i ON i.id = o.item_id
WHERE o.id = $1 AND ($2::bigint IS NULL OR (o.channel = 'sms' AND i.branch_id = $2))
"""
WAKE_RELAY = "SELECT pg_notify('outbox', '')"


class SentMessage(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    status: str
    provider_sid: str | None
    calls: int


class Sending(msgspec.Struct, frozen=True, kw_only=True):
    """A message about to be handed to the provider."""

    outbox_id: int
    item_id: int | None
    kind: str
    language: str
    encoding: str
    segments: int
    cost: Decimal


class CallOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """How one provider call ended: a sid when accepted, else an error."""

    message_id: int
    status: str
    sid: str | None = None
    code: int | None = None
    error: str | None = None


class MessageRecords:
    """The exactly-once record of a worker process, written by group commit.

    `begin` returns once the message is committed as `sending`; `finish` once its outcome is.
    Whatever both kinds of callers ask while a statement runs, or in the `RECORDS_GATHER_S` before
    the next one, goes into that next one, together.
    """

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._conn: asyncpg.Connection | None = None
        self._writes: Coalescer[Sending | CallOutcome, int | None] = Coalescer(
            self._write, gather_s=RECORDS_GATHER_S)

    async def begin(self, sending: Sending) -> int:
        """Commit that a provider call is about to happen; the message's id."""
        message_id = await self._writes.submit(sending)
        assert message_id is not None
        return message_id

    async def finish(self, outcome: CallOutcome) -> None:
        """Commit what the provider call ended with."""
        await self._writes.submit(outcome)

    async def close(self) -> None:
        """Give the connection back to the pool (whatever state it is in: the pool checks)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already taken back by the pool after a loss
                await self._pool.release(conn)

    async def _write(self, group: Sequence[Sending | CallOutcome]) -> list[int | None]:
        begins = [r for r in group if isinstance(r, Sending)]
        outcomes = [r for r in group if isinstance(r, CallOutcome)]
        # What Twilio answered is known only here: it waits out a restart of PostgreSQL rather
        # than be lost (a record written twice changes nothing but its count of calls).
        ids = dict(await db.patiently(
            lambda: self._fetch(WRITE_RECORDS, *_columns(begins, Sending),
                                *_columns(outcomes, CallOutcome)), for_s=RECORDS_PATIENCE_S))
        return [ids[r.outbox_id] if isinstance(r, Sending) else None for r in group]

    async def _fetch(self, query: str, *args: object) -> list[asyncpg.Record]:
        # A connection of its own: the pool would add a round trip (its reset) to every group.
        if self._conn is None:
            self._conn = await self._pool.acquire()
            await self._conn.execute(RECORDS_SESSION)  # undone by the pool's reset on release
        try:
            return await self._conn.fetch(query, *args)
        except Exception:
            # Never ask a failed connection about itself: after a lost backend the pool may have
            # taken it back already, and every call on it raises; nor let a broken one go back
            # to the pool as it is. The next group takes another.
            with contextlib.suppress(Exception):
                self._conn.terminate()
            await self.close()
            raise


def _columns(rows: Sequence[msgspec.Struct], kind: type[msgspec.Struct]) -> list[list[object]]:
    columns = [[getattr(row, field) for row in rows] for field in kind.__struct_fields__]
    if kind is CallOutcome:
        columns[-1] = [error[:500] if isinstance(error, str) else error for error in columns[-1]]
    return columns


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


async def get_items(conn: asyncpg.Connection, item_ids: Sequence[int]) -> dict[int, ItemForSms]:
    """The items a batch of SMS is about, by id; gone ones are missing."""
    return {row["id"]: _item(row) for row in await conn.fetch(SELECT_ITEMS, list(item_ids))}


def _item(row: asyncpg.Record) -> ItemForSms:
    names = ({"ar": row["name_ar"], "en": row["name_en"], "ckb": row["name_ckb"]}
             if row["name_ar"] else None)
    return ItemForSms(
        id=row["id"], tracking_number=row["tracking_number"], state=row["state"],
        token_hash=row["token_hash"], failed_attempts=row["failed_attempts"],
        phone=row["citizen_phone"], language=row["language"],
        chosen_language=row["chosen_language"],
        agency_language=row["agency_language"], agency_name=row["agency_name"],
        governorate=row["governorate"], document_type=row["document_type"],
        hold_until=row["hold_until"], branch_names=names,
        branch_hours=opening_hours_text(row["opening_hours"]), test_mode=row["test_mode"])


async def get_messages(conn: asyncpg.Connection,
                       outbox_ids: Sequence[int]) -> dict[int, SentMessage]:
    """The messages recorded for a batch of outbox rows, by outbox id."""
    rows = await conn.fetch(SELECT_MESSAGES, list(outbox_ids))
    return {r["outbox_id"]: SentMessage(id=r["id"], status=r["status"],
                                        provider_sid=r["provider_sid"], calls=r["calls"])
            for r in rows}


async def mark_unknown(conn: asyncpg.Connection, message_ids: Sequence[int], *, status: str,
                       error: str) -> None:
    """Calls a crash interrupted: nobody knows whether the provider took them."""
    await conn.execute(MARK_UNKNOWN, list(message_ids), status, error[:500])


async def opted_out_among(conn: asyncpg.Connection, phones: Sequence[str]) -> set[str]:
    """Which of these numbers opted out."""
    return {r["phone"] for r in await conn.fetch(OPTED_OUT_AMONG, list(set(phones)))}


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


async def latest_choice_item(conn: asyncpg.Connection, phone: str,
                             states: list[str]) -> asyncpg.Record | None:
    """The phone's most recent item still open to a delivery-or-pickup choice."""
    return await conn.fetchrow(SELECT_CHOICE_ITEM, phone, states)


async def last_sent(conn: asyncpg.Connection, phone: str) -> tuple[str, int] | None:
    """(kind, item id) of the last message sent to the phone."""
    row = await conn.fetchrow(SELECT_LAST_SENT, phone)
    return (row["kind"], row["item_id"]) if row else None


async def set_delivery_mode(conn: asyncpg.Connection, item_id: int, mode: str) -> None:
    await conn.execute(SET_DELIVERY_MODE, item_id, mode)


async def dead_letters(conn: asyncpg.Connection, *, before: int | None, limit: int,
                       site_id: int | None) -> list[DeadLetter]:
    """Stopped outbox rows, newest first: of the site's items' SMS, or every row (None)."""
    return [DeadLetter(**dict(r))
            for r in await conn.fetch(SELECT_DEAD, before, limit, site_id)]


async def retry_dead(conn: asyncpg.Connection, outbox_id: int, site_id: int | None) -> bool:
    """Put a stopped row back in line with a fresh retry budget; False if it was not stopped
    (or is not the site's)."""
    if await conn.fetchval(RETRY_DEAD, outbox_id, site_id) is None:
        return False
    await conn.execute(WAKE_RELAY)
    return True


async def outbox_status(conn: asyncpg.Connection, outbox_id: int,
                        site_id: int | None) -> str | None:
    return await conn.fetchval(SELECT_OUTBOX_STATUS, outbox_id, site_id)
