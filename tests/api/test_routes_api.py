"""Routes over HTTP: a courier sees their own stops only, masked; supervisors see the plan."""

from __future__ import annotations

import datetime as dt
import random

from delivery.planning import services, shifts
from tests.helpers import staff_token
from tests.integration.planning_support import (
    BRANCH,
    add_item,
    branch_point,
    early_on,
    spots_around,
    tomorrow,
)


async def _world(client, conn, settings):
    """Two couriers, a clerk and a supervisor of the branch; 16 items; tomorrow planned."""
    headers = {name: await staff_token(client, conn, username=name, role=role, site_code=BRANCH,
                                       device_id=f"dev-{name}")
               for name, role in (("ali", "courier"), ("bashir", "courier"),
                                  ("clerk", "branch_clerk"), ("boss", "supervisor"))}
    for name in ("ali", "bashir"):
        await shifts.set_profile(conn, username=name, vehicle="motorcycle", capacity=10,
                                 start="08:30", end="15:30")
    depot = await branch_point(conn)
    for spot in spots_around(*depot, 16, radius_m=3000, rng=random.Random(4)):
        await add_item(conn, lat=spot.lat, lon=spot.lon, phone="+9647701234" + str(
            random.Random(spot.lat).randint(100, 999)))
    day = tomorrow()
    await services.plan_branch_day(conn, settings, BRANCH, day, max_runtime_s=0.3,
                                   now=early_on(day) - dt.timedelta(days=1))
    return headers, day


async def _stored(conn, username):
    rows = await conn.fetch(
        "SELECT r.item_ids FROM route_stops r JOIN staff s ON s.id = r.courier_id "
        "WHERE s.username = $1 ORDER BY r.seq", username)
    numbers = await conn.fetch("SELECT id, tracking_number FROM items")
    by_id = {r["id"]: r["tracking_number"] for r in numbers}
    return [[by_id[i] for i in r["item_ids"]] for r in rows]


async def test_a_courier_sees_only_their_own_stops_in_order_with_masked_contacts(
        client, conn, settings, demo_sites):
    headers, day = await _world(client, conn, settings)

    response = await client.get("/v1/routes/mine", params={"date": day.isoformat()},
                                headers=headers["ali"])

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["plan_version"] == 1 and body["branch"] == BRANCH
    got = [[item["tracking_number"] for item in stop["items"]] for stop in body["stops"]]
    assert got == await _stored(conn, "ali") and got
    others = {tn for stop in await _stored(conn, "bashir") for tn in stop}
    assert not others & {tn for stop in got for tn in stop}
    item = body["stops"][0]["items"][0]
    assert item["citizen"] == "A. A. H." and item["phone"].startswith("+964 *** *** *")
    assert item["address_text"] and item["landmark"] == "near the mosque"
    assert "Ahmed" not in response.text and "+9647701234" not in response.text
    assert [s["seq"] for s in body["stops"]] == list(range(1, len(body["stops"]) + 1))
    assert all(s["planned_window"].count(":") == 2 for s in body["stops"])


async def test_routes_mine_refuses_other_roles_and_strangers(client, conn, settings, demo_sites):
    headers, _ = await _world(client, conn, settings)
    clerk = await client.get("/v1/routes/mine", headers=headers["clerk"])
    boss = await client.get("/v1/routes/mine", headers=headers["boss"])
    nobody = await client.get("/v1/routes/mine")
    assert (clerk.status_code, boss.status_code, nobody.status_code) == (403, 403, 401)


async def test_a_courier_is_told_when_a_new_version_changes_their_route(
        client, conn, settings, demo_sites):
    headers, day = await _world(client, conn, settings)
    await shifts.set_day(conn, username="bashir", day=day, off=True, reason="sick")
    await services.plan_branch_day(conn, settings, BRANCH, day, max_runtime_s=0.3)

    ali = (await client.get("/v1/routes/mine", params={"date": day.isoformat()},
                            headers=headers["ali"])).json()
    bashir = (await client.get("/v1/routes/mine", params={"date": day.isoformat()},
                               headers=headers["bashir"])).json()

    assert ali["plan_version"] == 2 and ali["changed_at"] is not None
    assert ali["notices"][0]["plan_version"] == 2
    assert bashir["stops"] == [] and bashir["notices"][0]["plan_version"] == 2


async def test_supervisors_get_the_plan_as_json(client, conn, settings, demo_sites):
    headers, day = await _world(client, conn, settings)

    data = await client.get(f"/v1/ops/routes/{BRANCH}/{day.isoformat()}", headers=headers["boss"])

    assert data.status_code == 200, data.text
    plan = data.json()
    assert {c["username"] for c in plan["couriers"]} == {"ali", "bashir"}
    assert plan["items_routed"] + plan["items_left_out"] == 16
    assert "Ahmed" not in data.text and "+9647701234" not in data.text


async def test_the_plan_page_and_picture_are_no_longer_served_to_bearer_tokens(
        client, conn, settings, demo_sites):
    headers, day = await _world(client, conn, settings)
    base = f"/ops/routes/{BRANCH}/{day.isoformat()}"
    for path in (base, f"{base}/plan.svg"):
        response = await client.get(path, headers=headers["boss"], follow_redirects=False)
        assert response.status_code in (303, 401, 302), path  # the console wants its session
        assert "<svg" not in response.text


async def test_plans_are_for_supervisors_only(client, conn, settings, demo_sites):
    headers, day = await _world(client, conn, settings)
    base = f"{BRANCH}/{day.isoformat()}"
    courier = await client.get(f"/v1/ops/routes/{base}", headers=headers["ali"])
    clerk = await client.get(f"/v1/ops/routes/{base}", headers=headers["clerk"])
    assert (courier.status_code, clerk.status_code) == (403, 403)


async def test_a_supervisor_sees_only_their_own_branchs_plans(client, conn, settings,
                                                             demo_sites):
    _, day = await _world(client, conn, settings)
    other = await staff_token(client, conn, username="boss-dora", role="supervisor",
                              site_code="BG-003", device_id="dev-dora")
    admin = await staff_token(client, conn, username="root", role="admin", site_code=None,
                              device_id="dev-root")
    base = f"{BRANCH}/{day.isoformat()}"
    for path in (f"/v1/ops/routes/{base}",):
        refused = await client.get(path, headers=other)
        assert refused.status_code == 403, path  # citizens' stops of another branch
        assert "BG-003" in refused.json()["detail"]
        assert (await client.get(path, headers=admin)).status_code == 200, path
    missing = await client.get(f"/v1/ops/routes/BG-003/{day.isoformat()}", headers=other)
    assert missing.status_code == 404
