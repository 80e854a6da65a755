"""The handheld app's promises about the device itself: codes are checked before anything is
queued (with the server's own rules), the token is renewed before it runs out, signing out
never loses a scan and leaves nothing behind, and the app speaks the staff member's language."""

from __future__ import annotations

import random

import pytest
from playwright.async_api import expect

from delivery.custody import s10
from delivery.custody.bags import is_valid_bag_id, new_bag_id
from delivery.custody.s10 import make_tracking_number
from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.handheld_support import app_sign_in, choose, code_sent_to, wait_status, wedge
from tests.custody_world import applied, build_world, state_of, submit, to_branch

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_sites")]


async def _phone(browser):
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ", has_touch=True,
                                        is_mobile=True)
    return context, await context.new_page()


async def _kept(page, store: str) -> list:
    return await page.evaluate(
        f"(async () => (await idb.openDB('tasheel-handheld')).getAll('{store}'))()")


async def test_the_device_checks_digits_as_the_server_does(server, browser):
    context, page = await _phone(browser)
    await page.goto(f"{server}/app")
    rng = random.Random(17)
    items = [make_tracking_number(rng.randrange(10**8)) for _ in range(300)]
    bags = [new_bag_id(rng.randrange(1, 10**9)) for _ in range(300)]
    # Single-digit changes: the device must judge each exactly as the server would (S10's
    # check digit lets a few through, by design; the Damm digit none).
    typos = [code[:i] + str((int(code[i]) + rng.randrange(1, 10)) % 10) + code[i + 1:]
             for code in items[:40] + bags[:40] for i in range(len(code)) if code[i].isdigit()]
    kinds = await page.evaluate(
        """async (codes) => {
             const {classify} = await import('/app/static/codes.js');
             return codes.map((c) => classify(c).kind || classify(c).error);
           }""", items + bags + typos)
    assert kinds == [_server_kind(code) for code in items + bags + typos]
    assert kinds.count("bad_check_digit") > 0.85 * len(typos)
    await context.close()


def _server_kind(code: str) -> str:
    if code.startswith("BAG"):
        return "bag" if is_valid_bag_id(code) else "bad_check_digit"
    return "item" if s10.is_valid(code) else "bad_check_digit"


async def test_a_mistyped_number_is_refused_on_the_device_in_arabic_and_never_queued(
        server, browser, client, conn):
    world = await build_world(client, conn)
    tn = await submit(client, world.key, "TYPO")
    wrong = tn[:9] + str((int(tn[9]) + 1) % 10) + tn[10:]
    context, page = await _phone(browser)
    await app_sign_in(page, server, "sorter")
    await wedge(page, wrong)
    await expect(page.locator("#toast")).to_contain_text("رقم التحقق خاطئ")
    assert await _kept(page, "scans") == []
    await wedge(page, tn.lower())  # a typed number in lower case is the same number
    await wait_status(page, tn, "receive", "applied")
    await context.close()


async def test_the_token_is_renewed_before_it_expires(server, browser, client, conn):
    world = await build_world(client, conn)
    tn = await submit(client, world.key, "RENEW")
    context, page = await _phone(browser)
    await app_sign_in(page, server, "sorter")
    [first] = await page.evaluate(
        "(async () => [await (await idb.openDB('tasheel-handheld')).get('kv', 'session')])()")
    # The stored session says the token is nearly spent; the next upload renews it first.
    await page.evaluate(
        """async () => {
             const db = await idb.openDB('tasheel-handheld');
             const s = await db.get('kv', 'session');
             s.issuedAt -= 7 * 3600 * 1000; s.expiresAt = Date.now() + 60 * 1000;
             await db.put('kv', s, 'session');
           }""")
    await page.reload()
    await page.wait_for_selector("nav.modes")
    renewals = []
    page.on("requestfinished", lambda r: renewals.append(r) if r.url.endswith("/v1/auth/renew")
            else None)
    await wedge(page, tn)
    await wait_status(page, tn, "receive", "applied")
    [second] = await page.evaluate(
        "(async () => [await (await idb.openDB('tasheel-handheld')).get('kv', 'session')])()")
    assert len(renewals) == 1
    # A full token life again (eight hours), not the minute that was left.
    assert second["expiresAt"] - second["issuedAt"] == first["expiresAt"] - first["issuedAt"]
    assert second["expiresAt"] > second["issuedAt"] + 7 * 3600 * 1000
    await context.close()


async def test_signing_out_waits_for_the_queue_then_wipes_the_device(server, browser, client,
                                                                     conn):
    world = await build_world(client, conn)
    tn = await submit(client, world.key, "WIPE")
    context, page = await _phone(browser)
    await app_sign_in(page, server, "sorter")
    device = await page.evaluate("localStorage.getItem('tasheel.device_id')")
    await context.set_offline(True)
    await page.wait_for_selector("#net.off")
    await wedge(page, tn)
    await page.click("#logout")
    await expect(page.locator("#toast")).to_contain_text("لم تُرسل 1")
    assert await page.locator("nav.modes").count() == 1  # still signed in, the scan kept
    await context.set_offline(False)
    await wait_status(page, tn, "receive", "applied")
    await page.click("#logout")
    await page.wait_for_selector("#login")
    assert await _kept(page, "scans") == [] and await _kept(page, "kv") == []
    assert await page.evaluate("localStorage.getItem('tasheel.device_id')") == device
    assert await state_of(conn, tn) == "received"
    await context.close()


async def test_a_branch_clerk_hands_a_document_to_a_proxy_at_the_counter_in_kurdish(
        sms_server, sms_settings, fake, browser, client, conn):
    world = await build_world(client, conn)
    tn = await submit(client, world.key, "COUNTER", document_type="degree_certificate",
                      mode="pickup", phone="07701110009")
    await to_branch(world, [tn])
    await applied(client, world.clerk, tn, "shelve")
    code = await code_sent_to(fake, sms_settings, conn, "+9647701110009")
    context, page = await _phone(browser)
    await page.goto(f"{sms_server}/app")
    await page.select_option("#lang", "ckb")
    await app_sign_in(page, sms_server, "clerk")
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.get_attribute("html", "lang") == "ckb"
    await choose(page, "shelf")
    shelf = page.locator(f"#list-ready_for_pickup li[data-tn='{tn}']")
    await expect(shelf).to_be_visible()
    await page.screenshot(path=str(ARTIFACTS / "handheld-shelf-ckb.png"), full_page=True)
    await choose(page, "collect")
    await wedge(page, tn)
    await page.fill("#f-otp", code)
    await page.fill("#f-id", "3344")  # the proxy's ID is the one checked
    await page.check("#f-proxy")
    await page.fill("#f-proxy-name", "Karim Ali")
    await page.fill("#f-proxy-id", "198811223344")
    await page.screenshot(path=str(ARTIFACTS / "handheld-counter-ckb.png"), full_page=True)
    await page.click("#handover button[type=submit]")
    await wait_status(page, tn, "collect", "applied")
    assert await state_of(conn, tn) == "collected"
    assert await page.locator("ol.scans li[data-status=applied] .status").first.inner_text() == "کرا"
    await context.close()
