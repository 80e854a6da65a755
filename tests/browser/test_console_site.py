"""The supervisor's site view in a real headless Chromium at phone size: sign in, open the
site, acknowledge an alert, retry a dead letter."""

from __future__ import annotations

import pytest

from delivery.staff import services as staff
from tests.browser.conftest import ARTIFACTS, PHONE, sign_in
from tests.console_support import PASSWORD
from tests.custody_world import applied, build_world, submit
from tests.integration.journey_support import fake  # noqa: F401 (a fixture)
from tests.integration.sms_support import drain, outbox_row, twilio_settings

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_sites")]


async def _site_with_trouble(client, conn, settings, fake) -> tuple[str, str, int]:  # noqa: F811
    """A branch with an item stuck at sorting and a stopped SMS; its code, the item, the row."""
    world = await build_world(client, conn)
    fake.fail_next(10, status=503)
    await drain(twilio_settings(settings, fake, sms_max_attempts=1, sms_quiet_hours=""), conn)
    dead = await conn.fetchval("SELECT max(id) FROM outbox WHERE status = 'dead'")
    tn = await submit(client, world.key, "PP-STUCK")
    await applied(client, world.sorter, tn, "receive")
    # As if it had been received 30 hours ago (time passing, not a product write).
    await conn.execute("UPDATE items SET updated_at = now() - interval '30 hours' "
                       "WHERE tracking_number = $1", tn)
    return world.branch, tn, dead


async def test_a_supervisor_acknowledges_an_alert_and_retries_a_dead_letter(
        server, browser, client, conn, settings, fake):  # noqa: F811
    branch, tn, dead = await _site_with_trouble(client, conn, settings, fake)
    await staff.create_staff(conn, username="sup-site", password=PASSWORD, role="supervisor",
                             site_code=branch)
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ")
    page = await context.new_page()
    await sign_in(page, server, "sup-site", next="/ops/site")
    assert page.url.endswith("/ops/site"), page.url
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.locator("#count-received").inner_text() == "1"
    assert await page.locator("#stuck").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "console-site.png"), full_page=True)
    # Nothing wider than the phone: the page does not scroll sideways.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    await page.click("#open-alerts")
    alert = page.locator("section.alert", has_text=tn)
    await page.screenshot(path=str(ARTIFACTS / "console-site-alerts.png"), full_page=True)
    async with page.expect_navigation():
        await alert.locator("button[type=submit]").click()
    assert await page.locator("section.alert", has_text=tn).count() == 0
    await page.click("#acknowledged-link")
    assert "sup-site" in await page.locator("section.alert", has_text=tn).inner_text()

    await page.goto(f"{server}/ops/site/dead-letters")
    await page.screenshot(path=str(ARTIFACTS / "console-site-dead-letters.png"), full_page=True)
    async with page.expect_navigation():
        await page.locator(f"#dead-{dead} button[type=submit]").click()
    assert await page.locator(f"#dead-{dead}").count() == 0
    assert (await outbox_row(conn, dead))["status"] == "pending"  # no worker in this app
    await context.close()
