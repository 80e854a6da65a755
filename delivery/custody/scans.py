"""Handheld scans: each one applied, reported duplicate, or rejected with a reason a clerk reads.

A batch is one transaction; each scan runs in its own savepoint, so a refused scan undoes only
itself. Scans run in the order sent, which keeps each item's scans in order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from delivery.custody import bagging, proof, store
from delivery.custody.bags import looks_like_bag, normalize_code
from delivery.custody.clock import check_device_time
from delivery.custody.context import CustodyContext
from delivery.custody.model import (
    CONFIRMED_BY,
    Action,
    Handover,
    Need,
    Role,
    State,
    Transition,
    TransitionRefused,
    decide,
    parse_action,
    required_proof,
)
from delivery.custody.proof import ScanRefused
from delivery.custody.services import Actor, ChangedMeanwhile, record
from delivery.custody.store import ScanItem
from delivery.staff.auth import StaffUser

A = Action
HANDHELD_ACTIONS = frozenset({
    A.receive, A.bag, A.unbag, A.dispatch, A.arrive, A.to_courier, A.take, A.deliver, A.fail,
    A.return_, A.accept, A.shelve, A.collect, A.send_back, A.returned,
})
FAIL_REASONS = ("absent", "refused", "address_not_found", "unsafe", "wrong_person", "other")
APPLIED, DUPLICATE, REJECTED = "applied", "duplicate", "rejected"
# States entered with a fresh one-time code, and the SMS that carries it.
CODE_ON_ENTRY = {State.out_for_delivery: "out_for_delivery",
                 State.ready_for_pickup: "ready_for_pickup"}


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
    scan_id: str
    status: str
    state: str | None = None
    error: str | None = None
    reason: str | None = None
    items: int | None = None
    clock_flags: list[str] = msgspec.field(default_factory=list)


class _Applied(msgspec.Struct, frozen=True):
    state: str
    items: int | None = None


async def apply_scans(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser,
                      scans: list[Scan], *, now: datetime) -> list[ScanResult]:
    """Apply a handheld's batch; returns one result per scan, in the order sent."""
    async with conn.transaction():
        fresh = await _claim(conn, staff, scans, now)
        flags = await _clock_flags(conn, staff, [s for s in scans if s.scan_id in fresh], now)
        results: dict[str, ScanResult] = {}
        for scan in scans:
            if scan.scan_id in fresh and scan.scan_id not in results:
                results[scan.scan_id] = await _apply_one(
                    conn, ctx, staff, scan, now, flags[scan.scan_id])
        await _save_results(conn, list(results.values()))
    earlier = await _earlier_results(conn, [s.scan_id for s in scans if s.scan_id not in fresh])
    return [_result_for(scan, results, earlier, index, scans) for index, scan in enumerate(scans)]


def _result_for(scan: Scan, results: dict[str, ScanResult], earlier: dict[str, str | None],
                index: int, scans: list[Scan]) -> ScanResult:
    first = results.get(scan.scan_id)
    repeated = any(s.scan_id == scan.scan_id for s in scans[:index])
    if first is not None and not repeated:
        return first
    state = first.state if first is not None else earlier.get(scan.scan_id)
    return ScanResult(scan_id=scan.scan_id, status=DUPLICATE, state=state)


async def _claim(conn: asyncpg.Connection, staff: StaffUser, scans: list[Scan],
                 now: datetime) -> set[str]:
    # A concurrent upload of the same scan waits here for the other to commit, then sees it.
    rows = await conn.fetch(store.CLAIM_SCANS, [s.scan_id for s in scans], staff.id,
                            staff.device_id, now, [s.code for s in scans],
                            [s.action for s in scans], [s.at for s in scans])
    return {r["scan_id"] for r in rows}


async def _clock_flags(conn: asyncpg.Connection, staff: StaffUser, scans: list[Scan],
                       now: datetime) -> dict[str, list[str]]:
    previous = await conn.fetchval(store.SELECT_DEVICE_TIME, staff.device_id)
    flags = {}
    for scan in scans:
        check = check_device_time(scan.at, now, previous)
        flags[scan.scan_id] = sorted(check.flags)
        previous = scan.at
    if scans:
        await conn.execute(store.SAVE_DEVICE_TIME, staff.device_id, staff.id, previous, now)
    return flags


async def _save_results(conn: asyncpg.Connection, results: list[ScanResult]) -> None:
    await conn.execute(store.SAVE_RESULTS, [r.scan_id for r in results],
                       [r.status for r in results], [r.state for r in results],
                       [r.error for r in results],
                       ["{" + ",".join(r.clock_flags) + "}" for r in results])


async def _earlier_results(conn: asyncpg.Connection, scan_ids: list[str]) -> dict[str, str | None]:
    if not scan_ids:
        return {}
    return {r["scan_id"]: r["state"] for r in await conn.fetch(store.SELECT_SCANS, scan_ids)}


async def _apply_one(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, scan: Scan,
                     now: datetime, flags: list[str]) -> ScanResult:
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
    action = parse_action(scan.action)
    if action not in HANDHELD_ACTIONS:
        raise ScanRefused(f"{scan.action} cannot be scanned on a handheld", code="unknown_action")
    code = normalize_code(scan.code)
    if looks_like_bag(code):
        return await _scan_bag(conn, ctx, staff, scan, bagging.bag_code(code), action, now)
    if action == A.dispatch:
        raise ScanRefused("dispatch a bag, not a single item: scan the bag's id",
                          code="bag_required")
    item = await store.scan_item(conn, code)
    if item is None:
        raise ScanRefused(f"no item {code}", code="not_found")
    return _Applied(await scan_item(conn, ctx, staff, scan, item, action, now))


