"""A batch's scans judged in memory and written with a few set-based statements.

Each scan is judged (`judge`) against an in-memory copy of its item and what was read once for
the whole upload besides (`Needs`: the staff lock, the couriers and bags named, the items' bags,
where returning items are). Every accepted change is then written at once: one conditional
UPDATE of all the items (each only if its state, hand-over and custody chain are still the ones
read, and, for a hand-over proved by a code, that code; carrying the courier, failure counts,
fresh codes and holds, and the chain's new head), then, in one statement (`Pending`), the events
chained onto the heads read, the outbox rows (agency webhooks, the SMS of fresh codes), bag
memberships and confirmations, and alerts.

The per-scan path takes, in the order sent: a scan the judge cannot decide on what was read, a
refusal that must leave a trace (a wrong attempt to count), an item's second bag change in one
batch, every later scan of an item once one of its scans went that way, every scan after a bag's
own scan (a bag moves items the batch may name later), and every scan of an item whose
conditional UPDATE found it changed by another upload meanwhile, so that those are judged again
against what is really there.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import asyncpg
import msgspec
from msgspec import UNSET, UnsetType

from delivery.custody import judge, log, places, proof, store
from delivery.custody.bags import is_valid_bag_id, looks_like_bag, normalize_code
from delivery.custody.citizen_messages import told
from delivery.custody.context import CustodyContext
from delivery.custody.judge import Scan
from delivery.custody.model import PLACE_ACTIONS, UNPLACED, Action, Place, Role, Transition
from delivery.custody.services import Actor, event_of, webhook_of
from delivery.custody.store import ScanItem
from delivery.outbox import rows as outbox
from delivery.outbox import store as outbox_store
from delivery.platform import db
from delivery.staff.auth import StaffUser


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
    sms: outbox.OutboxRow | None = None  # a fresh code's
    into_bag: str | None = None
    out_of_bag: str | None = None
    confirm_in_bag: bool = False
    alerts: tuple[judge.Alert, ...] = ()


class Loaded(msgspec.Struct, kw_only=True):
    """What the upload's scans need besides their items, as read (`UNSET`: not read)."""

    staff_locked: bool | UnsetType = UNSET
    couriers: dict[str, judge.Courier] | UnsetType = UNSET  # the couriers named, by username
    bags: dict[str, judge.Bag] | UnsetType = UNSET  # the bags named, by id
    open_bags: dict[int, str] = msgspec.field(default_factory=dict)  # item → its open bag
    in_bags: dict[int, judge.InBag] | UnsetType = UNSET  # of the items arriving on their own
    places: dict[int, Place] | UnsetType = UNSET  # of the items whose place the rows ask


BAG_ACTIONS = frozenset({Action.bag, Action.unbag})


class Needs(msgspec.Struct, frozen=True, kw_only=True):
    """What an upload's scans need read besides their items (`store.READ_EXTRAS`)."""

    proof: bool  # a hand-over judged on a code: is the member of staff locked out?
    couriers: list[str]  # the usernames named
    bagging: bool  # bag or unbag scans naming a bag ...
    bags: list[str]  # ... the valid bag ids they name ...
    bagged: list[str]  # ... and their items' tracking numbers
    arriving: list[str]  # items scanned on arrival on their own
    placed: list[str]  # items scanned with an action whose rows ask where the item is

    @classmethod
    def of(cls, scans: list[Scan]) -> Needs:
        bagging = [s for s in scans if s.action in BAG_ACTIONS and s.bag]
        return cls(
            proof=any(s.action in proof.PROOF_ACTIONS for s in scans),
            couriers=sorted({judge.courier_name(s.courier) for s in scans if s.courier}),
            bagging=bool(bagging), bags=sorted(set(_valid_bags(bagging))),
            bagged=_codes(bagging),
            arriving=_codes(s for s in scans if s.action == Action.arrive),
            placed=_codes(s for s in scans if s.action in PLACE_ACTIONS))

    def __bool__(self) -> bool:
        return bool(self.proof or self.couriers or self.bagging or self.arriving or self.placed)

    def args(self, staff: StaffUser) -> list:
        """READ_EXTRAS' parameters."""
        return [staff.id, self.couriers, self.bags, self.bagged, self.arriving, self.placed,
                places.FROM_STATES, places.ACTIONS]

    def loaded(self, row: asyncpg.Record) -> Loaded:
        """READ_EXTRAS' row as the judge takes it; what no scan asked for stays `UNSET`."""
        return Loaded(
            staff_locked=bool(row["staff_locked"]) if self.proof else UNSET,
            couriers={name: judge.Courier(id=staff_id, site_id=site_id)
                      for name, staff_id, site_id in row["couriers"]} if self.couriers else UNSET,
            bags={r[0]: judge.Bag(bag_id=r[0], status=r[1], origin_id=r[2], destination_id=r[3],
                                  destination_code=r[4])
                  for r in row["bags"]} if self.bagging else UNSET,
            open_bags=dict(row["open_bags"]),
            in_bags={item_id: judge.InBag(moving=moving, bagged_for_branch=bagged)
                     for item_id, moving, bagged in row["in_bags"]} if self.arriving else UNSET,
            places={item_id: places.placed_by(from_state, action)
                    for item_id, from_state, action in row["places"]} if self.placed else UNSET)


