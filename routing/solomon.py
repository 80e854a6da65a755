"""Solomon VRPTW instances and solutions, planned through the same entry point as a branch day.

Convention (DIMACS): distance and travel time are the Euclidean distance truncated to one decimal;
the objective is total distance; the fleet is the file's vehicle count. Everything is scaled by
10 so that the solver works in integers: a distance of 12.3 becomes 123.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from pathlib import Path

import msgspec
import numpy as np

from routing.matrix import Point
from routing.plans import Courier, CourierRoute, Plan, PlanRequest, Stop, Visit, plan_routes

SCALE = 10


class SolomonCustomer(msgspec.Struct, frozen=True, kw_only=True):
    """One row of a Solomon file; number 0 is the depot."""

    number: int
    x: float
    y: float
    demand: int
    ready: int
    due: int
    service: int


class SolomonInstance(msgspec.Struct, frozen=True, kw_only=True):
    """A Solomon instance as written in its file."""

    name: str
    vehicles: int
    capacity: int
    depot: SolomonCustomer
    customers: tuple[SolomonCustomer, ...]


class PlanarTimes:
    """Euclidean distance on (y, x) points, scaled and truncated; travel time equals distance."""

    def __init__(self, scale: int = SCALE) -> None:
        self.scale = scale

    def matrices(self, points: Sequence[Point], vehicle: str) -> tuple[np.ndarray, np.ndarray]:
        """Return identical (distance, duration) int64 matrices."""
        coords = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        delta = coords[:, None, :] - coords[None, :, :]
        distance = (np.sqrt((delta**2).sum(axis=2)) * self.scale).astype(np.int64)
        return distance, distance.copy()


def read_instance(path: Path) -> SolomonInstance:
    """Parse a Solomon `.txt` instance."""
    lines = path.read_text().splitlines()
    vehicles, capacity = _numbers_after(lines, "NUMBER")
    rows = [_customer(line) for line in _rows_after(lines, "CUST NO.")]
    return SolomonInstance(
        name=lines[0].strip(),
        vehicles=int(vehicles),
        capacity=int(capacity),
        depot=rows[0],
        customers=tuple(rows[1:]),
    )


def read_solution(path: Path) -> list[list[int]]:
    """Parse a `.sol` file: customer numbers per route, in order."""
    routes = []
    for line in path.read_text().splitlines():
        if match := re.match(r"\s*Route\s*#\d+\s*:(.*)", line):
            routes.append([int(token) for token in match.group(1).split()])
    return routes


def _numbers_after(lines: list[str], header: str) -> list[float]:
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(header))
    return [float(token) for token in lines[start + 1].split()]


def _rows_after(lines: list[str], header: str) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(header))
    return [line for line in lines[start + 1 :] if line.strip()]


def _customer(line: str) -> SolomonCustomer:
    number, x, y, demand, ready, due, service = (float(token) for token in line.split())
    return SolomonCustomer(
        number=int(number),
        x=x,
        y=y,
        demand=int(demand),
        ready=int(ready),
        due=int(due),
        service=int(service),
    )


def solomon_request(instance: SolomonInstance) -> PlanRequest:
    """The instance as a branch day: every customer a required stop, every vehicle a courier."""
    return PlanRequest(
        depot_lat=instance.depot.y,
        depot_lon=instance.depot.x,
        stops=tuple(_stop(customer) for customer in instance.customers),
        couriers=tuple(_courier(instance, k) for k in range(instance.vehicles)),
        skip_penalty=None,
    )


def _stop(customer: SolomonCustomer) -> Stop:
    return Stop(
        stop_id=str(customer.number),
        item_ids=tuple(f"{customer.number}.{unit}" for unit in range(customer.demand)),
        lat=customer.y,
        lon=customer.x,
        window_start_s=customer.ready * SCALE,
        window_end_s=customer.due * SCALE,
        service_s=customer.service * SCALE,
    )


def _courier(instance: SolomonInstance, index: int) -> Courier:
    return Courier(
        courier_id=f"vehicle-{index + 1}",
        vehicle="car",
        capacity_items=instance.capacity,
        shift_start_s=instance.depot.ready * SCALE,
        shift_end_s=instance.depot.due * SCALE,
    )


def plan_solomon(instance: SolomonInstance, max_runtime_s: float, seed: int = 1) -> Plan:
    """Plan a Solomon instance with `plan_routes`; distances in the plan are scaled by 10."""
    return plan_routes(
        solomon_request(instance), times=PlanarTimes(), max_runtime_s=max_runtime_s, seed=seed
    )


def plan_from_routes(instance: SolomonInstance, routes: list[list[int]]) -> Plan:
    """A published solution as a `Plan`, for checking with `evaluate_plan`.

    Each visit is placed at the earliest time the route allows; distances come from the same
    scaled Euclidean matrix the planner uses.
    """
    request = solomon_request(instance)
    distance, _ = PlanarTimes().matrices(request.points, "car")
    stops = {int(stop.stop_id): stop for stop in request.stops}
    courier_routes = [
        _earliest_route(f"vehicle-{i + 1}", [stops[n] for n in route], distance)
        for i, route in enumerate(routes)
    ]
    return Plan(
        routes=tuple(courier_routes),
        left_out=(),
        total_distance_m=sum(r.distance_m for r in courier_routes),
        total_duration_s=sum(r.duration_s for r in courier_routes),
    )


def _earliest_route(courier_id: str, route: list[Stop], distance: np.ndarray) -> CourierRoute:
    # Matrix index of customer n is n: the depot is 0 and customers are numbered 1..N in order.
    index = [0] + [int(stop.stop_id) for stop in route] + [0]
    time, visits = 0, []
    for prev, stop in zip(index, route, strict=False):
        time = max(time + int(distance[prev, int(stop.stop_id)]), stop.window_start_s)
        visits.append(
            Visit(
                stop_id=stop.stop_id,
                item_ids=stop.item_ids,
                arrival_s=time,
                departure_s=time + stop.service_s,
            )
        )
        time += stop.service_s
    total = int(sum(distance[a, b] for a, b in itertools.pairwise(index)))
    end = time + int(distance[index[-2], 0])
    return CourierRoute(
        courier_id=courier_id,
        visits=tuple(visits),
        distance_m=total,
        duration_s=end,
        start_s=0,
        end_s=end,
    )
