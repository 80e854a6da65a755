import random
from pathlib import Path

import msgspec
import pytest
import pyvrp

from delivery.planning.services import morning_budget_s
from routing.evaluate import evaluate_plan
from routing.matrix import HaversineTimes
from routing.plans import (
    Courier,
    DeliveryItem,
    NoFeasiblePlan,
    PlanRequest,
    Stop,
    build_problem,
    drop_until_feasible,
    group_couriers,
    merge_households,
    plan_routes,
    travel_matrices,
)
from routing.solomon import PlanarTimes, plan_solomon, read_instance, solomon_request

BRANCH = (33.3152, 44.3661)
HOUR = 3600
REFERENCE = Path(__file__).resolve().parents[1] / "data" / "routing"


def generated_stops(count: int, seed: int, spread: float = 0.05) -> tuple[Stop, ...]:
    rng = random.Random(seed)
    stops = []
    for n in range(count):
        start = rng.choice([9, 10, 11, 12, 13, 14]) * HOUR
        items = tuple(f"RR{seed:03d}{n:03d}{k}IQ" for k in range(rng.choice([1, 1, 1, 2, 3])))
        stops.append(
            Stop(
                stop_id=f"s{n}",
                item_ids=items,
                lat=BRANCH[0] + rng.uniform(-spread, spread),
                lon=BRANCH[1] + rng.uniform(-spread, spread),
                window_start_s=start,
                window_end_s=start + 3 * HOUR,
                service_s=180,
            )
        )
    return tuple(stops)


def courier(cid: str, vehicle: str = "motorcycle", capacity: int = 30) -> Courier:
    return Courier(
        courier_id=cid,
        vehicle=vehicle,
        capacity_items=capacity,
        shift_start_s=8 * HOUR + 1800,
        shift_end_s=17 * HOUR + 1800,
    )