def _codes(scans: Iterable[Scan]) -> list[str]:
    return sorted({normalize_code(s.code) for s in scans})


class Plan(msgspec.Struct, kw_only=True):
    """A batch judged in memory: verdicts by scan id (none: the per-scan path) and changes."""

    verdicts: dict[str, Verdict] = msgspec.field(default_factory=dict)
    read: dict[int, ScanItem] = msgspec.field(default_factory=dict)  # as loaded
    current: dict[int, ScanItem] = msgspec.field(default_factory=dict)  # after the changes
    handover_set: set[int] = msgspec.field(default_factory=set)
    proved: set[int] = msgspec.field(default_factory=set)  # judged on their current code
    holds: dict[int, datetime] = msgspec.field(default_factory=dict)  # new hold_until
    bagged: set[int] = msgspec.field(default_factory=set)  # put in or taken out of a bag
    places: dict[int, Place] = msgspec.field(default_factory=dict)  # where changes put items
    changes: list[_Change] = msgspec.field(default_factory=list)


async def plan_batch(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser,
                     scans: list[Scan], *, now: datetime,
                     items: dict[str, ScanItem] | None = None,
                     loaded: Loaded | None = None) -> Plan:
    """Judge in memory, in order, every scan whose item's row (and `loaded`) is enough.

    `items` are the scanned items by tracking number, when already read in this transaction.
    """
    plan, loaded = Plan(), loaded or Loaded()
    codes = [normalize_code(s.code) for s in scans]
    if items is None:
        items = await store.scan_items(conn, list(dict.fromkeys(codes)))
    per_scan: set[str] = set()  # items whose later scans go the per-scan path too
    for scan, code in zip(scans, codes, strict=True):
        if looks_like_bag(code):
            break
        if code in per_scan:
            continue
        verdict = _judge(ctx, staff, scan, items.get(code), plan, loaded, now)
        if verdict is None:
            per_scan.add(code)
            if scan.action in proof.PROOF_ACTIONS:
                # Its wrong attempt may lock the member of staff out of the later ones.
                loaded.staff_locked = UNSET
        else:
            plan.verdicts[scan.scan_id] = verdict
    return plan


async def load_for(conn: asyncpg.Connection, staff: StaffUser, scans: list[Scan]) -> Loaded:
    """What the scans need besides their items, read in the upload's transaction under the
    locks a scan of each takes: the member of staff's (as `proof.hold` does) and the bags'
    named (as a bag scan locks its bag)."""
    needs = Needs.of(scans)
    if not needs:
        return Loaded()
    if needs.proof:
        await conn.execute(store.HOLD_STAFF, staff.id)
    if needs.bags:
        await conn.execute(store.LOCK_BAGS, needs.bags)
    return needs.loaded(await conn.fetchrow(store.READ_EXTRAS, *needs.args(staff)))


def _valid_bags(scans: list[Scan]) -> list[str]:
    return [normalize_code(s.bag) for s in scans if is_valid_bag_id(normalize_code(s.bag))]


