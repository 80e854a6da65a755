"""The handheld's camera reads a label: Chromium's fake camera films a Code 128 barcode (a bag id,
an S10 number); `startCamera` hands the text to its caller once, and in the app a filmed tracking
number is queued and applied like a scanned one.

Chromium on Linux has no BarcodeDetector, so this runs the other path: the vendored ZXing,
loaded on demand by one <script>, decoding frames drawn into a canvas. The test says which path
ran, so a Chromium that grows a detector does not pass for the wrong reason."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from tests.browser.conftest import ARTIFACTS, CHROMIUM_ARGS, PHONE
from tests.browser.fake_camera import barcode_video
from tests.browser.handheld_support import app_sign_in, wait_status
from tests.custody_world import build_world, state_of, submit

pytestmark = [pytest.mark.browser]

FAKE_CAMERA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
# Start the camera, wait for a code, keep looking a second longer (the same label must not be
# reported again), stop, and say what happened.
READ_A_CODE = """async () => {
    const { startCamera } = await import("/app/static/camera.js");
    const video = document.createElement("video");
    document.body.append(video);
    const codes = [];
    const camera = await startCamera(video, (text) => codes.push(text));
    const stream = video.srcObject;
    const deadline = Date.now() + 20000;
    while (!codes.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1000));
    camera.stop();
    return {
        codes, decoder: camera.decoder, native: "BarcodeDetector" in window,
        scripts: document.querySelectorAll('script[src="/static/vendor/zxing/index.min.js"]').length,
        stopped: stream.getTracks().every((t) => t.readyState === "ended") && !video.srcObject,
    };
}"""


@pytest.mark.parametrize("text", ["BAG0000005724", "RR123456785IQ"])
async def test_the_camera_reads_a_label_once_through_zxing(server, chromium, tmp_path, text):
    video = barcode_video(text, tmp_path / "label.y4m")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True,
            args=[*CHROMIUM_ARGS, *FAKE_CAMERA, f"--use-file-for-fake-video-capture={video}"])
        try:
            page = await browser.new_page()
            # The app's page, under its Content-Security-Policy (localhost is a secure context).
            await page.goto(f"{server}/app")
            result = await page.evaluate(READ_A_CODE)
        finally:
            await browser.close()
    assert result["codes"] == [text], result
    assert result["stopped"], result
    if result["native"]:  # a Chromium with its own detector: say so rather than hide it
        assert result["decoder"] in ("native", "zxing"), result
    else:
        assert result["decoder"] == "zxing" and result["scripts"] == 1, result
    print(f"decoded {text} through {result['decoder']}")


@pytest.mark.usefixtures("demo_sites")
async def test_a_sorting_clerk_receives_a_document_by_filming_its_label(
        server, chromium, tmp_path, client, conn):
    world = await build_world(client, conn)
    tn = await submit(client, world.key, "FILMED")
    video = barcode_video(tn, tmp_path / "label.y4m")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium, headless=True,
            args=[*CHROMIUM_ARGS, *FAKE_CAMERA, f"--use-file-for-fake-video-capture={video}"])
        try:
            context = await browser.new_context(viewport=PHONE, locale="ar-IQ")
            page = await context.new_page()
            await app_sign_in(page, server, "sorter")
            await page.click("#camera-button")
            await wait_status(page, tn, "receive", "applied")
            await page.screenshot(path=str(ARTIFACTS / "handheld-camera.png"), full_page=True)
            await page.click("#camera-button")  # the camera stops
            assert await page.locator("#camera").is_hidden()
        finally:
            await browser.close()
    assert await page_count(conn, tn) == 1
    assert await state_of(conn, tn) == "received"


async def page_count(conn, tn: str) -> int:
    """How many receive scans of `tn` the server took: one label in view is one scan."""
    return await conn.fetchval("SELECT count(*) FROM scans WHERE code = $1 AND action = 'receive'",
                               tn)
