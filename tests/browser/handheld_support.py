"""Driving the handheld app as postal staff do: signing in, choosing a screen, and scanning the
way a rugged handheld's keyboard wedge does (the characters typed into the focused field, then
Enter)."""

from __future__ import annotations

import asyncio
import time

from playwright.async_api import Page

from tests.console_support import PASSWORD
from tests.integration.journey_support import CODE
from tests.integration.sms_support import drain


async def app_sign_in(page: Page, server: str, username: str, password: str = PASSWORD) -> None:
    await page.goto(f"{server}/app")
    await page.fill("#username", username)
    await page.fill("#password", password)
    await page.click("#login button[type=submit]")
    await page.wait_for_selector("nav.modes")


async def choose(page: Page, mode: str) -> None:
    await page.click(f"nav.modes button[data-mode={mode}]")
    await page.wait_for_selector(f"nav.modes button[data-mode={mode}][aria-pressed=true]")


async def wedge(page: Page, code: str) -> None:
    """What a keyboard-wedge scanner does: types into whatever has the focus, then Enter. The
    app must have kept its scan field focused for this to land there."""
    assert await page.evaluate("document.activeElement && document.activeElement.id") == "scan"
    await page.keyboard.type(code, delay=5)
    await page.keyboard.press("Enter")


def scan_row(page: Page, code: str, action: str):
    return page.locator(f"ol.scans li[data-code='{code}'][data-action='{action}']").first


async def wait_status(page: Page, code: str, action: str, status: str) -> None:
    await page.wait_for_selector(
        f"ol.scans li[data-code='{code}'][data-action='{action}'][data-status='{status}']")


async def code_sent_to(fake, settings, conn, phone: str, *, within_s: float = 10) -> str:
    """The one-time code in the last SMS carrying one that the fake Twilio received for `phone`
    (E.164), relaying the outbox until it arrives (other messages may come before or after)."""
    deadline = time.monotonic() + within_s
    while True:
        await drain(settings, conn)
        bodies = [m.body for m in fake.messages if m.to == phone]
        codes = [found.group() for body in bodies if (found := CODE.search(body))]
        if codes:
            return codes[-1]
        assert time.monotonic() < deadline, f"no code reached {phone}: {bodies}"
        await asyncio.sleep(0.2)