def _judge(ctx: CustodyContext, staff: StaffUser, scan: Scan, item: ScanItem | None,
           plan: Plan, loaded: Loaded, now: datetime) -> Verdict | None:
    """The judge's decision on what is in memory; None when it needs more, or writes more than
    the item's row can carry (then the per-scan path judges it again and writes it)."""
    current = plan.current.get(item.id, item) if item is not None else None
    couriers = loaded.couriers
    seen = judge.Seen(item=current, staff_locked=loaded.staff_locked, courier=UNSET if (
        couriers is UNSET or not scan.courier) else couriers.get(judge.courier_name(scan.courier)))
    if scan.action in BAG_ACTIONS and current is not None and current.id in plan.bagged:
        return None  # its bag changed in this plan: one bag change per item and statement
    if scan.action == Action.arrive and current is not None and loaded.in_bags is not UNSET:
        if current.id in plan.bagged:
            return None  # confirmed in its bag in this plan already
        seen.in_bag = loaded.in_bags[current.id]
    if loaded.bags is not UNSET and scan.bag and current is not None:
        seen.bag = loaded.bags.get(normalize_code(scan.bag))
        seen.open_bag = loaded.open_bags.get(current.id)
    if loaded.places is not UNSET and current is not None:
        seen.place = plan.places.get(current.id, loaded.places.get(current.id, UNPLACED))
    decision = judge.judge(ctx, staff, scan, seen, now)
    item_id = item.id if item is not None else None
    if isinstance(decision, judge.Refused):
        if decision.has_effects:
            return None
        return Verdict(item_id=item_id, error=decision.message, reason=decision.reason)
    if isinstance(decision, judge.Missing) or decision.old_document_taken:
        return None  # an old document taken back is an item of its own to register
    if decision.into_bag or decision.out_of_bag or decision.confirm_in_bag:
        plan.bagged.add(item_id)
    remember(ctx, plan, decision, scan, now)
    return Verdict(item_id=item_id, state=decision.state)


def remember(ctx: CustodyContext, plan: Plan, applied: judge.Applied, scan: Scan,
             now: datetime) -> None:
    """Add an applied scan to the plan, its item's row updated in memory."""
    item = applied.item
    plan.read.setdefault(item.id, item)
    after = msgspec.structs.replace(
        item, state=str(applied.state), handover_action=applied.handover_to,
        courier_id=item.courier_id if applied.courier_id is None else applied.courier_id,
        failed_attempts=item.failed_attempts + applied.count_failure)
    sms = None
    if applied.code is not None:
        fresh = proof.fresh_code(ctx, item, kind=applied.code, now=now,
                                 hold_days=applied.hold_days)
        after = msgspec.structs.replace(after, otp_mac=fresh.mac, otp_generation=fresh.generation,
                                        otp_wrong=0, otp_locked=False)
        if fresh.hold_until is not None:
            plan.holds[item.id] = fresh.hold_until
        sms = fresh.sms
    if "proof" in applied.payload:
        plan.proved.add(item.id)
    if applied.transition.puts is not None:
        plan.places[item.id] = applied.transition.puts
    plan.current[item.id] = after
    if applied.handover_set:
        plan.handover_set.add(item.id)
    plan.changes.append(_Change(item=item, transition=applied.transition, action=applied.action,
                                payload=applied.payload, device_at=scan.at, sms=sms,
                                into_bag=applied.into_bag, out_of_bag=applied.out_of_bag,
                                confirm_in_bag=applied.confirm_in_bag, alerts=applied.alerts))


class Pending(msgspec.Struct, frozen=True, kw_only=True):
    """The rows of changes written to their items but not inserted yet: the chained events,
    outbox rows, bag memberships and alerts, as the parameters of their statements."""

    at: datetime
    events: list[dict]  # INSERT_EVENTS_JSON's
    webhooks: list[list] | None = None  # none: no outbox statement, it would wake the relay
    into_bags: tuple[list[str], list[int]] | None = None  # bags, items
    out_of_bags: tuple[list[str], list[int]] | None = None
    confirmed: list[int] | None = None  # items confirmed in their moving bag
    alerts: list[list] | None = None  # INSERT_ALERTS' columns

    def add_to(self, statement: db.Composed) -> None:
        """Add the inserts to a statement, as WITH-clauses."""
        statement.with_("events", store.INSERT_EVENTS_JSON, self.events)
        if self.webhooks is not None:
            statement.with_("webhooks", outbox_store.INSERT_OUTBOX, *self.webhooks)
        if self.into_bags is not None:
            statement.with_("bagged", store.ADD_TO_BAGS, *self.into_bags, self.at)
        if self.out_of_bags is not None:
            statement.with_("unbagged", store.TAKE_OUT_OF_BAGS, *self.out_of_bags, self.at)
        if self.confirmed is not None:
            statement.with_("confirmed", store.CONFIRM_IN_BAGS, self.confirmed, self.at)
        if self.alerts is not None:
            statement.with_("alerts", store.INSERT_ALERTS, *self.alerts, self.at)

    async def insert(self, conn: asyncpg.Connection) -> None:
        """Insert the rows now."""
        statement = db.Composed()
        self.add_to(statement)
        await conn.execute(statement.statement("SELECT 1"), *statement.args)


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
    """The events of the plan's changes (rows in `store.INSERT_EVENTS`' column order), chained
    onto the heads of the items as read; each item's chain is its own, so the events of an
    item left alone can be dropped without touching the others."""
    heads = {i: (item.chain_length, item.chain_head) for i, item in plan.read.items()}
    actor = _actor(staff)
    return log.chained_onto(heads, [_event(c, actor, now) for c in plan.changes])


