"""The help desk's pages in a real headless Chromium at phone size: look up, send the code (read
from the fake Twilio), enter it, record pickup at a branch."""

from __future__ import annotations

import httpx
import pytest

from delivery.staff.services import create_staff
from tests.browser.conftest import ARTIFACTS, PHONE, sign_in
from tests.console_support import PASSWORD
from tests.helpers import auth, create_agency, document
from tests.integration.journey_support import CODE
from tests.integration.sms_support import drain

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_sites")]


async def test_the_help_desk_confirms_the_caller_and_records_pickup(sms_server, browser, conn,
                                                                    fake, sms_settings):
    key = await create_agency(conn, "MOI-PASSPORTS")
    async with httpx.AsyncClient(base_url=sms_server) as client:
        sent = await client.post("/v1/documents", json=document("DESK-1"), headers=auth(key))
    assert sent.status_code == 201, sent.text
    tn = sent.json()["tracking_number"]
    await create_staff(conn, username="desk", password=PASSWORD, role="helpdesk",
                       site_code=None, governorate="IQ-BG")
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ")
    page = await context.new_page()
    await sign_in(page, sms_server, "desk", next="/ops/helpdesk")
    assert page.url.endswith("/ops/helpdesk")
    assert await page.get_attribute("html", "dir") == "rtl"
    await page.fill("#f-tn", tn)
    await page.fill("#f-phone", "0770 123 4567")
    async with page.expect_navigation():
        await page.click("#lookup button[type=submit]")
    assert "/ops/helpdesk/items/" in page.url
    assert "4567" in await page.locator("#phone").inner_text()
    assert "123" not in await page.locator("#phone").inner_text()
    async with page.expect_navigation():
        await page.click("#send button[type=submit]")
    await drain(sms_settings, conn)
    code = CODE.search([m.body for m in fake.messages if "مكتب المساعدة" in m.body][-1]).group()
    await page.fill("#f-code", code)
    async with page.expect_navigation():
        await page.click("#confirm button[type=submit]")
    assert "done=accepted" in page.url
    await page.locator("#choose-pickup input[name=branch]").first.check()
    async with page.expect_navigation():
        await page.click("#choose-pickup button[type=submit]")
    assert "done=saved" in page.url, await page.content()
    assert await page.locator("#mode").inner_text() == "الاستلام من الفرع"
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "console-helpdesk.png"), full_page=True)
    row = await conn.fetchrow(
        "SELECT e.actor_role, e.payload FROM custody_events e JOIN items i ON i.id = e.item_id "
        "WHERE i.tracking_number = $1 AND e.action = 'choose_pickup'", tn)
    assert row["actor_role"] == "helpdesk"
    await context.close()
