"""The supervisor's routes in the console: the branch's days, a day's stops beside the picture,
planning again, couriers' days off and hours; another branch's supervisor sees none of it."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import re
import xml.etree.ElementTree as ET

import msgspec
from litestar.testing import AsyncTestClient

from delivery.planning import services
from delivery.platform.settings import PROJECT_ROOT
from delivery.web.app import create_app
from tests.console_support import console_login
from tests.integration.planning_support import (
    BRANCH,
    add_courier,
    add_item,
    branch_point,
    early_on,
    spots_around,
    tomorrow,
)

SVG = "{http://www.w3.org/2000/svg}"
OTHER = "BG-003"
VENDOR = PROJECT_ROOT / "delivery" / "static" / "vendor"


async def _day(conn, settings) -> dt.date:
    """Two couriers of the branch, 12 items at it, tomorrow planned as the morning job would."""
    for name in ("ali", "bashir"):
        await add_courier(conn, name, capacity=10)
    depot = await branch_point(conn)
    for n, spot in enumerate(spots_around(*depot, 12, radius_m=3000, rng=random.Random(7))):
        await add_item(conn, lat=spot.lat, lon=spot.lon, phone=f"+9647701234{n:03d}")
    day = tomorrow()
    await services.plan_branch_day(conn, settings, BRANCH, day, max_runtime_s=0.3,
                                   now=early_on(day) - dt.timedelta(days=1))
    return day


async def _boss(client, conn, username="boss", site=BRANCH):
    return await console_login(client, conn, username=username, role="supervisor", site=site)


async def _stops(conn, username) -> list[list[str]]:
    rows = await conn.fetch(
        "SELECT r.item_ids FROM route_stops r JOIN route_plans p ON p.id = r.plan_id "
        "JOIN staff s ON s.id = r.courier_id WHERE s.username = $1 "
        "AND p.version = (SELECT max(version) FROM route_plans) ORDER BY r.seq", username)
    numbers = {r["id"]: r["tracking_number"]
               for r in await conn.fetch("SELECT id, tracking_number FROM items")}
    return [[numbers[i] for i in r["item_ids"]] for r in rows]


async def test_the_branchs_planned_days_link_to_each_day(client, conn, settings, demo_sites):
    day = await _day(conn, settings)
    boss = await _boss(client, conn)

    page = await boss.get("/ops/routes")

    assert page.status_code == 200, page.text
    assert f'href="/ops/routes/{BRANCH}/{day.isoformat()}"' in page.text


async def test_a_day_lists_each_couriers_stops_in_order_without_names_or_phones(
        client, conn, settings, demo_sites):
    day = await _day(conn, settings)
    boss = await _boss(client, conn)

    page = await boss.get(f"/ops/routes/{BRANCH}/{day.isoformat()}")

    assert page.status_code == 200, page.text
    for courier in ("ali", "bashir"):
        expected = [tn for stop in await _stops(conn, courier) for tn in stop]
        section = page.text.split(f"<h2>{courier}</h2>", 1)[1].split("<h2>", 1)[0]
        assert re.findall(r'href="/ops/items/(RR\d+IQ)"', section) == expected
    assert "near the mosque" in page.text and "mahalla" in page.text
    assert "Ahmed" not in page.text and "+9647701234" not in page.text
    assert f"/ops/routes/{BRANCH}/{day.isoformat()}/plan.svg" in page.text
    assert "<script" not in page.text  # no MAP_TILE_URL: the picture alone
    arrivals = await conn.fetch("SELECT arrival_at FROM route_stops ORDER BY arrival_at")
    assert arrivals[0]["arrival_at"].astimezone(dt.timezone(dt.timedelta(hours=3))).strftime(
        "%H:%M") in page.text  # Asia/Baghdad


async def test_the_picture_is_drawn_for_the_session(client, conn, settings, demo_sites):
    day = await _day(conn, settings)
    boss = await _boss(client, conn)

    svg = await boss.get(f"/ops/routes/{BRANCH}/{day.isoformat()}/plan.svg")

    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    paths = [p for p in ET.fromstring(svg.text).iter(f"{SVG}path") if p.get("class") == "route"]
    busy = [c for c in ("ali", "bashir") if await _stops(conn, c)]
    assert len(paths) == len(busy)


async def test_odd_page_numbers_and_versions_answer_a_page_not_an_error(client, conn, settings,
                                                                        demo_sites):
    day = await _day(conn, settings)
    boss = await _boss(client, conn)
    base = f"/ops/routes/{BRANCH}/{day.isoformat()}"
    for path in (f"{base}?version={2**40}", f"{base}/plan.svg?version={2**40}",
                 f"{base}?version=x", "/ops/routes?page=-4", f"/ops/couriers?page={2**70}",
                 f"/ops/routes/{BRANCH}/2026-13-45", "/ops/routes/NOPE/2026-12-07"):
        response = await boss.get(path)
        assert response.status_code in (200, 400, 403, 404, 422), path


async def test_another_branchs_supervisor_is_refused_and_an_administrator_is_not(
        client, conn, settings, demo_sites):
    day = await _day(conn, settings)
    base = f"/ops/routes/{BRANCH}/{day.isoformat()}"
    other = await _boss(client, conn, username="boss-dora", site=OTHER)
    for path in (base, f"{base}/plan.svg", f"/ops/routes?branch={BRANCH}",
                 f"/ops/couriers?branch={BRANCH}"):
        refused = await other.get(path)
        assert refused.status_code in (403, 404), path
        assert not re.search(r"RR\d{9}IQ", refused.text) and ">ali<" not in refused.text
    replan = await other.post(f"/ops/routes/{BRANCH}/plan", data={"day": day.isoformat()})
    assert replan.status_code in (403, 404)
    assert await conn.fetchval("SELECT count(*) FROM route_plans") == 1
    admin = await console_login(client, conn, username="root", role="admin", site=OTHER)
    assert (await admin.get(base)).status_code == 200


async def test_a_day_off_then_planning_again_makes_a_version_without_that_courier(
        client, conn, settings, demo_sites):
    day = await _day(conn, settings)
    boss = await _boss(client, conn)

    off = await boss.post("/ops/couriers/day", data={
        "username": "bashir", "day": day.isoformat(), "kind": "off", "reason": "sick"})
    listed = await boss.get("/ops/couriers")
    replanned = await boss.post(f"/ops/routes/{BRANCH}/plan", data={"day": day.isoformat()})
    page = await boss.get(replanned.headers["location"])

    assert off.status_code == 303 and replanned.status_code == 303
    assert "sick" in listed.text and day.isoformat() in listed.text
    assert 'data-version="2"' in page.text
    assert "<h2>bashir</h2>" not in page.text and "<h2>ali</h2>" in page.text
    assert await _stops(conn, "bashir") == []


async def test_planning_again_with_nothing_changed_keeps_the_version(client, conn, settings,
                                                                    demo_sites):
    day = await _day(conn, settings)
    boss = await _boss(client, conn)

    replanned = await boss.post(f"/ops/routes/{BRANCH}/plan", data={"day": day.isoformat()})
    page = await boss.get(replanned.headers["location"])

    assert replanned.status_code == 303 and 'data-version="1"' in page.text
    assert await conn.fetchval("SELECT count(*) FROM route_plans") == 1


async def test_planning_a_past_day_is_refused_on_the_page(client, conn, settings, demo_sites):
    await _day(conn, settings)
    boss = await _boss(client, conn)
    yesterday = (tomorrow() - dt.timedelta(days=2)).isoformat()

    refused = await boss.post(f"/ops/routes/{BRANCH}/plan", data={"day": yesterday})

    assert refused.status_code == 422 and yesterday in refused.text
    assert await conn.fetchval("SELECT count(*) FROM route_plans") == 1


async def test_couriers_forms_refuse_bad_input_with_a_message_and_write_nothing(
        client, conn, settings, demo_sites):
    await add_courier(conn, "ali", capacity=10)
    await add_courier(conn, "omar", branch=OTHER)
    boss = await _boss(client, conn)
    day = tomorrow().isoformat()
    past = (tomorrow() - dt.timedelta(days=2)).isoformat()
    cases = [
        ("/ops/couriers/day", {"username": "ali", "day": day, "kind": "hours", "start": "14:00",
                               "end": "09:00"}, "end after"),
        ("/ops/couriers/day", {"username": "ali", "day": past, "kind": "off", "reason": "x"},
         "in the past"),
        ("/ops/couriers/day", {"username": "nobody", "day": day, "kind": "off", "reason": "x"},
         "no courier nobody"),
        ("/ops/couriers/day", {"username": "omar", "day": day, "kind": "off", "reason": "x"},
         "no courier omar"),
        ("/ops/couriers/profile", {"username": "ali", "vehicle": "car", "capacity": "5",
                                   "start": "16:00", "end": "08:00"}, "end after"),
        ("/ops/couriers/profile", {"username": "omar", "vehicle": "car", "capacity": "5",
                                   "start": "08:00", "end": "16:00"}, "no courier omar"),
        ("/ops/couriers/clear", {"username": "ali", "day": past}, "in the past"),
    ]
    for path, form, said in cases:
        refused = await boss.post(f"{path}?lang=en", data=form)
        assert refused.status_code == 422, (path, form)
        assert said in refused.text, (path, form)
    assert await conn.fetchval("SELECT count(*) FROM courier_days") == 0
    profiles = await conn.fetch("SELECT vehicle, capacity_items FROM courier_profiles")
    assert sorted((r["vehicle"], r["capacity_items"]) for r in profiles) == [
        ("motorcycle", 10), ("motorcycle", 40)]


async def test_other_hours_and_clearing_a_day_show_on_the_couriers_page(client, conn, settings,
                                                                        demo_sites):
    await add_courier(conn, "ali", capacity=10)
    boss = await _boss(client, conn)
    day = tomorrow().isoformat()

    hours = await boss.post("/ops/couriers/day", data={
        "username": "ali", "day": day, "kind": "hours", "start": "10:00", "end": "13:00"})
    profile = await boss.post("/ops/couriers/profile", data={
        "username": "ali", "vehicle": "car", "capacity": "25", "start": "09:00", "end": "17:00"})
    shown = (await boss.get("/ops/couriers")).text
    cleared = await boss.post("/ops/couriers/clear", data={"username": "ali", "day": day})
    after = (await boss.get("/ops/couriers")).text

    assert (hours.status_code, profile.status_code, cleared.status_code) == (303, 303, 303)
    assert "10:00-13:00" in shown and "09:00-17:00" in shown and "25" in shown
    assert "10:00-13:00" not in after


async def test_with_a_tile_server_the_day_draws_on_a_street_map_of_that_host_only(
        conn, settings, demo_sites):
    tiles = msgspec.structs.replace(settings, map_tile_url="https://tiles.example/{z}/{x}/{y}.png")
    day = await _day(conn, settings)
    async with AsyncTestClient(app=create_app(tiles)) as client:
        boss = await _boss(client, conn)
        page = await boss.get(f"/ops/routes/{BRANCH}/{day.isoformat()}")
        scripts = re.findall(r'<script src="([^"]+)"', page.text)
        served = [await client.get(src) for src in scripts]

    assert page.status_code == 200, page.text
    csp = page.headers["content-security-policy"]
    assert "img-src 'self' https://tiles.example" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert any("/static/vendor/leaflet/leaflet.js" in s for s in scripts)
    assert all(r.status_code == 200 for r in served)
    leaflet = (VENDOR / "leaflet" / "leaflet.js").read_bytes()
    assert hashlib.sha256(served[0].content).digest() == hashlib.sha256(leaflet).digest()
    assert "tiles.example" in page.text and "Ahmed" not in page.text
