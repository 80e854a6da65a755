"""Planning a branch's day through the service: stored versions, left-out items, households,
items already out, concurrent planners, the OSRM fallback and the window the SMS quotes."""

from __future__ import annotations

import asyncio
import datetime as dt
import random

import msgspec
import pytest

from delivery.planning import services, shifts, store, tasks, views
from delivery.planning.model import (
    BAG_FULL,
    BAGHDAD,
    NO_COURIER,
    NO_LOCATION,
    OUTSIDE_WINDOW,
    SHIFT_END,
    hours_s,
)
from delivery.platform import db
from routing.evaluate import evaluate_plan
from routing.matrix import HaversineTimes
from tests.fakes.osrm import FakeOsrm
from tests.integration.planning_support import (
    BRANCH,
    add_courier,
    add_item,
    branch_point,
    early_on,
    spots_around,
    tomorrow,
)

RUNTIME = 0.3


async def plan(conn, settings, day, **kwargs):
    kwargs.setdefault("max_runtime_s", RUNTIME)
    kwargs.setdefault("now", early_on(day - dt.timedelta(days=1)))
    return await services.plan_branch_day(conn, settings, BRANCH, day, **kwargs)


async def routed_items(conn, plan_id) -> dict[int, int]:
    rows = await conn.fetch("SELECT courier_id, item_ids FROM route_stops WHERE plan_id = $1",
                            plan_id)
    return {item: r["courier_id"] for r in rows for item in r["item_ids"]}


async def left_out_items(conn, plan_id) -> dict[int, str]:
    rows = await conn.fetch("SELECT item_id, reason FROM route_left_out WHERE plan_id = $1",
                            plan_id)
    return {r["item_id"]: r["reason"] for r in rows}


async def plan_id(conn, version=None) -> int:
    return await conn.fetchval(
        "SELECT id FROM route_plans WHERE ($1::int IS NULL OR version = $1) "
        "ORDER BY version DESC LIMIT 1", version)


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_generated_days_respect_capacity_windows_and_shift_length(
        conn, settings, demo_sites, seed):
    rng = random.Random(seed)
    day = tomorrow()
    depot = await branch_point(conn)
    await add_courier(conn, "walker", vehicle="foot", capacity=8, start="08:30", end="12:30")
    await add_courier(conn, "rider", vehicle="motorcycle", capacity=20, start="09:00",
                      end="14:00")
    await add_courier(conn, "driver", vehicle="car", capacity=15, start="12:00", end="16:00")
    items = []
    for spot in spots_around(*depot, 70, radius_m=4000, rng=rng):
        window = rng.choice(["morning", "afternoon", None])
        items.append(await add_item(conn, lat=spot.lat, lon=spot.lon, window=window))

    outcome = await plan(conn, settings, day, seed=seed)

    assert outcome.status == services.PLANNED and outcome.version == 1
    times = services.travel_setup(settings).times
    for phase in outcome.day_plan.phases:
        evaluation = evaluate_plan(phase.request, phase.plan, times)
        assert evaluation.feasible, evaluation.violations
    pid = await plan_id(conn)
    routed, left = await routed_items(conn, pid), await left_out_items(conn, pid)
    assert set(routed) | set(left) == set(items) and not set(routed) & set(left)
    assert len(left) >= 70 - (8 + 20 + 15)  # more items than bags: the rest is reported
    assert BAG_FULL in set(left.values()) <= {BAG_FULL, SHIFT_END, OUTSIDE_WINDOW}
    await _stored_stops_keep_windows_shifts_and_bags(conn, pid)


async def _stored_stops_keep_windows_shifts_and_bags(conn, pid) -> None:
    stops = await conn.fetch(
        "SELECT r.*, c.shift_start, c.shift_end, c.capacity_items FROM route_stops r "
        "JOIN route_couriers c USING (plan_id, courier_id) WHERE r.plan_id = $1", pid)
    assert stops
    for stop in stops:
        assert stop["window_start"] <= stop["arrival_at"] <= stop["window_end"]
        assert stop["shift_start"] <= stop["arrival_at"]
        assert stop["departure_at"] <= stop["shift_end"]
    loads: dict[int, int] = {}
    for stop in stops:
        loads[stop["courier_id"]] = loads.get(stop["courier_id"], 0) + len(stop["item_ids"])
    capacity = {s["courier_id"]: s["capacity_items"] for s in stops}
    assert all(loads[c] <= capacity[c] for c in loads)


