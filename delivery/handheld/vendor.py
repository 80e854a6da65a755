"""Files the handheld app loads as they are: the vendored ZXing (the camera's decoder when the
browser has no BarcodeDetector) and idb (its IndexedDB helper) under `/static/vendor/`, cached for
a year like the other vendored libraries (a refresh changes their version, and so their URLs);
and the app's own modules under `/app/static/`, revalidated on every load (`no-cache`) so a
deployment reaches the handhelds at once."""

from __future__ import annotations

from pathlib import Path

from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router

VENDOR_DIR = Path(__file__).resolve().parents[1] / "static" / "vendor"
APP_STATIC_DIR = Path(__file__).parent / "static"
ONE_YEAR = 365 * 24 * 3600
_LONG = CacheControlHeader(public=True, max_age=ONE_YEAR, immutable=True)

HANDLERS = [
    create_static_files_router(path=f"/static/vendor/{name}", directories=[VENDOR_DIR / name],
                               name=f"vendor_{name}", cache_control=_LONG,
                               include_in_schema=False)
    for name in ("zxing", "idb")
] + [
    create_static_files_router(path="/app/static", directories=[APP_STATIC_DIR],
                               name="handheld_static", include_in_schema=False,
                               cache_control=CacheControlHeader(no_cache=True)),
]
