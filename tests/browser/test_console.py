"""The operations console in Debian's Chromium at phone size: signing in, the inspector's day
with a complaint made on the citizen's page, signing out. Screenshots go to `artifacts/`."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page

from delivery.staff import services as staff
from tests.api.tracking_support import new_item
from tests.browser.conftest import ARTIFACTS, PHONE, sign_in
from tests.console_support import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_sites")]
WORDS = "طلب مني الموزع عشرين ألف دينار"


def watch(page: Page) -> list[str]:
    """Console errors and CSP violations the page causes (there must be none)."""
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


async def signed_in(browser: Browser, server: str, username: str, *, shot: str | None = None):
    """A phone-sized browser signed in through the login form; returns (context, page)."""
    context = await browser.new_context(viewport=PHONE, locale="ar-IQ")
    page = await context.new_page()
    await page.goto(f"{server}/ops")
    assert "/ops/login" in page.url
    assert await page.get_attribute("html", "dir") == "rtl"
    if shot:
        ARTIFACTS.mkdir(exist_ok=True)
        await page.screenshot(path=str(ARTIFACTS / shot), full_page=True)
    await sign_in(page, server, username)
    return context, page


async def test_an_inspector_handles_a_complaint_made_on_the_citizens_page(server, browser, conn):
    token, _ = await new_item(conn, state="delivered", branch="BG-002")
    citizen = await browser.new_context(viewport=PHONE, locale="ar-IQ")
    mine = await citizen.new_page()
    await mine.goto(f"{server}/t/{token}")
    await mine.locator("#form-report input[value=yes]").check()
    await mine.fill("#f-complaint", WORDS)
    async with mine.expect_navigation():
        await mine.locator("#form-report button[type=submit]").click()
    assert await mine.locator("#reported").is_visible()
    await citizen.close()

    await staff.create_staff(conn, username="noor", password=PASSWORD, role="inspector",
                             site_code=None, governorate="IQ-BG")
    context, page = await signed_in(browser, server, "noor", shot="console-login.png")
    problems = watch(page)
    assert page.url.endswith("/ops")
    await page.screenshot(path=str(ARTIFACTS / "console-home-inspector.png"), full_page=True)
    async with page.expect_navigation():
        await page.locator("a.card").first.click()
    assert page.url.endswith("/ops/complaints")
    await page.screenshot(path=str(ARTIFACTS / "console-complaints.png"), full_page=True)
    async with page.expect_navigation():
        await page.locator("#complaints tbody a").first.click()
    assert await page.locator("#words").inner_text() == WORDS
    await page.locator("#handle input[value=staff_warned]").check()
    await page.fill("#f-note", "أُنذر الموزع وأُبلغت مديرية البريد")
    async with page.expect_navigation():
        await page.locator("#handle button[type=submit]").click()
    assert "تم إنذار الموظف" in await page.locator("#history").inner_text()
    await page.screenshot(path=str(ARTIFACTS / "console-complaint.png"), full_page=True)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing runs off a phone's screen
    async with page.expect_navigation():
        await page.locator("header form.inline button").click()
    assert "/ops/login" in page.url
    assert problems == []
    await context.close()


async def test_a_supervisor_is_offered_no_complaints_and_is_refused_them(server, browser, conn):
    await staff.create_staff(conn, username="boss", password=PASSWORD, role="supervisor",
                             site_code="BG-002")
    context, page = await signed_in(browser, server, "boss")
    await page.screenshot(path=str(ARTIFACTS / "console-home-supervisor.png"), full_page=True)
    assert await page.locator("header nav.menu a[href='/ops/complaints']").count() == 0
    response = await page.goto(f"{server}/ops/complaints")
    assert response.status == 403
    await context.close()
