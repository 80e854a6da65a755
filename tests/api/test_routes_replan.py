"""A re-plan over HTTP: `POST /v1/ops/routes/{branch}/{day}/plan` plans the day now, through the
same service as the morning job and `tasheel routes plan`, for the branch's supervisors and
administrators only; a past day or a day the branch does not work is refused, naming the day."""

from __future__ import annotations

import datetime as dt
import random

from delivery.planning import shifts
from delivery.planning.model import BAGHDAD
from delivery.sites.calendar import WORKING_WEEKDAYS
from tests.helpers import auth, create_agency, staff_token
from tests.integration.planning_support import BRANCH, add_item, branch_point, spots_around


def next_day(working: bool) -> dt.date:
    """The first day after today that is (or is not) a working weekday."""
    day = dt.datetime.now(BAGHDAD).date() + dt.timedelta(days=1)
    while (day.weekday() in WORKING_WEEKDAYS) != working:
        day += dt.timedelta(days=1)
    return day


async def _world(client, conn):
    """A courier, a clerk and a supervisor of the branch, 10 items waiting at it."""
    headers = {name: await staff_token(client, conn, username=name, role=role, site_code=site,
                                       device_id=f"dev-{name}")
               for name, role, site in (("ali", "courier", BRANCH),
                                        ("clerk", "branch_clerk", BRANCH),
                                        ("boss", "supervisor", BRANCH),
                                        ("dora", "supervisor", "BG-003"),
                                        ("root", "admin", None))}
    await shifts.set_profile(conn, username="ali", vehicle="motorcycle", capacity=20,
                             start="08:30", end="15:30")
    depot = await branch_point(conn)
    for spot in spots_around(*depot, 10, radius_m=3000, rng=random.Random(5)):
        await add_item(conn, lat=spot.lat, lon=spot.lon)
    return headers


def _plan_path(day: dt.date, branch: str = BRANCH) -> str:
    return f"/v1/ops/routes/{branch}/{day.isoformat()}/plan"


async def test_a_supervisor_plans_their_branchs_day_and_gets_its_version(
        client, conn, settings, demo_sites):
    headers = await _world(client, conn)
    day = next_day(working=True)

    first = await client.post(_plan_path(day), headers=headers["boss"])
    again = await client.post(_plan_path(day), headers=headers["boss"])

    assert first.status_code == 200, first.text
    body = first.json()
    assert body["status"] == "planned" and body["version"] == 1
    assert body["branch"] == BRANCH and body["date"] == day.isoformat()
    assert body["items_routed"] + body["items_left_out"] == 10 and body["items_routed"] > 0
    assert body["travel_source"] == "haversine" and body["total_distance_m"] > 0
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    assert again.json()["version"] == 1 and again.json()["items_routed"] == body["items_routed"]
    shown = await client.get(f"/v1/ops/routes/{BRANCH}/{day.isoformat()}",
                             headers=headers["boss"])
    assert shown.json()["version"] == 1 and shown.json()["trigger"] == "api"
    assert "no-store" in first.headers["cache-control"]


async def test_an_administrator_may_plan_any_branch(client, conn, settings, demo_sites):
    headers = await _world(client, conn)
    response = await client.post(_plan_path(next_day(working=True)), headers=headers["root"])
    assert response.status_code == 200 and response.json()["version"] == 1


async def test_only_the_branchs_supervisors_may_plan_it(client, conn, settings, demo_sites):
    headers = await _world(client, conn)
    agency = auth(await create_agency(conn, "MOI-ROUTES"))
    path = _plan_path(next_day(working=True))

    answers = {name: (await client.post(path, headers=headers[name])).status_code
               for name in ("ali", "clerk", "dora")}
    answers["agency"] = (await client.post(path, headers=agency)).status_code
    answers["nobody"] = (await client.post(path)).status_code

    assert answers == {"ali": 403, "clerk": 403, "dora": 403, "agency": 401, "nobody": 401}
    assert await conn.fetchval("SELECT count(*) FROM route_plans") == 0
    missing = await client.post(_plan_path(next_day(working=True), "XX-999"),
                                headers=headers["root"])
    assert missing.status_code == 404


async def test_a_past_day_or_a_day_off_is_refused_naming_the_day(client, conn, settings,
                                                                demo_sites):
    headers = await _world(client, conn)
    yesterday = dt.datetime.now(BAGHDAD).date() - dt.timedelta(days=1)
    weekend = next_day(working=False)
    holiday = next_day(working=True)
    await conn.execute("INSERT INTO holidays (day, governorate, name) VALUES ($1, 'IQ-BG', "
                       "'local')", holiday)

    for day, words in ((yesterday, "past"), (weekend, "not a working day"),
                       (holiday, "not a working day")):
        response = await client.post(_plan_path(day), headers=headers["boss"])
        assert response.status_code == 422, (day, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        errors = response.json()["errors"]
        assert [e["field"] for e in errors] == ["path:day"] and words in errors[0]["message"]
    assert await conn.fetchval("SELECT count(*) FROM route_plans") == 0
