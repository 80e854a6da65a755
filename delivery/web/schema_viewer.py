"""The interactive API schema (Swagger UI) at `/schema` and `/schema/swagger`, served whole by Tasheel.

Litestar's own viewer pages load their code from a CDN at an unpinned version: blank without
internet, and third-party code that can change under a government service. Here the browser code
is the pinned, checksummed copy in `static/vendor/` (see its README), and the page itself tells
the browser to load nothing from anywhere else.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import CacheControlHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

VENDOR_DIR = Path(__file__).resolve().parents[1] / "static" / "vendor"
SWAGGER_UI_DIR = VENDOR_DIR / "swagger-ui"
SWAGGER_UI_URL = "/static/vendor/swagger-ui"
ONE_YEAR = 365 * 24 * 3600

STYLE = "body { margin: 0; background: #fafafa; }"


@functools.cache
def asset_url(name: str) -> str:
    """The file's URL, carrying a digest of its content: cached for a year, yet never stale."""
    digest = hashlib.sha256((SWAGGER_UI_DIR / name).read_bytes()).hexdigest()[:12]
    return f"{SWAGGER_UI_URL}/{name}?v={digest}"


def _csp_hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


def vendor_files() -> Router:
    """Swagger UI's files, kept out of the OpenAPI document."""
    return create_static_files_router(
        path=SWAGGER_UI_URL, directories=[SWAGGER_UI_DIR], name="vendor_swagger_ui",
        cache_control=CacheControlHeader(public=True, max_age=ONE_YEAR, immutable=True),
        include_in_schema=False)


class SwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI reading `/schema/openapi.json`, with scripts and styles from `vendor_files()`."""

    def __init__(self, *, path: str | Sequence[str] = ("/", "/swagger"), **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        # The document is fetched rather than inlined, so no text of it ever lands inside <script>.
        # validatorUrl: null, or Swagger UI would send the document to validator.swagger.io.
        init = (
            "window.ui = SwaggerUIBundle({\n"
            f"  url: {json.dumps(self.get_openapi_json_route(request))},\n"
            '  dom_id: "#swagger-ui",\n'
            "  deepLinking: true,\n"
            "  showExtensions: true,\n"
            "  showCommonExtensions: true,\n"
            "  validatorUrl: null,\n"
            "  presets: [SwaggerUIBundle.presets.apis],\n"
            "});"
        )
        # A second line of defence: even a changed bundle could reach no other host.
        csp = "; ".join([
            "default-src 'none'",
            f"script-src 'self' {_csp_hash(init)}",
            f"style-src 'self' {_csp_hash(STYLE)}",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'self'",
        ])
        title = html.escape(str(openapi_schema["info"]["title"]))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{asset_url("favicon-32x32.png")}">
<link rel="stylesheet" href="{asset_url("swagger-ui.css")}">
<style>{STYLE}</style>
</head>
<body>
<div id="swagger-ui"></div>
<script src="{asset_url("swagger-ui-bundle.js")}"></script>
<script>{init}</script>
</body>
</html>
""".encode()
