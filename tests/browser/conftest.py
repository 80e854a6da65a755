"""What every browser test needs: Debian's Chromium through Playwright, and the whole app served
by a real uvicorn. Screenshots go to `artifacts/` (CI keeps them)."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import uvicorn
from playwright.async_api import Browser, Page, async_playwright

from delivery.platform.settings import PROJECT_ROOT, Settings
from delivery.web.app import create_app
from tests.console_support import PASSWORD
from tests.fakes.twilio import FakeTwilio
from tests.helpers import free_port
from tests.integration.sms_support import twilio_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
ARTIFACTS = PROJECT_ROOT / "artifacts"
PHONE = {"width": 360, "height": 740}


@contextlib.contextmanager
def serving(settings: Settings) -> Iterator[str]:
    """The whole app under uvicorn in a background thread, with `settings`; its base URL."""
    port = free_port()
    config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                            log_level="warning", lifespan="on")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not instance.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    """The whole app, served; yields its base URL."""
    with serving(settings) as url:
        yield url


@pytest.fixture
def fake() -> Iterator[FakeTwilio]:
    with FakeTwilio() as twilio:
        yield twilio


@pytest.fixture
def sms_settings(settings: Settings, fake: FakeTwilio) -> Settings:
    return twilio_settings(settings, fake, sms_quiet_hours="")


@pytest.fixture
def sms_server(sms_settings: Settings) -> Iterator[str]:
    """The whole app, sending SMS through the fake Twilio (at any hour); yields its base URL."""
    with serving(sms_settings) as url:
        yield url


@pytest.fixture
def chromium() -> str:
    if not Path(CHROMIUM).exists():
        # CI always has it (.ci/run installs it), so there the browser tests never go missing.
        if os.environ.get("CI"):
            pytest.fail("Debian's chromium is missing: .ci/run installs it")
        pytest.skip("needs Debian's chromium: apt-get install chromium")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium,
                                                    args=CHROMIUM_ARGS, headless=True)
        yield launched
        await launched.close()


async def sign_in(page: Page, server: str, username: str, *, next: str = "/ops",
                  password: str = PASSWORD) -> None:
    """Sign in through the console's login form, as a person would, landing on `next`."""
    await page.goto(f"{server}/ops/login?next={next}")
    await page.fill("#f-username", username)
    await page.fill("#f-password", password)
    async with page.expect_navigation():
        await page.locator("#login button[type=submit]").click()
