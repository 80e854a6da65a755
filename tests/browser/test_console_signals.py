"""The integrity signals page in Debian's Chromium on a phone: an inspector of Baghdad signs in,
reads the charts right to left with the far courier marked, and opens the items behind it."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from delivery.staff import services as staff
from tests.browser.conftest import ARTIFACTS, PHONE, sign_in
from tests.console_support import PASSWORD
from tests.custody_world import applied, build_world, out_for_delivery, submit
from tests.integration.signals_support import FAR, HOME, plain_hand_over

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_sites")]


async def _world(client, conn) -> list[str]:
    world = await build_world(client, conn)
    far = [await plain_hand_over(world, conn, f"FAR-{n}", courier="courier", at=FAR)
           for n in range(3)]
    for n in range(2):
        await plain_hand_over(world, conn, f"NEAR-{n}", courier="courier2", at=HOME)
    absent = await submit(client, world.key, "ABSENT")
    await out_for_delivery(world, absent)
    await applied(client, world.courier, absent, "fail", reason="absent")
    return far


async def _sign_in(page: Page, server: str) -> None:
    await sign_in(page, server, "noor", next="/ops/signals")


async def test_the_signals_page_reads_well_on_a_phone(server, browser, client, conn):
    far = await _world(client, conn)
    await staff.create_staff(conn, username="noor", password=PASSWORD, role="inspector",
                             site_code=None, governorate="IQ-BG")
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ")
    page = await context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    await _sign_in(page, server)
    assert page.url.endswith("/ops/signals"), page.url
    assert await page.get_attribute("html", "dir") == "rtl"
    chart = page.locator("#staff-far svg")
    assert await chart.count() == 1
    box = await chart.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert "⚠" in await page.locator("#staff-far tr.outlier").inner_text()
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing runs off the side of the phone
    ARTIFACTS.mkdir(exist_ok=True)
    await page.locator("#staff-far").scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "console-signals.png"), full_page=True)
    async with page.expect_navigation():
        await page.locator("#staff-far tr.outlier a").first.click()
    listed = await page.locator("main table").inner_text()
    assert all(tn in listed for tn in far)
    await page.screenshot(path=str(ARTIFACTS / "console-signal-items.png"), full_page=True)
    assert violations == []
    await context.close()
