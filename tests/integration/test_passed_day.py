"""Never stranded: a chosen delivery day that went by is moved on to the next working day, the
item is planned then, and the citizen is told and may choose another."""

import datetime as dt
import re

import asyncpg
import msgspec
import pytest

from delivery.planning import services
from delivery.planning.carry_over import carry_over
from delivery.planning.model import BAGHDAD, local_day
from delivery.planning.tasks import plan_routes_job
from delivery.sites.calendar import is_working_day
from tests.custody_world import applied, last4
from tests.integration.journey_support import out, to_branch
from tests.integration.planning_support import add_courier

pytestmark = pytest.mark.usefixtures("demo_sites")


async def _choose_first_day_offered(world, me) -> dt.date:
    page = (await world.client.get(me.link())).text
    day = re.search(r'<option value="(\d{4}-\d{2}-\d{2})"', page).group(1)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    saved = await world.client.post(me.link() + "/schedule", data={
        "csrf": csrf, "day": day, "window": "afternoon"}, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    return dt.date.fromisoformat(day)


async def test_a_passed_day_is_planned_on_the_next_working_day_and_the_citizen_told(
        world, citizen, conn, sms_settings):
    me = citizen("ar")
    tn = await me.submit()
    assert await me.kinds() == ["accepted"]
    await to_branch(world, tn)
    chosen = await _choose_first_day_offered(world, me)

    # The chosen day goes by without a delivery; the next morning's run moves it on.
    morning = chosen + dt.timedelta(days=1)
    moved = await carry_over(conn, today=morning, holidays=frozenset(),
                             now=dt.datetime.now(dt.UTC))
    assert moved == 1
    new_day = await conn.fetchval("SELECT delivery_day FROM items WHERE tracking_number = $1", tn)
    assert new_day >= morning and is_working_day(new_day, ())
    assert all(not is_working_day(morning + dt.timedelta(days=n), ())
               for n in range((new_day - morning).days))

    kind, body = (await me.told())[-1]
    assert kind == "day_passed"
    assert f"{new_day.day}/{new_day.month}/{new_day.year}" in body and "/t/" in body

    await add_courier(conn, "rider", branch=world.branch)
    outcome = await services.plan_branch_day(conn, sms_settings, world.branch, new_day,
                                             max_runtime_s=0.2)
    assert outcome.items_routed == 1

    # Told once: a second run the same morning moves nothing.
    assert await carry_over(conn, today=morning, holidays=frozenset(),
                            now=dt.datetime.now(dt.UTC)) == 0
    assert (await me.kinds()).count("day_passed") == 1


async def test_a_delivered_item_is_never_told_its_day_passed(world, citizen, conn):
    me = citizen("en")
    tn = await me.submit()
    await me.told()
    await to_branch(world, tn)
    chosen = await _choose_first_day_offered(world, me)
    await out(world, tn)
    await applied(world.client, world.courier, tn, "deliver", otp=await me.code(),
                  id_last4=await last4(conn, tn))
    assert await carry_over(conn, today=chosen + dt.timedelta(days=1), holidays=frozenset(),
                            now=dt.datetime.now(dt.UTC)) == 0


async def test_the_morning_job_moves_passed_days_on_before_it_plans(world, citizen, conn,
                                                                    sms_settings):
    me = citizen("ckb")
    tn = await me.submit()
    await me.told()
    await to_branch(world, tn)
    await _choose_first_day_offered(world, me)
    # The citizen's day went by two days ago (as the morning after it would find it).
    await conn.execute("UPDATE items SET delivery_day = $2 WHERE tracking_number = $1", tn,
                       local_day(dt.datetime.now(dt.UTC)) - dt.timedelta(days=2))
    now_hour = dt.datetime.now(BAGHDAD).hour
    settings = msgspec.structs.replace(sms_settings, route_plan_hour=now_hour)
    pool = await asyncpg.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        await plan_routes_job({"settings": settings, "pool": pool})
    finally:
        await pool.close()
    day = await conn.fetchval("SELECT delivery_day FROM items WHERE tracking_number = $1", tn)
    assert day >= local_day(dt.datetime.now(dt.UTC))
    assert (await me.kinds())[-1] == "day_passed"
