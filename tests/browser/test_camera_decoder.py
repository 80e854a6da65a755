"""The handheld's camera module reads a label: Chromium's fake camera films a Code 128 barcode
(a bag id, an S10 number) and `startCamera` hands the text to its caller once.

Chromium on Linux has no BarcodeDetector, so this runs the other path: the vendored ZXing,
loaded on demand by one <script>, decoding frames drawn into a canvas. The test says which path
ran, so a Chromium that grows a detector does not pass for the wrong reason."""

from __future__ import annotations

import pytest
from playwright.async_api import async_playwright

from tests.browser.conftest import CHROMIUM_ARGS
from tests.browser.fake_camera import barcode_video

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
            # Any page of the app's origin will do (localhost is a secure context); there is no
            # handheld page yet, and a licence file (application/octet-stream) is downloaded.
            await page.goto(f"{server}/health")
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
