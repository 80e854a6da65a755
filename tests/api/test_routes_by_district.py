"""Items known only by address words: a stop at their district's or mahalla's point, flagged
for the courier to call ahead; with no known place, reported to the branch with the words."""

from __future__ import annotations

import datetime as dt

import pytest

from delivery.planning import services, shifts
from delivery.sites.districts import Gazetteer, seed_districts
from tests.helpers import staff_token
from tests.integration.planning_support import BRANCH, add_item, branch_point, early_on, tomorrow

PLACES = Gazetteer(seed_districts())
KARKH, MANSOUR = PLACES.match("IQ-BG", "Karkh"), PLACES.match("IQ-BG", "Mansour")


@pytest.fixture
async def planned(client, conn, settings, demo_sites):
    """A courier and a supervisor of the branch; four items, three without a point; planned."""
    headers = {name: await staff_token(client, conn, username=name, role=role, site_code=BRANCH,
                                       device_id=f"dev-{name}")
               for name, role in (("ali", "courier"), ("boss", "supervisor"))}
    await shifts.set_profile(conn, username="ali", vehicle="motorcycle", capacity=10,
                             start="08:30", end="15:30")
    depot = await branch_point(conn)
    await add_item(conn, lat=depot[0] + 0.01, lon=depot[1])
    await add_item(conn, lat=None, lon=None, district="الكـرخ", address_text="قرب الجسر")
    await add_item(conn, lat=None, lon=None, district=None, address_text="حي المنصور شارع ١٤")
    await add_item(conn, lat=None, lon=None, district="Nowhere", address_text="door 9")
    day = tomorrow()
    await services.plan_branch_day(conn, settings, BRANCH, day, max_runtime_s=0.3,
                                   now=early_on(day) - dt.timedelta(days=1))
    return headers, day


async def test_the_courier_gets_a_call_ahead_stop_at_the_district_point(client, planned):
    headers, day = planned
    body = (await client.get("/v1/routes/mine", params={"date": day.isoformat()},
                             headers=headers["ali"])).json()
    stops = {(round(s["lat"], 4), round(s["lon"], 4)): s for s in body["stops"]}
    assert len(body["stops"]) == 3
    for place in (KARKH, MANSOUR):
        stop = stops[(place.lat, place.lon)]
        assert (stop["call_ahead"], stop["located_by"]) == (True, "district")
    own = [s for s in body["stops"] if (round(s["lat"], 4), round(s["lon"], 4)) not in
           {(KARKH.lat, KARKH.lon), (MANSOUR.lat, MANSOUR.lon)}]
    assert [(s["call_ahead"], s["located_by"]) for s in own] == [(False, None)]


async def test_the_branch_sees_the_flag_and_the_unplaced_item_with_its_words(client, planned):
    headers, day = planned
    plan = (await client.get(f"/v1/ops/routes/{BRANCH}/{day.isoformat()}",
                             headers=headers["boss"])).json()
    stops = plan["couriers"][0]["stops"]
    assert sorted(s["call_ahead"] for s in stops) == [False, True, True]
    assert [(r["reason"], r.get("district")) for r in plan["left_out"]] == [
        ("no_location", "Nowhere")]
    assert "door 9" not in str(plan)
