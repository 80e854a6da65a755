"""The common scans of a batch judged in memory and written with a few set-based statements.

Each scan is judged (`judge`) against an in-memory copy of its item. One the judge decides on the
item's row alone, and that writes nothing but the row, its event and the agency's webhook (no
code, bag, courier or failure count, no alert, no new one-time code), is applied here. Every
accepted change is then written at once: one conditional UPDATE of all the items (each only if
its state, hand-over and custody chain are still the ones read, and recording the chain's new
head), one INSERT of the events chained onto the heads read, one of the webhook outbox rows, all
in the batch's transaction.

Everything else goes through the per-scan path, in the order sent: so does every later scan of an
item once one of its scans needed that path, every scan after a bag scan (a bag moves items the
batch may name later), and every scan of an item whose conditional UPDATE found it changed by
another upload meanwhile, so that those are judged again against what is really there.
"""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

import asyncpg
import msgspec

from delivery import db, outbox
from delivery.custody import judge, log, store
from delivery.custody.bags import looks_like_bag, normalize_code
from delivery.custody.context import CustodyContext
from delivery.custody.judge import Scan
from delivery.custody.model import Action, Role, Transition
from delivery.custody.services import Actor, event_of, webhook_of
from delivery.custody.store import ScanItem
from delivery.staff.auth import StaffUser


@lru_cache
def _insert_ctes(first_param: int, with_webhooks: bool) -> str:
    """WITH-clauses inserting events (and webhooks), parameters numbered from `first_param`."""
    events = f"events AS ({db.renumbered(log.INSERT_EVENTS_JSON, first_param)})"
    if not with_webhooks:
        return events
    return f"{events}, webhooks AS ({db.renumbered(outbox.INSERT_OUTBOX, first_param + 1)})"


class Verdict(msgspec.Struct, frozen=True, kw_only=True):
    """A scan judged in memory: applied (`state` set) or rejected (`error`, `reason`)."""

    item_id: int | None = None
    state: str | None = None
    error: str | None = None
    reason: str | None = None


class _Change(msgspec.Struct, frozen=True, kw_only=True):
    item: ScanItem  # as it was just before this scan
    transition: Transition
    action: Action
    payload: dict
    device_at: datetime


class Plan(msgspec.Struct, kw_only=True):
    """A batch judged in memory: verdicts by scan id (none: the per-scan path) and changes."""

    verdicts: dict[str, Verdict] = msgspec.field(default_factory=dict)
    read: dict[int, ScanItem] = msgspec.field(default_factory=dict)  # as loaded
    current: dict[int, ScanItem] = msgspec.field(default_factory=dict)  # after the changes
    handover_set: set[int] = msgspec.field(default_factory=set)
    changes: list[_Change] = msgspec.field(default_factory=list)


async def plan_batch(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser,
                     scans: list[Scan], *, now: datetime,
                     items: dict[str, ScanItem] | None = None) -> Plan:
    """Judge in memory, in order, every scan that needs nothing but its item's row.

    `items` are the scanned items by tracking number, when already read in this transaction.
    """
    plan = Plan()
    codes = [normalize_code(s.code) for s in scans]
    if items is None:
        items = await store.scan_items(conn, list(dict.fromkeys(codes)))
    per_scan: set[str] = set()  # items whose later scans go the per-scan path too
    for scan, code in zip(scans, codes, strict=True):
        if looks_like_bag(code):
            break
        if code in per_scan:
            continue
        verdict = _judge(ctx, staff, scan, items.get(code), plan, now)
        if verdict is None:
            per_scan.add(code)
        else:
            plan.verdicts[scan.scan_id] = verdict
    return plan


def _judge(ctx: CustodyContext, staff: StaffUser, scan: Scan, item: ScanItem | None,
           plan: Plan, now: datetime) -> Verdict | None:
    """The judge's decision on what is in memory; None when it needs more, or writes more than
    the item's row (then the per-scan path judges it again and writes it)."""
    current = plan.current.get(item.id, item) if item is not None else None
    decision = judge.judge(ctx, staff, scan, judge.Seen(item=current), now)
    item_id = item.id if item is not None else None
    if isinstance(decision, judge.Refused):
        if decision.has_effects:
            return None
        return Verdict(item_id=item_id, error=decision.message, reason=decision.reason)
    if isinstance(decision, judge.Missing) or not decision.row_only:
        return None
    _remember(plan, decision, scan)
    return Verdict(item_id=item_id, state=decision.state)


