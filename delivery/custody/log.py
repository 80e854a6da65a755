"""Writing the custody log: append-only, each event chained to its item's previous one.

Every statement that appends events also records each item's new chain head (`chain_length`,
`chain_head`): these statements themselves, or, on the paths that move items set-based, the
UPDATE of the items that runs in the same statement or transaction (see `fastscan.moves_of`).
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.custody import chain

# The events, and the head of each item's chain after them, in one statement.
INSERT_EVENTS = """
WITH events AS (
    INSERT INTO custody_events (item_id, seq, action, from_state, to_state, event_code, emsevt,
        actor_role, actor_id, device_id, site_id, device_at, server_at, payload, hash_version,
        prev_hash, hash)
    SELECT * FROM unnest($1::bigint[], $2::int[], $3::text[], $4::text[], $5::text[],
        $6::text[], $7::text[], $8::text[], $9::bigint[], $10::text[], $11::bigint[],
        $12::timestamptz[], $13::timestamptz[], $14::jsonb[], $15::smallint[], $16::bytea[],
        $17::bytea[])
    RETURNING item_id, seq, hash
)
UPDATE items SET chain_length = e.seq, chain_head = e.hash
FROM (SELECT DISTINCT ON (item_id) item_id, seq, hash FROM events
      ORDER BY item_id, seq DESC) AS e
WHERE items.id = e.item_id
"""
SELECT_HEADS = """
SELECT id AS item_id, chain_length AS seq, chain_head AS hash FROM items
WHERE id = ANY($1::bigint[])
"""
SELECT_CHAIN = """
SELECT item_id, seq, action, from_state, to_state, event_code, emsevt, actor_role, actor_id,
    device_id, site_id, device_at, server_at, payload, hash_version, prev_hash, hash
FROM custody_events WHERE ($1::bigint IS NULL OR item_id = $1) ORDER BY item_id, seq
"""


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """One custody event, before it is chained."""

    item_id: int
    action: str
    from_state: str | None
    to_state: str
    event_code: str
    emsevt: str | None
    actor_role: str
    actor_id: int | None = None
    device_id: str | None = None
    site_id: int | None = None
    device_at: datetime | None = None
    server_at: datetime
    payload: dict = msgspec.field(default_factory=dict)


def _chained(event: Event, seq: int, prev_hash: bytes) -> tuple:
    digest = chain.event_hash(prev_hash, chain_fields(event, seq))
    return (event.item_id, seq, event.action, event.from_state, event.to_state,
            event.event_code, event.emsevt, event.actor_role, event.actor_id, event.device_id,
            event.site_id, event.device_at, event.server_at, event.payload, chain.HASH_VERSION,
            prev_hash, digest)


def chain_fields(event: Event | dict, seq: int | None = None) -> dict:
    """The event under the names the hash chain covers."""
    fields = msgspec.structs.asdict(event) if isinstance(event, Event) else dict(event)
    fields["role"] = fields.pop("actor_role")
    fields["site"] = fields.pop("site_id")
    if seq is not None:
        fields["seq"] = seq
    if isinstance(event, Event):
        fields["hash_version"] = chain.HASH_VERSION
    return fields


def columns_of(rows: list[tuple]) -> list[list]:
    """Chained rows as the column arrays INSERT_EVENTS takes."""
    return [list(col) for col in zip(*rows, strict=True)]


# The same rows as one JSON parameter (see `json_rows`): asyncpg encodes sixteen arrays element by
# element, at a cost that dwarfs the rest of a batch's work in Python. The heads are not written
# here: the caller's UPDATE of the items in the same statement or transaction carries them.
INSERT_EVENTS_JSON = """
INSERT INTO custody_events (item_id, seq, action, from_state, to_state, event_code, emsevt,
    actor_role, actor_id, device_id, site_id, device_at, server_at, payload, hash_version,
    prev_hash, hash)
SELECT item_id, seq, action, from_state, to_state, event_code, emsevt, actor_role, actor_id,
    device_id, site_id, device_at, server_at, payload, hash_version,
    decode(prev_hash, 'base64'), decode(hash, 'base64')
FROM json_to_recordset($1::json) AS e (item_id bigint, seq int, action text, from_state text,
    to_state text, event_code text, emsevt text, actor_role text, actor_id bigint,
    device_id text, site_id bigint, device_at timestamptz, server_at timestamptz,
    payload jsonb, hash_version smallint, prev_hash text, hash text)