def request_for(stops, couriers, **extra) -> PlanRequest:
    return PlanRequest(
        depot_lat=BRANCH[0],
        depot_lon=BRANCH[1],
        stops=tuple(stops),
        couriers=tuple(couriers),
        **extra,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_day_respects_capacity_windows_and_shifts(seed):
    stops = generated_stops(45, seed)
    couriers = [
        courier("ali", "motorcycle", 25),
        courier("huda", "car", 25),
        courier("omar", "foot", 12),
    ]
    request = request_for(stops, couriers)
    times = HaversineTimes()
    plan = plan_routes(request, times=times, max_runtime_s=0.5, seed=seed)

    evaluation = evaluate_plan(request, plan, times)
    assert evaluation.violations == ()
    assert evaluation.total_distance_m == plan.total_distance_m
    by_id = {s.stop_id: s for s in stops}
    capacities = {c.courier_id: c.capacity_items for c in couriers}
    for route in plan.routes:
        assert sum(by_id[v.stop_id].demand for v in route.visits) <= capacities[route.courier_id]
        for visit in route.visits:
            stop = by_id[visit.stop_id]
            assert stop.window_start_s <= visit.arrival_s <= stop.window_end_s
            assert visit.departure_s - visit.arrival_s >= stop.service_s
            assert visit.item_ids == stop.item_ids
        if route.visits:
            assert route.start_s >= 8.5 * HOUR and route.end_s <= 17.5 * HOUR
    routed = [v.stop_id for r in plan.routes for v in r.visits]
    assert sorted(routed + list(plan.left_out)) == sorted(by_id)


def test_every_courier_gets_a_route_even_an_idle_one():
    stops = generated_stops(3, seed=4)
    couriers = [courier("a"), courier("b"), courier("c")]
    plan = plan_routes(request_for(stops, couriers), times=HaversineTimes(), max_runtime_s=0.2)
    assert [r.courier_id for r in plan.routes] == ["a", "b", "c"]
    assert (
        sum(1 for r in plan.routes if r.visits) == 1
    )  # three stops close by: one trip is shortest


def test_stops_that_exceed_capacity_are_reported_as_left_out():
    stops = [
        Stop(
            stop_id=f"s{n}",
            item_ids=(f"i{n}",),
            lat=BRANCH[0] + 0.001 * n,
            lon=BRANCH[1],
            window_start_s=9 * HOUR,
            window_end_s=17 * HOUR,
            service_s=120,
        )
        for n in range(10)
    ]
    request = request_for(stops, [courier("only", capacity=4)])
    plan = plan_routes(request, times=HaversineTimes(), max_runtime_s=0.3)
    (route,) = plan.routes
    assert len(route.visits) == 4
    assert len(plan.left_out) == 6
    assert {v.stop_id for v in route.visits}.isdisjoint(plan.left_out)
    assert evaluate_plan(request, plan, HaversineTimes()).violations == ()


def test_unreachable_window_is_left_out_not_dropped():
    far = Stop(
        stop_id="far",
        item_ids=("x",),
        lat=BRANCH[0] + 0.5,
        lon=BRANCH[1],
        window_start_s=8 * HOUR + 1800,
        window_end_s=8 * HOUR + 2400,
        service_s=60,
    )
    near = Stop(
        stop_id="near",
        item_ids=("y",),
        lat=BRANCH[0] + 0.01,
        lon=BRANCH[1],
        window_start_s=9 * HOUR,
        window_end_s=12 * HOUR,
        service_s=60,
    )
    plan = plan_routes(
        request_for([far, near], [courier("c")]), times=HaversineTimes(), max_runtime_s=0.2
    )
    assert plan.left_out == ("far",)
    assert [v.stop_id for v in plan.routes[0].visits] == ["near"]


def test_required_stops_that_cannot_be_served_raise():
    stops = generated_stops(6, seed=5)
    request = request_for(stops, [courier("c", capacity=2)], skip_penalty=None)
    with pytest.raises(NoFeasiblePlan):
        plan_routes(request, times=HaversineTimes(), max_runtime_s=0.2)


def test_tight_far_stop_goes_to_the_faster_courier():
    # 4 km north: about 12.5 minutes by motorcycle, over an hour on foot.
    urgent = Stop(
        stop_id="urgent",
        item_ids=("u",),
        lat=BRANCH[0] + 0.036,
        lon=BRANCH[1],
        window_start_s=8 * HOUR + 1800,
        window_end_s=9 * HOUR,
        service_s=60,
    )
    walking = courier("walker", "foot")
    riding = courier("rider", "motorcycle")
    plan = plan_routes(
        request_for([urgent], [walking, riding]), times=HaversineTimes(), max_runtime_s=0.2
    )
    by_courier = {r.courier_id: [v.stop_id for v in r.visits] for r in plan.routes}
    assert by_courier == {"walker": [], "rider": ["urgent"]}


def test_planned_arrival_accounts_for_travel_from_the_branch():
    stop = Stop(
        stop_id="s",
        item_ids=("i",),
        lat=BRANCH[0] + 0.09,
        lon=BRANCH[1],
        window_start_s=0,
        window_end_s=20 * HOUR,
        service_s=60,
    )
    plan = plan_routes(
        request_for([stop], [courier("c", "foot")]), times=HaversineTimes(), max_runtime_s=0.1
    )
    # 10 km straight, 13 km by road, at 5 km/h: 2 h 36 min after the shift starts.
    (visit,) = plan.routes[0].visits
    assert visit.arrival_s == pytest.approx(8.5 * HOUR + 13.0 / 5 * HOUR, rel=0.01)


def item(
    item_id, phone="07701234567", lat=BRANCH[0], lon=BRANCH[1], start=9, end=12, address_key=None
) -> DeliveryItem:
    return DeliveryItem(
        item_id=item_id,
        phone=phone,
        lat=lat,
        lon=lon,
        window_start_s=start * HOUR,
        window_end_s=end * HOUR,
        service_s=120,
        address_key=address_key,
    )


def test_household_items_with_same_phone_and_point_become_one_stop():
    items = [
        item("a", phone="+964 770 123 4567", start=9, end=12),
        item("b", phone="0770-123-4567", lat=BRANCH[0] + 0.00003, start=10, end=14),
    ]
    (stop,) = merge_households(items)
    assert stop.item_ids == ("a", "b")
    assert stop.demand == 2
    assert (stop.window_start_s, stop.window_end_s) == (10 * HOUR, 12 * HOUR)
    assert stop.service_s >= 120


def test_same_phone_at_distant_points_stays_separate():
    items = [item("a"), item("b", lat=BRANCH[0] + 0.002)]  # about 220 m apart
    assert sorted(s.item_ids for s in merge_households(items)) == [("a",), ("b",)]


def test_same_address_key_merges_different_phones():
    items = [
        item("a", phone="07701111111", address_key="bgd/karrada/904/12/7"),
        item("b", phone="07802222222", lat=BRANCH[0] + 0.0005, address_key="bgd/karrada/904/12/7"),
        item("c", phone="07903333333"),
    ]
    assert sorted(s.item_ids for s in merge_households(items)) == [("a", "b"), ("c",)]


def test_household_items_with_disjoint_windows_stay_separate_stops():
    items = [item("a", start=9, end=11), item("b", start=10, end=12), item("c", start=14, end=16)]
    stops = sorted(merge_households(items), key=lambda s: s.window_start_s)
    assert [s.item_ids for s in stops] == [("a", "b"), ("c",)]
    assert (stops[0].window_start_s, stops[0].window_end_s) == (10 * HOUR, 11 * HOUR)


def test_solomon_instance_is_planned_near_its_best_known_distance():
    instance = read_instance(REFERENCE / "C101.txt")
    plan = plan_solomon(instance, max_runtime_s=1.0)
    evaluation = evaluate_plan(solomon_request(instance), plan, PlanarTimes())
    assert evaluation.violations == ()
    assert plan.left_out == ()
    assert plan.total_distance_m / 10 <= 827.3 * 1.01


def test_overloaded_solution_is_repaired_by_dropping_stops():
    stops = generated_stops(12, seed=6)
    request = request_for(stops, [courier("c", capacity=5)])
    fleets = group_couriers(request.couriers)
    problem = build_problem(
        request, fleets, travel_matrices(request.points, fleets, HaversineTimes())
    )
    overloaded = pyvrp.Solution(problem, [pyvrp.Route(problem, list(range(12)), 0)])
    assert not overloaded.is_feasible()

    repaired = drop_until_feasible(problem, overloaded)
    assert repaired.is_feasible()
    (route,) = repaired.routes()
    assert 0 < route.delivery()[0] <= 5


def test_nothing_to_plan_leaves_every_stop_out_or_every_courier_idle():
    stops = generated_stops(2, seed=7)
    no_couriers = plan_routes(request_for(stops, []), times=HaversineTimes(), max_runtime_s=0.1)
    assert no_couriers.routes == () and set(no_couriers.left_out) == {"s0", "s1"}
    no_stops = plan_routes(
        request_for([], [courier("c")]), times=HaversineTimes(), max_runtime_s=0.1
    )
    assert [r.visits for r in no_stops.routes] == [()] and no_stops.left_out == ()


def test_duplicate_stop_ids_are_refused():
    (first, second) = generated_stops(2, seed=8)
    twins = [first, msgspec.structs.replace(second, stop_id=first.stop_id)]
    with pytest.raises(ValueError, match="duplicate stop ids: s0"):
        plan_routes(request_for(twins, [courier("c")]), times=HaversineTimes(), max_runtime_s=0.1)


@pytest.mark.parametrize(("second_start", "second_end"), [(12, 16), (11.99, 16)])
def test_household_windows_that_touch_or_barely_overlap_stay_separate_stops(second_start, second_end):
    # 08:00-12:00 and 12:00-16:00 share one instant; 11:59:24-16:00 shares 36 s, less than the
    # 150 s the two hand-overs need: neither is one stop, each is served in its own window.
    items = [item("a", start=8, end=12), item("b", start=second_start, end=second_end)]
    stops = sorted(merge_households(items), key=lambda s: s.window_start_s)
    assert [s.item_ids for s in stops] == [("a",), ("b",)]
    assert stops[0].window_end_s == 12 * HOUR and stops[1].window_end_s == second_end * HOUR


def test_household_windows_overlapping_by_the_hand_over_time_are_one_stop():
    items = [item("a", start=8, end=12), item("b", start=12, end=16)]
    items[1] = msgspec.structs.replace(items[1], window_start_s=12 * HOUR - 150)
    (stop,) = merge_households(items)
    assert (stop.window_start_s, stop.window_end_s, stop.service_s) == (
        12 * HOUR - 150, 12 * HOUR, 150)


def test_the_fallback_gets_only_what_the_required_attempt_left_of_the_budget(monkeypatch):
    # Bags hold everything, one short shift cannot: the required attempt finds nothing feasible
    # and the optional-stops fallback runs. Together they may not be asked for more than the budget.
    import routing.plans as plans

    asked, real = [], plans.solve_problem

    def recording(problem, *, max_runtime_s, seed, give_up_s=None):
        asked.append(give_up_s if give_up_s is not None else max_runtime_s)
        return real(problem, max_runtime_s=max_runtime_s, seed=seed, give_up_s=give_up_s)

    monkeypatch.setattr(plans, "solve_problem", recording)
    short = msgspec.structs.replace(courier("c1", capacity=100), shift_end_s=9 * HOUR)
    request = request_for(generated_stops(30, seed=4), [short])
    plan = plan_routes(request, times=HaversineTimes(), max_runtime_s=0.6)

    assert len(asked) == 2 and plan.left_out
    assert sum(asked) <= 0.6


@pytest.mark.parametrize(("items", "seconds"), [(0, 1.0), (40, 1.0), (80, 2.0), (200, 5.0),
                                                (400, 10.0), (900, 10.0)])
def test_the_morning_job_gives_a_small_day_a_share_of_the_time(items, seconds):
    """The whole budget from 400 items, a proportional share below, never under a tenth."""
    assert morning_budget_s(10.0, items) == pytest.approx(seconds)