class _Move(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    from_state: str
    from_handover: str | None
    from_length: int
    proved_generation: int | None  # judged on this code: it must still be the live one
    to_state: str
    to_handover: str | None
    handover_set: bool
    to_length: int
    to_head: bytes
    courier_id: int | None
    failures: int
    new_mac: bytes | None
    new_generation: int | None
    hold_until: datetime | None


def moves_of(plan: Plan, events: list[tuple]) -> list[_Move]:
    """MOVE_ITEMS' $1 for the plan's items, in one lock order for every batch, each with the
    head of its chain after `events` (see `chained`)."""
    tails = {e[0]: (e[1], e[-1]) for e in events}  # item → (seq, hash) of its last event
    return [_move(plan.read[i], plan.current[i], plan, tails[i]) for i in sorted(plan.read)]


def _move(read: ScanItem, now: ScanItem, plan: Plan, tail: tuple[int, bytes]) -> _Move:
    coded = now.otp_generation != read.otp_generation
    return _Move(
        id=read.id, from_state=read.state, from_handover=read.handover_action,
        from_length=read.chain_length,
        proved_generation=read.otp_generation if read.id in plan.proved else None,
        to_state=now.state, to_handover=now.handover_action,
        handover_set=read.id in plan.handover_set, to_length=tail[0], to_head=tail[1],
        courier_id=now.courier_id if now.courier_id != read.courier_id else None,
        failures=now.failed_attempts - read.failed_attempts,
        new_mac=now.otp_mac if coded else None,
        new_generation=now.otp_generation if coded else None,
        hold_until=plan.holds.get(read.id))


def pending_of(plan: Plan, events: list[tuple], *, now: datetime) -> Pending:
    """The plan's events (see `chained`) and webhooks, as rows to insert."""
    return _pending(plan.changes, events, now)


def _pending(changes: list[_Change], events: list[tuple], now: datetime) -> Pending:
    webhooks = [webhook_of(c.item.ref(), c.transition, now=now, payload=c.payload)
                for c in changes if c.transition.to != c.item.state]
    webhooks += [c.sms for c in changes if c.sms is not None]
    webhooks += [row for c in changes
                 for row in told(c.item.id, c.item.state, c.transition, c.payload, now=now)]
    into = [(c.into_bag, c.item.id) for c in changes if c.into_bag is not None]
    out = [(c.out_of_bag, c.item.id) for c in changes if c.out_of_bag is not None]
    confirmed = [c.item.id for c in changes if c.confirm_in_bag]
    alerts = [a for c in changes for a in c.alerts]
    return Pending(
        at=now, events=log.json_rows(events),
        webhooks=outbox.columns_of(webhooks, now=now) if webhooks else None,
        into_bags=_columns(into) if into else None, out_of_bags=_columns(out) if out else None,
        confirmed=confirmed or None,
        alerts=[[getattr(a, f) for a in alerts]
                for f in ("kind", "item_id", "site_id", "staff_id", "device_id", "detail")]
        if alerts else None)


def _columns(pairs: list[tuple[str, int]]) -> tuple[list[str], list[int]]:
    return [b for b, _ in pairs], [i for _, i in pairs]


def _actor(staff: StaffUser) -> Actor:
    return Actor(role=Role(staff.role), id=staff.id, device_id=staff.device_id,
                 site_id=staff.site_id)


def _event(change: _Change, actor: Actor, now: datetime) -> log.Event:
    return event_of(change.item.ref(), change.transition, change.action, actor, now=now,
                    device_at=change.device_at, payload=change.payload)
