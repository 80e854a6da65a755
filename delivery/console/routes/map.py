"""The routes pages' own style sheet, and the street map under a day's routes when MAP_TILE_URL
is set: Tasheel's vendored Leaflet and one small script of its own, all served here; the page may
load images from the tile host and scripts from nowhere but Tasheel."""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from urllib.parse import urlsplit

from litestar import Router
from litestar.datastructures import CacheControlHeader
from litestar.static_files import create_static_files_router
from markupsafe import Markup

from delivery.console.routes.services import DayView, Stop
from routing.svg import DASHES, PALETTE

LEAFLET_DIR = Path(__file__).resolve().parents[2] / "static" / "vendor" / "leaflet"
LEAFLET_URL = "/static/vendor/leaflet"
SCRIPT_DIR = Path(__file__).parent / "static"
SCRIPT_URL = "/static/console/routes"
ONE_YEAR = 365 * 24 * 3600


def static_files() -> list[Router]:
    """Leaflet's files and the map script, cached for a year (their URLs carry a digest)."""
    cache = CacheControlHeader(public=True, max_age=ONE_YEAR, immutable=True)
    return [create_static_files_router(path=url, directories=[folder], name=name,
                                       cache_control=cache, include_in_schema=False)
            for url, folder, name in ((LEAFLET_URL, LEAFLET_DIR, "vendor_leaflet"),
                                      (SCRIPT_URL, SCRIPT_DIR, "console_routes_static"))]


@functools.cache
def asset_url(name: str) -> str:
    """A map file's URL with a digest of its content: never stale in a browser's cache."""
    leaflet = name.startswith("leaflet")
    base, folder = (LEAFLET_URL, LEAFLET_DIR) if leaflet else (SCRIPT_URL, SCRIPT_DIR)
    digest = hashlib.sha256((folder / name).read_bytes()).hexdigest()[:12]
    return f"{base}/{name}?v={digest}"


def tile_origin(tile_url: str) -> str:
    """The scheme and host the page's images may come from."""
    parts = urlsplit(tile_url)
    return f"{parts.scheme}://{parts.netloc}"


def map_data(view: DayView, tile_url: str) -> Markup:
    """The lines to draw, as JSON safe inside <script type="application/json">."""
    data = {"tiles": tile_url, "attribution": urlsplit(tile_url).hostname, "couriers": [
        {"colour": PALETTE[n % len(PALETTE)], "name": c.username, "rounds": _rounds(c.stops)}
        for n, c in enumerate(view.couriers)], "depot": list(view.depot)}
    text = json.dumps(data, ensure_ascii=True).replace("<", "\\u003c").replace(">", "\\u003e")
    return Markup(text)  # noqa: S704 - JSON with < and > escaped: cannot close the script element


def _rounds(stops: list[Stop]) -> list[dict]:
    """The courier's rounds as the picture draws them: the carried stops, then the rest, each
    with its dash pattern (None: solid)."""
    rounds: list[list[Stop]] = []
    for stop in stops:
        if not rounds or rounds[-1][-1].carried != stop.carried:
            rounds.append([])
        rounds[-1].append(stop)
    return [{"dash": DASHES[n % len(DASHES)], "stops": [[s.lat, s.lon] for s in r]}
            for n, r in enumerate(rounds)]


def assets() -> dict[str, str]:
    """The map's files by name, as the page links them."""
    return {name: asset_url(name) for name in ("leaflet.js", "leaflet.css", "routes-map.js")}


def page_csp(csp: str, tile_url: str | None) -> str:
    """The console's policy with Tasheel's own style sheets; with a map, also Tasheel's own
    scripts and the tile host's images, nothing else."""
    directives = {}
    for part in filter(None, (p.strip() for p in csp.split(";"))):
        name, _, value = part.partition(" ")
        directives[name] = value
    directives["style-src"] = _with("'self'", directives.get("style-src", ""))
    if tile_url:
        directives["script-src"] = "'self'"
        directives["img-src"] = f"'self' {tile_origin(tile_url)}"
    return "; ".join(f"{name} {value}".strip() for name, value in directives.items())


def _with(sources: str, existing: str) -> str:
    kept = [s for s in existing.split() if s not in ("'none'", "'self'")]
    return " ".join([sources, *kept])
