"""The handheld app's files: its vendored libraries served byte for byte and cached for a year,
its own modules revalidated on every load."""

from __future__ import annotations

from delivery.platform.settings import PROJECT_ROOT

VENDOR = PROJECT_ROOT / "delivery" / "static" / "vendor"
APP_STATIC = PROJECT_ROOT / "delivery" / "handheld" / "static"


async def test_zxing_and_idb_are_served_as_vendored_with_a_long_cache(client):
    for name in ("zxing/index.min.js", "zxing/LICENSE", "idb/umd.js", "idb/LICENSE"):
        response = await client.get(f"/static/vendor/{name}")
        assert response.status_code == 200, name
        assert response.content == (VENDOR / name).read_bytes(), name
        assert "max-age=31536000" in response.headers["cache-control"], name
    assert (await client.get("/static/vendor/zxing/package.json")).status_code == 404


async def test_the_camera_module_is_served_as_javascript_and_revalidated(client):
    response = await client.get("/app/static/camera.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assert response.content == (APP_STATIC / "camera.js").read_bytes()
    assert "export async function startCamera(video, onCode)" in response.text
