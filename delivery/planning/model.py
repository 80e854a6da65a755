"""A branch's delivery day as a routing problem, and its answer as per-courier stops: pure, no I/O.

Items a courier already carries (`out_for_delivery`) keep that courier. They are planned first,
on that courier alone, as a fixed first round from the branch and back; what is still at the
branch is then planned for every courier on shift, each starting when their first round ends.
The whole bag is free again for the second round: the first round's items have been handed over.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from zoneinfo import ZoneInfo

import msgspec

from routing.matrix import TravelTimes
from routing.plans import (
    Courier,
    CourierRoute,
    DeliveryItem,
    Plan,
    PlanRequest,
    Stop,
    Visit,
    merge_households,
    plan_routes,
)

BAGHDAD = ZoneInfo("Asia/Baghdad")
MIN_PHASE_S = 0.05
# An item's worth to the solver, in items: one, plus this per day it already waited and for a
# day the citizen chose, so that when not everything fits the longest-waiting go first.
WAITED_DAY_VALUE = 0.5
CHOSEN_DAY_VALUE = 0.25
VEHICLES = ("foot", "motorcycle", "car")
DAY_S = 24 * 3600

# Why an item is not on anyone's route (it stays for the next plan).
NO_LOCATION = "no_location"
NO_COURIER = "no_courier_on_shift"
DID_NOT_FIT = "did_not_fit"  # bags had room, no gap fitted: the search ran out of time
BAG_FULL = "bag_full"
SHIFT_END = "shift_end"
OUTSIDE_WINDOW = "outside_window"
WINDOW_PASSED = "window_passed"
COURIER_UNAVAILABLE = "courier_unavailable"


class Shift(msgspec.Struct, frozen=True, kw_only=True):
    """A courier's working day as planned: seconds since local midnight."""

    courier_id: int
    username: str
    vehicle: str
    capacity_items: int
    start_s: int
    end_s: int


class PlanItem(msgspec.Struct, frozen=True, kw_only=True):
    """An item to deliver; `courier_id` is set when a courier already carries it."""

    item_id: int
    phone: str
    lat: float | None
    lon: float | None
    window: str | None  # the citizen's 'morning' / 'afternoon', if chosen
    courier_id: int | None = None
    waited_days: int = 0  # earlier planned days that left it out
    chosen_day: bool = False  # the citizen chose the day being planned
    located_by: str | None = None  # 'district': the point is its district's; call ahead


class Windows(msgspec.Struct, frozen=True, kw_only=True):
    """Concrete hours, in seconds since local midnight, for the citizen's choices and the rest."""

    morning: tuple[int, int]
    afternoon: tuple[int, int]
    otherwise: tuple[int, int]

    def of(self, window: str | None) -> tuple[int, int]:
        """The hours of a chosen window, or the branch's delivery hours."""
        return {"morning": self.morning, "afternoon": self.afternoon}.get(window or "",
                                                                          self.otherwise)


class PlannedStop(msgspec.Struct, frozen=True, kw_only=True):
    """A stop on a courier's day, with its planned visit; `fixed` when its items are out already."""

    stop: Stop
    visit: Visit
    fixed: bool


class CourierDay(msgspec.Struct, frozen=True, kw_only=True):
    """One courier's planned day: stops in order, total distance and time on the road."""

    shift: Shift
    stops: tuple[PlannedStop, ...]
    distance_m: int
    duration_s: int


class Phase(msgspec.Struct, frozen=True, kw_only=True):
    """One solver run and its answer, kept so any plan can be re-checked by `evaluate_plan`."""

    request: PlanRequest
    plan: Plan
    fixed: bool


class DayPlan(msgspec.Struct, frozen=True, kw_only=True):
    """The branch's day: every courier's stops, and every left-out item with its reason."""

    couriers: tuple[CourierDay, ...]
    left_out: Mapping[int, str]
    phases: tuple[Phase, ...]
    located_by: Mapping[int, str] = msgspec.field(default_factory=dict)  # items not at their own point

    def stop_located_by(self, stop: Stop) -> str | None:
        """'district' when any item of the stop was placed at its district's point."""
        return next((self.located_by[int(i)] for i in stop.item_ids
                     if int(i) in self.located_by), None)

    @property
    def items_routed(self) -> int:
        """Items on some courier's route."""
        return sum(p.stop.demand for c in self.couriers for p in c.stops)


# ---------------------------------------------------------------------------------------------
# Clock and windows


def clock_s(value: str) -> int:
    """'08:30' → seconds since midnight."""
    hours, _, minutes = value.strip().partition(":")
    seconds = int(hours) * 3600 + int(minutes or 0) * 60
    if not 0 <= seconds <= DAY_S:
        raise ValueError(f"not a time of day: {value!r}")
    return seconds


def hours_s(value: str) -> tuple[int, int]:
    """'08:00-16:00' → (28800, 57600); the end must come after the start."""
    start, _, end = value.partition("-")
    span = clock_s(start), clock_s(end)
    if span[1] <= span[0]:
        raise ValueError(f"hours end before they start: {value!r}")
    return span


