"""Verifying the stored custody log: every chain against its item's recorded head and state,
and, when asked, every anchor against the heads the log gives for its day.

The log is read once, item by item in tracking number order, through a server-side cursor, so
memory holds one item's events and, per anchored day, the left edge of its Merkle tree.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import asyncpg
import msgspec

from delivery.custody import anchors, chain, log, merkle, store

_ITEM_COLUMNS = 5
_EVENT_COLUMNS = ("seq", "action", "from_state", "to_state", "event_code", "emsevt",
                  "actor_role", "actor_id", "device_id", "site_id", "device_at", "server_at",
                  "payload", "hash_version", "prev_hash", "hash")
PREFETCH = 5000


class AnchorBreak(msgspec.Struct, frozen=True, kw_only=True):
    day: date
    detail: str


class Report(msgspec.Struct, kw_only=True):
    items: int = 0
    breaks: list[chain.ChainBreak] = msgspec.field(default_factory=list)
    anchors: list[AnchorBreak] = msgspec.field(default_factory=list)
    anchors_checked: int = 0


async def verify(conn: asyncpg.Connection, *, tracking_number: str | None = None,
                 with_anchors: list[anchors.Anchor] | None = None,
                 public_keys: frozenset[str] | None = None) -> Report:
    """Every break of the stored log (of one item, when named); and of the anchors given, each
    of which must be signed by one of `public_keys` (hex) when given."""
    report = Report()
    days = {a.day: merkle.RootBuilder() for a in with_anchors or ()}
    async with conn.transaction(readonly=True, isolation="repeatable_read"):
        async for tn, events, head in _items(conn, tracking_number):
            report.items += 1
            report.breaks += chain.verify_item(tn, events, head)
            _add_leaves(days, tn, events)
        if tracking_number is None:
            report.breaks += [_orphan(r["item_id"]) for r in await conn.fetch(store.ORPHANS)]
    for anchor in with_anchors or ():
        report.anchors_checked += 1
        report.anchors += _check_anchor(anchor, days[anchor.day], public_keys)
    return report


async def _items(conn: asyncpg.Connection, tracking_number: str | None) -> AsyncIterator[
        tuple[str, list[dict], chain.Head]]:
    """(tracking number, events, recorded head) of each item, in tracking number order."""
    current: asyncpg.Record | None = None
    events: list[dict] = []
    async for row in conn.cursor(store.STREAM, tracking_number, prefetch=PREFETCH):
        if current is None or row["id"] != current["id"]:
            if current is not None:
                yield current["tracking_number"], events, _head(current)
                _check_order(current["tracking_number"], row["tracking_number"])
            current, events = row, []
        if row["seq"] is not None:
            fields = dict(zip(_EVENT_COLUMNS, row[_ITEM_COLUMNS:], strict=True))
            events.append(log.chain_fields({**fields, "item_id": row["id"]}))
    if current is not None:
        yield current["tracking_number"], events, _head(current)


def _head(row: asyncpg.Record) -> chain.Head:
    return chain.Head(length=row["chain_length"], hash=row["chain_head"], state=row["state"])


def _check_order(before: str, after: str) -> None:
    # The anchors' leaves are in byte order; S10 numbers sort alike under any collation, but a
    # database that disagreed would make every anchor look broken, so say so instead.
    if before.encode() >= after.encode():
        raise RuntimeError(f"the database orders {before} before {after}: run with a collation "
                           "that orders tracking numbers by their bytes (\"C\")")


def _add_leaves(days: dict[date, merkle.RootBuilder], tn: str, events: list[dict]) -> None:
    """This item's leaf in each anchored day it changed on: its head at the day's end."""
    for day in sorted({anchors.local_day(e["server_at"]) for e in events} & days.keys()):
        end = anchors.day_bounds(day)[1]
        last = max((e for e in events if e["server_at"] < end), key=lambda e: e["seq"])
        days[day].add(merkle.leaf_hash(tn, last["seq"], last["hash"]))


def _check_anchor(anchor: anchors.Anchor, builder: merkle.RootBuilder,
                  public_keys: frozenset[str] | None) -> list[AnchorBreak]:
    found = []
    if public_keys is not None and anchor.public_key not in public_keys:
        found.append(AnchorBreak(day=anchor.day, detail=(
            f"signed by {anchor.public_key}, not by this server's key nor one it used before "
            "(ANCHOR_EARLIER_KEYS)")))
    if not anchors.signature_holds(anchor):
        found.append(AnchorBreak(day=anchor.day, detail="its signature does not hold"))
    root = builder.root().hex()
    if (builder.count, root) != (anchor.count, anchor.root):
        found.append(AnchorBreak(day=anchor.day, detail=(
            f"the log gives {builder.count} heads with root {root}, the anchor says "
            f"{anchor.count} with root {anchor.root}")))
    return found


def _orphan(item_id: int) -> chain.ChainBreak:
    return chain.ChainBreak(item_id=f"item #{item_id}", seq=0, kind=chain.BreakKind.item_missing,
                            detail="its events remain but the item itself is gone")
