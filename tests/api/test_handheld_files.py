"""The handheld app's files: the page, its manifest and service worker; its vendored libraries
served byte for byte; everything revalidated on every load (the URLs carry no version) and kept
by the service worker; and the whole shell small enough for a weak mobile link."""

from __future__ import annotations

import gzip
import json
import re

from delivery.handheld import shell
from delivery.platform.settings import PROJECT_ROOT

VENDOR = PROJECT_ROOT / "delivery" / "static" / "vendor"
APP_STATIC = PROJECT_ROOT / "delivery" / "handheld" / "static"
SHELL_BUDGET = 150 * 1024  # compressed, the camera's decoder apart (it loads on first use)


async def test_the_page_is_arabic_first_and_loads_nothing_from_elsewhere(client):
    response = await client.get("/app")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe" not in csp
    assert '<html lang="ar" dir="rtl">' in response.text
    assert '<link rel="manifest" href="/app/manifest.webmanifest">' in response.text
    assert not re.search(r"""(src|href)=["']https?://""", response.text)
    rules = json.loads(re.search(r'<script type="application/json" id="doctypes">(.*?)</script>',
                                 response.text).group(1))
    passport = next(r for r in rules if r["code"] == "passport")
    assert passport["needs_id_check"] and not passport["proxy_allowed"]


async def test_the_manifest_makes_it_installable_under_app(client):
    response = await client.get("/app/manifest.webmanifest")
    assert response.headers["content-type"].startswith("application/manifest+json")
    manifest = response.json()
    assert (manifest["start_url"], manifest["scope"], manifest["display"]) == (
        "/app", "/app", "standalone")
    assert manifest["lang"] == "ar" and manifest["dir"] == "rtl"
    for icon in manifest["icons"]:
        assert (await client.get(icon["src"])).status_code == 200


async def test_the_service_worker_keeps_every_file_the_app_loads(client):
    response = await client.get("/app/sw.js")
    assert response.headers["service-worker-allowed"] == "/app"
    assert response.headers["content-type"].startswith("text/javascript")
    precached = json.loads(re.search(r"const PRECACHED = (\[.*?\]);", response.text).group(1))
    own = {f"/app/static/{p.relative_to(APP_STATIC)}" for p in APP_STATIC.rglob("*") if p.is_file()}
    assert own | {"/app", "/app/manifest.webmanifest", "/static/vendor/idb/umd.js"} == set(precached)
    for url in precached:
        assert (await client.get(url)).status_code == 200, url
    assert f'const VERSION = "{shell.version()}"' in response.text


async def test_zxing_and_idb_are_served_as_vendored_and_revalidated(client):
    for name in ("zxing/index.min.js", "zxing/LICENSE", "idb/umd.js", "idb/LICENSE"):
        response = await client.get(f"/static/vendor/{name}")
        assert response.status_code == 200, name
        assert response.content == (VENDOR / name).read_bytes(), name
        assert response.headers["cache-control"] == "no-cache", name
    assert (await client.get("/static/vendor/zxing/package.json")).status_code == 404


async def test_the_camera_module_is_served_as_javascript_and_revalidated(client):
    response = await client.get("/app/static/camera.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assert response.content == (APP_STATIC / "camera.js").read_bytes()
    assert "export async function startCamera(video, onCode)" in response.text


async def test_the_app_shell_weighs_under_150_kb_compressed(client):
    total = 0
    for url in shell.precached():
        body = (await client.get(url)).content
        total += len(gzip.compress(body, compresslevel=6))
    assert total < SHELL_BUDGET, f"the shell is {total} bytes compressed"
