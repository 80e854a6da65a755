"""Why a stop was left out: each one checked against the plan, constraint by constraint. Pure.

A stop is first tried on an empty day of each courier (can it be reached inside its window at
all from the branch? served and back before the shift ends?), then in every gap of each courier's
planned route whose bag still has room. The reason names the constraint that blocks the best
chance it had: its window, the shift's end, or the bag.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from routing.plans import Courier, CourierRoute, Plan, PlanRequest, Stop

WINDOW = "outside_window"
SHIFT_END = "shift_end"
BAG_FULL = "bag_full"
# Bags had room and some gap fits it: only the search's time ran out.
NOT_FOUND = "did_not_fit"

Matrices = Mapping[str, tuple[np.ndarray, np.ndarray]]


def left_out_reasons(request: PlanRequest, plan: Plan, matrices: Matrices) -> dict[str, str]:
    """The reason for each left-out stop id."""
    index = {stop.stop_id: i + 1 for i, stop in enumerate(request.stops)}
    stops = {stop.stop_id: stop for stop in request.stops}
    routes = {route.courier_id: route for route in plan.routes}
    return {stop_id: _reason(stops[stop_id], index, stops, request.couriers, routes, matrices)
            for stop_id in plan.left_out}


def _reason(stop: Stop, index: Mapping[str, int], stops: Mapping[str, Stop],
            couriers: tuple[Courier, ...], routes: Mapping[str, CourierRoute],
            matrices: Matrices) -> str:
    alone = [_alone(stop, index[stop.stop_id], c, matrices[c.vehicle][1]) for c in couriers]
    if all(r == WINDOW for r in alone):
        return WINDOW
    could = [c for c, r in zip(couriers, alone, strict=True) if r is None]
    if not could:
        return SHIFT_END
    roomy = [c for c in could if _load(routes.get(c.courier_id), stops) + stop.demand
             <= c.capacity_items]
    if not roomy:
        return BAG_FULL
    blocks = {_insertion(stop, index, stops, c, routes.get(c.courier_id), matrices[c.vehicle][1])
              for c in roomy}
    if None in blocks:
        return NOT_FOUND
    return SHIFT_END if SHIFT_END in blocks else WINDOW


def _alone(stop: Stop, at: int, courier: Courier, duration: np.ndarray) -> str | None:
    arrival = max(stop.window_start_s, courier.shift_start_s + int(duration[0, at]))
    if arrival > stop.window_end_s:
        return WINDOW
    if arrival + stop.service_s + int(duration[at, 0]) > courier.shift_end_s:
        return SHIFT_END
    return None


def _load(route: CourierRoute | None, stops: Mapping[str, Stop]) -> int:
    return sum(stops[v.stop_id].demand for v in route.visits) if route else 0


def _insertion(stop: Stop, index: Mapping[str, int], stops: Mapping[str, Stop], courier: Courier,
               route: CourierRoute | None, duration: np.ndarray) -> str | None:
    """None when some gap of the route takes the stop; else the constraint that blocks the gap
    coming closest (the shift's end before windows: a full day is the likelier cause)."""
    planned = [stops[v.stop_id] for v in route.visits] if route else []
    blocks = set()
    for gap in range(len(planned) + 1):
        block = _schedule([*planned[:gap], stop, *planned[gap:]], index, courier, duration)
        if block is None:
            return None
        blocks.add(block)
    return SHIFT_END if SHIFT_END in blocks else WINDOW


def _schedule(sequence: list[Stop], index: Mapping[str, int], courier: Courier,
              duration: np.ndarray) -> str | None:
    # Earliest-start schedule, waiting for windows to open: the first broken rule, if any.
    clock, here = courier.shift_start_s, 0
    for stop in sequence:
        there = index[stop.stop_id]
        arrival = max(stop.window_start_s, clock + int(duration[here, there]))
        if arrival > stop.window_end_s:
            return WINDOW
        clock, here = arrival + stop.service_s, there
    return SHIFT_END if clock + int(duration[here, 0]) > courier.shift_end_s else None
