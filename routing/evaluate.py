"""Independent check of a plan against its request: what a courier could really do."""

from __future__ import annotations

from collections import Counter

import msgspec
import numpy as np

from routing.matrix import TravelTimes
from routing.plans import Courier, CourierRoute, Plan, PlanRequest, Stop, Visit


class Evaluation(msgspec.Struct, frozen=True, kw_only=True):
    """The violations found (none means feasible) and totals recomputed from the matrices."""

    violations: tuple[str, ...]
    total_distance_m: int
    total_duration_s: int
    routed_stops: int
    left_out_stops: int

    @property
    def feasible(self) -> bool:
        """True when no rule is broken."""
        return not self.violations


class _Context(msgspec.Struct, frozen=True, kw_only=True):
    stops: dict[str, Stop]
    index: dict[str, int]
    couriers: dict[str, Courier]
    matrices: dict[str, tuple[np.ndarray, np.ndarray]]


def evaluate_plan(request: PlanRequest, plan: Plan, times: TravelTimes) -> Evaluation:
    """Check coverage, couriers, capacity, windows, service and shifts; recompute totals."""
    context = _context(request, times)
    violations = _coverage_violations(request, plan) + _courier_violations(context, plan)
    distance = duration = 0
    for route in plan.routes:
        if not _checkable(context, route):
            continue
        violations += _route_violations(context, route)
        distance += _route_distance(context, route)
        duration += _route_duration(context, route)
    return Evaluation(
        violations=tuple(violations),
        total_distance_m=distance,
        total_duration_s=duration,
        routed_stops=sum(len(route.visits) for route in plan.routes),
        left_out_stops=len(plan.left_out),
    )


def _context(request: PlanRequest, times: TravelTimes) -> _Context:
    vehicles = dict.fromkeys(courier.vehicle for courier in request.couriers)
    return _Context(
        stops={stop.stop_id: stop for stop in request.stops},
        index={stop.stop_id: i + 1 for i, stop in enumerate(request.stops)},
        couriers={courier.courier_id: courier for courier in request.couriers},
        matrices={vehicle: times.matrices(request.points, vehicle) for vehicle in vehicles},
    )


def _coverage_violations(request: PlanRequest, plan: Plan) -> list[str]:
    seen = Counter(visit.stop_id for route in plan.routes for visit in route.visits)
    seen.update(plan.left_out)
    known = {stop.stop_id for stop in request.stops}
    problems = [f"stop {sid} is neither routed nor left out" for sid in known - seen.keys()]
    problems += [f"stop {sid} appears {n} times" for sid, n in seen.items() if n > 1]
    problems += [f"stop {sid} is not in the request" for sid in seen.keys() - known]
    return sorted(problems)


def _courier_violations(context: _Context, plan: Plan) -> list[str]:
    counts = Counter(route.courier_id for route in plan.routes)
    problems = [f"courier {cid} has {n} routes" for cid, n in counts.items() if n > 1]
    problems += [
        f"courier {cid} is not in the request" for cid in counts if cid not in context.couriers
    ]
    return problems


def _checkable(context: _Context, route: CourierRoute) -> bool:
    # Unknown couriers and stops are reported by the coverage checks; nothing to time them against.
    known_stops = all(visit.stop_id in context.stops for visit in route.visits)
    return bool(route.visits) and known_stops and route.courier_id in context.couriers


def _route_violations(context: _Context, route: CourierRoute) -> list[str]:
    return (
        _capacity_violations(context, route)
        + _schedule_violations(context, route)
        + _distance_violations(context, route)
    )


def _capacity_violations(context: _Context, route: CourierRoute) -> list[str]:
    courier = context.couriers[route.courier_id]
    load = sum(context.stops[visit.stop_id].demand for visit in route.visits)
    if load <= courier.capacity_items:
        return []
    return [f"courier {courier.courier_id} carries {load} items, capacity {courier.capacity_items}"]


def _schedule_violations(context: _Context, route: CourierRoute) -> list[str]:
    courier = context.couriers[route.courier_id]
    _, duration = context.matrices[courier.vehicle]
    problems, ready, here = [], courier.shift_start_s, 0
    for visit in route.visits:
        stop, there = context.stops[visit.stop_id], context.index[visit.stop_id]
        problems += _visit_violations(stop, visit, ready + int(duration[here, there]))
        ready, here = visit.departure_s, there
    back = ready + int(duration[here, 0])
    if back > courier.shift_end_s:
        problems.append(
            f"courier {courier.courier_id} returns at {back}, "
            f"after the shift ends at {courier.shift_end_s}"
        )
    return problems


def _visit_violations(stop: Stop, visit: Visit, earliest_arrival: int) -> list[str]:
    problems = []
    if visit.arrival_s < earliest_arrival:
        problems.append(
            f"stop {stop.stop_id} planned at {visit.arrival_s}, "
            f"cannot be reached before {earliest_arrival}"
        )
    if not stop.window_start_s <= visit.arrival_s <= stop.window_end_s:
        problems.append(
            f"stop {stop.stop_id} served at {visit.arrival_s}, outside its window "
            f"{stop.window_start_s}-{stop.window_end_s}"
        )
    if visit.departure_s - visit.arrival_s < stop.service_s:
        problems.append(
            f"stop {stop.stop_id} gets {visit.departure_s - visit.arrival_s} s "
            f"of service, needs {stop.service_s}"
        )
    return problems


def _distance_violations(context: _Context, route: CourierRoute) -> list[str]:
    recomputed = _route_distance(context, route)
    if recomputed == route.distance_m:
        return []
    return [
        f"courier {route.courier_id} route reports {route.distance_m} m, "
        f"the matrix gives {recomputed} m"
    ]


def _route_path(context: _Context, route: CourierRoute) -> list[int]:
    return [0] + [context.index[visit.stop_id] for visit in route.visits] + [0]


def _route_distance(context: _Context, route: CourierRoute) -> int:
    distance, _ = context.matrices[context.couriers[route.courier_id].vehicle]
    path = _route_path(context, route)
    return int(distance[path[:-1], path[1:]].sum())


def _route_duration(context: _Context, route: CourierRoute) -> int:
    # From the latest departure that still makes the first planned visit, to the return.
    _, duration = context.matrices[context.couriers[route.courier_id].vehicle]
    path = _route_path(context, route)
    leave = route.visits[0].arrival_s - int(duration[0, path[1]])
    back = route.visits[-1].departure_s + int(duration[path[-2], 0])
    return back - leave
