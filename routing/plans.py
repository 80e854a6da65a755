"""Daily courier route plans: one vehicle routing problem per branch and day, solved with PyVRP.

Times are seconds since local midnight, distances metres, loads counted in items.

Couriers with the same vehicle, capacity and shift form one PyVRP vehicle type; each vehicle kind
(foot, motorcycle, car) is its own PyVRP routing profile with its own distance and duration
matrices, so a walking courier and a motorcycle courier are timed at their own speeds in one
problem. Stops are optional with a prize per item (`skip_penalty`), so what cannot fit is left out
and reported rather than making the whole plan infeasible.
"""

from __future__ import annotations

import itertools
import math
import sys
import time
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence

import msgspec
import numpy as np
import phonenumbers
import pyvrp
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.IteratedLocalSearch import IteratedLocalSearchParams
from pyvrp.PenaltyManager import PenaltyParams
from pyvrp.stop import MaxRuntime

from routing.matrix import Point, TravelTimes, Vehicle, haversine_m

# Leaving one item undelivered costs as much as this many metres of extra travel: more than any
# detour inside one branch's area, so a stop is left out only when it cannot fit at all.
DEFAULT_SKIP_PENALTY_M = 200_000
HOUSEHOLD_RADIUS_M = 10.0
# Late-acceptance memory (iterations) by the time a search is given: (under seconds, length).
SEARCH_MEMORY = ((3.0, 30), (8.0, IteratedLocalSearchParams().history_length), (math.inf, 1000))
# The required-stops attempt may use the whole budget, but gives up at this share if no plan
# serving everything was found, leaving the rest to the optional-stops fallback.
REQUIRED_ATTEMPT_SHARE = 0.5
MIN_SEARCH_S = 0.05
INFEASIBLE = sys.maxsize // 2  # PyVRP reports an infeasible best as its largest cost


class DeliveryItem(msgspec.Struct, frozen=True, kw_only=True):
    """One document to hand over at a citizen's point, before household merging."""

    item_id: str
    phone: str
    lat: float
    lon: float
    window_start_s: int
    window_end_s: int
    service_s: int
    address_key: str | None = None
    value: float = 1.0  # worth to the solver, in items: more for an item that waited


class Stop(msgspec.Struct, frozen=True, kw_only=True):
    """One place a courier calls at; its load is the number of items handed over there."""

    stop_id: str
    item_ids: tuple[str, ...]
    lat: float
    lon: float
    window_start_s: int
    window_end_s: int
    service_s: int
    value: float | None = None  # its items' worth to the solver; None: one per item

    @property
    def demand(self) -> int:
        """Items handed over at this stop."""
        return len(self.item_ids)


class Courier(msgspec.Struct, frozen=True, kw_only=True):
    """A courier available for the day, starting and ending at the branch."""

    courier_id: str
    vehicle: Vehicle
    capacity_items: int
    shift_start_s: int
    shift_end_s: int


class PlanRequest(msgspec.Struct, frozen=True, kw_only=True):
    """Everything one branch's daily plan depends on.

    `skip_penalty` is the cost, in metres of travel, of leaving one item out; `None` makes every
    stop required (planning then fails with `NoFeasiblePlan` if they cannot all be served).
    """

    depot_lat: float
    depot_lon: float
    stops: tuple[Stop, ...]
    couriers: tuple[Courier, ...]
    skip_penalty: int | None = DEFAULT_SKIP_PENALTY_M

    @property
    def points(self) -> list[Point]:
        """The depot followed by every stop, in request order: the matrix index order."""
        return [(self.depot_lat, self.depot_lon)] + [(s.lat, s.lon) for s in self.stops]


class Visit(msgspec.Struct, frozen=True, kw_only=True):
    """A planned call at a stop: arrival is when the hand-over starts."""

    stop_id: str
    item_ids: tuple[str, ...]
    arrival_s: int
    departure_s: int


class CourierRoute(msgspec.Struct, frozen=True, kw_only=True):
    """One courier's day: visits in order, from the branch and back."""

    courier_id: str
    visits: tuple[Visit, ...]
    distance_m: int
    duration_s: int
    start_s: int | None = None
    end_s: int | None = None