def _remember(plan: Plan, applied: judge.Applied, scan: Scan) -> None:
    item = applied.item
    plan.read.setdefault(item.id, item)
    plan.current[item.id] = msgspec.structs.replace(
        item, state=str(applied.state), handover_action=applied.handover_to)
    if applied.handover_set:
        plan.handover_set.add(item.id)
    plan.changes.append(_Change(item=item, transition=applied.transition, action=applied.action,
                                payload=applied.payload, device_at=scan.at))


class Pending(msgspec.Struct, frozen=True, kw_only=True):
    """Chained events (INSERT_EVENTS_JSON's rows) and webhook rows (column arrays) computed but
    not yet inserted."""

    events: list[dict]
    webhooks: list[list] | None = None  # none: no outbox statement, it would wake the relay

    def ctes(self, first_param: int) -> tuple[str, list]:
        """WITH-clauses inserting the rows, parameters numbered from `first_param`; their args."""
        sql = _insert_ctes(first_param, self.webhooks is not None)
        return sql, [self.events, *(self.webhooks or ())]

    async def insert(self, conn: asyncpg.Connection) -> None:
        """Insert the rows now."""
        sql, args = self.ctes(1)
        await conn.execute(f"WITH {sql} SELECT 1", *args)


async def write(conn: asyncpg.Connection, staff: StaffUser, plan: Plan, *,
                now: datetime) -> tuple[set[int], Pending | None]:
    """Move the plan's items and chain their events: the items another upload changed
    meanwhile (left alone), and the rows to insert in this transaction (see `Pending`)."""
    if not plan.read:
        return set(), None
    events = chained(staff, plan, now=now)
    saved = {r["id"] for r in await conn.fetch(store.MOVE_ITEMS, moves_of(plan, events), now)}
    kept = [(c, e) for c, e in zip(plan.changes, events, strict=True) if c.item.id in saved]
    pending = _pending([c for c, _ in kept], [e for _, e in kept], now) if kept else None
    return set(plan.read) - saved, pending


def chained(staff: StaffUser, plan: Plan, *, now: datetime) -> list[tuple]:
    """The events of the plan's changes (rows in `log.INSERT_EVENTS`' column order), chained
    onto the heads of the items as read; each item's chain is its own, so the events of an
    item left alone can be dropped without touching the others."""
    heads = {i: (item.chain_length, item.chain_head) for i, item in plan.read.items()}
    actor = _actor(staff)
    return log.chained_onto(heads, [_event(c, actor, now) for c in plan.changes])


class _Move(msgspec.Struct, frozen=True):
    id: int
    from_state: str
    from_handover: str | None
    from_length: int
    to_state: str
    to_handover: str | None
    handover_set: bool
    to_length: int
    to_head: bytes


def moves_of(plan: Plan, events: list[tuple]) -> list[_Move]:
    """MOVE_ITEMS' $1 for the plan's items, in one lock order for every batch, each with the
    head of its chain after `events` (see `chained`)."""
    tails = {e[0]: (e[1], e[-1]) for e in events}  # item → (seq, hash) of its last event
    return [_Move(id=i, from_state=plan.read[i].state, from_handover=plan.read[i].handover_action,
                  from_length=plan.read[i].chain_length, to_state=plan.current[i].state,
                  to_handover=plan.current[i].handover_action,
                  handover_set=i in plan.handover_set, to_length=tails[i][0],
                  to_head=tails[i][1])
            for i in sorted(plan.read)]


def pending_of(plan: Plan, events: list[tuple], *, now: datetime) -> Pending:
    """The plan's events (see `chained`) and webhooks, as rows to insert."""
    return _pending(plan.changes, events, now)


def _pending(changes: list[_Change], events: list[tuple], now: datetime) -> Pending:
    webhooks = [webhook_of(c.item.ref(), c.transition, now=now) for c in changes
                if c.transition.to != c.item.state]
    return Pending(events=log.json_rows(events),
                   webhooks=outbox.columns_of(webhooks, now=now) if webhooks else None)


def _actor(staff: StaffUser) -> Actor:
    return Actor(role=Role(staff.role), id=staff.id, device_id=staff.device_id,
                 site_id=staff.site_id)


def _event(change: _Change, actor: Actor, now: datetime) -> log.Event:
    return event_of(change.item.ref(), change.transition, change.action, actor, now=now,
                    device_at=change.device_at, payload=change.payload)
