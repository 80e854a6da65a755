"""The handheld app's page at `/app`, its manifest and its service worker (its scripts under
`/app/static/` and the vendored libraries are served by `vendor.py`).

The page and the scripts carry no data of anyone: they are the same for every member of staff,
so the service worker may keep them and the app opens with no network. What a member of staff
sees comes from the staff API with their token, never from these routes.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

import jinja2
from litestar import Response, get

from delivery.custody.doctypes import DOCUMENT_TYPES

HERE = Path(__file__).parent
STATIC_DIR = HERE / "static"
STATIC_URL = "/app/static"
VENDOR_URL = "/static/vendor"
# Loaded by the page itself; the camera's decoder is fetched (and then kept) only when used.
VENDOR_SHELL = ("idb/umd.js",)
VENDOR_ON_DEMAND = ("zxing/index.min.js",)

# Everything the page loads is ours; the camera plays into a <video>, labels open as PDF blobs.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "media-src 'self' blob: mediastream:; connect-src 'self'; worker-src 'self'; "
       "frame-src 'self' blob:; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'; manifest-src 'self'")
SHELL_HEADERS = {
    # Revalidated every time it is fetched over the network; offline, the service worker has it.
    "Cache-Control": "no-cache", "Content-Security-Policy": CSP,
    "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

_env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"), autoescape=True,
                          trim_blocks=True, lstrip_blocks=True, auto_reload=False)


def _static_files() -> list[str]:
    return sorted(str(p.relative_to(STATIC_DIR)) for p in STATIC_DIR.rglob("*") if p.is_file())


def document_types() -> list[dict[str, object]]:
    """The hand-over rules the app applies before queueing a delivery or a collection: whether
    the ID's last four digits are asked for, whether a proxy may collect, and whether the old
    document is always taken back."""
    return [{"code": t.code, "needs_id_check": t.needs_id_check,
             "proxy_allowed": t.proxy_allowed, "takes_old_document": t.takes_old_document,
             "name": {"ar": t.name_ar, "ckb": t.name_ckb, "en": t.name_en}}
            for t in DOCUMENT_TYPES]


@functools.cache
def shell_page() -> str:
    return _env.get_template("app.html.j2").render(
        doctypes=json.dumps(document_types(), ensure_ascii=False), version=version())


@functools.cache
def version() -> str:
    """A digest of everything the app is made of: a new release gets a new service worker,
    which fetches the new files and drops the old ones."""
    digest = hashlib.sha256()
    for name in _static_files():
        digest.update(name.encode())
        digest.update((STATIC_DIR / name).read_bytes())
    for template in sorted((HERE / "templates").iterdir()):
        digest.update(template.read_bytes())
    digest.update(json.dumps(document_types()).encode())
    return digest.hexdigest()[:16]


def precached() -> list[str]:
    """What the service worker stores when it installs: the page and every file it loads."""
    return (["/app", "/app/manifest.webmanifest"]
            + [f"{STATIC_URL}/{name}" for name in _static_files()]
            + [f"{VENDOR_URL}/{name}" for name in VENDOR_SHELL])


@functools.cache
def service_worker() -> str:
    return _env.get_template("sw.js.j2").render(
        version=version(), precached=json.dumps(precached()),
        on_demand=json.dumps([f"{VENDOR_URL}/{name}" for name in VENDOR_ON_DEMAND]))


MANIFEST = {
    "name": "تسهيل — جهاز البريد",
    "short_name": "تسهيل",
    "description": "مسح الوثائق وتسليمها: فرز، فروع، موزعون",
    "lang": "ar", "dir": "rtl",
    "id": "/app", "start_url": "/app", "scope": "/app",
    "display": "standalone", "orientation": "portrait",
    "background_color": "#ffffff", "theme_color": "#0b4f33",
    "icons": [
        {"src": f"{STATIC_URL}/icon.svg", "sizes": "any", "type": "image/svg+xml",
         "purpose": "any"},
        {"src": f"{STATIC_URL}/icon-maskable.svg", "sizes": "any", "type": "image/svg+xml",
         "purpose": "maskable"},
    ],
}


@get("/app", include_in_schema=False, sync_to_thread=False)
def app_page() -> Response[str]:
    """The app itself; it signs in and talks to the staff API from the device."""
    return Response(shell_page(), media_type="text/html; charset=utf-8", headers=SHELL_HEADERS)


@get("/app/manifest.webmanifest", include_in_schema=False, sync_to_thread=False)
def manifest() -> Response[bytes]:
    return Response(json.dumps(MANIFEST, ensure_ascii=False).encode(),
                    media_type="application/manifest+json", headers=SHELL_HEADERS)


@get("/app/sw.js", include_in_schema=False, sync_to_thread=False)
def worker_script() -> Response[str]:
    # Served under /app/ but it governs /app itself too (the page has no trailing slash).
    return Response(service_worker(), media_type="text/javascript; charset=utf-8",
                    headers={**SHELL_HEADERS, "Service-Worker-Allowed": "/app"})


HANDLERS = [app_page, manifest, worker_script]
