"""Daily anchors: the custody chain heads that changed on a day, as one signed Merkle root.

Once a day has ended (Asia/Baghdad), its anchor is made once and never changed: the root over
the head each item's chain had at the end of the day, for every item with an event that day
(`merkle` defines the leaves and the signed statement), signed with Ed25519, stored, published
and sent to every agency as the webhook event `custody.anchor`. Copies held outside Tasheel are
what make a rewrite of the log and of the items' heads by someone with full database access
show: `tasheel verify-custody --anchors` recomputes every anchored root from the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

import asyncpg
import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from delivery.custody import merkle, store
from delivery.platform.errors import FieldError, InvalidInput

BAGHDAD = ZoneInfo("Asia/Baghdad")
TOPIC = "custody.anchor"
# A day is anchored this long after it ends: a write stamped just before midnight has
# committed by then, so the anchor sees the day whole.
SETTLE = timedelta(minutes=15)


Hex = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]*$")]


class Anchor(msgspec.Struct, frozen=True, kw_only=True):
    """One day's anchor, as published and sent to agencies."""

    day: Annotated[date, msgspec.Meta(
        description="The Asia/Baghdad day whose changes it covers.", examples=["2026-03-01"])] = \
        msgspec.field(name="date")
    root: Annotated[Hex, msgspec.Meta(
        description="Merkle root (RFC 6962) over the chain heads that changed that day, hex.")]
    count: Annotated[int, msgspec.Meta(ge=0, description="How many heads (items) it covers.")]
    signature: Annotated[Hex, msgspec.Meta(
        description="Ed25519 signature, hex, of `tasheel custody anchor|<date>|<count>|<root>`.")]
    public_key: Annotated[Hex, msgspec.Meta(
        description="The Ed25519 public key (32 bytes, hex) that made the signature.")]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The instants a day starts and ends, Asia/Baghdad."""
    start = datetime.combine(day, time(), BAGHDAD)
    return start, datetime.combine(day + timedelta(days=1), time(), BAGHDAD)


def local_day(moment: datetime) -> date:
    return moment.astimezone(BAGHDAD).date()


def signed(key: bytes, day: date, leaves: Iterable[bytes]) -> Anchor:
    """The anchor of `day` over leaf hashes in order, signed with `key` (an Ed25519 seed)."""
    builder = merkle.RootBuilder()
    for leaf in leaves:
        builder.add(leaf)
    root = builder.root()
    private = Ed25519PrivateKey.from_private_bytes(key)
    signature = private.sign(merkle.statement(day, builder.count, root))
    return Anchor(day=day, root=root.hex(), count=builder.count, signature=signature.hex(),
                  public_key=private.public_key().public_bytes_raw().hex())


def signature_holds(anchor: Anchor) -> bool:
    """Whether the anchor's signature is its public key's, over its day, count and root."""
    try:
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(anchor.public_key)).verify(
            bytes.fromhex(anchor.signature),
            merkle.statement(anchor.day, anchor.count, bytes.fromhex(anchor.root)))
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_of(key: bytes) -> str:
    return Ed25519PrivateKey.from_private_bytes(key).public_key().public_bytes_raw().hex()


async def heads_of_day(conn: asyncpg.Connection, day: date) -> list[bytes]:
    """The leaf hashes of `day`, in tracking number order."""
    rows = await conn.fetch(store.HEADS_OF_DAY, *day_bounds(day))
    heads = sorted((r["tracking_number"].encode(), r["seq"], r["hash"]) for r in rows)
    return [merkle.leaf_hash(tn.decode(), seq, head) for tn, seq, head in heads]


async def make_anchor(conn: asyncpg.Connection, key: bytes, day: date, *,
                      now: datetime) -> Anchor:
    """The day's anchor: made, stored and queued for every agency, or as made before."""
    if now < day_bounds(day)[1]:
        raise InvalidInput(f"{day} has not ended yet", errors=[
            FieldError(field="date", message="anchors are made for days that have ended")])
    existing = await get_anchor(conn, day)
    if existing is not None:
        return existing
    async with conn.transaction():
        anchor = signed(key, day, await heads_of_day(conn, day))
        made = await conn.fetchval(store.INSERT_ANCHOR, day, bytes.fromhex(anchor.root), anchor.count,
                                   bytes.fromhex(anchor.signature),
                                   bytes.fromhex(anchor.public_key))
        if made is None:  # another worker made it meanwhile
            return await get_anchor(conn, day) or anchor
        await conn.execute(store.QUEUE_FOR_AGENCIES, TOPIC, webhook_payload(anchor), now)
    return anchor


async def make_due(conn: asyncpg.Connection, key: bytes, *, now: datetime) -> list[Anchor]:
    """Anchors for every day that ended (and settled) since the last one anchored, or since the
    first event when none was."""
    last = await conn.fetchval(store.LAST_ANCHORED)
    if last is None:
        first = await conn.fetchval(store.FIRST_EVENT_AT)
        if first is None:
            return []
        last = local_day(first) - timedelta(days=1)
    made, day = [], last + timedelta(days=1)
    while day_bounds(day)[1] + SETTLE <= now:
        made.append(await make_anchor(conn, key, day, now=now))
        day += timedelta(days=1)
    return made


def webhook_payload(anchor: Anchor) -> dict:
    """The body of `custody.anchor` (the outbox adds the event id)."""
    return {"event": TOPIC, **msgspec.to_builtins(anchor)}


def _anchor_of(row: asyncpg.Record) -> Anchor:
    return Anchor(day=row["day"], root=row["root"].hex(), count=row["count"],
                  signature=row["signature"].hex(), public_key=row["public_key"].hex())


async def get_anchor(conn: asyncpg.Connection, day: date) -> Anchor | None:
    row = await conn.fetchrow(store.SELECT_ANCHOR, day)
    return _anchor_of(row) if row else None


async def list_anchors(conn: asyncpg.Connection, first: date, last: date) -> list[Anchor]:
    return [_anchor_of(r) for r in await conn.fetch(store.SELECT_ANCHORS, first, last)]


async def every_anchor(conn: asyncpg.Connection) -> list[Anchor]:
    return [_anchor_of(r) for r in await conn.fetch(store.SELECT_EVERY_ANCHOR)]
