"""Handheld scans: each one applied, reported duplicate, or rejected with a reason a clerk reads.

A batch is one transaction. The common scans are judged in memory and written set-based
(`fastscan`); the others run one by one, each in its own savepoint, so a refused scan undoes only
itself. Either way each item's scans take effect in the order sent.

An upload made only of common scans (the usual one, and every single scan sent as it happens)
first tries the shortest way: one read, then one statement that writes it all (`optimistic`).
Should anything have changed in between, that statement writes nothing and the upload takes the
transactional way above.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any, Literal

import asyncpg
import msgspec

from delivery.custody import bagging, fastscan, optimistic, places, proof, rules, store
from delivery.custody.bags import looks_like_bag, normalize_code
from delivery.custody.clock import check_device_time
from delivery.custody.context import CustodyContext
from delivery.custody.model import (
    Action,
    Handover,
    Need,
    Role,
    State,
    Transition,
    TransitionRefused,
    decide,
)
from delivery.custody.proof import ScanRefused
from delivery.custody.rules import CODE_ON_ENTRY, HANDHELD_ACTIONS
from delivery.custody.services import Actor, ChangedMeanwhile, record
from delivery.custody.store import ScanItem
from delivery.errors import Unauthenticated
from delivery.staff.auth import StaffUser

A = Action
FAIL_REASONS = ("absent", "refused", "address_not_found", "unsafe", "wrong_person", "other")
FailReason = StrEnum("FailReason", [(r, r) for r in FAIL_REASONS])
FailReason.__doc__ = "Why a courier could not deliver (`other` needs a `note`)."
APPLIED, DUPLICATE, REJECTED = "applied", "duplicate", "rejected"
__all__ = ["CODE_ON_ENTRY", "HANDHELD_ACTIONS", "Scan", "ScanResult", "apply_scans", "scan_item"]


class Proxy(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    id_number: str


class Point(msgspec.Struct, frozen=True, kw_only=True):
    lat: float
    lon: float


class Scan(msgspec.Struct, frozen=True, kw_only=True):
    """One scan as the handheld sent it (validated by the API layer)."""

    scan_id: str
    code: str
    action: str
    at: datetime
    bag: str | None = None
    courier: str | None = None
    otp: str | None = None
    id_last4: str | None = None
    reason: str | None = None
    note: str | None = None
    proxy: Proxy | None = None
    location: Point | None = None


class ScanResult(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """What became of one scan: `applied` (with the item's `state` now; `items` for a bag),
    `duplicate` (its `scan_id` was seen before), or `rejected` with `error` for the clerk and
    `reason` as a code; `clock_flags` when the handheld's clock looks wrong."""

    scan_id: str
    status: Literal["applied", "duplicate", "rejected"]
    state: State | None = None
    error: str | None = None
    reason: str | None = None
    items: int | None = None
    clock_flags: list[str] = msgspec.field(default_factory=list)


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
    return not any(looks_like_bag(normalize_code(s.code)) for s in scans)


async def _at_once(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser,
                   scans: list[Scan], now: datetime) -> list[ScanResult] | None:
    """The upload in one read and one write (`optimistic`) when every new scan is judged in
    memory; None when it must take the transactional path instead (then nothing was written)."""
    seen = await optimistic.read(conn, staff, scans)
    if not seen.active:
        raise Unauthenticated("this staff account is no longer active")
    claimed = [s for s in scans if s.scan_id not in seen.earlier]
    first = _first_of_each(claimed)
    plan = await fastscan.plan_batch(conn, ctx, staff, first, now=now, items=seen.items)
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
    plan = (await fastscan.plan_batch(conn, ctx, staff, scans, now=now, items=items)
            if set_based else fastscan.Plan())
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
    if not row["active"]:
        raise Unauthenticated("this staff account is no longer active")
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
    sql, extra = store.SAVE_RESULTS, []
    if pending is not None:
        ctes, extra = pending.ctes(store.SAVE_RESULTS_PARAMS + 1)
        sql = _with_results(ctes)
    await conn.execute(sql, [r.scan_id for r in results], [r.status for r in results],
                       [r.state for r in results], [r.error for r in results],
                       ["{" + ",".join(r.clock_flags) + "}" for r in results],
                       staff.device_id, staff.id, device_at, now, *extra)


@lru_cache(maxsize=8)
def _with_results(ctes: str) -> str:
    return f"WITH {ctes}, {store.SAVE_RESULTS_WITH}{store.SAVE_RESULTS_UPDATE}"


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
    action = rules.handheld_action(scan.action)
    code = normalize_code(scan.code)
    if looks_like_bag(code):
        return await _scan_bag(conn, ctx, staff, scan, bagging.bag_code(code), action, now)
    if action == A.dispatch:
        rules.refuse_item_dispatch()
    item = await store.scan_item(conn, code)
    if item is None:
        rules.refuse_unknown(code)
    return _Applied(await scan_item(conn, ctx, staff, scan, item, action, now))


# --- one item --------------------------------------------------------------------------------

async def scan_item(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, scan: Scan,
                    item: ScanItem, action: Action, now: datetime, *,
                    bag_id: str | None = None) -> str:
    """Judge and record one scan of one item; returns the item's new state."""
    rules.guard_site(staff, item, action, now)  # first: a refusal tells nothing of others' items
    transition = decide(State(item.state), action, Role(staff.role))
    rules.guard_pending(item, action)
    rules.guard_proxy(ctx, item, action, scan.proxy is not None)
    payload: dict[str, Any] = {"scan_id": scan.scan_id, "bag": bag_id}
    after: list[Callable[[], Awaitable[Any]]] = []
    for need in sorted(rules.needs_for(ctx, item, transition)):
        await _NEEDS[need](conn, ctx, staff, scan, item, now, payload, after)
    await _handover(conn, item, action, transition, now)
    await record(conn, item.ref(), transition, action, _actor(staff), now=now,
                 device_at=scan.at, payload={k: v for k, v in payload.items() if v is not None})
    for step in after:
        await step()
    await _after_move(conn, ctx, item, action, transition, now, bag_id)
    return transition.to


def _actor(staff: StaffUser) -> Actor:
    return Actor(role=Role(staff.role), id=staff.id, device_id=staff.device_id,
                 site_id=staff.site_id)


async def _handover(conn: asyncpg.Connection, item: ScanItem, action: Action,
                    transition: Transition, now: datetime) -> None:
    if transition.handover is Handover.give:
        await conn.execute(store.SET_HANDOVER, item.id, str(action), now)
    elif transition.handover is Handover.confirm:
        await _confirm(conn, item, action, transition)


async def _confirm(conn: asyncpg.Connection, item: ScanItem, action: Action,
                   transition: Transition) -> None:
    if transition.to != item.state:  # a state-moving counter-scan closes whatever was open
        if item.handover_action is not None:
            await conn.execute(store.SET_HANDOVER, item.id, None, None)
        return
    if item.handover_action not in rules.givers_confirmed_by(action):
        rules.refuse_nothing_to_confirm(item)
    if await conn.fetchval(store.CLEAR_HANDOVER, item.id, item.handover_action) is None:
        raise ChangedMeanwhile("wrong_state", f"{item.tracking_number} was confirmed by another "
                               "scan just now", {"tracking_number": item.tracking_number})


async def _after_move(conn: asyncpg.Connection, ctx: CustodyContext, item: ScanItem,
                      action: Action, transition: Transition, now: datetime,
                      bag_id: str | None) -> None:
    if action == A.arrive and bag_id is None:
        await _check_bagged(conn, item, now)
    kind = CODE_ON_ENTRY.get(transition.to)
    if kind is not None and transition.to != item.state:
        doc_type = ctx.types.get(item.document_type)
        hold = doc_type.hold_days if doc_type and transition.to == State.ready_for_pickup else None
        await proof.issue_code(conn, ctx, item, kind=kind, now=now, hold_days=hold)


async def _check_bagged(conn: asyncpg.Connection, item: ScanItem, now: datetime) -> None:
    confirmed = await conn.fetchval(store.CONFIRM_IN_BAG, item.id, now)
    if confirmed is None and item.state == State.in_transit:
        bagged = await conn.fetchval(store.WAS_BAGGED_FOR, item.id, item.branch_id)
        if not bagged:
            await store.add_alert(conn, kind="missort", item_id=item.id, site_id=item.branch_id,
                                  now=now, detail=f"{item.tracking_number} arrived at "
                                  f"{item.branch_code} without a bag for it")


# --- what some transitions need --------------------------------------------------------------

async def _need_bag(conn, ctx, staff, scan, item, now, payload, after) -> None:
    move = bagging.put_in_bag if scan.action == A.bag else bagging.take_from_bag
    payload["bag"] = await move(conn, staff, item, scan.bag, now)


async def _need_courier(conn, ctx, staff, scan, item, now, payload, after) -> None:
    if not scan.courier:
        raise ScanRefused("name the courier (`courier`: username)", code="courier_required")
    courier = await conn.fetchrow(store.SELECT_COURIER, scan.courier.strip().lower())
    if courier is None or courier["site_id"] != staff.site_id:
        raise ScanRefused(f"{scan.courier} is not a courier of {staff.site_code}",
                          code="unknown_courier")
    payload["courier"] = scan.courier.strip().lower()
    after.append(lambda: conn.execute(store.SET_COURIER, item.id, courier["id"]))


async def _need_reason(conn, ctx, staff, scan, item, now, payload, after) -> None:
    if scan.reason not in FAIL_REASONS:
        raise ScanRefused(f"the reason must be one of {', '.join(FAIL_REASONS)}",
                          code="reason_required")
    if scan.reason == "other" and not (scan.note or "").strip():
        raise ScanRefused("say what happened (`note`) when the reason is `other`",
                          code="note_required")
    payload.update(reason=scan.reason, note=(scan.note or "").strip() or None,
                   attempt=item.failed_attempts + 1)
    after.append(lambda: conn.execute(store.COUNT_FAILURE, item.id))


async def _need_attempt_left(conn, ctx, staff, scan, item, now, payload, after) -> None:
    # The five-minute job shelves such an item; until it runs, no courier takes it out again.
    if item.failed_attempts >= ctx.max_attempts:
        raise ScanRefused(f"{item.failed_attempts} delivery attempts made: shelve it for pickup",
                          code="attempts_exhausted")


async def _need_place(conn, ctx, staff, scan, item, now, payload, after) -> None:
    transition = decide(State(item.state), Action(scan.action), Role(staff.role))
    await places.guard_place(conn, item, transition)


async def _need_otp(conn, ctx, staff, scan, item, now, payload, after) -> None:
    proxy = (proof.proxy_record(ctx, scan.proxy.name, scan.proxy.id_number)
             if scan.proxy is not None else None)
    needs_id, expected = proof.expected_id(ctx, item, proxy)
    generation = await proof.check_handover(conn, ctx, staff, item, otp=scan.otp,
                                            id_last4=scan.id_last4, needs_id=needs_id,
                                            expected_last4=expected, now=now)
    payload["proof"] = {**_proof(staff, scan, now, generation), "id_checked": needs_id}
    if proxy is not None:  # every proxy, whether or not the type asks for ID digits
        payload["proof"]["proxy"] = proxy


async def _need_id(conn, ctx, staff, scan, item, now, payload, after) -> None:
    """Judged together with the code (`_need_otp`): a refusal never tells which was wrong."""


def _proof(staff: StaffUser, scan: Scan, now: datetime,
           generation: int) -> dict[str, Any]:
    point = {"lat": scan.location.lat, "lon": scan.location.lon} if scan.location else None
    return {"by": staff.username, "staff_id": staff.id, "device": staff.device_id,
            "device_at": scan.at.isoformat(), "server_at": now.isoformat(), "point": point,
            "otp_generation": generation, "id_checked": False}


# Applied in the order of Need's values.
_NEEDS = {Need.bag: _need_bag, Need.courier: _need_courier, Need.reason: _need_reason,
          Need.otp: _need_otp, Need.id_check: _need_id, Need.attempt_left: _need_attempt_left,
          Need.place: _need_place}


# --- a whole bag -----------------------------------------------------------------------------

async def _scan_bag(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, scan: Scan,
                    bag_id: str, action: Action, now: datetime) -> _Applied:
    if action == A.dispatch:
        return await _dispatch_bag(conn, ctx, staff, scan, bag_id, now)
    if action == A.arrive:
        return await _arrive_bag(conn, ctx, staff, scan, bag_id, now)
    raise ScanRefused(f"{action} needs an item's tracking number, not a bag id",
                      code="item_required")


async def _dispatch_bag(conn, ctx, staff, scan, bag_id, now) -> _Applied:
    if staff.role != Role.sorting_clerk:
        raise ScanRefused("only sorting clerks dispatch bags", code="role_not_allowed")
    bag = await bagging.locked_bag(conn, bag_id)
    if bag["origin_id"] != staff.site_id:
        raise ScanRefused(f"bag {bag_id} belongs to another sorting centre", code="wrong_site")
    if bag["status"] != "open":
        raise ScanRefused(f"bag {bag_id} was already dispatched", code="already_done")
    item_ids, rerouted = await bagging.sort_out(conn, bag, now=now)
    if not item_ids:
        # The refusal undoes this scan's writes: take the rerouted items out again after it.
        async def take_out(conn: asyncpg.Connection) -> None:
            await bagging.take_out_rerouted(conn, bag, rerouted, now=now)

        why = ": its items go to other branches now" if rerouted else ""
        raise ScanRefused(f"bag {bag_id} is empty{why}", code="bag_empty", effects=(take_out,))
    await _each_in_bag(conn, ctx, staff, scan, bag_id, item_ids, A.dispatch, now)
    await conn.execute(store.MARK_BAG, bag_id, "dispatched", now, None)
    return _Applied(State.in_transit, len(item_ids))


async def _arrive_bag(conn, ctx, staff, scan, bag_id, now) -> _Applied:
    if staff.role != Role.branch_clerk:
        raise ScanRefused("only branch clerks record arrivals", code="role_not_allowed")
    bag = await bagging.locked_bag(conn, bag_id)
    if bag["destination_id"] != staff.site_id:
        raise ScanRefused(f"bag {bag_id} is for {bag['destination_code']}, not "
                          f"{staff.site_code}", code="wrong_branch",
                          effects=(_bag_missort(staff, bag, now),))
    if bag["status"] != "dispatched":
        message = "already arrived" if bag["status"] == "arrived" else "not dispatched yet"
        raise ScanRefused(f"bag {bag_id} {message}", code="already_done")
    ids = [r["item_id"] for r in await conn.fetch(store.BAG_ITEMS, bag_id)]
    moving = [i for i in ids if await conn.fetchval(
        "SELECT state FROM items WHERE id = $1", i) == State.in_transit]
    await _each_in_bag(conn, ctx, staff, scan, bag_id, moving, A.arrive, now)
    await conn.execute(store.MARK_BAG, bag_id, "arrived", None, now)
    return _Applied(State.at_branch, len(moving))


def _bag_missort(staff: StaffUser, bag: asyncpg.Record, now: datetime):
    async def alert(conn: asyncpg.Connection) -> None:
        await store.add_alert(conn, kind="missort", site_id=staff.site_id, staff_id=staff.id,
                              device_id=staff.device_id, now=now,
                              detail=f"bag {bag['bag_id']} for {bag['destination_code']} "
                                     f"arrived at {staff.site_code}")

    return alert


async def _each_in_bag(conn, ctx, staff, scan, bag_id, item_ids, action, now) -> None:
    for item_id in item_ids:
        item = await store.scan_item_by_id(conn, item_id)
        try:
            await scan_item(conn, ctx, staff, scan, item, action, now, bag_id=bag_id)
        except TransitionRefused as refused:
            raise ScanRefused(f"{item.tracking_number} in bag {bag_id}: {refused.message}",
                              code=str(refused.code)) from None
