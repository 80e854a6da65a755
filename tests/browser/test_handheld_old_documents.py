"""A courier delivers a renewed document in the handheld app and takes the old one back: the
form asks for the old document's number, a wrong one is refused in Arabic, the right one,
scanned off the old document with the keyboard wedge, delivers the new one, and the old one is
then in the courier's hands to bring back."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import ARTIFACTS, PHONE
from tests.browser.handheld_support import app_sign_in, choose, code_sent_to, scan_row, wait_status, wedge
from tests.custody_world import applied, build_world, last4, state_of, to_branch
from tests.helpers import auth, document

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_sites")]

OLD_NUMBER = "A1234567"


async def _phone(browser):
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ", has_touch=True,
                                        is_mobile=True)
    return context, await context.new_page()


async def _hand_over(page, code: str, digits: str, old_number: str) -> None:
    """The deliver form filled in, the old document's barcode read last with the wedge into its
    field: the wedge's Enter submits the form."""
    await expect(page.locator("#old-document")).to_be_visible()
    await page.fill("#f-otp", code)
    await page.fill("#f-id", digits)
    await page.focus("#f-old-number")
    await page.keyboard.type(old_number, delay=5)
    await page.keyboard.press("Enter")


async def test_a_courier_takes_the_old_document_back_with_the_new_ones_delivery(
        sms_server, sms_settings, fake, browser, client, conn):
    world = await build_world(client, conn)
    body = {**document("RENEW", phone="07701110021"), "old_document": {"number": OLD_NUMBER}}
    response = await client.post("/v1/documents", json=body, headers=auth(world.key))
    tn = response.json()["tracking_number"]
    await to_branch(world, [tn])
    await applied(client, world.clerk, tn, "to_courier", courier="courier")
    await applied(client, world.courier, tn, "take")
    code = await code_sent_to(fake, sms_settings, conn, "+9647701110021")
    digits = await last4(conn, tn)

    context, page = await _phone(browser)
    await app_sign_in(page, sms_server, "courier")
    await choose(page, "deliver")
    await wedge(page, tn)
    await expect(page.locator("#old-document")).to_contain_text("رقم الوثيقة القديمة")
    await page.screenshot(path=str(ARTIFACTS / "handheld-old-document-form.png"), full_page=True)
    await _hand_over(page, code, digits, "A7654321")
    await wait_status(page, tn, "deliver", "rejected")
    why = await scan_row(page, tn, "deliver").locator(".why").inner_text()
    assert why == "رقم الوثيقة القديمة لا يطابق ما أرسلته الجهة"
    await page.screenshot(path=str(ARTIFACTS / "handheld-old-document-refused.png"),
                          full_page=True)
    assert await state_of(conn, tn) == "out_for_delivery"

    await wedge(page, tn)
    await _hand_over(page, code, digits, OLD_NUMBER.lower())
    await wait_status(page, tn, "deliver", "applied")
    assert await state_of(conn, tn) == "delivered"
    kept = await page.evaluate(
        "(async () => (await idb.openDB('tasheel-handheld')).getAll('scans'))()")
    assert [s for s in kept if s["action"] == "deliver"] and not [
        s for s in kept if "old_document_number" in s]  # sent, then not kept on the device
    old_tn = (await client.get(f"/v1/documents/{tn}", headers=auth(world.key))).json()[
        "old_document"]["tracking_number"]

    await choose(page, "summary")
    held = page.locator(f"#held li[data-tn='{old_tn}']")
    await expect(held).to_have_attribute("data-state", "returning")
    await expect(held).to_contain_text("أرجِعها إلى الفرع")
    await expect(page.locator("#holding")).to_have_text("معك الآن: 1")
    await page.screenshot(path=str(ARTIFACTS / "handheld-old-document-held.png"), full_page=True)

    await choose(page, "return")
    await wedge(page, old_tn)
    await wait_status(page, old_tn, "return", "applied")
    await choose(page, "summary")
    await expect(page.locator("#holding")).to_have_text("معك الآن: 0")
    await context.close()
