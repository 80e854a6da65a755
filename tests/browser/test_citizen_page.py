"""The citizen's page in a real headless Chromium (Debian's), served by a real uvicorn."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from tests.api.tracking_support import DORA, KARKH, new_item
from tests.browser.conftest import ARTIFACTS, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_sites")]

def _watch_csp(page: Page) -> list[str]:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    return violations


async def item_branch(conn, item_id: int):
    return await conn.fetchrow(
        "SELECT i.delivery_mode, i.mahalla, i.zuqaq, i.house, i.landmark, i.district, "
        "s.code, s.name_ar FROM items i JOIN sites s ON s.id = i.branch_id WHERE i.id = $1",
        item_id)


async def test_arabic_page_choose_pickup_at_the_second_branch(server, browser, conn):
    token, item_id = await new_item(conn, state="registered", mode="home", point=KARKH)
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ")
    page = await context.new_page()
    violations = _watch_csp(page)
    response = await page.goto(f"{server}/t/{token}")
    assert response.status == 200
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.get_attribute("html", "lang") == "ar"
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "citizen-page-ar.png"))
    await page.locator("#more-mode summary").click()  # choosing home came first: now folded
    second = page.locator("#branch-2")
    second_code = await second.get_attribute("value")
    assert second_code != "BG-002"
    await second.check()
    async with page.expect_navigation():
        await page.locator("#form-pickup button[type=submit]").click()
    assert "?m=saved" in page.url, await page.content()
    row = await item_branch(conn, item_id)
    assert (row["delivery_mode"], row["code"]) == ("pickup", second_code)
    assert await page.locator("#mode").inner_text() == "الاستلام من الفرع"
    assert row["name_ar"] in await page.locator("#branch").inner_text()
    assert await page.locator("#branch-2").is_checked()
    assert violations == []
    await context.close()


async def test_shared_geolocation_moves_the_item_to_the_branch_serving_it(server, browser,
                                                                          conn):
    token, item_id = await new_item(conn, state="registered", mode="home", point=KARKH)
    context = await browser.new_context(
        viewport=PHONE, geolocation={"latitude": DORA[0], "longitude": DORA[1]},
        permissions=["geolocation"])
    page = await context.new_page()
    violations = _watch_csp(page)
    await page.goto(f"{server}/t/{token}")
    before = await page.locator("#branch").inner_text()
    button = page.locator("#geo-button")
    assert await button.is_visible()
    async with page.expect_navigation():
        await button.click()
    row = await item_branch(conn, item_id)
    assert row["code"] == "BG-009"
    after = await page.locator("#branch").inner_text()
    assert after != before and row["name_ar"] in after
    assert "تم استلام موقعك" in await page.locator("#address").inner_text()
    assert violations == []
    await context.close()


async def test_without_javascript_the_manual_address_fields_work(server, browser, conn):
    token, item_id = await new_item(conn, state="registered", mode="home")
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{server}/t/{token}")
    assert not await page.locator("#geo-button").is_visible()
    await page.fill("#f-district", "المنصور")
    await page.fill("#f-mahalla", "605")
    await page.fill("#f-zuqaq", "11")
    await page.fill("#f-house", "3")
    await page.fill("#f-landmark", "قرب مدرسة الحرية")
    async with page.expect_navigation():
        await page.locator("#form-location button[type=submit]").click()
    row = await item_branch(conn, item_id)
    assert (row["district"], row["mahalla"], row["zuqaq"], row["house"], row["landmark"]) == (
        "المنصور", "605", "11", "3", "قرب مدرسة الحرية")
    assert "المنصور" in await page.locator("#address").inner_text()
    assert "تم حفظ اختيارك" in await page.locator("#message").inner_text()
    await context.close()


# --- accessibility of the basics, checked against the DOM ----------------------------------

UNLABELLED_FIELDS = """() => [...document.querySelectorAll('input, select, textarea')]
  .filter(el => el.type !== 'hidden')
  .filter(el => el.labels.length === 0 && !el.getAttribute('aria-label'))
  .map(el => el.outerHTML)"""
COLOURS = """(selectors) => selectors.flatMap(sel => [...document.querySelectorAll(sel)].map(el => {
  const style = getComputedStyle(el);
  let bg = 'rgba(0, 0, 0, 0)', node = el;
  while (node && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
    bg = getComputedStyle(node).backgroundColor; node = node.parentElement;
  }
  return {sel, fg: style.color, bg: bg === 'rgba(0, 0, 0, 0)' ? 'rgb(255, 255, 255)' : bg};
}))"""
TEXT_SELECTORS = ["body", "h1", "h2", "p", "dt", "dd", "label", "legend", "button", "header",
                  "header a", ".small", ".state", "time", "li", "input", "select", "textarea"]


def _luminance(css: str) -> float:
    parts = css[css.index("(") + 1:css.index(")")].split(",")
    channels = [int(float(p)) / 255 for p in parts[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(fg: str, bg: str) -> float:
    """WCAG 2 contrast ratio of two computed `rgb(...)` colours."""
    light, dark = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_contrast_formula_matches_wcag_reference_values():
    assert round(contrast("rgb(0, 0, 0)", "rgb(255, 255, 255)"), 1) == 21.0
    assert round(contrast("rgb(118, 118, 118)", "rgb(255, 255, 255)"), 2) == 4.54


@pytest.mark.parametrize(("state", "mode"), [("registered", None), ("delivered", "home")])
async def test_page_passes_basic_accessibility_checks(server, browser, conn, state, mode):
    token, _ = await new_item(conn, state=state, mode=mode)
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    for lang, direction in (("ar", "rtl"), ("ckb", "rtl"), ("en", "ltr")):
        await page.goto(f"{server}/t/{token}?lang={lang}")
        assert await page.get_attribute("html", "lang") == lang
        assert await page.get_attribute("html", "dir") == direction
        assert await page.title()
        assert await page.evaluate(UNLABELLED_FIELDS) == []
        assert await page.locator("h1").count() == 1
        for sample in await page.evaluate(COLOURS, TEXT_SELECTORS):
            ratio = contrast(sample["fg"], sample["bg"])
            assert ratio >= 4.5, f"{sample} has contrast {ratio:.2f}"
    await context.close()


# --- the page at 360 px, in Arabic and Sorani, at three moments of the journey ---------------

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
SMALL_TARGETS = """() => [...document.querySelectorAll('button, summary, input[type=radio]')]
  .filter(el => el.offsetParent !== null)
  .map(el => [el.closest('label') || el, el.outerHTML.slice(0, 60)])
  .filter(([box]) => box.getBoundingClientRect().height < 24)
  .map(([, html]) => html)"""
JOURNEY = [("registered", None, "agency"), ("out_for_delivery", "home", "out"),
           ("delivered", "home", "delivered")]


@pytest.mark.parametrize(("state", "mode", "name"), JOURNEY)
@pytest.mark.parametrize("lang", ["ar", "ckb"])
async def test_phone_page_reads_right_to_left_without_overflow(server, browser, conn, state,
                                                               mode, name, lang):
    token, _ = await new_item(conn, state=state, mode=mode)
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    violations = _watch_csp(page)
    await page.goto(f"{server}/t/{token}?lang={lang}")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"citizen-{name}-{lang}.png"), full_page=True)
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.evaluate(OVERFLOW) <= 0
    assert await page.evaluate(SMALL_TARGETS) == []
    free = await page.locator("#free").bounding_box()
    assert free is not None and free["y"] < PHONE["height"] / 2  # seen without scrolling
    current = page.locator("[aria-current=step]")
    assert await current.count() == 1 and await current.is_visible()
    assert violations == []
    await context.close()


async def test_delivered_page_asks_the_money_question_first_and_takes_the_answer(server, browser,
                                                                                conn):
    token, item_id = await new_item(conn, state="delivered", mode="home")
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{server}/t/{token}?lang=ckb")
    assert await page.locator("#now #form-report").is_visible()
    await page.locator("#form-report input[value=yes]").check()
    await page.fill("#f-complaint", "نامەبەر داوای پارەی کرد")
    async with page.expect_navigation():
        await page.locator("#form-report button[type=submit]").click()
    assert await page.locator("#reported").is_visible()
    assert await conn.fetchval("SELECT asked_for_money FROM citizen_reports WHERE item_id = $1",
                               item_id) is True
    await context.close()
