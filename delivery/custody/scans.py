"""Handheld scans: each one applied, reported duplicate, or rejected with a reason a clerk reads.

A batch is one transaction. The common scans are judged in memory and written set-based
(`fastscan`); the others run one by one, each in its own savepoint, so a refused scan undoes only
itself. Either way each item's scans take effect in the order sent.

An upload of item scans (the usual one, and every single scan sent as it happens) first tries the
shortest way: one read, then one statement that writes it all (`optimistic`).
Should anything have changed in between, that statement writes nothing and the upload takes the
transactional way above.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.custody import bagging, fastscan, judge, old_items, optimistic, places, proof, store
from delivery.custody.bags import normalize_code
from delivery.custody.clock import check_device_time
from delivery.custody.context import CustodyContext
from delivery.custody.judge import (
    FAIL_REASONS,
    HANDHELD_ACTIONS,
    Applied,
    FailReason,
    Point,
    Proxy,
    Refused,
    Scan,
    ScanResult,
    Seen,
    SignedBy,
    Want,
)
from delivery.custody.model import Action, Role, State, TransitionRefused
from delivery.custody.services import Actor, ChangedMeanwhile, record
from delivery.custody.store import ScanItem
from delivery.platform import db
from delivery.staff.auth import StaffUser, refuse_if_stale

A = Action
APPLIED, DUPLICATE, REJECTED = "applied", "duplicate", "rejected"
__all__ = ["FAIL_REASONS", "HANDHELD_ACTIONS", "FailReason", "Point", "Proxy", "Scan",
           "ScanResult", "SignedBy", "apply_scans"]


class ScanRefused(Exception):
    """A refusal on the per-scan path: the scan's savepoint is undone, then `effects` run (and
    commit with the upload)."""

    def __init__(self, message: str, *, code: str = "refused", effects: tuple = ()) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.effects = effects


class _Applied(msgspec.Struct, frozen=True):
    state: str
    items: int | None = None


async def apply_scans(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser,
                      scans: list[Scan], *, now: datetime,
                      set_based: bool = True) -> list[ScanResult]:
    """Apply a handheld's batch; returns one result per scan, in the order sent.

    `set_based=False` sends every scan through the per-scan path (the reference behaviour).
    """
    if set_based and not conn.is_in_transaction() and _in_memory_maybe(scans):
        results = await _at_once(conn, ctx, staff, scans, now)
        if results is not None:
            return results
    if conn.is_in_transaction():  # the caller's transaction: only the caller may run it again
        return await _in_transaction(conn, ctx, staff, scans, now, set_based)
    # Uploads that overlap lock their items in different orders; PostgreSQL aborts one of two
    # that wait for each other, and that one runs again (nothing of it was written).
    return await db.retrying(lambda: _in_transaction(conn, ctx, staff, scans, now, set_based))


async def _in_transaction(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser,
                          scans: list[Scan], now: datetime,
                          set_based: bool) -> list[ScanResult]:
    async with conn.transaction():
        claim = await _claim(conn, staff, scans, now)
        fresh = set(claim["fresh"])
        claimed = [s for s in scans if s.scan_id in fresh]
        flags = _clock_flags(claimed, now, claim["last_device_at"])
        # Read before a wait for a concurrent upload of the same scans, if any: read again then.
        items = store.scan_items_of(claim["items"]) if len(claimed) == len(scans) else None
        results, pending = await _apply_all(conn, ctx, staff, _first_of_each(claimed), now,
                                            flags, set_based, items)
        if claimed:
            await _save_results(conn, staff, list(results.values()), claimed[-1].at, now,
                                pending)
    earlier = await _earlier_results(conn, [s.scan_id for s in scans if s.scan_id not in fresh])
    seen: set[str] = set()
    return [_result_for(scan, results, earlier, seen) for scan in scans]


def _in_memory_maybe(scans: list[Scan]) -> bool:
    """Whether the scans may all be judged in memory (a bag's scan never is)."""
    return not any(judge.is_bag_scan(s) for s in scans)


async def _at_once(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser,
                   scans: list[Scan], now: datetime) -> list[ScanResult] | None:
    """The upload in one read and one write (`optimistic`) when every new scan is judged in
    memory; None when it must take the transactional path instead (then nothing was written)."""
    seen = await optimistic.read(conn, staff, scans)
    refuse_if_stale(staff, seen.active, seen.token_gen)
    claimed = [s for s in scans if s.scan_id not in seen.earlier]
    first = _first_of_each(claimed)
    plan = await fastscan.plan_batch(conn, ctx, staff, first, now=now, items=seen.items,
                                     loaded=seen.loaded)
    if len(plan.verdicts) < len(first):
        return None
    flags = _clock_flags(claimed, now, seen.last_device_at)
    results = {s.scan_id: _judged(s, plan.verdicts[s.scan_id], flags[s.scan_id]) for s in first}
    if first and not await optimistic.write(
            conn, staff, plan, [(s, results[s.scan_id]) for s in first],
            device_at=claimed[-1].at, now=now):
        return None
    repeated: set[str] = set()
    return [_result_for(scan, results, seen.earlier, repeated) for scan in scans]


def _first_of_each(scans: list[Scan]) -> list[Scan]:
    """Each scan id once, where it first appears: a repeat in the batch is a duplicate."""
    first: dict[str, Scan] = {}
    for scan in scans:
        first.setdefault(scan.scan_id, scan)
    return list(first.values())


async def _apply_all(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser,
                     scans: list[Scan], now: datetime, flags: dict[str, list[str]],
                     set_based: bool, items: dict[str, ScanItem] | None,
                     ) -> tuple[dict[str, ScanResult], fastscan.Pending | None]:
    """Results by scan id, and the set-based rows still to insert (with the results)."""
    plan = fastscan.Plan()
    if set_based:
        loaded = await fastscan.load_for(conn, staff, scans)
        plan = await fastscan.plan_batch(conn, ctx, staff, scans, now=now, items=items,
                                         loaded=loaded)
    changed, pending = await fastscan.write(conn, staff, plan, now=now)
    if pending is not None and any(_per_scan(plan.verdicts.get(s.scan_id), changed)
                                   for s in scans):  # the per-scan path reads the chains: insert first
        await pending.insert(conn)
        pending = None
    results: dict[str, ScanResult] = {}
    for scan in scans:
        verdict = plan.verdicts.get(scan.scan_id)
        if _per_scan(verdict, changed):
            results[scan.scan_id] = await _apply_one(conn, ctx, staff, scan, now,
                                                     flags[scan.scan_id])
        else:
            results[scan.scan_id] = _judged(scan, verdict, flags[scan.scan_id])
    return results, pending


def _per_scan(verdict: fastscan.Verdict | None, changed: set[int]) -> bool:
    return verdict is None or verdict.item_id in changed


def _judged(scan: Scan, verdict: fastscan.Verdict, flags: list[str]) -> ScanResult:
    if verdict.state is None:
        return _rejected(scan, verdict.error or "", verdict.reason or "refused", flags)
    return ScanResult(scan_id=scan.scan_id, status=APPLIED, state=verdict.state,
                      clock_flags=flags)


def _result_for(scan: Scan, results: dict[str, ScanResult], earlier: dict[str, str | None],
                seen: set[str]) -> ScanResult:
    first = results.get(scan.scan_id)
    repeated = scan.scan_id in seen
    seen.add(scan.scan_id)
    if first is not None and not repeated:
        return first
    state = first.state if first is not None else earlier.get(scan.scan_id)
    return ScanResult(scan_id=scan.scan_id, status=DUPLICATE, state=state)


async def _claim(conn: asyncpg.Connection, staff: StaffUser, scans: list[Scan],
                 now: datetime) -> asyncpg.Record:
    """The scan ids seen for the first time, the device time the handheld last reported and the
    items the scans name."""
    # A concurrent upload of the same scan waits here for the other to commit, then sees it.
    row = await conn.fetchrow(store.CLAIM_SCANS, [s.scan_id for s in scans], staff.id,
                              staff.device_id, now, [s.code for s in scans],
                              [s.action for s in scans], [s.at for s in scans],
                              list({normalize_code(s.code) for s in scans}))
    refuse_if_stale(staff, bool(row["active"]), row["token_gen"])  # rolls the claims back
    return row


def _clock_flags(scans: list[Scan], now: datetime,
                 previous: datetime | None) -> dict[str, list[str]]:
    flags = {}
    for scan in scans:
        check = check_device_time(scan.at, now, previous)
        flags[scan.scan_id] = sorted(check.flags)
        previous = scan.at
    return flags


async def _save_results(conn: asyncpg.Connection, staff: StaffUser, results: list[ScanResult],
                        device_at: datetime, now: datetime,
                        pending: fastscan.Pending | None) -> None:
    """The results and the device time, with the set-based rows not inserted yet if any."""
    statement = db.Composed()
    if pending is not None:
        pending.add_to(statement)
    statement.clauses(store.NOTE_DEVICE, staff.device_id, staff.id, device_at, now)
    sql = statement.statement(
        store.SAVE_RESULTS, [r.scan_id for r in results], [r.status for r in results],
        [r.state for r in results], [r.error for r in results],
        ["{" + ",".join(r.clock_flags) + "}" for r in results])
    await conn.execute(sql, *statement.args)


async def _earlier_results(conn: asyncpg.Connection, scan_ids: list[str]) -> dict[str, str | None]:
    if not scan_ids:
        return {}
    return {r["scan_id"]: r["state"] for r in await conn.fetch(store.SELECT_SCANS, scan_ids)}


async def _apply_one(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, scan: Scan,
                     now: datetime, flags: list[str]) -> ScanResult:
    await proof.hold(conn, staff, scan.action, scan.code)
    try:
        async with conn.transaction():
            applied = await _route(conn, ctx, staff, scan, now)
    except ScanRefused as refused:
        for effect in refused.effects:
            await effect(conn)
        return _rejected(scan, refused.message, refused.code, flags)
    except TransitionRefused as refused:
        return _rejected(scan, refused.message, str(refused.code), flags)
    return ScanResult(scan_id=scan.scan_id, status=APPLIED, state=applied.state,
                      items=applied.items, clock_flags=flags)


def _rejected(scan: Scan, message: str, code: str, flags: list[str]) -> ScanResult:
    return ScanResult(scan_id=scan.scan_id, status=REJECTED, error=message, reason=code,
                      clock_flags=flags)


async def _route(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, scan: Scan,
                 now: datetime) -> _Applied:
    if judge.is_bag_scan(scan):
        return await _scan_bag(conn, ctx, staff, scan, now)
    item = await store.scan_item(conn, normalize_code(scan.code))
    decision = await _decided(conn, ctx, staff, scan, Seen(item=item), now)
    if isinstance(decision, Refused):
        raise _refusal(decision, staff, now)
    await _write(conn, ctx, staff, scan, decision, now)
    return _Applied(decision.state)


def _refusal(refused: Refused, staff: StaffUser, now: datetime) -> ScanRefused:
    """The refusal, undoing the scan's savepoint; what must outlive it is written after that
    (a wrong attempt's count then gives the refusal's final words)."""
    error = ScanRefused(refused.message, code=refused.reason)

    async def outlive(conn: asyncpg.Connection) -> None:
        if refused.alert is not None:
            await _alert(conn, refused.alert, now)
        if refused.wrong_attempt is not None:
            final = await proof.count_wrong(conn, staff, refused.wrong_attempt, now=now)
            error.message, error.code = final.message, final.reason

    if refused.has_effects:
        error.effects = (outlive,)
    return error


async def _alert(conn: asyncpg.Connection, alert: judge.Alert, now: datetime) -> None:
    await store.add_alert(conn, kind=alert.kind, detail=alert.detail, now=now,
                          item_id=alert.item_id, site_id=alert.site_id, staff_id=alert.staff_id,
                          device_id=alert.device_id)


# --- one item: load what the judge asks for, then write its decision --------------------------

async def _decided(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, scan: Scan,
                  seen: Seen, now: datetime) -> Applied | Refused:
    """The judge's decision, with whatever it asked for loaded (under the locks it takes)."""
    while True:
        decision = judge.judge(ctx, staff, scan, seen, now)
        if not isinstance(decision, judge.Missing):
            return decision
        await _LOADERS[decision.what](conn, staff, scan, seen)


async def _load_staff_locked(conn, staff, scan, seen) -> None:
    seen.staff_locked = bool(await conn.fetchval(store.STAFF_LOCKED, staff.id))


async def _load_bag(conn, staff, scan, seen) -> None:
    seen.bag = await _locked_bag(conn, judge.bag_code(scan.bag))


async def _locked_bag(conn: asyncpg.Connection, bag_id: str) -> judge.Bag | None:
    row = await conn.fetchrow(store.LOCK_BAG, bag_id)
    return judge.Bag(**dict(row)) if row is not None else None


async def _load_open_bag(conn, staff, scan, seen) -> None:
    seen.open_bag = await conn.fetchval(store.SELECT_OPEN_BAG_OF_ITEM, seen.item.id)


async def _load_courier(conn, staff, scan, seen) -> None:
    row = await conn.fetchrow(store.SELECT_COURIER, judge.courier_name(scan.courier))
    seen.courier = judge.Courier(id=row["id"], site_id=row["site_id"]) if row else None


async def _load_place(conn, staff, scan, seen) -> None:
    seen.place = await places.place_of(conn, seen.item.id)


async def _load_in_bag(conn, staff, scan, seen) -> None:
    row = await conn.fetchrow(store.IN_BAG, seen.item.id, seen.item.branch_id)
    seen.in_bag = judge.InBag(moving=row["moving"], bagged_for_branch=row["bagged_for_branch"])


_LOADERS = {Want.staff_locked: _load_staff_locked, Want.bag: _load_bag,
            Want.open_bag: _load_open_bag, Want.courier: _load_courier, Want.place: _load_place,
            Want.in_bag: _load_in_bag}


async def _write(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, scan: Scan,
                 applied: Applied, now: datetime) -> None:
    """Write one applied scan, each item guarded by its conditional UPDATE (or its hand-over's)."""
    item = applied.item
    if applied.into_bag is not None:
        await conn.execute(store.ADD_TO_BAG, applied.into_bag, item.id, now)
    if applied.out_of_bag is not None:
        await conn.execute(store.REMOVE_FROM_BAG, applied.out_of_bag, item.id, now)
    await _handover(conn, applied, now)
    await record(conn, item.ref(), applied.transition, applied.action, _actor(staff), now=now,
                 device_at=scan.at, payload=applied.payload)
    if applied.old_document_taken:
        await old_items.take_back(
            conn, ctx, _actor(staff), item.ref(), now=now, device_at=scan.at,
            holder_id=staff.id if staff.role == Role.courier else None)
    if applied.courier_id is not None:
        await conn.execute(store.SET_COURIER, item.id, applied.courier_id)
    if applied.count_failure:
        await conn.execute(store.COUNT_FAILURE, item.id)
    if applied.confirm_in_bag:
        await conn.execute(store.CONFIRM_IN_BAG, item.id, now)
    for alert in applied.alerts:
        await _alert(conn, alert, now)
    if applied.code is not None:
        await proof.issue_code(conn, ctx, item, kind=applied.code, now=now,
                               hold_days=applied.hold_days)


def _actor(staff: StaffUser) -> Actor:
    return Actor(role=Role(staff.role), id=staff.id, device_id=staff.device_id,
                 site_id=staff.site_id)


async def _handover(conn: asyncpg.Connection, applied: Applied, now: datetime) -> None:
    item = applied.item
    if not applied.handover_set:
        return
    if applied.handover_to is not None:
        await conn.execute(store.SET_HANDOVER, item.id, applied.handover_to, now)
    elif applied.state == item.state:  # a counter-scan that stays: only the hand-over guards it
        if await conn.fetchval(store.CLEAR_HANDOVER, item.id, item.handover_action) is None:
            raise ChangedMeanwhile("wrong_state", f"{item.tracking_number} was confirmed by "
                                   "another scan just now",
                                   {"tracking_number": item.tracking_number})
    elif item.handover_action is not None:
        await conn.execute(store.SET_HANDOVER, item.id, None, None)


# --- a whole bag -----------------------------------------------------------------------------

async def _scan_bag(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, scan: Scan,
                    now: datetime) -> _Applied:
    decision = judge.judge_bag(staff, scan)
    bag = None
    if isinstance(decision, judge.Missing):
        bag = await conn.fetchrow(store.LOCK_BAG, judge.bag_code(normalize_code(scan.code)))
        decision = judge.judge_bag(staff, scan, judge.Bag(**dict(bag)) if bag else None)
    if isinstance(decision, Refused):
        raise _refusal(decision, staff, now)
    assert bag is not None
    if decision.action == A.dispatch:
        return await _dispatch_bag(conn, ctx, staff, scan, bag, now)
    return await _arrive_bag(conn, ctx, staff, scan, bag, now)


async def _dispatch_bag(conn, ctx, staff, scan, bag, now) -> _Applied:
    item_ids, rerouted = await bagging.sort_out(conn, bag, now=now)
    if not item_ids:
        # The refusal undoes this scan's writes: take the rerouted items out again after it.
        async def take_out(conn: asyncpg.Connection) -> None:
            await bagging.take_out_rerouted(conn, bag, rerouted, now=now)

        refused = judge.empty_bag(bag["bag_id"], bool(rerouted))
        raise ScanRefused(refused.message, code=refused.reason, effects=(take_out,))
    await _each_in_bag(conn, ctx, staff, scan, bag["bag_id"],
                       await store.scan_items_by_id(conn, item_ids), now)
    await conn.execute(store.MARK_BAG, bag["bag_id"], "dispatched", now, None)
    return _Applied(State.in_transit, len(item_ids))


async def _arrive_bag(conn, ctx, staff, scan, bag, now) -> _Applied:
    ids = [r["item_id"] for r in await conn.fetch(store.BAG_ITEMS, bag["bag_id"])]
    moving = [i for i in await store.scan_items_by_id(conn, ids) if i.state == State.in_transit]
    await _each_in_bag(conn, ctx, staff, scan, bag["bag_id"], moving, now)
    await conn.execute(store.MARK_BAG, bag["bag_id"], "arrived", None, now)
    return _Applied(State.at_branch, len(moving))


async def _each_in_bag(conn, ctx, staff, scan, bag_id, items, now) -> None:
    """The bag's scan applied to each item inside, judged in memory and written set-based."""
    plan = fastscan.Plan()
    for item in items:
        decision = judge.judge(ctx, staff, scan, Seen(item=item, in_bag_id=bag_id), now)
        if isinstance(decision, Refused):
            raise _refusal(judge.in_bag(decision, item, bag_id), staff, now)
        if isinstance(decision, judge.Missing):
            return await _each_in_bag_one_by_one(conn, ctx, staff, scan, bag_id, items, now)
        fastscan.remember(ctx, plan, decision, scan, now)
    changed, pending = await fastscan.write(conn, staff, plan, now=now)
    if changed:
        tn = plan.read[min(changed)].tracking_number
        raise ScanRefused(f"{tn} in bag {bag_id}: {tn} was changed by another scan just now",
                          code="wrong_state")
    if pending is not None:
        await pending.insert(conn)


async def _each_in_bag_one_by_one(conn, ctx, staff, scan, bag_id, items, now) -> None:
    for item in items:
        decision = await _decided(conn, ctx, staff, scan, Seen(item=item, in_bag_id=bag_id), now)
        if isinstance(decision, Refused):
            raise _refusal(judge.in_bag(decision, item, bag_id), staff, now)
        try:
            await _write(conn, ctx, staff, scan, decision, now)
        except TransitionRefused as refused:
            raise ScanRefused(f"{item.tracking_number} in bag {bag_id}: {refused.message}",
                              code=str(refused.code)) from None