class Plan(msgspec.Struct, frozen=True, kw_only=True):
    """A branch's plan: one route per courier and the stops that did not fit.

    `reasons` names, per left-out stop id, the constraint that kept it out (`routing.left_out`).
    """

    routes: tuple[CourierRoute, ...]
    left_out: tuple[str, ...]
    total_distance_m: int
    total_duration_s: int
    reasons: dict[str, str] = {}


class NoFeasiblePlan(Exception):
    """Every stop was required, and no plan serving them all was found in the time given."""

    def __init__(self, stop_count: int, courier_count: int) -> None:
        super().__init__(f"no feasible plan for {stop_count} stops and {courier_count} couriers")
        self.stop_count = stop_count
        self.courier_count = courier_count


class Fleet(msgspec.Struct, frozen=True, kw_only=True):
    """Couriers that are interchangeable for the solver: one PyVRP vehicle type."""

    vehicle: str
    capacity_items: int
    shift_start_s: int
    shift_end_s: int
    courier_ids: tuple[str, ...]


# ---------------------------------------------------------------------------------------------
# Households


def merge_households(items: Iterable[DeliveryItem], *, extra_item_service_s: int = 30) -> list[Stop]:
    """Join items of one household into one stop where their windows truly overlap.

    Items are one household when they share an address key, or share a normalised phone number
    and lie within 10 m of each other. Within a household, items share a stop only when their
    windows overlap by at least that stop's service time; windows that merely touch
    (08:00-12:00 and 12:00-16:00) give separate stops at the same place, each in its own window.
    """
    items = list(items)
    households = _household_groups(items)
    stops = [
        _merge(group, extra_item_service_s)
        for household in households
        for group in _split_by_window(household, extra_item_service_s)
    ]
    return sorted(stops, key=lambda stop: stop.stop_id)


def normalise_phone(phone: str) -> str:
    """E.164 form of an Iraqi (or international) phone number; digits only when unparseable."""
    try:
        number = phonenumbers.parse(phone, "IQ")
    except phonenumbers.NumberParseException:
        return "".join(ch for ch in phone if ch.isdigit())
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _household_groups(items: list[DeliveryItem]) -> list[list[DeliveryItem]]:
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in _same_household_pairs(items):
        parent[root(i)] = root(j)
    groups: dict[int, list[DeliveryItem]] = defaultdict(list)
    for index, item in enumerate(items):
        groups[root(index)].append(item)
    return list(groups.values())


def _same_household_pairs(items: list[DeliveryItem]) -> Iterable[tuple[int, int]]:
    by_address: dict[str, list[int]] = defaultdict(list)
    by_phone: dict[str, list[int]] = defaultdict(list)
    for index, item in enumerate(items):
        if item.address_key:
            by_address[item.address_key].append(index)
        by_phone[normalise_phone(item.phone)].append(index)
    for indices in by_address.values():
        yield from itertools.pairwise(indices)
    for indices in by_phone.values():
        yield from _close_pairs(items, indices)


def _close_pairs(items: list[DeliveryItem], indices: list[int]) -> Iterable[tuple[int, int]]:
    if len(indices) < 2:
        return
    metres = haversine_m([(items[i].lat, items[i].lon) for i in indices])
    for a, b in zip(*np.nonzero(np.triu(metres <= HOUSEHOLD_RADIUS_M, k=1)), strict=True):
        yield indices[a], indices[b]


def _split_by_window(items: list[DeliveryItem], extra_item_service_s: int) -> list[list[DeliveryItem]]:
    # Earliest deadline first: an item joins the open group while the windows' common part still
    # leaves room for the whole (longer, merged) hand-over; a shared instant alone is not enough.
    groups: list[list[DeliveryItem]] = []
    for item in sorted(items, key=lambda it: (it.window_end_s, it.item_id)):
        if groups and _room_for_hand_over([*groups[-1], item], extra_item_service_s):
            groups[-1].append(item)
        else:
            groups.append([item])
    return groups


def _room_for_hand_over(items: list[DeliveryItem], extra_item_service_s: int) -> bool:
    common = min(it.window_end_s for it in items) - max(it.window_start_s for it in items)
    return common >= _merged_service_s(items, extra_item_service_s)


def _merged_service_s(items: list[DeliveryItem], extra_item_service_s: int) -> int:
    return max(item.service_s for item in items) + extra_item_service_s * (len(items) - 1)


