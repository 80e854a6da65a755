"""The API schema viewer in a real Chromium that can reach nothing but Tasheel itself."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.async_api import Route

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

DOCUMENTS_OPERATION = '.opblock-summary-path[data-path="/v1/documents"]'


async def test_swagger_ui_renders_with_no_network_beyond_the_service(server, browser):
    own_host = urlsplit(server).netloc
    elsewhere: list[str] = []

    async def only_the_service(route: Route) -> None:
        if urlsplit(route.request.url).netloc == own_host:
            await route.continue_()
        else:
            elsewhere.append(route.request.url)
            await route.abort()

    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    await context.route("**/*", only_the_service)
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    for path in ("/schema", "/schema/swagger"):
        response = await page.goto(f"{server}{path}")
        assert response is not None and response.status == 200
        operation = page.locator(DOCUMENTS_OPERATION).first
        await operation.wait_for(state="visible", timeout=15_000)
    assert await page.locator(".info .title").first.inner_text() != ""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "schema-viewer.png"))
    # "Try it out" works under the page's Content-Security-Policy (requests to the service only).
    health = page.locator(".opblock", has=page.locator('[data-path="/health"]')).first
    await health.locator(".opblock-summary").click()
    await health.locator("button.try-out__btn").click()
    await health.locator("button.execute").click()
    status = health.locator(".live-responses-table tr.response .response-col_status").first
    await status.wait_for(state="visible", timeout=15_000)
    assert (await status.inner_text()).strip() == "200"
    assert elsewhere == []
    assert problems == []
    await context.close()
