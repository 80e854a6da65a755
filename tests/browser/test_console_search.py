"""The console's search and item timeline in Debian's Chromium at a phone's width: sign in,
search by tracking number, open the timeline."""

from __future__ import annotations

import pytest

from delivery.staff.services import create_staff
from tests.browser.conftest import ARTIFACTS, PHONE, sign_in
from tests.integration.console_search_support import two_governorates

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_sites")]

PASSWORD = "correct horse battery"


async def test_search_by_tracking_number_then_read_the_timeline(server, browser, client, conn):
    items = await two_governorates(client, conn)
    await create_staff(conn, username="insp", password=PASSWORD, role="inspector",
                       governorate="IQ-BG", site_code=None)
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ")
    page = await context.new_page()
    await sign_in(page, server, "insp")
    await page.goto(f"{server}/ops/search")
    await page.fill("#q", items.baghdad.lower())
    async with page.expect_navigation():
        await page.locator("#q").press("Enter")
    async with page.expect_navigation():
        await page.locator(f"#results a[href='/ops/items/{items.baghdad}']").click()
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.locator("#tn").inner_text() == items.baghdad
    assert "سلسلة الحيازة سليمة" in await page.locator("#chain").inner_text()
    events = await conn.fetchval("SELECT chain_length FROM items WHERE tracking_number = $1",
                                 items.baghdad)
    assert await page.locator("#timeline li").count() == events
    assert "dev-sorter" in await page.locator("#timeline").inner_text()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the page scrolls sideways at 360 px"
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "console-item.png"), full_page=True)
    await page.goto(f"{server}/ops/search?q=2468")
    await page.screenshot(path=str(ARTIFACTS / "console-search.png"), full_page=True)
    await context.close()