async def test_items_without_a_point_or_courier_are_reported_and_other_days_wait(
        conn, settings, demo_sites):
    day = tomorrow()
    lat, lon = await branch_point(conn)
    today_item = await add_item(conn, lat=lat + 0.01, lon=lon, day=day)
    no_point = await add_item(conn, lat=None, lon=None, district=None)
    later = await add_item(conn, lat=lat, lon=lon + 0.01, day=day + dt.timedelta(days=1))
    pickup = await add_item(conn, lat=lat, lon=lon + 0.01, mode="pickup")

    outcome = await plan(conn, settings, day)  # nobody on shift

    left = await left_out_items(conn, await plan_id(conn))
    assert left == {today_item: NO_COURIER, no_point: NO_LOCATION}
    assert later not in left and pickup not in left and outcome.items_routed == 0


async def test_an_item_that_does_not_fit_is_left_out_with_its_reason(conn, settings, demo_sites):
    day = tomorrow()
    depot = await branch_point(conn)
    await add_courier(conn, "small-bag", capacity=3)
    spots = spots_around(*depot, 5, radius_m=2000, rng=random.Random(5))
    ids = [await add_item(conn, lat=s.lat, lon=s.lon) for s in spots]

    outcome = await plan(conn, settings, day)

    left = await left_out_items(conn, await plan_id(conn))
    assert len(left) == 2 and set(left.values()) == {BAG_FULL}
    assert set(left) | set(await routed_items(conn, await plan_id(conn))) == set(ids)
    assert outcome.items_left_out == 2


@pytest.mark.parametrize(("shift", "window", "north_m", "reason"), [
    (("08:30", "09:00"), None, 10_000, SHIFT_END),  # 30 min out: back long after 09:00
    (("13:00", "15:30"), "morning", 1_000, OUTSIDE_WINDOW),  # nobody works in the morning
])
async def test_a_left_out_item_says_which_constraint_kept_it_out(conn, settings, demo_sites,
                                                                 shift, window, north_m, reason):
    day = tomorrow()
    lat, lon = await branch_point(conn)
    await add_courier(conn, "only-one", start=shift[0], end=shift[1])
    near = await add_item(conn, lat=lat + 0.002, lon=lon)  # branch hours: fits any shift
    far = await add_item(conn, lat=lat + north_m / 111_320, lon=lon, window=window)

    await plan(conn, settings, day)

    pid = await plan_id(conn)
    assert await left_out_items(conn, pid) == {far: reason}
    assert set(await routed_items(conn, pid)) == {near}


async def test_an_item_left_out_twice_gets_in_ahead_of_a_new_one_when_only_one_fits(
        conn, settings, demo_sites):
    first = tomorrow()
    days = [first + dt.timedelta(days=n) for n in range(3)]
    lat, lon = await branch_point(conn)
    await add_courier(conn, "one-bag", capacity=1)
    for day in days[:2]:
        await shifts.set_day(conn, username="one-bag", day=day, off=True, reason="sick")
    waiting = await add_item(conn, lat=lat + 0.02, lon=lon)
    for day in days[:2]:
        await plan(conn, settings, day)
    new = await add_item(conn, lat=lat + 0.002, lon=lon)  # nearer: cheaper to serve

    await plan(conn, settings, days[2])

    pid = await conn.fetchval("SELECT id FROM route_plans WHERE day = $1", days[2])
    assert set(await routed_items(conn, pid)) == {waiting}
    assert set(await left_out_items(conn, pid)) == {new}
    shown = await views.branch_plan(conn, BRANCH, days[2])
    number = await conn.fetchval("SELECT tracking_number FROM items WHERE id = $1", waiting)
    assert [(w.tracking_number, w.days_waited) for w in shown.waited] == [(number, 2)]


async def test_items_of_one_household_are_one_stop(conn, settings, demo_sites):
    day = tomorrow()
    lat, lon = await branch_point(conn)
    household = [await add_item(conn, lat=lat + 0.01, lon=lon + 0.01 + k * 1e-5,
                                phone="07701234567") for k in range(3)]
    neighbour = await add_item(conn, lat=lat + 0.01, lon=lon + 0.0101, phone="07709999999")
    await add_courier(conn, "rider")

    await plan(conn, settings, day)

    stops = await conn.fetch("SELECT item_ids FROM route_stops WHERE plan_id = $1",
                             await plan_id(conn))
    assert sorted(sorted(s["item_ids"]) for s in stops) == sorted([sorted(household),
                                                                  [neighbour]])


