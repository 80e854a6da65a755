"""Staff routes of custody: handheld scans, bags, and the supervisors' exceptions and alerts."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import Controller, Response, get, post
from litestar.datastructures import State

from delivery.custody import bag_views, bagging, clock, scans, supervisor
from delivery.custody.bag_views import BagLine, Manifest
from delivery.custody.bagging import BagOut
from delivery.custody.context import CustodyContext
from delivery.custody.judge import ScanAction
from delivery.custody.model import Action
from delivery.custody.scans import FailReason
from delivery.custody.supervisor import AlertOut, ItemStateOut, StaffLockOut
from delivery.platform import inputs
from delivery.platform.apidoc import documented_as, with_json_body
from delivery.platform.edge import StrictRequest
from delivery.platform.errors import (
    FieldError,
    InvalidInput,
    MalformedRequest,
    PayloadTooLarge,
    decode_errors_to_field_errors,
)
from delivery.platform.requests import NO_STORE
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
BAG_VIEWERS = ("sorting_clerk", "branch_clerk", "supervisor", "admin")


class ProxyIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Someone collecting for the holder, where the document type allows it: their ID is the
    one checked and recorded."""

    name: Text
    id_number: Annotated[str, msgspec.Meta(pattern=r"^[0-9 ]{6,20}$")]


class SignedByIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who at the agency signed for a returned item (`returned`): shown to others masked."""

    name: Text
    id_last4: Digits4


class PointIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where the handheld was, in WGS 84 degrees."""

    lat: Annotated[float, msgspec.Meta(ge=-90, le=90)]
    lon: Annotated[float, msgspec.Meta(ge=-180, le=180)]


class ScanIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One scan: `code` is an item's tracking number or a bag's id; `scan_id` is the handheld's
    own id for it, so sending it again is harmless. `otp` and `id_last4` travel with hand-overs
    to the citizen, `reason` (and `note`) with `fail`, `bag` with `bag`, `courier` with
    `to_courier`, `signed_by` with `returned`, `old_document_number` (or `old_document_lost`)
    with the hand-over of a document that replaces an old one. A `fail` with reason `refused` or
    `wrong_person` sends the item back to its agency at once (`returning`)."""

    scan_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    # Any text decodes: an action this server does not know refuses that scan alone.
    action: Annotated[str, msgspec.Meta(min_length=1, max_length=32), documented_as(ScanAction)]
    at: AwareTime
    bag: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    courier: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    otp: Annotated[str, msgspec.Meta(max_length=32)] | None = None
    id_last4: Digits4 | None = None
    reason: Annotated[str, msgspec.Meta(max_length=32), documented_as(FailReason)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    proxy: ProxyIn | None = None
    location: PointIn | None = None
    signed_by: SignedByIn | None = None
    # With `deliver` or `collect` of a document that replaces an old one: the old one's number,
    # scanned or typed, or the citizen's declaration that it is lost.
    old_document_number: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    old_document_lost: bool = False


class ScansIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Up to 500 scans, applied in the order sent."""

    # More than MAX_SCANS is a 413 like an oversized document batch, so the limit is checked
    # by the handler rather than by decoding (which would make it a 422).
    scans: Annotated[list[ScanIn], msgspec.Meta(min_length=1,
                                                extra_json_schema={"maxItems": MAX_SCANS})]


