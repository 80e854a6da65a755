"""Plans read back: a courier's own stops (contacts masked), a branch's plan as JSON and as SVG."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from delivery.planning import store
from delivery.planning.model import NO_LOCATION, window_text
from delivery.planning.services import PlanOutcome
from delivery.platform.errors import NotFound
from delivery.platform.privacy import mask_name, mask_phone
from routing.areas import geometry_from_wkb
from routing.plans import CourierRoute, Plan, Stop, Visit
from routing.svg import render_plan_svg


class StopItemOut(msgspec.Struct, frozen=True, kw_only=True):
    """An item to hand over at a stop, with what the courier needs to find the citizen."""

    tracking_number: str
    document_type: str
    state: str
    citizen: str  # initials
    phone: str | None  # the last three digits
    district: str | None
    mahalla: str | None
    zuqaq: str | None
    house: str | None
    address_text: str | None
    landmark: str | None
    old_document: bool = False  # the citizen's old document is taken back at the hand-over


class CourierStopOut(msgspec.Struct, frozen=True, kw_only=True):
    """One stop of the courier's route, in order: when, where, and the items for it."""

    seq: int
    planned_arrival: dt.datetime
    planned_window: str  # the hour window the citizen is told, Asia/Baghdad
    window_start: dt.datetime  # the citizen's (or the branch's) window
    window_end: dt.datetime
    lat: float
    lon: float
    carried: bool  # the courier already has these items
    # Set ('district') when the point is the district's or mahalla's, not the citizen's:
    # call ahead for the way.
    located_by: str | None
    call_ahead: bool
    items: list[StopItemOut]


class NoticeOut(msgspec.Struct, frozen=True, kw_only=True):
    """A change to the courier's route since it was first planned."""

    plan_version: int
    detail: str
    changed_at: dt.datetime


class MyRouteOut(msgspec.Struct, frozen=True, kw_only=True):
    """The courier's day: the plan in force, its stops in order, and notices of changes."""

    date: dt.date
    branch: str | None
    plan_version: int | None
    planned_at: dt.datetime | None
    changed_at: dt.datetime | None  # the newest change to this courier's route that day
    notices: list[NoticeOut]
    distance_m: int
    duration_s: int
    stops: list[CourierStopOut]


class PlanStopOut(msgspec.Struct, frozen=True, kw_only=True):
    """One stop of a courier in a branch's plan (tracking numbers only)."""

    seq: int
    tracking_numbers: list[str]
    planned_arrival: dt.datetime
    window_start: dt.datetime
    window_end: dt.datetime
    lat: float
    lon: float
    carried: bool
    call_ahead: bool  # the point is the district's, not the citizen's


class PlanCourierOut(msgspec.Struct, frozen=True, kw_only=True):
    """One courier's part of a branch's plan: vehicle, shift, distance, stops."""

    username: str
    vehicle: str
    capacity_items: int
    shift_start: dt.datetime
    shift_end: dt.datetime
    distance_m: int
    duration_s: int
    stops: list[PlanStopOut]


