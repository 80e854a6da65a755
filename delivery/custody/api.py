"""Staff routes of custody: handheld scans, bags, and the supervisors' exceptions and alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, get, post
from litestar.datastructures import State

from delivery.custody import bagging, scans, supervisor
from delivery.custody.bagging import BagOut
from delivery.custody.context import CustodyContext
from delivery.custody.model import Action
from delivery.custody.supervisor import AlertOut, ItemStateOut
from delivery.staff.auth import (
    STAFF_DEPENDENCIES,
    TOKEN_STAFF_DEPENDENCIES,
    StaffUser,
    require_roles,
)

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Digits4 = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{4}$")]
AwareTime = Annotated[datetime, msgspec.Meta(tz=True)]
MAX_SCANS = 500


class ProxyIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    name: Text
    id_number: Annotated[str, msgspec.Meta(pattern=r"^[0-9 ]{6,20}$")]


class PointIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]


class ScanIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    scan_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    action: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
    at: AwareTime
    bag: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    courier: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    otp: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    id_last4: Digits4 | None = None
    reason: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    proxy: ProxyIn | None = None
    location: PointIn | None = None


class ScansIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    scans: Annotated[list[ScanIn], msgspec.Meta(min_length=1, max_length=MAX_SCANS)]


class ScansOut(msgspec.Struct, frozen=True, kw_only=True):
    results: list[scans.ScanResult]


class BagIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    destination: Annotated[str, msgspec.Meta(min_length=1, max_length=32)]


def _ctx(state: State) -> CustodyContext:
    return state.custody


def _scan(scan: ScanIn) -> scans.Scan:
    return msgspec.convert(scan, scans.Scan, from_attributes=True)


class ScansController(Controller):
    path = "/v1/scans"
    tags = ["staff"]
    # `apply_scans` refuses a deactivated account in its own transaction.
    dependencies = TOKEN_STAFF_DEPENDENCIES
    guards = [require_roles("sorting_clerk", "branch_clerk", "courier")]
    security = [{"staffToken": []}]

    @post("/", status_code=200, summary="Upload up to 500 handheld scans")
    async def upload(self, state: State, staff: StaffUser, data: ScansIn) -> ScansOut:
        """Each scan is applied, `duplicate` (its `scan_id` was seen) or `rejected` with a reason."""
        async with state.pool.acquire() as conn:
            results = await scans.apply_scans(conn, _ctx(state), staff,
                                              [_scan(s) for s in data.scans],
                                              now=datetime.now(UTC))
        return ScansOut(results=results)


class BagsController(Controller):
    path = "/v1/bags"
    tags = ["staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [require_roles("sorting_clerk")]
    security = [{"staffToken": []}]

    @post("/", status_code=201, summary="Open a bag for a branch")
    async def open(self, state: State, staff: StaffUser, data: BagIn) -> BagOut:
        """Scan `bag` with this `bag_id` to fill it, `dispatch` on the bag id to send it."""
        async with state.pool.acquire() as conn:
            return await bagging.open_bag(conn, staff, data.destination, now=datetime.now(UTC))


class ReasonIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]


class SupervisorController(Controller):
    path = "/v1/supervisor"
    tags = ["staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [require_roles("supervisor", "admin")]
    security = [{"staffToken": []}]

    @post("/items/{tracking_number:str}/lost", status_code=200, summary="Mark an item lost")
    async def lost(self, state: State, staff: StaffUser, tracking_number: str,
                   data: ReasonIn) -> ItemStateOut:
        return await self._mark(state, staff, tracking_number, Action.mark_lost, data.reason)

    @post("/items/{tracking_number:str}/damaged", status_code=200,
          summary="Mark an item damaged")
    async def damaged(self, state: State, staff: StaffUser, tracking_number: str,
                      data: ReasonIn) -> ItemStateOut:
        return await self._mark(state, staff, tracking_number, Action.mark_damaged, data.reason)

    @post("/items/{tracking_number:str}/found", status_code=200,
          summary="A lost item was found: it goes back to its agency")
    async def found(self, state: State, staff: StaffUser, tracking_number: str,
                    data: ReasonIn) -> ItemStateOut:
        return await self._mark(state, staff, tracking_number, Action.found, data.reason)

    @post("/items/{tracking_number:str}/code", status_code=200,
          summary="Send the citizen a new one-time code (the old one dies, the lock lifts)")
    async def reissue(self, state: State, staff: StaffUser,
                      tracking_number: str) -> ItemStateOut:
        async with state.pool.acquire() as conn:
            return await supervisor.reissue_code(conn, _ctx(state), staff, tracking_number,
                                                 now=datetime.now(UTC))

    @post("/items/{tracking_number:str}/unlock", status_code=200,
          summary="Lift a lock after wrong codes, keeping the current code")
    async def unlock(self, state: State, staff: StaffUser,
                     tracking_number: str) -> ItemStateOut:
        async with state.pool.acquire() as conn:
            return await supervisor.unlock(conn, staff, tracking_number)

    @get("/alerts", summary="What needs a supervisor at their site, oldest first")
    async def list_alerts(self, state: State, staff: StaffUser) -> list[AlertOut]:
        """Unconfirmed hand-overs and manifests, missorts, stuck and locked items, odd clocks."""
        async with state.pool.acquire() as conn:
            return await supervisor.alerts(conn, _ctx(state), staff, now=datetime.now(UTC))

    async def _mark(self, state: State, staff: StaffUser, tn: str, action: Action,
                    reason: str) -> ItemStateOut:
        async with state.pool.acquire() as conn:
            return await supervisor.mark(conn, staff, tn, action, reason, now=datetime.now(UTC))


HANDLERS: list[Any] = [ScansController, BagsController, SupervisorController]
