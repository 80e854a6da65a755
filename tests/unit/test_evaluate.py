import csv
from pathlib import Path

import numpy as np
import pytest
from msgspec.structs import replace

from routing.evaluate import evaluate_plan
from routing.plans import Courier, CourierRoute, Plan, PlanRequest, Stop, Visit
from routing.solomon import (
    PlanarTimes,
    plan_from_routes,
    read_instance,
    read_solution,
    solomon_request,
)

REFERENCE = Path(__file__).resolve().parents[1] / "data" / "routing"


class GridTimes:
    """Points on a line, 1 unit of latitude = 1000 m = 100 s, so every figure is checkable."""

    def matrices(self, points, vehicle):
        lat = np.array([p[0] for p in points])
        distance = (np.abs(lat[:, None] - lat[None, :]) * 1000).astype(np.int64)
        return distance, distance // 10


def stop(n: int, items: int = 1, start: int = 0, end: int = 10_000) -> Stop:
    return Stop(
        stop_id=f"s{n}",
        item_ids=tuple(f"s{n}-{k}" for k in range(items)),
        lat=float(n),
        lon=0.0,
        window_start_s=start,
        window_end_s=end,
        service_s=50,
    )


STOPS = (stop(1, items=2), stop(2, start=300, end=400), stop(3))
COURIER = Courier(
    courier_id="c", vehicle="car", capacity_items=4, shift_start_s=0, shift_end_s=2000
)
REQUEST = PlanRequest(depot_lat=0.0, depot_lon=0.0, stops=STOPS, couriers=(COURIER,))


def visit(s: Stop, arrival: int) -> Visit:
    return Visit(
        stop_id=s.stop_id, item_ids=s.item_ids, arrival_s=arrival, departure_s=arrival + 50
    )


def plan_of(visits, left_out=(), distance=6000, request_couriers=("c",)) -> Plan:
    route = CourierRoute(
        courier_id=request_couriers[0], visits=tuple(visits), distance_m=distance, duration_s=0
    )
    return Plan(
        routes=(route,), left_out=tuple(left_out), total_distance_m=distance, total_duration_s=0
    )


GOOD = [visit(STOPS[0], 100), visit(STOPS[1], 300), visit(STOPS[2], 450)]


def test_consistent_plan_has_no_violations_and_recomputed_totals():
    evaluation = evaluate_plan(REQUEST, plan_of(GOOD), GridTimes())
    assert evaluation.violations == ()
    assert evaluation.feasible
    assert evaluation.total_distance_m == 6000  # 0 -> 1 -> 2 -> 3 -> 0 in km
    assert evaluation.total_duration_s == (500 + 300) - (100 - 100)
    assert (evaluation.routed_stops, evaluation.left_out_stops) == (3, 0)


def test_missing_stop_is_caught():
    evaluation = evaluate_plan(REQUEST, plan_of(GOOD[:2], distance=4000), GridTimes())
    assert evaluation.violations == ("stop s3 is neither routed nor left out",)


def test_stop_both_routed_and_left_out_is_caught():
    evaluation = evaluate_plan(REQUEST, plan_of(GOOD, left_out=["s2"]), GridTimes())
    assert evaluation.violations == ("stop s2 appears 2 times",)


def test_capacity_exceeded_is_caught():
    small = replace(REQUEST, couriers=(replace(COURIER, capacity_items=3),))
    (violation,) = evaluate_plan(small, plan_of(GOOD), GridTimes()).violations
    assert "carries 4 items, capacity 3" in violation


def test_missed_window_is_caught():
    late = [GOOD[0], visit(STOPS[2], 200), visit(STOPS[1], 450)]
    violations = evaluate_plan(REQUEST, plan_of(late), GridTimes()).violations
    assert any("stop s2 served at 450, outside its window 300-400" in v for v in violations)


def test_arrival_faster_than_travel_allows_is_caught():
    rushed = [visit(STOPS[0], 50), *GOOD[1:]]  # 1 km needs 100 s from the branch
    (violation,) = evaluate_plan(REQUEST, plan_of(rushed), GridTimes()).violations
    assert "cannot be reached before 100" in violation


def test_short_service_is_caught():
    hurried = [
        Visit(stop_id="s1", item_ids=STOPS[0].item_ids, arrival_s=100, departure_s=120),
        *GOOD[1:],
    ]
    (violation,) = evaluate_plan(REQUEST, plan_of(hurried), GridTimes()).violations
    assert "gets 20 s of service, needs 50" in violation


def test_return_after_shift_end_is_caught():
    short_shift = replace(REQUEST, couriers=(replace(COURIER, shift_end_s=700),))
    (violation,) = evaluate_plan(short_shift, plan_of(GOOD), GridTimes()).violations
    assert "returns at 800" in violation


def test_misreported_distance_is_caught():
    (violation,) = evaluate_plan(REQUEST, plan_of(GOOD, distance=5000), GridTimes()).violations
    assert "reports 5000 m, the matrix gives 6000 m" in violation


def test_unknown_courier_and_stop_are_caught_without_crashing():
    stranger = [
        visit(STOPS[0], 100),
        Visit(stop_id="ghost", item_ids=(), arrival_s=0, departure_s=0),
    ]
    plan = plan_of(stranger, left_out=["s2", "s3"], request_couriers=("nobody",))
    violations = evaluate_plan(REQUEST, plan, GridTimes()).violations
    assert "stop ghost is not in the request" in violations
    assert "courier nobody is not in the request" in violations


BEST_KNOWN = {
    row["name"]: float(row["bks"]) for row in csv.DictReader((REFERENCE / "instances.csv").open())
}


@pytest.mark.parametrize("name", ["C101", "R101", "RC105", "R112"])
def test_best_known_solomon_solutions_evaluate_to_their_published_cost(name):
    instance = read_instance(REFERENCE / f"{name}.txt")
    plan = plan_from_routes(instance, read_solution(REFERENCE / f"{name}.sol"))
    evaluation = evaluate_plan(solomon_request(instance), plan, PlanarTimes())
    assert evaluation.violations == ()
    assert evaluation.total_distance_m / 10 == pytest.approx(BEST_KNOWN[name], abs=1e-9)


def test_solomon_solution_missing_a_customer_is_caught():
    instance = read_instance(REFERENCE / "C101.txt")
    routes = read_solution(REFERENCE / "C101.sol")
    routes[0] = routes[0][1:]
    evaluation = evaluate_plan(
        solomon_request(instance), plan_from_routes(instance, routes), PlanarTimes()
    )
    assert any("neither routed nor left out" in v for v in evaluation.violations)