# --- one item --------------------------------------------------------------------------------

async def scan_item(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser, scan: Scan,
                    item: ScanItem, action: Action, now: datetime, *,
                    bag_id: str | None = None) -> str:
    """Judge and record one scan of one item; returns the item's new state."""
    transition = decide(State(item.state), action, Role(staff.role))
    await _guard_site(conn, staff, item, action, now)
    _guard_pending(item, action)
    doc_type = ctx.types.get(item.document_type)
    if scan.proxy is not None and not (doc_type and doc_type.proxy_allowed
                                       and action == A.collect):
        raise ScanRefused(f"{item.tracking_number} must be handed to the holder in person",
                          code="proxy_not_allowed")
    payload: dict[str, Any] = {"scan_id": scan.scan_id, "bag": bag_id}
    after: list[Callable[[], Awaitable[Any]]] = []
    needs_id = doc_type.needs_id_check if doc_type else True
    for need in sorted(required_proof(transition, needs_id)):
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


async def _guard_site(conn: asyncpg.Connection, staff: StaffUser, item: ScanItem,
                      action: Action, now: datetime) -> None:
    tn = item.tracking_number
    if staff.role == Role.branch_clerk and item.branch_id != staff.site_id:
        effects = (_missort(staff, item, now),) if action == A.arrive else ()
        raise ScanRefused(f"{tn} belongs to branch {item.branch_code}, not {staff.site_code}",
                          code="wrong_branch", effects=effects)
    if staff.role == Role.sorting_clerk and item.centre_id not in (None, staff.site_id):
        raise ScanRefused(f"{tn} is sorted at {item.centre_code}, not {staff.site_code}",
                          code="wrong_site")
    if staff.role == Role.courier and item.courier_id != staff.id:
        raise ScanRefused(f"{tn} is not assigned to you", code="not_assigned")


def _guard_pending(item: ScanItem, action: Action) -> None:
    if item.handover_action is None:
        return
    confirm = CONFIRMED_BY[Action(item.handover_action)]
    if action != confirm:
        raise ScanRefused(f"{item.tracking_number} awaits the `{confirm}` scan that confirms its "
                          "hand-over first", code="handover_unconfirmed")


def _missort(staff: StaffUser, item: ScanItem, now: datetime):
    async def alert(conn: asyncpg.Connection) -> None:
        await store.add_alert(conn, kind="missort", item_id=item.id, site_id=staff.site_id,
                              staff_id=staff.id, device_id=staff.device_id, now=now,
                              detail=f"{item.tracking_number} for {item.branch_code} arrived at "
                                     f"{staff.site_code}")

    return alert


async def _handover(conn: asyncpg.Connection, item: ScanItem, action: Action,
                    transition: Transition, now: datetime) -> None:
    if transition.handover is Handover.give:
        await conn.execute(store.SET_HANDOVER, item.id, str(action), now)
    elif transition.handover is Handover.confirm:
        await _confirm(conn, item, action, transition)


async def _confirm(conn: asyncpg.Connection, item: ScanItem, action: Action,
                   transition: Transition) -> None:
    givers = [str(give) for give, confirm in CONFIRMED_BY.items() if confirm == action]
    if transition.to != item.state:  # a state-moving counter-scan closes whatever was open
        if item.handover_action is not None:
            await conn.execute(store.SET_HANDOVER, item.id, None, None)
        return
    if item.handover_action not in givers:
        raise ScanRefused(f"no hand-over of {item.tracking_number} is waiting for you",
                          code="already_done")
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


async def _need_otp(conn, ctx, staff, scan, item, now, payload, after) -> None:
    generation = proof.check_code(ctx, item, scan.otp)
    payload["proof"] = {**_proof(staff, scan, now, generation), **payload.get("proof", {})}


async def _need_id(conn, ctx, staff, scan, item, now, payload, after) -> None:
    if scan.proxy is not None:
        record_ = proof.proxy_record(ctx, scan.proxy.name, scan.proxy.id_number)
        proof.check_id(record_["id_last4"], scan.id_last4)
        payload.setdefault("proof", {})["proxy"] = record_
    else:
        proof.check_id(item.national_id_last4, scan.id_last4)
    payload.setdefault("proof", {})["id_checked"] = True


def _proof(staff: StaffUser, scan: Scan, now: datetime,
           generation: int) -> dict[str, Any]:
    point = {"lat": scan.location.lat, "lon": scan.location.lon} if scan.location else None
    return {"by": staff.username, "staff_id": staff.id, "device": staff.device_id,
            "device_at": scan.at.isoformat(), "server_at": now.isoformat(), "point": point,
            "otp_generation": generation, "id_checked": False}


# Sorted by Need's value: `id_check` before `otp`, so a proxy's record is in place first.
_NEEDS = {Need.bag: _need_bag, Need.courier: _need_courier, Need.reason: _need_reason,
          Need.otp: _need_otp, Need.id_check: _need_id}


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
    item_ids = [r["item_id"] for r in await conn.fetch(store.BAG_ITEMS, bag_id)]
    if not item_ids:
        raise ScanRefused(f"bag {bag_id} is empty", code="bag_empty")
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
