"""With MAP_TILE_URL set, the day of routes runs Tasheel's own Leaflet under its policy."""

from __future__ import annotations

import datetime as dt
import random

import msgspec
import pytest

from delivery.planning import services
from delivery.platform.settings import Settings
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
# A tile host that answers nothing: the map must still be drawn, with no other host contacted.
TILES = "http://127.0.0.1:9/{z}/{x}/{y}.png"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(settings, map_tile_url=TILES)


async def test_the_route_lines_are_drawn_on_a_leaflet_map_with_no_policy_violation(
        server, browser, conn, settings):
    await add_courier(conn, "ali", capacity=6)
    depot = await branch_point(conn)
    for spot in spots_around(*depot, 5, radius_m=2000, rng=random.Random(5)):
        await add_item(conn, lat=spot.lat, lon=spot.lon)
    day = tomorrow()
    await services.plan_branch_day(conn, settings, BRANCH, day, max_runtime_s=0.3,
                                   now=early_on(day) - dt.timedelta(days=1))
    await staff.create_staff(conn, username="boss", password=PASSWORD, role="supervisor",
                             site_code=BRANCH)
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ")
    page = await context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security" in m.text else None)
    hosts: set[str] = set()
    page.on("request", lambda r: hosts.add(r.url.split("/")[2]))

    await sign_in(page, server, "boss", next=f"/ops/routes/{BRANCH}/{day.isoformat()}")
    await page.wait_for_selector("#route-map.leaflet-container path.leaflet-interactive")

    assert await page.locator("#route-map path.leaflet-interactive").count() >= 2
    assert not refused, refused
    assert hosts <= {server.split("/")[2], "127.0.0.1:9"}
    await page.screenshot(path=str(ARTIFACTS / "console-routes-map.png"), full_page=True)
    await context.close()