class _Upload(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """ScansIn with each scan left unread, so that one unreadable scan is refused alone."""

    scans: Annotated[list[msgspec.Raw], msgspec.Meta(min_length=1)]


class _ScanId(msgspec.Struct, frozen=True, kw_only=True):
    """Just the scan's id, from a scan that cannot be read whole."""

    scan_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


UNREADABLE = "unreadable"
IMPLAUSIBLE_TIME = "implausible_time"


def read_upload(body: bytes, faults: list[FieldError] | None = None, *,
                now: datetime) -> list[ScanIn | scans.ScanResult]:
    """Each scan of an upload as sent, or, for one that cannot be read (or whose device time no
    handheld can have meant), its refusal naming the field at fault: a handheld's offline queue
    must not be stopped by one bad scan. `faults` are those the edge found in the body
    (`platform.inputs`). A body that is not an upload, or a scan without a readable `scan_id`,
    refuses the whole upload."""
    try:
        upload = msgspec.json.decode(body, type=_Upload)
    except msgspec.ValidationError as exc:
        raise InvalidInput("The upload is not a list of scans.",
                           errors=decode_errors_to_field_errors(exc)) from None
    except msgspec.DecodeError as exc:
        raise MalformedRequest(f"The body is not valid JSON: {exc}") from None
    if len(upload.scans) > MAX_SCANS:
        raise PayloadTooLarge(f"An upload holds at most {MAX_SCANS} scans.", errors=[
            FieldError(field="/scans", message=f"at most {MAX_SCANS} per upload")])
    by_scan = inputs.faults_by_item(faults or [], "/scans")
    return [_read_scan(raw, f"/scans/{i}", by_scan.get(i, []), now)
            for i, raw in enumerate(upload.scans)]


def _read_scan(raw: msgspec.Raw, at: str, faults: list[FieldError],
               now: datetime) -> ScanIn | scans.ScanResult:
    if faults:
        return _unreadable(raw, at, faults[0])
    try:
        scan = msgspec.json.decode(raw, type=ScanIn)
    except msgspec.ValidationError as exc:
        [fault] = decode_errors_to_field_errors(exc, at)
        return _unreadable(raw, at, fault)
    if why := clock.implausible(scan.at, now):
        return scans.ScanResult(scan_id=scan.scan_id, status="rejected", reason=IMPLAUSIBLE_TIME,
                                error=f"{at}/at: {why}")
    return scan


def _unreadable(raw: msgspec.Raw, at: str, fault: FieldError) -> scans.ScanResult:
    """The refusal of a scan that cannot be read whole; InvalidInput when even its scan_id
    cannot be, since nothing else could name its result."""
    try:
        scan_id = msgspec.json.decode(raw, type=_ScanId).scan_id
    except msgspec.ValidationError as exc:
        raise InvalidInput("A scan without a readable scan_id cannot be judged.",
                           errors=decode_errors_to_field_errors(exc, at)) from None
    if fault.field == f"{at}/scan_id":
        raise InvalidInput("A scan without a readable scan_id cannot be judged.",
                           errors=[fault])
    return scans.ScanResult(scan_id=scan_id, status="rejected", reason=UNREADABLE,
                            error=f"{fault.field}: {fault.message}")


class ScansOut(msgspec.Struct, frozen=True, kw_only=True):
    """One result per scan, in the order sent."""

    results: list[scans.ScanResult]


class BagIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The branch the new bag goes to (one the sorting centre serves)."""

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

    @post("/", status_code=200, summary="Upload up to 500 handheld scans",
          operation_class=with_json_body(ScansIn, "Up to 500 scans, applied in the order sent."))
    async def upload(self, request: StrictRequest, state: State,
                     conn: asyncpg.Connection, staff: StaffUser) -> ScansOut:
        """Each scan is applied, `duplicate` (its `scan_id` was seen) or `rejected` with a reason
        the clerk reads; one refused scan does not stop the others, nor does one that cannot be
        read (`rejected`, reason `unreadable`, naming the field), nor one whose device time no
        handheld can have meant (`rejected`, reason `implausible_time`: more than 30 days ahead
        or a year behind). Sorting clerks, branch clerks and couriers."""
        now = datetime.now(UTC)
        sent = read_upload(*await request.inspected_body(), now=now)
        readable = [_scan(s) for s in sent if isinstance(s, ScanIn)]
        applied = iter(await scans.apply_scans(conn, _ctx(state), staff, readable,
                                               now=now) if readable else ())
        return ScansOut(results=[s if isinstance(s, scans.ScanResult) else next(applied)
                                 for s in sent])


class BagsController(Controller):
    path = "/v1/bags"
    tags = ["staff"]
    dependencies = STAFF_DEPENDENCIES
    security = [{"staffToken": []}]

    @post("/", status_code=201, summary="Open a bag for a branch",
          guards=[require_roles("sorting_clerk")])
    async def open(self, conn: asyncpg.Connection, staff: StaffUser, data: BagIn) -> BagOut:
        """Scan `bag` with this `bag_id` to fill it, `dispatch` on the bag id to send it.
        Sorting clerks, for a branch their centre serves."""
        return await bagging.open_bag(conn, staff, data.destination, now=datetime.now(UTC))

    @get("/", summary="The bags my site sends or expects, newest first",
         guards=[require_roles(*BAG_VIEWERS)])
    async def list_bags(self, conn: asyncpg.Connection, staff: StaffUser,
                        status: str | None = None) -> Response[list[BagLine]]:
        """At most 100 bags in one `status` (`open`, `dispatched`, `arrived`): a sorting
        centre's clerks and supervisors see the bags leaving it (default `open`), a branch's
        clerks and supervisors the bags coming to it (default `dispatched`: on the way);
        administrators every bag (default `open`). An unknown status is a 422."""
        return Response(await bag_views.bags(conn, staff, status), headers=NO_STORE)

    @get("/{bag_id:str}", summary="A bag's manifest: the items in it and which are missing",
         guards=[require_roles(*BAG_VIEWERS)])
    async def manifest(self, conn: asyncpg.Connection, staff: StaffUser,
                       bag_id: str) -> Response[Manifest]:
        """The items in the bag now; `confirmed` once the branch scanned the item itself;
        `missing`, once the bag arrived, those it has not. Sorting clerks of the origin, branch
        clerks and supervisors of either end, administrators; 404 for anyone else, as for a bag
        that does not exist. A malformed bag id is a 422."""
        return Response(await bag_views.manifest(conn, staff, bag_id), headers=NO_STORE)


class ReasonIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Why, in a few words: recorded in the item's custody log."""

    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]


class StaffUnlockIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The member of staff whose hand-overs may go on, and why."""

    username: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    reason: Annotated[str, msgspec.Meta(min_length=3, max_length=500)]


class SupervisorController(Controller):
    path = "/v1/supervisor"
    tags = ["staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [require_roles("supervisor", "admin")]
    security = [{"staffToken": []}]

    @post("/items/{tracking_number:str}/lost", status_code=200, summary="Mark an item lost")
    async def lost(self, conn: asyncpg.Connection, staff: StaffUser, tracking_number: str,
                   data: ReasonIn) -> ItemStateOut:
        """The reason goes into the custody log; the agency is told. Supervisors of the item's
        branch or sorting centre, and administrators."""
        return await self._mark(conn, staff, tracking_number, Action.mark_lost, data.reason)

    @post("/items/{tracking_number:str}/damaged", status_code=200,
          summary="Mark an item damaged")
    async def damaged(self, conn: asyncpg.Connection, staff: StaffUser, tracking_number: str,
                      data: ReasonIn) -> ItemStateOut:
        """The reason goes into the custody log; the agency is told. Supervisors of the item's
        branch or sorting centre, and administrators."""
        return await self._mark(conn, staff, tracking_number, Action.mark_damaged, data.reason)

    @post("/items/{tracking_number:str}/found", status_code=200,
          summary="A lost item was found: it goes back to its agency")
    async def found(self, conn: asyncpg.Connection, staff: StaffUser, tracking_number: str,
                    data: ReasonIn) -> ItemStateOut:
        """Only for an item marked lost; it then returns to its agency. Supervisors and
        administrators."""
        return await self._mark(conn, staff, tracking_number, Action.found, data.reason)

    @post("/items/{tracking_number:str}/code", status_code=200,
          summary="Send the citizen a new one-time code (the old one dies, the lock lifts)")
    async def reissue(self, state: State, conn: asyncpg.Connection, staff: StaffUser,
                      tracking_number: str, data: ReasonIn) -> ItemStateOut:
        """Only while the item waits for a hand-over that needs a code (out for delivery,
        ready for pickup); 409 otherwise. The reason goes into the custody log. Supervisors and
        administrators."""
        return await supervisor.reissue_code(conn, _ctx(state), staff, tracking_number,
                                             data.reason, now=datetime.now(UTC))

    @post("/items/{tracking_number:str}/unlock", status_code=200,
          summary="Lift a lock after wrong attempts: the citizen gets a new code")
    async def unlock(self, state: State, conn: asyncpg.Connection, staff: StaffUser,
                     tracking_number: str, data: ReasonIn) -> ItemStateOut:
        """The code that was guessed at dies and the citizen gets a new one by SMS; 409 when
        the item is not locked. The reason goes into the custody log. Supervisors and
        administrators."""
        return await supervisor.unlock(conn, _ctx(state), staff, tracking_number, data.reason,
                                       now=datetime.now(UTC))

    @post("/staff/unlock", status_code=200,
          summary="Let a member of staff hand items over again after too many wrong attempts")
    async def unlock_staff(self, conn: asyncpg.Connection, staff: StaffUser,
                           data: StaffUnlockIn) -> StaffLockOut:
        """Ten wrong codes or ID digits within 24 hours, on any items, stop a courier's or
        clerk's hand-overs and raise a `staff_locked` alert; this lifts that, with the reason
        recorded. 409 when they are not locked. Supervisors of their site, and administrators."""
        return await supervisor.unlock_staff(conn, staff, data.username, data.reason,
                                             now=datetime.now(UTC))

    @get("/alerts", summary="What needs a supervisor at their site, oldest first")
    async def list_alerts(self, state: State, conn: asyncpg.Connection,
                          staff: StaffUser) -> list[AlertOut]:
        """Unconfirmed hand-overs and manifests, missorts, stuck and locked items, odd clocks.
        Supervisors (their site) and administrators (everywhere)."""
        return await supervisor.alerts(conn, _ctx(state), staff, now=datetime.now(UTC))

    async def _mark(self, conn: asyncpg.Connection, staff: StaffUser, tn: str, action: Action,
                    reason: str) -> ItemStateOut:
        return await supervisor.mark(conn, staff, tn, action, reason, now=datetime.now(UTC))


HANDLERS: list[Any] = [ScansController, BagsController, SupervisorController]