async def test_replanning_keeps_items_out_with_their_courier_and_tells_who_changed(
        conn, settings, demo_sites):
    day = dt.datetime.now(BAGHDAD).date()
    now = early_on(day)
    depot = await branch_point(conn)
    couriers = [await add_courier(conn, name, capacity=12) for name in ("ali", "bashir", "karim")]
    spots = spots_around(*depot, 24, radius_m=3000, rng=random.Random(7))
    for spot in spots:
        await add_item(conn, lat=spot.lat, lon=spot.lon)
    await plan(conn, settings, day, now=now)
    first = await routed_items(conn, await plan_id(conn, 1))
    ali = couriers[0]
    taken = [item for item, courier in first.items() if courier == ali]
    assert taken
    # The clerk hands Ali's items over; Bashir calls in sick; two more items arrive.
    await conn.execute("UPDATE items SET state = 'out_for_delivery', courier_id = $1 "
                       "WHERE id = ANY($2::bigint[])", ali, taken)
    await shifts.set_day(conn, username="bashir", day=day, off=True, reason="sick")
    for spot in spots_around(*depot, 2, radius_m=1000, rng=random.Random(8)):
        await add_item(conn, lat=spot.lat, lon=spot.lon)

    outcome = await plan(conn, settings, day, now=now)

    assert outcome.version == 2
    second = await routed_items(conn, await plan_id(conn, 2))
    assert all(second[item] == ali for item in taken)
    carried = await conn.fetch("SELECT item_ids, fixed, seq FROM route_stops WHERE plan_id = $1 "
                               "AND courier_id = $2 ORDER BY seq", await plan_id(conn, 2), ali)
    flags = [row["fixed"] for row in carried]
    assert flags == sorted(flags, reverse=True)  # the items carried come first
    assert {i for row in carried if row["fixed"] for i in row["item_ids"]} == set(taken)
    assert couriers[1] not in second.values()
    told = {r["courier_id"] for r in await conn.fetch(
        "SELECT courier_id FROM route_notices WHERE plan_version = 2")}
    assert couriers[1] in told and set(outcome.notified) == told
    for phase in outcome.day_plan.phases:
        assert evaluate_plan(phase.request, phase.plan, services.travel_setup(settings).times
                             ).feasible


async def test_planning_again_without_changes_keeps_the_version(conn, settings, demo_sites):
    day = tomorrow()
    lat, lon = await branch_point(conn)
    await add_courier(conn, "rider")
    await add_item(conn, lat=lat + 0.01, lon=lon)
    assert (await plan(conn, settings, day)).version == 1
    again = await plan(conn, settings, day)
    assert again.status == services.UNCHANGED and again.version == 1
    forced = await plan(conn, settings, day, force=True)
    assert forced.version == 2


async def test_two_planners_at_once_make_one_version(conn, settings, demo_sites):
    day = tomorrow()
    depot = await branch_point(conn)
    await add_courier(conn, "rider")
    for spot in spots_around(*depot, 15, radius_m=2000, rng=random.Random(3)):
        await add_item(conn, lat=spot.lat, lon=spot.lon)
    other = await db.connect(settings.database_url)
    try:
        outcomes = await asyncio.gather(plan(conn, settings, day), plan(other, settings, day))
    finally:
        await other.close()
    assert sorted(o.status for o in outcomes) == [services.PLANNED, services.UNCHANGED]
    assert await conn.fetchval("SELECT count(*) FROM route_plans") == 1


