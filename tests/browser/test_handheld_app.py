"""The handheld app in Debian's Chromium at a phone's size, used as postal staff use it: a
sorting clerk, a branch clerk and a courier each do their part of the day through the app
alone, scanning with a keyboard wedge; the courier loses the network half-way and nothing is
lost or applied twice."""

from __future__ import annotations

import datetime as dt
import random
import re
from datetime import datetime

import pytest
from playwright.async_api import expect

from delivery.planning import services
from delivery.planning.model import BAGHDAD
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.handheld_support import app_sign_in, choose, code_sent_to, scan_row, wait_status, wedge
from tests.console_support import PASSWORD
from tests.custody_world import (
    applied,
    build_world,
    last4,
    open_bag,
    state_of,
    submit,
    to_branch,
)
from tests.helpers import auth, staff_token
from tests.integration.planning_support import (
    BRANCH,
    add_courier,
    add_item,
    branch_point,
    early_on,
    spots_around,
)

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_sites")]


async def _phone(browser, **options):
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ", has_touch=True,
                                        is_mobile=True, **options)
    return context, await context.new_page()


def _fits(width: int) -> bool:
    return width <= PHONE["width"]


async def test_a_sorting_clerk_receives_bags_and_dispatches_with_a_keyboard_wedge(
        server, browser, client, conn):
    world = await build_world(client, conn)
    tns = [await submit(client, world.key, f"SORT-{n}") for n in range(2)]
    context, page = await _phone(browser)
    await app_sign_in(page, server, "sorter")
    assert await page.get_attribute("html", "dir") == "rtl"

    for tn in tns:  # the first screen is receiving
        await wedge(page, tn)
    for tn in tns:
        await wait_status(page, tn, "receive", "applied")
    async with context.expect_page() as label:  # the label of the last one, for the printer
        await page.click("#print-item")
    assert (await label.value).url.startswith("blob:")

    await choose(page, "bag")
    # A bag opened for the wrong branch refuses the item, in Arabic, before anything moves.
    await page.select_option("#f-destination", world.other_branch)
    await page.click("#open-bag-button")
    await page.wait_for_selector("#bag-id")
    await wedge(page, tns[0])
    await wait_status(page, tns[0], "bag", "rejected")
    why = await scan_row(page, tns[0], "bag").locator(".why").inner_text()
    assert why == "لفرع آخر غير فرع هذا الكيس"
    assert await page.locator("#toast").is_visible()
    await page.screenshot(path=str(ARTIFACTS / "handheld-refused.png"), full_page=True)

    await page.click("text=كيس آخر")
    await page.select_option("#f-destination", world.branch)
    await page.click("#open-bag-button")
    bag = (await page.locator("#bag-id").inner_text()).strip()
    assert re.fullmatch(r"BAG[0-9]{10}", bag)
    await page.locator("#scan").focus()
    for tn in tns:
        await wedge(page, tn)
    await expect(page.locator("ol.scans li[data-action=bag][data-status=applied]")).to_have_count(2)
    assert await page.locator("#bag-count").inner_text() == "في الكيس: 2"
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "handheld-sorting-bag.png"), full_page=True)

    async with context.expect_page() as label:  # the label opens for the print dialog
        await page.click("#print-bag")
    assert (await label.value).url.startswith("blob:")
    await page.click("#dispatch-bag")
    await wait_status(page, bag, "dispatch", "applied")
    assert [await state_of(conn, tn) for tn in tns] == ["in_transit", "in_transit"]
    assert _fits(await page.evaluate("document.documentElement.scrollWidth"))
    await page.screenshot(path=str(ARTIFACTS / "handheld-sorting.png"), full_page=True)
    await context.close()


