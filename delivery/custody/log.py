"""Writing the custody log: append-only, each event chained to its item's previous one.

Every statement that appends events also records each item's new chain head (`chain_length`,
`chain_head`): these statements themselves, or, on the paths that move items set-based, the
UPDATE of the items that runs in the same statement or transaction (see `fastscan.moves_of`).
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.custody import chain, store


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
    """Chained rows as the column arrays store.INSERT_EVENTS takes."""
    return [list(col) for col in zip(*rows, strict=True)]


_COLUMNS = ("item_id", "seq", "action", "from_state", "to_state", "event_code", "emsevt",
            "actor_role", "actor_id", "device_id", "site_id", "device_at", "server_at",
            "payload", "hash_version", "prev_hash", "hash")


def json_rows(rows: list[tuple]) -> list[dict]:
    """Chained rows as INSERT_EVENTS_JSON's parameter (`store`), for the connection's JSON codec (which
    sends bytes as base64)."""
    return [dict(zip(_COLUMNS, row, strict=True)) for row in rows]


async def _insert(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    await conn.execute(store.INSERT_EVENTS, *columns_of(rows))


async def append_first(conn: asyncpg.Connection, events: list[Event]) -> None:
    """The first event of each of many items just inserted, in one statement."""
    if events:
        await _insert(conn, first_rows(events))


def first_rows(events: list[Event]) -> list[tuple]:
    """Rows (in store.INSERT_EVENTS' column order) that start the chains of new items."""
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


def first_events_args(first: FirstEvents) -> list:
    """The shared values of `store.insert_first_events`, in order."""
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
    rows = await conn.fetch(store.SELECT_HEADS, item_ids)
    return {r["item_id"]: (r["seq"], r["hash"]) for r in rows}


async def load_chain(conn: asyncpg.Connection, item_id: int | None = None) -> list[dict]:
    """Stored events under the names the hash chain covers, for verification."""
    return [chain_fields(dict(r)) for r in await conn.fetch(store.SELECT_CHAIN, item_id)]