async def test_the_morning_job_on_two_workers_plans_each_branch_once(conn, settings,
                                                                     demo_sites):
    """Two workers run the job at once, each solving branches two at a time in processes of
    its own: every branch is planned once, its items routed."""
    lat, lon = await branch_point(conn)
    await add_courier(conn, "rider")
    await add_item(conn, lat=lat + 0.01, lon=lon)
    await add_item(conn, lat=None, lon=None, branch="BG-003")
    now = early_on(tomorrow() + dt.timedelta(days=(6 - tomorrow().weekday()) % 7))  # a Sunday
    worker_settings = msgspec.structs.replace(settings, route_plan_hour=5,
                                              route_plan_seconds=RUNTIME, route_plan_workers=2)
    pool = await db.create_pool(settings.database_url, min_size=1, max_size=4)
    try:
        contexts = [{"settings": worker_settings, "pool": pool} for _ in range(2)]
        created = await asyncio.gather(*(tasks.plan_routes_job(ctx, now=now)
                                         for ctx in contexts))
    finally:
        await pool.close()
    assert sum(created) == 2
    rows = await conn.fetch("SELECT s.code, count(*) AS n FROM route_plans p JOIN sites s "
                            "ON s.id = p.branch_id GROUP BY s.code ORDER BY s.code")
    assert [(r["code"], r["n"]) for r in rows] == [("BG-002", 1), ("BG-003", 1)]
    assert await conn.fetchval("SELECT sum(items_routed) FROM route_plans") == 1


async def test_the_morning_job_waits_for_its_hour(conn, settings, demo_sites):
    now = dt.datetime.now(dt.UTC)
    later = (now.astimezone(BAGHDAD).hour + 1) % 24
    not_yet = msgspec.structs.replace(settings, route_plan_hour=later)
    pool = await db.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        assert await tasks.due(pool, not_yet, now) is (later == 0)
    finally:
        await pool.close()


@pytest.mark.parametrize("mode", ["error_500", "timeout"])
async def test_a_failing_osrm_falls_back_to_haversine_through_the_service(
        conn, settings, demo_sites, mode):
    day = tomorrow()
    depot = await branch_point(conn)
    await add_courier(conn, "rider")
    for spot in spots_around(*depot, 8, radius_m=2000, rng=random.Random(11)):
        await add_item(conn, lat=spot.lat, lon=spot.lon)
    with FakeOsrm(mode=mode, delay_s=1.0) as osrm:
        with_osrm = msgspec.structs.replace(settings, osrm_url=osrm.base_url, osrm_timeout_s=0.3)
        outcome = await plan(conn, with_osrm, day)
        assert osrm.requests
    assert outcome.travel_source == "haversine_fallback"
    haversine = HaversineTimes(settings.route_circuity, {"foot": 5, "motorcycle": 25, "car": 20})
    for phase in outcome.day_plan.phases:
        evaluation = evaluate_plan(phase.request, phase.plan, haversine)
        assert evaluation.feasible and evaluation.total_distance_m == phase.plan.total_distance_m
    assert await conn.fetchval("SELECT travel_source FROM route_plans") == "haversine_fallback"


async def test_a_working_osrm_is_used(conn, settings, demo_sites):
    day = tomorrow()
    lat, lon = await branch_point(conn)
    await add_courier(conn, "rider")
    await add_item(conn, lat=lat + 0.02, lon=lon)
    with FakeOsrm(mode="ok") as osrm:
        outcome = await plan(conn, msgspec.structs.replace(settings, osrm_url=osrm.base_url), day)
    assert outcome.travel_source == "osrm" and outcome.items_routed == 1


async def test_the_planned_window_is_the_hour_around_the_arrival(conn, settings, demo_sites):
    day = dt.datetime.now(BAGHDAD).date()
    lat, lon = await branch_point(conn)
    await add_courier(conn, "rider", start="08:00", end="15:00")
    near = await add_item(conn, lat=lat + 0.01, lon=lon, window="afternoon")
    nowhere = await add_item(conn, lat=None, lon=None, district=None)
    await plan(conn, settings, day, now=early_on(day))

    arrival = await conn.fetchval("SELECT arrival_at FROM route_stops WHERE $1 = ANY(item_ids)",
                                  near)
    window = await store.planned_window(conn, near, now=early_on(day))
    start, end = hours_s(window)
    local = arrival.astimezone(BAGHDAD)
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    assert start % 3600 == 0 and end % 3600 == 0 and start <= seconds <= end - 1800
    assert start >= hours_s(settings.route_afternoon)[0]
    assert await store.planned_window(conn, nowhere, now=early_on(day)) is None
    tomorrow_morning = early_on(day + dt.timedelta(days=1))
    assert await store.planned_window(conn, near, now=tomorrow_morning) is None