def speeds_kmh(value: str) -> dict[str, float]:
    """'foot=5,motorcycle=25,car=20' → a speed per vehicle kind."""
    pairs = (part.split("=") for part in value.split(",") if part.strip())
    speeds = {name.strip(): float(speed) for name, speed in pairs}
    if missing := set(VEHICLES) - speeds.keys():
        raise ValueError(f"no speed for {', '.join(sorted(missing))}")
    return speeds


def branch_hours(opening_hours: Iterable[Mapping], day: dt.date) -> tuple[int, int] | None:
    """The branch's hours on `day` from its opening-hours entries (day names, any case/length)."""
    weekday = day.strftime("%A").lower()
    for entry in opening_hours:
        if any(weekday.startswith(str(name).lower()[:3]) for name in entry.get("days", ())):
            return hours_s(f"{entry['open']}-{entry['close']}")
    return None


def moment(day: dt.date, seconds: int) -> dt.datetime:
    """Seconds since local midnight of `day` (Asia/Baghdad) as an aware UTC time."""
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=BAGHDAD)
    return (midnight + dt.timedelta(seconds=seconds)).astimezone(dt.UTC)


def seconds_into(day: dt.date, at: dt.datetime) -> int:
    """Seconds from local midnight of `day` to `at` (negative before, past 86400 after)."""
    midnight = dt.datetime.combine(day, dt.time(), tzinfo=BAGHDAD)
    return math.floor((at - midnight).total_seconds())


def local_day(at: dt.datetime) -> dt.date:
    """The Asia/Baghdad date of an aware time."""
    return at.astimezone(BAGHDAD).date()


def window_text(arrival: dt.datetime) -> str:
    """The window told to a citizen: from the hour of the arrival to a whole hour at least 30
    minutes after it (10:20 → '10:00-11:00', 10:45 → '10:00-12:00'), Asia/Baghdad."""
    local = arrival.astimezone(BAGHDAD)
    start = local.replace(minute=0, second=0, microsecond=0)
    late = local + dt.timedelta(minutes=30)
    end = late.replace(minute=0, second=0, microsecond=0)
    if end < late:
        end += dt.timedelta(hours=1)
    return f"{start:%H:%M}-{end:%H:%M}"


# ---------------------------------------------------------------------------------------------
# Planning a day


def plan_day(
    depot: tuple[float, float],
    items: Sequence[PlanItem],
    shifts: Sequence[Shift],
    *,
    windows: Windows,
    service_s: int,
    times: TravelTimes,
    max_runtime_s: float,
    not_before_s: int = 0,
    seed: int = 1,
) -> DayPlan:
    """Plan the day: carried items on their courier first, then the rest for everyone on shift.

    `max_runtime_s` is the budget of the whole day: the carried rounds share a quarter of it and
    the rest of the day gets whatever they left.
    """
    deadline = time.monotonic() + max_runtime_s
    left_out = {item.item_id: NO_LOCATION for item in items if item.lat is None or item.lon is None}
    located = [item for item in items if item.item_id not in left_out]
    shifts = [_from(shift, not_before_s) for shift in shifts]
    by_courier = {shift.courier_id: shift for shift in shifts if shift.end_s > shift.start_s}
    first_rounds, phases = {}, []
    carried_by = _carried(located)
    for courier_id, carried in carried_by.items():
        if courier_id not in by_courier:
            left_out.update(dict.fromkeys((i.item_id for i in carried), COURIER_UNAVAILABLE))
            continue
        share = max(MIN_PHASE_S, max_runtime_s / 4 / len(carried_by))
        phase = _solve(depot, carried, [by_courier[courier_id]], windows, service_s, times,
                       share, seed, fixed=True)
        first_rounds[courier_id] = phase
        phases.append(phase)
        left_out.update(_reasons(phase, not_before_s, SHIFT_END))
    free = [item for item in located if item.courier_id is None]
    second = [_after_first_round(s, first_rounds.get(s.courier_id)) for s in by_courier.values()]
    second = [shift for shift in second if shift.end_s > shift.start_s]
    if free:
        phase = _solve(depot, free, second, windows, service_s, times,
                       max(MIN_PHASE_S, deadline - time.monotonic()), seed, fixed=False)
        phases.append(phase)
        left_out.update(_reasons(phase, not_before_s, DID_NOT_FIT if second else NO_COURIER))
    return DayPlan(couriers=_courier_days(shifts, phases), left_out=left_out,
                   phases=tuple(phases),
                   located_by={i.item_id: i.located_by for i in located if i.located_by})


def _from(shift: Shift, not_before_s: int) -> Shift:
    return msgspec.structs.replace(shift, start_s=max(shift.start_s, not_before_s))


def _carried(items: Iterable[PlanItem]) -> dict[int, list[PlanItem]]:
    carried: dict[int, list[PlanItem]] = {}
    for item in items:
        if item.courier_id is not None:
            carried.setdefault(item.courier_id, []).append(item)
    return carried


