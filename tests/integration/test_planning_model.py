"""The pure side of planning a day: clocks and windows, shifts, carried items, versions."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from delivery.planning.model import (
    BAG_FULL,
    BAGHDAD,
    COURIER_UNAVAILABLE,
    WINDOW_PASSED,
    PlanItem,
    Shift,
    Windows,
    branch_hours,
    changed_couriers,
    hours_s,
    inputs_digest,
    moment,
    plan_day,
    window_text,
)
from delivery.planning.shifts import shift_of
from routing.evaluate import evaluate_plan
from routing.matrix import HaversineTimes

DEPOT = (33.32, 44.38)
WINDOWS = Windows(morning=hours_s("08:00-12:00"), afternoon=hours_s("12:00-16:00"),
                  otherwise=hours_s("08:00-14:00"))
SUNDAY = dt.date(2026, 11, 22)


def _local(hour: int, minute: int) -> dt.datetime:
    return dt.datetime(2026, 11, 22, hour, minute, tzinfo=BAGHDAD).astimezone(dt.UTC)


@pytest.mark.parametrize(("hour", "minute", "expected"), [
    (10, 20, "10:00-11:00"), (10, 45, "10:00-12:00"), (10, 0, "10:00-11:00"),
    (10, 30, "10:00-11:00"), (13, 31, "13:00-15:00"),
])
def test_the_window_told_covers_the_arrival_with_half_an_hour_to_spare(hour, minute, expected):
    assert window_text(_local(hour, minute)) == expected


def test_planned_seconds_become_baghdad_times():
    assert moment(SUNDAY, 9 * 3600 + 1800) == dt.datetime(2026, 11, 22, 6, 30, tzinfo=dt.UTC)


def test_branch_hours_follow_the_weekday_of_the_opening_hours():
    hours = [{"days": ["sunday", "monday", "tuesday", "wednesday", "thursday"],
              "open": "08:00", "close": "14:00"},
             {"days": ["sat"], "open": "09:00", "close": "13:00"}]
    assert branch_hours(hours, SUNDAY) == hours_s("08:00-14:00")
    assert branch_hours(hours, SUNDAY - dt.timedelta(days=1)) == hours_s("09:00-13:00")
    assert branch_hours(hours, SUNDAY - dt.timedelta(days=2)) is None  # Friday


@pytest.mark.parametrize("bad", ["14:00-08:00", "25:00-26:00", "08:00"])
def test_hours_that_end_before_they_start_are_refused(bad):
    with pytest.raises(ValueError):
        hours_s(bad)


def test_a_day_exception_overrides_the_profile_which_overrides_the_defaults():
    defaults = Shift(courier_id=0, username="", vehicle="motorcycle", capacity_items=40,
                     start_s=hours_s("08:30-15:30")[0], end_s=hours_s("08:30-15:30")[1])
    row = {"id": 7, "username": "ali", "vehicle": "car", "capacity_items": 30,
           "shift_start": dt.time(9), "shift_end": dt.time(17), "day_vehicle": None,
           "day_capacity": 12, "day_start": None, "day_end": dt.time(12)}
    shift = shift_of(row, defaults)
    assert (shift.vehicle, shift.capacity_items, shift.start_s, shift.end_s) == (
        "car", 12, 9 * 3600, 12 * 3600)
    bare = shift_of({**row, **dict.fromkeys(row.keys() - {"id", "username"})}, defaults)
    assert (bare.vehicle, bare.capacity_items, bare.start_s) == ("motorcycle", 40, 8 * 3600 + 1800)


def _shift(courier_id: int, start: str = "08:30", end: str = "15:30") -> Shift:
    start_s, end_s = hours_s(f"{start}-{end}")
    return Shift(courier_id=courier_id, username=f"c{courier_id}", vehicle="motorcycle",
                 capacity_items=10, start_s=start_s, end_s=end_s)


def _item(item_id: int, dlat: float, *, courier: int | None = None,
          window: str | None = None) -> PlanItem:
    return PlanItem(item_id=item_id, phone=f"+96477000000{item_id:02d}", lat=DEPOT[0] + dlat,
                    lon=DEPOT[1], window=window, courier_id=courier)


def test_carried_items_stay_with_their_courier_before_anything_else():
    items = [_item(1, 0.001, courier=2), _item(2, 0.002, courier=2), _item(3, 0.0015)]
    plan = plan_day(DEPOT, items, [_shift(1), _shift(2)], windows=WINDOWS, service_s=300,
                    times=HaversineTimes(), max_runtime_s=0.2)
    days = {c.shift.courier_id: c for c in plan.couriers}
    fixed = [p for p in days[2].stops if p.fixed]
    assert {i for p in fixed for i in p.stop.item_ids} == {"1", "2"}
    assert days[2].stops[: len(fixed)] == tuple(fixed)
    assert not plan.left_out
    for phase in plan.phases:
        assert evaluate_plan(phase.request, phase.plan, HaversineTimes()).feasible


def test_carried_items_of_a_courier_not_working_are_reported_not_moved():
    items = [_item(1, 0.001, courier=9), _item(2, 0.002)]
    plan = plan_day(DEPOT, items, [_shift(1)], windows=WINDOWS, service_s=300,
                    times=HaversineTimes(), max_runtime_s=0.2)
    assert plan.left_out == {1: COURIER_UNAVAILABLE}
    assert [p.stop.item_ids for p in plan.couriers[0].stops] == [("2",)]


def test_windows_already_over_when_planning_late_are_reported_as_passed():
    items = [_item(1, 0.01, window="morning"), _item(2, 0.01, window="afternoon")]
    plan = plan_day(DEPOT, items, [_shift(1)], windows=WINDOWS, service_s=300,
                    times=HaversineTimes(), max_runtime_s=0.2, not_before_s=13 * 3600)
    assert plan.left_out == {1: WINDOW_PASSED}
    assert plan.couriers[0].stops[0].visit.arrival_s >= 13 * 3600


def test_the_digest_ignores_order_and_sees_a_changed_shift():
    items = [_item(1, 0.001), _item(2, 0.002)]
    digest = inputs_digest(DEPOT, items, [_shift(1)], {"service_s": 300})
    assert digest == inputs_digest(DEPOT, items[::-1], [_shift(1)], {"service_s": 300})
    assert digest != inputs_digest(DEPOT, items, [_shift(1, end="12:00")], {"service_s": 300})


def test_only_couriers_whose_stops_changed_are_told():
    before = {1: [(10,), (11, 12)], 2: [(20,)], 3: [(30,)]}
    after = {1: [(10,), (11, 12)], 2: [(20,), (21,)], 4: [(30,)]}
    assert changed_couriers(before, after) == [2, 3, 4]


def test_a_household_with_a_morning_and_an_afternoon_item_is_served_in_both_windows():
    items = [PlanItem(item_id=n, phone="+9647701234567", lat=DEPOT[0] + 0.01, lon=DEPOT[1],
                      window=window) for n, window in ((1, "morning"), (2, "afternoon"))]
    plan = plan_day(DEPOT, items, [_shift(1, "08:00", "16:00")], windows=WINDOWS, service_s=300,
                    times=HaversineTimes(), max_runtime_s=0.2)
    served = {p.stop.item_ids: p for p in plan.couriers[0].stops}
    assert set(served) == {("1",), ("2",)}
    morning, afternoon = served[("1",)], served[("2",)]
    assert (morning.stop.window_start_s, morning.stop.window_end_s) == WINDOWS.morning
    assert (afternoon.stop.window_start_s, afternoon.stop.window_end_s) == WINDOWS.afternoon
    assert _within(morning.visit.arrival_s, WINDOWS.morning)
    assert _within(afternoon.visit.arrival_s, WINDOWS.afternoon)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_on_generated_days_with_mixed_windows_no_citizen_is_served_outside_their_window(seed):
    rng = random.Random(seed)
    items = []
    for n in range(1, 61):
        # Households of two or three items with mixed windows, one phone and one point each.
        if n % 3 == 1:
            phone, dlat, dlon = f"+9647700{n:06d}", rng.uniform(-0.03, 0.03), rng.uniform(-0.03, 0.03)
        items.append(PlanItem(item_id=n, phone=phone, lat=DEPOT[0] + dlat, lon=DEPOT[1] + dlon,
                              window=rng.choice(["morning", "afternoon", None])))
    shifts = [_shift(k, "08:00", "16:00") for k in (1, 2, 3)]
    plan = plan_day(DEPOT, items, shifts, windows=WINDOWS, service_s=300,
                    times=HaversineTimes(), max_runtime_s=0.5, seed=seed)
    chosen = {str(i.item_id): WINDOWS.of(i.window) for i in items}
    served = [(item_id, p.visit.arrival_s) for c in plan.couriers for p in c.stops
              for item_id in p.stop.item_ids]
    assert len(served) + len(plan.left_out) == len(items)
    outside = [(i, at, chosen[i]) for i, at in served if not _within(at, chosen[i])]
    assert not outside
    for stop in (p.stop for c in plan.couriers for p in c.stops):
        # Everyone at a shared stop can get the whole hand-over inside their own window.
        common = (min(chosen[i][1] for i in stop.item_ids)
                  - max(chosen[i][0] for i in stop.item_ids))
        assert common >= stop.service_s, stop
    for phase in plan.phases:
        assert evaluate_plan(phase.request, phase.plan, HaversineTimes()).feasible


def _within(at: int, window: tuple[int, int]) -> bool:
    return window[0] <= at <= window[1]


def test_items_beyond_every_bag_are_left_out_because_the_bag_is_full():
    items = [_item(n, 0.001 * n) for n in range(1, 13)]
    plan = plan_day(DEPOT, items, [_shift(1)], windows=WINDOWS, service_s=300,
                    times=HaversineTimes(), max_runtime_s=0.2)
    assert sorted(plan.left_out.values()) == [BAG_FULL, BAG_FULL]