def _merge(items: list[DeliveryItem], extra_item_service_s: int) -> Stop:
    item_ids = tuple(sorted(item.item_id for item in items))
    return Stop(
        stop_id=item_ids[0],
        item_ids=item_ids,
        lat=sum(item.lat for item in items) / len(items),
        lon=sum(item.lon for item in items) / len(items),
        window_start_s=max(item.window_start_s for item in items),
        window_end_s=min(item.window_end_s for item in items),
        service_s=_merged_service_s(items, extra_item_service_s),
        value=sum(item.value for item in items),
    )


# ---------------------------------------------------------------------------------------------
# Planning


def plan_routes(request: PlanRequest, *, times: TravelTimes, max_runtime_s: float, seed: int = 1) -> Plan:
    """Plan every courier's route for the day; stops that cannot fit are listed in `left_out`.

    `max_runtime_s` is the wall-clock budget of the whole call, travel matrices and fallback
    included: the fallback gets only what the first attempt left.
    """
    deadline = time.monotonic() + max_runtime_s
    _require_unique_ids(request)
    if not request.stops or not request.couriers:
        return _nothing_to_route(request)
    fleets = group_couriers(request.couriers)
    matrices = travel_matrices(request.points, fleets, times)
    if request.skip_penalty is not None and _everything_may_fit(request):
        # With every stop required the search spends itself on distance alone; with prizes it also
        # weighs stops against kilometres and, on days where all fits, ends with longer routes
        # (Baghdad-150 at 5 s: +0.45 % required, +2.1 % optional). Optional stops are the fallback:
        # the required attempt gives up at half the budget if it has no feasible plan by then.
        everything = msgspec.structs.replace(request, skip_penalty=None)
        left = _left(deadline)
        best = solve_problem(build_problem(everything, fleets, matrices), max_runtime_s=left,
                             seed=seed, give_up_s=left * REQUIRED_ATTEMPT_SHARE)
        if best.is_feasible():
            return plan_from_solution(request, fleets, best)
    problem = build_problem(request, fleets, matrices)
    best = solve_problem(problem, max_runtime_s=_left(deadline), seed=seed)
    if not best.is_feasible() and request.skip_penalty is not None:
        best = drop_until_feasible(problem, best)
    if not best.is_feasible():
        raise NoFeasiblePlan(len(request.stops), len(request.couriers))
    return _with_reasons(request, plan_from_solution(request, fleets, best), matrices)


def _with_reasons(request: PlanRequest, plan: Plan,
                  matrices: Mapping[str, tuple[np.ndarray, np.ndarray]]) -> Plan:
    from routing.left_out import left_out_reasons  # it reads this module's types

    if not plan.left_out:
        return plan
    return msgspec.structs.replace(plan, reasons=left_out_reasons(request, plan, matrices))


def _left(deadline: float) -> float:
    # A search always gets a moment, even past the deadline, so that a plan comes out at all.
    return max(MIN_SEARCH_S, deadline - time.monotonic())


def _everything_may_fit(request: PlanRequest) -> bool:
    """Whether the couriers' bags can hold every item at all (windows may still say no)."""
    return sum(s.demand for s in request.stops) <= sum(c.capacity_items for c in request.couriers)


def _require_unique_ids(request: PlanRequest) -> None:
    for kind, ids in (
        ("stop", [s.stop_id for s in request.stops]),
        ("courier", [c.courier_id for c in request.couriers]),
    ):
        if duplicates := sorted(i for i, n in Counter(ids).items() if n > 1):
            raise ValueError(f"duplicate {kind} ids: {', '.join(duplicates)}")


def solve_problem(problem: pyvrp.ProblemData, *, max_runtime_s: float, seed: int,
                  give_up_s: float | None = None) -> pyvrp.Solution:
    """Run PyVRP's iterated local search on one thread and return the best solution found.

    With `give_up_s`, the search stops at that time if it has found no feasible solution yet.
    """
    stop = MaxRuntime(max_runtime_s) if give_up_s is None else _GiveUp(max_runtime_s, give_up_s)
    with warnings.catch_warnings():
        # Infeasibility is handled by the caller; PyVRP's warning about it would only be noise.
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        result = pyvrp.solve(
            problem,
            stop=stop,
            seed=seed,
            collect_stats=False,
            display=False,
            params=pyvrp.SolveParams(ils=_search_params(max_runtime_s), penalty=_penalty_params(problem)),
        )
    return result.best


