"""A large branch day planned on road distances from an OSRM server that refuses tables over
100 points (its default `max-table-size`): the tables are fetched in blocks, never straight lines."""

from __future__ import annotations

import datetime as dt
import random

import msgspec
import numpy as np

from delivery.planning import services
from routing.evaluate import evaluate_plan
from tests.fakes.osrm import SPEED_M_PER_S, FakeOsrm, grid_walk_m
from tests.integration.planning_support import (
    BRANCH,
    add_courier,
    add_item,
    branch_point,
    early_on,
    spots_around,
    tomorrow,
)


class GridWalk:
    """The fake server's roads, computed here to check the plan against."""

    def matrices(self, points, vehicle):
        # At the six decimals a table request carries.
        lon_lat = [(round(lon, 6), round(lat, 6)) for lat, lon in points]
        metres = np.array([[grid_walk_m(a, b) for b in lon_lat] for a in lon_lat])
        return np.rint(metres).astype(np.int64), np.rint(metres / SPEED_M_PER_S).astype(np.int64)


async def test_a_250_item_day_is_planned_on_road_distances_from_a_limited_osrm(
        conn, settings, demo_sites):
    day = tomorrow()
    depot = await branch_point(conn)
    for n in range(6):
        await add_courier(conn, f"rider{n}", capacity=45, start="08:00", end="16:00")
    for spot in spots_around(*depot, 250, radius_m=3000, rng=random.Random(250)):
        await add_item(conn, lat=spot.lat, lon=spot.lon)

    with FakeOsrm(max_coordinates=100, road=True) as osrm:
        limited = msgspec.structs.replace(settings, osrm_url=osrm.base_url, osrm_timeout_s=5.0)
        outcome = await services.plan_branch_day(conn, limited, BRANCH, day, max_runtime_s=0.5,
                                                 now=early_on(day - dt.timedelta(days=1)))

    assert outcome.travel_source == "osrm"
    assert await conn.fetchval("SELECT travel_source FROM route_plans") == "osrm"
    assert outcome.items_routed > 200
    roads = GridWalk()
    for phase in outcome.day_plan.phases:
        evaluation = evaluate_plan(phase.request, phase.plan, roads)
        assert evaluation.feasible, evaluation.violations
        assert evaluation.total_distance_m == phase.plan.total_distance_m