async def test_a_branch_clerk_arrives_a_bag_sees_the_missing_item_and_hands_to_a_courier(
        server, browser, client, conn):
    world = await build_world(client, conn)
    tns = [await submit(client, world.key, f"ARR-{n}") for n in range(3)]
    for tn in tns:
        await applied(client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    for tn in tns:
        await applied(client, world.sorter, tn, "bag", bag=bag)
    await applied(client, world.sorter, bag, "dispatch")
    context, page = await _phone(browser)
    await app_sign_in(page, server, "clerk")

    await choose(page, "arrive")
    await wedge(page, bag)
    await wait_status(page, bag, "arrive", "applied")
    present, missing = tns[:2], tns[2]
    for tn in present:  # the third never turns up at the counter
        await wedge(page, tn)
    for tn in present:
        await wait_status(page, tn, "arrive", "applied")
    await page.wait_for_selector(f"#manifest li[data-tn='{present[1]}'][data-mark=confirmed]")
    flagged = page.locator(f"#manifest li[data-tn='{missing}']")
    assert await flagged.get_attribute("data-mark") == "missing"
    assert "ناقصة" in await flagged.inner_text()
    assert await page.locator("#manifest-count").inner_text() == "مُسحت 2 من 3"
    await page.screenshot(path=str(ARTIFACTS / "handheld-manifest.png"), full_page=True)

    await choose(page, "to_courier")
    await page.select_option("#f-courier", "courier")
    await page.locator("#scan").focus()
    for tn in present:
        await wedge(page, tn)
    for tn in present:
        await wait_status(page, tn, "to_courier", "applied")
    assert [await state_of(conn, tn) for tn in present] == ["out_for_delivery"] * 2
    assert _fits(await page.evaluate("document.documentElement.scrollWidth"))
    await page.screenshot(path=str(ARTIFACTS / "handheld-branch.png"), full_page=True)
    await context.close()


async def _device_scans(page) -> list[dict]:
    """The scans the app holds in its IndexedDB queue, as the device recorded them."""
    return await page.evaluate(
        "(async () => (await idb.openDB('tasheel-handheld')).getAll('scans'))()")


async def test_a_courier_works_offline_and_the_queue_uploads_once_with_device_times(
        sms_server, sms_settings, fake, browser, client, conn):
    world = await build_world(client, conn)
    phones = ["07701110001", "07701110002", "07701110003"]
    tns = [await submit(client, world.key, f"RUN-{n}", phone=p) for n, p in enumerate(phones)]
    await to_branch(world, tns)
    for tn in tns:
        await applied(client, world.clerk, tn, "to_courier", courier="courier")
    code = await code_sent_to(fake, sms_settings, conn, "+9647701110001")
    deliver_tn, fail_tn, kept_tn = tns

    # Where the courier stands: the delivery's proof keeps the point, offline too.
    context, page = await _phone(browser, geolocation={"latitude": 33.3121, "longitude": 44.3614},
                                 permissions=["geolocation"])
    await app_sign_in(page, sms_server, "courier")
    await page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    uploads = []
    page.on("requestfinished", lambda r: uploads.append(r) if r.url.endswith("/v1/scans") else None)

    await context.set_offline(True)
    await page.wait_for_selector("#net.off")
    await choose(page, "take")
    for tn in tns:
        await wedge(page, tn)
    await choose(page, "fail")
    await wedge(page, fail_tn)
    await page.check("#failure input[value=absent]")
    await page.click("#failure button[type=submit]")
    await choose(page, "deliver")
    await wedge(page, deliver_tn)
    await page.fill("#f-otp", code)
    await page.fill("#f-id", await last4(conn, deliver_tn))
    await page.click("#handover button[type=submit]")
    await expect(page.locator("ol.scans li[data-status=queued]")).to_have_count(5)
    # Nothing has reached the server; the queue survives a reload with no network (the service
    # worker serves the app).
    await page.reload()
    await page.wait_for_selector("nav.modes")
    assert await page.locator("ol.scans li[data-status=queued]").count() == 5
    assert "5" in await page.locator("#net").inner_text()
    await page.screenshot(path=str(ARTIFACTS / "handheld-courier-offline.png"), full_page=True)
    assert uploads == [] and await state_of(conn, deliver_tn) == "out_for_delivery"

    await context.set_offline(False)
    await expect(page.locator("ol.scans li[data-status=applied]")).to_have_count(5)
    assert len(uploads) == 1  # one batch, sent once
    await page.screenshot(path=str(ARTIFACTS / "handheld-courier-online.png"), full_page=True)
    assert [await state_of(conn, tn) for tn in tns] == [
        "delivered", "delivery_failed", "out_for_delivery"]

    made = {(s["code"], s["action"]): s["at"] for s in await _device_scans(page)}
    assert all("otp" not in s and "id_last4" not in s for s in await _device_scans(page))
    for tn in tns:
        response = await client.get(f"/v1/documents/{tn}", headers=auth(world.key))
        events = response.json()["events"]
        mine = [e for e in events if e["action"] in {"take", "fail", "deliver"}]
        expected = [a for (c, a) in made if c == tn]
        assert sorted(e["action"] for e in mine) == sorted(expected)  # each exactly once
        for event in mine:
            assert _same_instant(event["scanned_at"], made[(tn, event["action"])])
    await choose(page, "summary")
    summary = page.locator("#summary")
    await expect(summary.locator("dd[data-action=take]")).to_have_text("3")
    assert await summary.locator("dd[data-action=deliver]").inner_text() == "1"
    assert await summary.locator("dd[data-action=fail]").inner_text() == "1"
    # Still with the courier: the one taken and not delivered, and the failed one until returned.
    assert await page.locator("#holding").inner_text() == "معك الآن: 2"
    await page.screenshot(path=str(ARTIFACTS / "handheld-courier-summary.png"), full_page=True)
    proof = await conn.fetchval(
        "SELECT e.payload->'proof'->'point' FROM custody_events e JOIN items i ON i.id = e.item_id "
        "WHERE i.tracking_number = $1 AND e.action = 'deliver'", deliver_tn)
    assert proof == {"lat": 33.3121, "lon": 44.3614}
    assert kept_tn
    await context.close()


def _same_instant(a: str, b: str) -> bool:
    return datetime.fromisoformat(a) == datetime.fromisoformat(b)


async def test_a_courier_follows_the_route_and_calls_only_the_citizen_whose_item_they_hold(
        server, browser, client, conn, settings):
    courier_id = await add_courier(conn, "ali")
    clerk = await staff_token(client, conn, username="clerk", role="branch_clerk",
                              site_code=BRANCH, device_id="dev-clerk")
    ali = {**clerk, **(await _login(client, "ali", "dev-ali"))}
    depot = await branch_point(conn)
    for n, spot in enumerate(spots_around(*depot, 3, radius_m=2000, rng=random.Random(7))):
        await add_item(conn, lat=spot.lat, lon=spot.lon, phone=f"+96477012340{n}{n}")
    today = dt.datetime.now(BAGHDAD).date()
    await services.plan_branch_day(conn, settings, BRANCH, today, max_runtime_s=0.3,
                                   now=early_on(today) - dt.timedelta(days=1))
    route = (await client.get("/v1/routes/mine", headers=ali)).json()
    planned = [i["tracking_number"] for stop in route["stops"] for i in stop["items"]]
    assert len(planned) == 3, route
    held, other = planned[0], planned[1]
    await applied(client, clerk, held, "to_courier", courier="ali")
    await applied(client, ali, held, "take")

    context, page = await _phone(browser)
    await app_sign_in(page, server, "ali")
    stops = page.locator("#route li.stop")
    await expect(stops).to_have_count(len(route["stops"]))
    first = route["stops"][0]
    geo = await stops.first.locator("a[data-geo]").get_attribute("href")
    assert geo == f"geo:{first['lat']},{first['lon']}?q={first['lat']},{first['lon']}"
    phone = await conn.fetchval("SELECT citizen_phone FROM items WHERE tracking_number = $1", held)
    assert phone[4:] not in await page.locator("#route").inner_text()  # masked until asked

    await page.locator(f"#route li[data-tn='{other}'] button.call").click()
    await expect(page.locator("#toast")).to_be_visible()
    assert await page.locator(f"#route li[data-tn='{other}'] .phone a").count() == 0
    await page.locator(f"#route li[data-tn='{held}'] button.call").click()
    link = page.locator(f"#route li[data-tn='{held}'] .phone a")
    await expect(link).to_have_attribute("href", f"tel:{phone}")
    await page.screenshot(path=str(ARTIFACTS / "handheld-route.png"), full_page=True)
    reveals = await conn.fetch(
        "SELECT i.tracking_number, r.staff_id FROM phone_reveals r JOIN items i ON i.id = r.item_id")
    assert [(r["tracking_number"], r["staff_id"]) for r in reveals] == [(held, courier_id)]
    await context.close()


async def _login(client, username: str, device: str) -> dict[str, str]:
    response = await client.post("/v1/auth/login", json={
        "username": username, "password": PASSWORD, "device_id": device})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}", "X-Device-Id": device}