class LeftOutOut(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An item the plan could not take, and why (it waits for the next plan). For
    `no_location`, the place words that matched no known district (no house or name)."""

    tracking_number: str
    reason: str
    district: str | None = None
    mahalla: str | None = None


class WaitedOut(msgspec.Struct, frozen=True, kw_only=True):
    """An item of the plan that earlier plans left out on more than one working day."""

    tracking_number: str
    days_waited: int


class BranchPlanOut(msgspec.Struct, frozen=True, kw_only=True):
    """A branch's route plan for a day: one version, its couriers and what was left out."""

    branch: str
    date: dt.date
    version: int
    planned_at: dt.datetime
    trigger: str
    travel_source: str
    total_distance_m: int
    total_duration_s: int
    items_routed: int
    items_left_out: int
    couriers: list[PlanCourierOut]
    left_out: list[LeftOutOut]
    waited: list[WaitedOut] = []  # longest wait first


class PlanRunOut(msgspec.Struct, frozen=True, kw_only=True):
    """What planning a day now did (`status`: a new version was `planned`, the one in force is
    `unchanged`, or there is `nothing to plan`), and the version in force afterwards."""

    branch: str
    date: dt.date
    status: str
    version: int | None
    planned_at: dt.datetime | None = None
    travel_source: str | None = None
    total_distance_m: int = 0
    total_duration_s: int = 0
    items_routed: int = 0
    items_left_out: int = 0
    couriers_told: int = 0  # couriers told that their route changed


# ---------------------------------------------------------------------------------------------
# A courier's own route


async def my_route(conn: asyncpg.Connection, *, courier_id: int, branch_code: str | None,
                   day: dt.date) -> MyRouteOut:
    """The courier's stops in the plan in force for their branch and day (none when unplanned)."""
    branch = await store.get_branch(conn, branch_code) if branch_code else None
    header = await store.plan_version(conn, branch["id"], day) if branch else None
    notices = [NoticeOut(**dict(r)) for r in await store.notices(conn, courier_id, day)]
    if header is None:
        return MyRouteOut(date=day, branch=branch_code, plan_version=None, planned_at=None,
                          changed_at=None, notices=notices, distance_m=0, duration_s=0, stops=[])
    rows = await store.plan_stops(conn, header["id"], courier_id)
    details = await store.stop_details(conn, [i for r in rows for i in r["item_ids"]])
    mine = [c for c in await store.plan_couriers(conn, header["id"]) if c["courier_id"] ==
            courier_id]
    return MyRouteOut(
        date=day, branch=branch_code, plan_version=header["version"],
        planned_at=header["created_at"],
        changed_at=notices[0].changed_at if notices else None, notices=notices,
        distance_m=mine[0]["distance_m"] if mine else 0,
        duration_s=mine[0]["duration_s"] if mine else 0,
        stops=[_courier_stop(row, details) for row in rows])


def _courier_stop(row: asyncpg.Record, details: dict[int, asyncpg.Record]) -> CourierStopOut:
    return CourierStopOut(
        seq=row["seq"], planned_arrival=row["arrival_at"],
        planned_window=window_text(row["arrival_at"]), window_start=row["window_start"],
        window_end=row["window_end"], lat=row["lat"], lon=row["lon"], carried=row["fixed"],
        located_by=row["located_by"], call_ahead=row["located_by"] is not None,
        items=[_stop_item(details[i]) for i in row["item_ids"] if i in details])


def _stop_item(row: asyncpg.Record) -> StopItemOut:
    return StopItemOut(
        tracking_number=row["tracking_number"], document_type=row["document_type"],
        state=row["state"], citizen=mask_name(row["citizen_name"] or ""),
        phone=mask_phone(row["citizen_phone"]) if row["citizen_phone"] else None,
        district=row["district"], mahalla=row["mahalla"], zuqaq=row["zuqaq"],
        house=row["house"], address_text=row["address_text"], landmark=row["landmark"],
        old_document=row["old_document"])


# ---------------------------------------------------------------------------------------------
# A branch's plan for supervisors


class StoredPlan(msgspec.Struct, frozen=True, kw_only=True):
    """One stored version with everything needed to show it."""

    branch: asyncpg.Record
    header: asyncpg.Record
    couriers: list[asyncpg.Record]
    stops: list[asyncpg.Record]
    left_out: list[asyncpg.Record]
    waited: list[asyncpg.Record]


async def stored_plan(conn: asyncpg.Connection, branch_code: str, day: dt.date,
                      version: int | None = None) -> StoredPlan:
    """A branch's plan for a day (the version in force unless `version`), or NotFound."""
    branch = await store.get_branch(conn, branch_code)
    header = await store.plan_version(conn, branch["id"], day, version) if branch else None
    if branch is None or header is None:
        raise NotFound(f"no route plan for {branch_code} on {day.isoformat()}")
    return StoredPlan(branch=branch, header=header,
                      couriers=await store.plan_couriers(conn, header["id"]),
                      stops=await store.plan_stops(conn, header["id"]),
                      left_out=await store.left_out(conn, header["id"]),
                      waited=await store.waited(conn, header["id"], day))


async def plan_run(conn: asyncpg.Connection, outcome: PlanOutcome) -> PlanRunOut:
    """A planning run's outcome with the summary of the version in force after it."""
    run = PlanRunOut(branch=outcome.branch, date=outcome.day, status=outcome.status,
                     version=outcome.version, couriers_told=len(outcome.notified))
    branch = await store.get_branch(conn, outcome.branch)
    if branch is None or outcome.version is None:
        return run
    header = await store.plan_version(conn, branch["id"], outcome.day, outcome.version)
    return msgspec.structs.replace(
        run, planned_at=header["created_at"], travel_source=header["travel_source"],
        total_distance_m=header["total_distance_m"], total_duration_s=header["total_duration_s"],
        items_routed=header["items_routed"], items_left_out=header["items_left_out"])


async def branch_plan(conn: asyncpg.Connection, branch_code: str, day: dt.date,
                      version: int | None = None) -> BranchPlanOut:
    """The plan as data for supervisors: tracking numbers and times, no personal data."""
    plan = await stored_plan(conn, branch_code, day, version)
    numbers = await _tracking_numbers(conn, plan.stops)
    h = plan.header
    return BranchPlanOut(
        branch=branch_code, date=day, version=h["version"], planned_at=h["created_at"],
        trigger=h["trigger"], travel_source=h["travel_source"],
        total_distance_m=h["total_distance_m"], total_duration_s=h["total_duration_s"],
        items_routed=h["items_routed"], items_left_out=h["items_left_out"],
        couriers=[_plan_courier(c, plan.stops, numbers) for c in plan.couriers],
        left_out=[left_out_item(r) for r in plan.left_out],
        waited=[WaitedOut(tracking_number=r["tracking_number"], days_waited=r["days"])
                for r in plan.waited])


def left_out_item(row: asyncpg.Record) -> LeftOutOut:
    """A left-out item; one without a place known gets the words it came with."""
    unplaced = row["reason"] == NO_LOCATION
    return LeftOutOut(tracking_number=row["tracking_number"], reason=row["reason"],
                      district=row["district"] if unplaced else None,
                      mahalla=row["mahalla"] if unplaced else None)


async def _tracking_numbers(conn: asyncpg.Connection,
                            stops: list[asyncpg.Record]) -> dict[int, str]:
    details = await store.stop_details(conn, [i for r in stops for i in r["item_ids"]])
    return {item_id: row["tracking_number"] for item_id, row in details.items()}


def _plan_courier(courier: asyncpg.Record, stops: list[asyncpg.Record],
                  numbers: dict[int, str]) -> PlanCourierOut:
    own = [s for s in stops if s["courier_id"] == courier["courier_id"]]
    return PlanCourierOut(
        username=courier["username"], vehicle=courier["vehicle"],
        capacity_items=courier["capacity_items"], shift_start=courier["shift_start"],
        shift_end=courier["shift_end"], distance_m=courier["distance_m"],
        duration_s=courier["duration_s"],
        stops=[PlanStopOut(seq=s["seq"], tracking_numbers=[numbers.get(i, "") for i in
                                                           s["item_ids"]],
                           planned_arrival=s["arrival_at"], window_start=s["window_start"],
                           window_end=s["window_end"], lat=s["lat"], lon=s["lon"],
                           carried=s["fixed"], call_ahead=s["located_by"] is not None)
               for s in own])


async def branch_plan_svg(conn: asyncpg.Connection, branch_code: str, day: dt.date,
                          version: int | None = None) -> str:
    """The plan drawn over the branch's service area: one colour per courier, one path per
    round."""
    plan = await stored_plan(conn, branch_code, day, version)
    wkb = await store.branch_area_wkb(conn, plan.branch["id"])
    area = geometry_from_wkb(wkb) if wkb else None
    routes, stops = _drawable(plan)
    labels = {str(c["courier_id"]): f"{c['username']} ({c['vehicle']})" for c in plan.couriers}
    return render_plan_svg(area, (plan.branch["lat"], plan.branch["lon"]), routes, stops, labels)


def _drawable(plan: StoredPlan) -> tuple[Plan, dict[str, Stop]]:
    """The stored plan as the picture draws it: one route per round of each courier (the items
    they already carried, then the rest), each from the branch and back."""
    stops: dict[str, Stop] = {}
    routes = []
    for courier in plan.couriers:
        own = [s for s in plan.stops if s["courier_id"] == courier["courier_id"]]
        for row in own:
            stop_id = f"{courier['courier_id']}:{row['seq']}"
            stops[stop_id] = Stop(stop_id=stop_id, item_ids=tuple(map(str, row["item_ids"])),
                                  lat=row["lat"], lon=row["lon"], window_start_s=0,
                                  window_end_s=0, service_s=row["service_s"])
        # Only the day's totals are stored: they go with the first round.
        distance_m, duration_s = courier["distance_m"], courier["duration_s"]
        for rows in _rounds(own):
            visits = tuple(Visit(stop_id=f"{courier['courier_id']}:{r['seq']}",
                                 item_ids=tuple(map(str, r["item_ids"])), arrival_s=0,
                                 departure_s=0) for r in rows)
            routes.append(CourierRoute(courier_id=str(courier["courier_id"]), visits=visits,
                                       distance_m=distance_m, duration_s=duration_s))
            distance_m = duration_s = 0
    return Plan(routes=tuple(routes), left_out=(), total_distance_m=plan.header[
        "total_distance_m"], total_duration_s=plan.header["total_duration_s"]), stops


def _rounds(stops: list[asyncpg.Record]) -> list[list[asyncpg.Record]]:
    """A courier's stops in order, split where the carried (`fixed`) first round ends."""
    rounds: list[list[asyncpg.Record]] = []
    for row in stops:
        if not rounds or rounds[-1][-1]["fixed"] != row["fixed"]:
            rounds.append([])
        rounds[-1].append(row)
    return rounds