class _GiveUp:
    """Stop at `max_runtime_s`, or at `give_up_s` while the best solution is still infeasible."""

    def __init__(self, max_runtime_s: float, give_up_s: float) -> None:
        self.max_runtime_s, self.give_up_s = max_runtime_s, give_up_s
        self.started: float | None = None

    def __call__(self, best_cost: float) -> bool:
        # PyVRP's `cost` of an infeasible solution is the largest number it has.
        self.started = self.started if self.started is not None else time.perf_counter()
        elapsed = time.perf_counter() - self.started
        return elapsed >= self.max_runtime_s or (elapsed >= self.give_up_s and best_cost >= INFEASIBLE)


def _search_params(max_runtime_s: float) -> IteratedLocalSearchParams:
    # The memory that converges fastest depends on the time there is. At 1 s a short one halves
    # the Solomon set's mean gap to the best known (about 1.3 % to 0.65 %); at 5 s PyVRP's 300
    # does as well. From 8 s a long one keeps escaping the local optima where 300 settles: on ten
    # generated branch days of 220-400 items, the mean gap to the better plan fell from 0.94 % to
    # 0.67 % at 10 s and from 0.45 % to 0.20 % at 15 s, but rose at 5 s (benchmarks/search_memory.py).
    history = next(length for under_s, length in SEARCH_MEMORY if max_runtime_s < under_s)
    return IteratedLocalSearchParams(history_length=history)


def _penalty_params(problem: pyvrp.ProblemData) -> PenaltyParams:
    # A violation must be able to cost more than the prize it earns, or the solver settles on
    # overloaded or late routes instead of leaving a stop out: raise the cap, not the start.
    largest_prize = max((client.prize for client in problem.clients()), default=0)
    return _DefaultStartPenaltyParams(max_penalty=max(PenaltyParams().max_penalty, 2.0 * largest_prize))


class _DefaultStartPenaltyParams(PenaltyParams):
    """PyVRP's penalty schedule with its default starting values, whatever the cap."""

    def midpoint_penalties(self, data: pyvrp.ProblemData) -> tuple[list[float], float, float]:
        return PenaltyParams().midpoint_penalties(data)


def drop_until_feasible(problem: pyvrp.ProblemData, solution: pyvrp.Solution) -> pyvrp.Solution:
    """Drop optional stops from infeasible routes, worst offender first, until all are feasible."""
    routes = [_feasible_route(problem, route) for route in solution.routes()]
    return pyvrp.Solution(problem, [route for route in routes if route.num_clients() > 0])


def _feasible_route(problem: pyvrp.ProblemData, route: pyvrp.Route) -> pyvrp.Route:
    visits = [activity.idx for activity in route.schedule() if activity.is_client()]
    vehicle_type = route.vehicle_type()
    while visits and not route.is_feasible():
        candidates = [visits[:i] + visits[i + 1 :] for i in range(len(visits))]
        visits = min(candidates, key=lambda vs: _violation(pyvrp.Route(problem, vs, vehicle_type)))
        route = pyvrp.Route(problem, visits, vehicle_type)
    return route


def _violation(route: pyvrp.Route) -> tuple[int, int]:
    return sum(route.excess_load()) + route.time_warp() + route.excess_distance(), route.distance()


def group_couriers(couriers: Sequence[Courier]) -> list[Fleet]:
    """Group couriers with the same vehicle, capacity and shift, keeping first-seen order."""
    groups: dict[tuple[str, int, int, int], list[str]] = defaultdict(list)
    for c in couriers:
        key = (c.vehicle, c.capacity_items, c.shift_start_s, c.shift_end_s)
        groups[key].append(c.courier_id)
    return [
        Fleet(vehicle=v, capacity_items=cap, shift_start_s=s, shift_end_s=e, courier_ids=tuple(ids))
        for (v, cap, s, e), ids in groups.items()
    ]