"""
_COLUMNS = ("item_id", "seq", "action", "from_state", "to_state", "event_code", "emsevt",
            "actor_role", "actor_id", "device_id", "site_id", "device_at", "server_at",
            "payload", "hash_version", "prev_hash", "hash")


def json_rows(rows: list[tuple]) -> list[dict]:
    """Chained rows as INSERT_EVENTS_JSON's parameter, for the connection's JSON codec (which
    sends bytes as base64)."""
    return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]


async def _insert(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    await conn.execute(INSERT_EVENTS, *columns_of(rows))


async def append_first(conn: asyncpg.Connection, events: list[Event]) -> None:
    """The first event of each of many items just inserted, in one statement."""
    if events:
        await _insert(conn, first_rows(events))


def first_rows(events: list[Event]) -> list[tuple]:
    """Rows (in INSERT_EVENTS' column order) that start the chains of new items."""
    return [_chained(e, chain.FIRST_SEQ, chain.GENESIS_HASH) for e in events]


class FirstEvents(msgspec.Struct, frozen=True, kw_only=True):
    """The first events of new items that differ only in their item: the shared event once,
    and per item its id and hash (sent with the item's row, as the head of its chain), which
    is all a bulk insert needs per row."""

    shared: Event
    item_ids: list[int]
    hashes: list[bytes]


def first_events(shared: Event, item_ids: list[int]) -> FirstEvents:
    """`shared` (its item_id is ignored) as the first event of each of `item_ids`."""
    hashes = chain.first_event_hashes(chain_fields(shared, chain.FIRST_SEQ), item_ids)
    return FirstEvents(shared=shared, item_ids=item_ids, hashes=hashes)


def insert_first_events(rows: str) -> str:
    """FirstEvents in one statement: $1-$15 the shared values (see first_events_args), the items
    and their hashes the columns `item_id` and `hash` of `rows`, a relation of the caller's
    statement (its items' heads written with them, where they are inserted)."""
    return f"""
INSERT INTO custody_events (item_id, seq, action, from_state, to_state, event_code, emsevt,
    actor_role, actor_id, device_id, site_id, device_at, server_at, payload, hash_version,
    prev_hash, hash)
SELECT e.item_id, $1::int, $2::text, $3::text, $4::text, $5::text, $6::text, $7::text,
    $8::bigint, $9::text, $10::bigint, $11::timestamptz, $12::timestamptz, $13::text::jsonb,
    $14::smallint, $15::bytea, e.hash
FROM {rows} AS e
"""


def first_events_args(first: FirstEvents) -> list:
    """The shared values of `insert_first_events`, in order."""
    e = first.shared
    return [chain.FIRST_SEQ, e.action, e.from_state, e.to_state, e.event_code, e.emsevt,
            e.actor_role, e.actor_id, e.device_id, e.site_id, e.device_at, e.server_at,
            msgspec.json.encode(e.payload).decode(), chain.HASH_VERSION, chain.GENESIS_HASH]


async def append(conn: asyncpg.Connection, events: list[Event]) -> None:
    """Events of existing items, in order; the caller holds each item's row lock."""
    if events:
        await _insert(conn, await chained_rows(conn, events))


async def append_onto(conn: asyncpg.Connection, head: tuple[int, bytes],
                      events: list[Event]) -> None:
    """Events of one item whose chain's head (length, hash) the caller read under its row
    lock."""
    if events:
        await _insert(conn, chained_onto({events[0].item_id: head}, events))


async def chained_rows(conn: asyncpg.Connection, events: list[Event]) -> list[tuple]:
    """The rows that append `events` to their items' chains (the caller holds the row locks)."""
    return chained_onto(await _heads(conn, list(dict.fromkeys(e.item_id for e in events))),
                        events)


def chained_onto(heads: dict[int, tuple[int, bytes]], events: list[Event]) -> list[tuple]:
    """The rows that append `events` to their items' chains, given each chain's head as
    (seq, hash) by item (a missing item: a chain not started yet). `heads` is not changed."""
    last = dict(heads)
    rows = []
    for event in events:
        seq, prev = last.get(event.item_id, (0, chain.GENESIS_HASH))
        chained = _chained(event, seq + 1, prev)
        last[event.item_id] = (seq + 1, chained[-1])
        rows.append(chained)
    return rows


async def _heads(conn: asyncpg.Connection, item_ids: list[int]) -> dict[int, tuple[int, bytes]]:
    rows = await conn.fetch(SELECT_HEADS, item_ids)
    return {r["item_id"]: (r["seq"], r["hash"]) for r in rows}


async def load_chain(conn: asyncpg.Connection, item_id: int | None = None) -> list[dict]:
    """Stored events under the names the hash chain covers, for verification."""
    return [chain_fields(dict(r)) for r in await conn.fetch(SELECT_CHAIN, item_id)]
