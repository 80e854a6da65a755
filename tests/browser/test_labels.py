"""The printable label pages in a real headless Chromium at the label's own size, with the
handheld's token: the barcode in a screenshot reads back as the item's S10 number and the bag's
id, and the page's own policy blocks nothing it needs."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.browser.conftest import ARTIFACTS
from tests.custody_world import applied, build_world, open_bag, submit
from tests.label_support import barcodes

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_sites")]

CSS_PX_PER_MM = 96 / 25.4


async def _screenshot(browser, server: str, headers: dict[str, str], path: str,
                      size_mm: tuple[int, int], artifact: str) -> tuple[Image.Image, list[str]]:
    """The label page at its printed size (three device pixels to the CSS pixel); the
    screenshot and what the console said."""
    width, height = (round(mm * CSS_PX_PER_MM) for mm in size_mm)
    context = await browser.new_context(viewport={"width": width, "height": height},
                                        device_scale_factor=3, extra_http_headers=headers,
                                        locale="ar-IQ")
    page = await context.new_page()
    said: list[str] = []
    page.on("console", lambda message: said.append(message.text))
    response = await page.goto(f"{server}{path}")
    assert response is not None and response.status == 200
    assert await page.get_attribute("html", "dir") == "rtl"
    assert await page.evaluate("document.scripts.length") == 0
    # Nothing spills off the label.
    assert await page.evaluate("document.documentElement.scrollWidth") <= width
    assert await page.evaluate("document.documentElement.scrollHeight") <= height
    ARTIFACTS.mkdir(exist_ok=True)
    picture = await page.screenshot(path=str(ARTIFACTS / artifact))
    await context.close()
    return Image.open(io.BytesIO(picture)), said


async def test_item_and_bag_label_pages_scan_back(server, browser, client, conn):
    world = await build_world(client, conn)
    tn = await submit(client, world.key, "PP-PAGE")
    await applied(client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    await applied(client, world.sorter, tn, "bag", bag=bag)

    item, said = await _screenshot(browser, server, world.sorter, f"/v1/labels/items/{tn}",
                                   (100, 50), "label-item.png")
    assert barcodes(item) == [tn]
    assert not [s for s in said if "Content Security Policy" in s], said
    bag_picture, said = await _screenshot(browser, server, world.clerk, f"/v1/labels/bags/{bag}",
                                          (100, 50), "label-bag.png")
    assert barcodes(bag_picture) == [bag]
    assert not [s for s in said if "Content Security Policy" in s], said
    large, _ = await _screenshot(browser, server, world.supervisor,
                                 f"/v1/labels/items/{tn}?size=100x150", (100, 150),
                                 "label-item-100x150.png")
    assert barcodes(large) == [tn]
