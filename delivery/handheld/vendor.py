"""Files the handheld app loads as they are: the vendored ZXing (the camera's decoder when the
browser has no BarcodeDetector) and idb (its IndexedDB helper) under `/static/vendor/`, and the
app's own modules under `/app/static/`. All are revalidated on every load (`no-cache`): their URLs
carry no version, so a deployment or a refresh of a library reaches the handhelds at once, and the
service worker keeps them for working offline."""

from __future__ import annotations

from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

from delivery.handheld.shell import STATIC_DIR, STATIC_URL, VENDOR_URL

VENDOR_DIR = Path(__file__).resolve().parents[1] / "static" / "vendor"
_REVALIDATED = CacheControlHeader(no_cache=True)

HANDLERS = [
    create_static_files_router(path=f"{VENDOR_URL}/{name}", directories=[VENDOR_DIR / name],
                               name=f"vendor_{name}", cache_control=_REVALIDATED,
                               include_in_schema=False)
    for name in ("zxing", "idb")
] + [
    create_static_files_router(path=STATIC_URL, directories=[STATIC_DIR],
                               name="handheld_static", include_in_schema=False,
                               cache_control=_REVALIDATED),
]
