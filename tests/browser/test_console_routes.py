"""A supervisor signs in and opens a day of routes on a phone: the stops list, then the picture."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from delivery.planning import services
from delivery.staff import services as staff
from tests.browser.conftest import ARTIFACTS, PHONE, sign_in
from tests.console_support import PASSWORD
from tests.integration.planning_support import (
    BRANCH,
    add_courier,
    add_item,
    branch_point,
    early_on,
    spots_around,
    tomorrow,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_sites")]


async def test_a_supervisor_reads_a_day_of_routes_on_a_phone(server, browser, conn, settings):
    for name in ("ali", "bashir"):
        await add_courier(conn, name, capacity=6)
    depot = await branch_point(conn)
    for spot in spots_around(*depot, 10, radius_m=2500, rng=random.Random(3)):
        await add_item(conn, lat=spot.lat, lon=spot.lon)
    day = tomorrow()
    await services.plan_branch_day(conn, settings, BRANCH, day, max_runtime_s=0.3,
                                   now=early_on(day) - dt.timedelta(days=1))
    await staff.create_staff(conn, username="boss", password=PASSWORD, role="supervisor",
                             site_code=BRANCH)
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ")
    page = await context.new_page()

    await sign_in(page, server, "boss", next="/ops/routes")
    await page.wait_for_url(f"{server}/ops/routes")
    await page.click(f"a[href='/ops/routes/{BRANCH}/{day.isoformat()}']")
    await page.wait_for_load_state("load")

    assert await page.locator("html").get_attribute("dir") == "rtl"
    assert await page.locator("ol.stops li").count() >= 2
    picture = page.locator(".route-picture img")
    assert await picture.evaluate("img => img.complete && img.naturalWidth > 0")
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing runs off the side of a phone
    stops_box = await page.locator(".route-stops").bounding_box()
    picture_box = await picture.bounding_box()
    assert stops_box and picture_box and picture_box["y"] >= stops_box["y"] + stops_box["height"]
    await page.screenshot(path=str(ARTIFACTS / "console-routes.png"), full_page=True)
    await context.close()


async def test_a_supervisor_marks_a_courier_off_on_a_phone(server, browser, conn):
    await add_courier(conn, "ali", capacity=6)
    await staff.create_staff(conn, username="boss", password=PASSWORD, role="supervisor",
                             site_code=BRANCH)
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ")
    page = await context.new_page()
    await sign_in(page, server, "boss", next="/ops/couriers")
    await page.wait_for_url(f"{server}/ops/couriers")

    day_off = page.locator("form[action^='/ops/couriers/day']")
    await day_off.locator("input[name=day]").fill(tomorrow().isoformat())
    await day_off.locator("input[name=reason]").fill("مريض")
    await day_off.locator("button[type=submit]").click()
    await page.wait_for_load_state("load")

    assert "مريض" in await page.locator("table").inner_text()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=str(ARTIFACTS / "console-couriers.png"), full_page=True)
    await context.close()
