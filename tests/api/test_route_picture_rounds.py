"""The plan's picture draws each round of a courier's day (branch → stops → branch) as its own
path, told apart by its dash pattern, and the legend says which pattern is which round."""

from __future__ import annotations

import datetime as dt
import random
import re
import xml.etree.ElementTree as ET

from delivery.planning import services
from delivery.planning.model import BAGHDAD
from tests.console_support import console_login
from tests.integration.planning_support import (
    BRANCH,
    add_courier,
    add_item,
    branch_point,
    early_on,
    spots_around,
)

SVG = "{http://www.w3.org/2000/svg}"


def points(path: ET.Element) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+) (-?[\d.]+)", path.get("d"))]


async def test_a_courier_on_two_rounds_is_drawn_as_two_paths_from_and_to_the_branch(
        client, conn, settings, demo_sites):
    day = dt.datetime.now(BAGHDAD).date()
    depot = await branch_point(conn)
    ali = await add_courier(conn, "ali", capacity=10, start="08:00", end="16:00")
    spots = spots_around(*depot, 7, radius_m=2500, rng=random.Random(19))
    for spot in spots[:3]:  # already handed to Ali: his first round
        await add_item(conn, lat=spot.lat, lon=spot.lon, state="out_for_delivery",
                       courier_id=ali)
    for spot in spots[3:]:  # still at the branch: his second round
        await add_item(conn, lat=spot.lat, lon=spot.lon)
    outcome = await services.plan_branch_day(conn, settings, BRANCH, day, max_runtime_s=0.3,
                                             now=early_on(day))
    assert outcome.items_routed == 7
    boss = await console_login(client, conn, username="boss", role="supervisor", site=BRANCH)

    svg = await boss.get(f"/ops/routes/{BRANCH}/{day.isoformat()}/plan.svg")

    assert svg.status_code == 200, svg.text
    root = ET.fromstring(svg.text)
    rounds = [p for p in root.iter(f"{SVG}path") if p.get("class") == "route"]
    assert [p.get("data-courier") for p in rounds] == [str(ali), str(ali)]
    branch = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "branch")
    mark = branch.find(f"{SVG}rect")
    at_branch = (float(mark.get("x")) + 8, float(mark.get("y")) + 8)
    first, second = points(rounds[0]), points(rounds[1])
    assert (first[0], first[-1], second[0], second[-1]) == (at_branch,) * 4
    assert (len(first), len(second)) == (2 + 3, 2 + 4)
    assert rounds[0].get("stroke") == rounds[1].get("stroke")  # one courier, one colour
    assert rounds[0].get("stroke-dasharray") != rounds[1].get("stroke-dasharray")
    legend = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "legend")
    texts = [t.text for t in legend.iter(f"{SVG}text")]
    assert "round 1" in texts and "round 2" in texts
    samples = {line.get("stroke-dasharray") for line in legend.iter(f"{SVG}line")}
    assert samples == {rounds[0].get("stroke-dasharray"), rounds[1].get("stroke-dasharray")}