async def test_at_the_end_of_the_day_the_courier_returns_what_failed_and_the_clerk_accepts_it(
        server, browser, client, conn):
    world = await build_world(client, conn)
    tn = await submit(client, world.key, "BACK")
    await to_branch(world, [tn])
    await applied(client, world.clerk, tn, "to_courier", courier="courier")
    await applied(client, world.courier, tn, "take")
    await applied(client, world.courier, tn, "fail", reason="absent")

    courier_context, courier = await _phone(browser)
    await app_sign_in(courier, server, "courier")
    await choose(courier, "return")
    await wedge(courier, tn)
    await wait_status(courier, tn, "return", "applied")

    clerk_context, clerk = await _phone(browser)
    await app_sign_in(clerk, server, "clerk")
    await choose(clerk, "accept")
    await wedge(clerk, tn)
    await wait_status(clerk, tn, "accept", "applied")
    assert await state_of(conn, tn) == "at_branch"
    # Taking it back a second time is refused, with the reason in the clerk's language.
    await wedge(clerk, tn)
    await expect(clerk.locator("ol.scans li[data-status=rejected] .why")).to_have_count(1)
    await clerk.screenshot(path=str(ARTIFACTS / "handheld-accept.png"), full_page=True)
    await courier_context.close()
    await clerk_context.close()


async def test_a_sorting_clerk_hands_a_cancelled_document_back_to_its_agency(
        server, browser, client, conn):
    world = await build_world(client, conn)
    tn = await submit(client, world.key, "CANCELLED")
    await applied(client, world.sorter, tn, "receive")
    cancelled = await client.post(f"/v1/documents/{tn}/cancel", headers=auth(world.key))
    assert cancelled.status_code == 200, cancelled.text
    context, page = await _phone(browser)
    await app_sign_in(page, server, "sorter")
    await choose(page, "returned")
    await wedge(page, tn)
    # Who at the agency signs for it: asked before the scan is queued.
    await page.fill("#f-signed-name", "Zainab Kareem")
    await page.fill("#f-signed-id", "4321")
    await page.click("#signature button[type=submit]")
    await wait_status(page, tn, "returned", "applied")
    assert await state_of(conn, tn) == "returned_to_agency"
    signed = await conn.fetchval(
        "SELECT e.payload->'signed_by' FROM custody_events e JOIN items i ON i.id = e.item_id "
        "WHERE i.tracking_number = $1 AND e.action = 'returned'", tn)
    assert signed == {"name": "Zainab Kareem", "id_last4": "4321"}
    await context.close()