def _solve(depot: tuple[float, float], items: Sequence[PlanItem], shifts: Sequence[Shift],
           windows: Windows, service_s: int, times: TravelTimes, max_runtime_s: float,
           seed: int, *, fixed: bool) -> Phase:
    stops = merge_households(_delivery_item(item, windows, service_s) for item in items)
    couriers = tuple(_courier(shift, fixed=fixed, carried=sum(s.demand for s in stops))
                     for shift in shifts)
    request = PlanRequest(depot_lat=depot[0], depot_lon=depot[1], stops=tuple(stops),
                          couriers=couriers)
    plan = plan_routes(request, times=times, max_runtime_s=max_runtime_s, seed=seed)
    return Phase(request=request, plan=plan, fixed=fixed)


def _delivery_item(item: PlanItem, windows: Windows, service_s: int) -> DeliveryItem:
    start, end = windows.of(item.window)
    return DeliveryItem(item_id=str(item.item_id), phone=item.phone or f"item:{item.item_id}",
                        lat=float(item.lat or 0.0), lon=float(item.lon or 0.0),
                        window_start_s=start, window_end_s=end, service_s=service_s,
                        value=item_value(item))


def item_value(item: PlanItem) -> float:
    """What serving the item is worth to the solver, in items (see WAITED_DAY_VALUE)."""
    return 1.0 + WAITED_DAY_VALUE * item.waited_days + CHOSEN_DAY_VALUE * item.chosen_day


def _courier(shift: Shift, *, fixed: bool, carried: int) -> Courier:
    # A courier already carries the first round's items, whatever the bag's nominal size.
    capacity = max(shift.capacity_items, carried) if fixed else shift.capacity_items
    return Courier(courier_id=str(shift.courier_id), vehicle=shift.vehicle,  # type: ignore[arg-type]
                   capacity_items=capacity, shift_start_s=shift.start_s, shift_end_s=shift.end_s)


def _after_first_round(shift: Shift, first: Phase | None) -> Shift:
    route = _route_of(first, shift.courier_id) if first else None
    if route is None or not route.visits or route.end_s is None:
        return shift
    return msgspec.structs.replace(shift, start_s=max(shift.start_s, route.end_s))


def _route_of(phase: Phase, courier_id: int) -> CourierRoute | None:
    return next((r for r in phase.plan.routes if r.courier_id == str(courier_id)), None)


def _reasons(phase: Phase, not_before_s: int, otherwise: str) -> dict[int, str]:
    # The plan found which constraint kept each stop out; a window already over says so first.
    stops = {stop.stop_id: stop for stop in phase.request.stops}
    reasons = {}
    for stop_id in phase.plan.left_out:
        stop = stops[stop_id]
        reason = (WINDOW_PASSED if stop.window_end_s < not_before_s
                  else phase.plan.reasons.get(stop_id, otherwise))
        reasons.update(dict.fromkeys((int(i) for i in stop.item_ids), reason))
    return reasons


def _courier_days(shifts: Sequence[Shift], phases: Sequence[Phase]) -> tuple[CourierDay, ...]:
    return tuple(_courier_day(shift, phases) for shift in shifts)


def _courier_day(shift: Shift, phases: Sequence[Phase]) -> CourierDay:
    stops: list[PlannedStop] = []
    distance = duration = 0
    for phase in phases:
        route = _route_of(phase, shift.courier_id)
        if route is None:
            continue
        by_id = {stop.stop_id: stop for stop in phase.request.stops}
        stops += [PlannedStop(stop=by_id[v.stop_id], visit=v, fixed=phase.fixed)
                  for v in route.visits]
        distance += route.distance_m
        duration += route.duration_s
    return CourierDay(shift=shift, stops=tuple(stops), distance_m=distance, duration_s=duration)


# ---------------------------------------------------------------------------------------------
# Versions


def inputs_digest(depot: tuple[float, float], items: Sequence[PlanItem], shifts: Sequence[Shift],
                  extra: Mapping[str, object]) -> bytes:
    """A digest of everything a plan depends on: equal digests need no new version."""
    document = {
        "depot": depot,
        "items": sorted((msgspec.to_builtins(item) for item in items), key=lambda i: i["item_id"]),
        "shifts": sorted((msgspec.to_builtins(s) for s in shifts), key=lambda s: s["courier_id"]),
        "extra": dict(extra),
    }
    return hashlib.blake2b(msgspec.json.encode(document, order="sorted"), digest_size=16).digest()


def changed_couriers(before: Mapping[int, Sequence[tuple[int, ...]]],
                     after: Mapping[int, Sequence[tuple[int, ...]]]) -> list[int]:
    """Couriers whose ordered stops (item ids per stop) differ between two versions."""
    couriers = set(before) | set(after)
    return sorted(c for c in couriers if list(before.get(c, ())) != list(after.get(c, ())))