def travel_matrices(
    points: Sequence[Point], fleets: Sequence[Fleet], times: TravelTimes
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """One (distance, duration) pair per vehicle kind in use: each kind is a PyVRP profile."""
    vehicles = dict.fromkeys(fleet.vehicle for fleet in fleets)
    return {vehicle: times.matrices(points, vehicle) for vehicle in vehicles}


def build_problem(
    request: PlanRequest,
    fleets: Sequence[Fleet],
    matrices: Mapping[str, tuple[np.ndarray, np.ndarray]],
) -> pyvrp.ProblemData:
    """The PyVRP problem: location 0 is the depot, location i + 1 is stop i."""
    profiles = list(matrices)
    return pyvrp.ProblemData(
        locations=[pyvrp.Location(x=lon, y=lat) for lat, lon in request.points],
        clients=[_client(index + 1, stop, request.skip_penalty) for index, stop in enumerate(request.stops)],
        depots=[_depot(fleets)],
        vehicle_types=[_vehicle_type(fleet, profiles.index(fleet.vehicle)) for fleet in fleets],
        distance_matrices=[np.asarray(matrices[p][0], dtype=np.int64) for p in profiles],
        duration_matrices=[np.asarray(matrices[p][1], dtype=np.int64) for p in profiles],
    )


def _client(location: int, stop: Stop, skip_penalty: int | None) -> pyvrp.Client:
    return pyvrp.Client(
        location=location,
        delivery=[stop.demand],
        service_duration=stop.service_s,
        tw_early=stop.window_start_s,
        tw_late=stop.window_end_s,
        prize=0 if skip_penalty is None else round(skip_penalty * _worth(stop)),
        required=skip_penalty is None,
        name=stop.stop_id,
    )


def _worth(stop: Stop) -> float:
    return stop.demand if stop.value is None else stop.value


def _depot(fleets: Sequence[Fleet]) -> pyvrp.Depot:
    return pyvrp.Depot(
        location=0,
        tw_early=min((f.shift_start_s for f in fleets), default=0),
        tw_late=max((f.shift_end_s for f in fleets), default=0),
    )


def _vehicle_type(fleet: Fleet, profile: int) -> pyvrp.VehicleType:
    return pyvrp.VehicleType(
        num_available=len(fleet.courier_ids),
        capacity=[fleet.capacity_items],
        tw_early=fleet.shift_start_s,
        tw_late=fleet.shift_end_s,
        shift_duration=fleet.shift_end_s - fleet.shift_start_s,
        profile=profile,
        name=fleet.vehicle,
    )


def plan_from_solution(request: PlanRequest, fleets: Sequence[Fleet], solution: pyvrp.Solution) -> Plan:
    """Name the solver's routes after couriers; every unrouted stop goes to `left_out`."""
    free_couriers = [list(fleet.courier_ids) for fleet in fleets]
    routes = [
        _courier_route(request, free_couriers[route.vehicle_type()].pop(0), route)
        for route in solution.routes()
    ]
    routes += [_idle_route(cid) for ids in free_couriers for cid in ids]
    routed = {visit.stop_id for route in routes for visit in route.visits}
    order = {c.courier_id: i for i, c in enumerate(request.couriers)}
    return Plan(
        routes=tuple(sorted(routes, key=lambda r: order[r.courier_id])),
        left_out=tuple(s.stop_id for s in request.stops if s.stop_id not in routed),
        total_distance_m=sum(r.distance_m for r in routes),
        total_duration_s=sum(r.duration_s for r in routes),
    )


def _courier_route(request: PlanRequest, courier_id: str, route: pyvrp.Route) -> CourierRoute:
    visits = tuple(
        _visit(request.stops[activity.idx], activity) for activity in route.schedule() if activity.is_client()
    )
    return CourierRoute(
        courier_id=courier_id,
        visits=visits,
        distance_m=route.distance(),
        duration_s=route.duration(),
        start_s=route.start_time(),
        end_s=route.end_time(),
    )


def _visit(stop: Stop, activity: pyvrp.ScheduledActivity) -> Visit:
    return Visit(
        stop_id=stop.stop_id,
        item_ids=stop.item_ids,
        arrival_s=activity.start_time,
        departure_s=activity.end_time,
    )


def _nothing_to_route(request: PlanRequest) -> Plan:
    return Plan(
        routes=tuple(_idle_route(courier.courier_id) for courier in request.couriers),
        left_out=tuple(stop.stop_id for stop in request.stops),
        total_distance_m=0,
        total_duration_s=0,
    )


def _idle_route(courier_id: str) -> CourierRoute:
    return CourierRoute(courier_id=courier_id, visits=(), distance_m=0, duration_s=0)
