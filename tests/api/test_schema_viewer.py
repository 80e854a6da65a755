"""The API schema viewer works without internet: every script and stylesheet comes from Tasheel,
and the vendored files are exactly the ones listed, with their checksums, in the vendor README."""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest

from delivery.platform.settings import PROJECT_ROOT

VENDOR = PROJECT_ROOT / "delivery" / "static" / "vendor"
VIEWERS = ["/schema", "/schema/swagger"]
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
ABSOLUTE_URL = re.compile(r"""(?:https?:)?//[^\s"'<>)]+""", re.IGNORECASE)
CHECKSUM_LINE = re.compile(r"^([0-9a-f]{64})  (\S+)$", re.MULTILINE)


class _Resources(HTMLParser):
    """Every URL the page makes the browser load by itself: scripts, stylesheets, icons, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "img", "iframe") and found.get("src"):
            self.urls.append(found["src"] or "")
        if tag == "link" and found.get("href"):
            self.urls.append(found["href"] or "")


def resources(html: str) -> list[str]:
    parser = _Resources()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("path", VIEWERS)
async def test_viewer_loads_only_files_served_by_tasheel(client, path):
    response = await client.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "SwaggerUIBundle" in html
    urls = resources(html)
    assert {urlsplit(u).path.rsplit(".", 1)[-1] for u in urls} >= {"js", "css"}, urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme and not parts.netloc and parts.path.startswith("/"), url
        asset = await client.get(url)
        assert asset.status_code == 200, url
        suffix = "." + parts.path.rsplit(".", 1)[-1]
        assert asset.headers["content-type"].startswith(CONTENT_TYPES[suffix]), url
        assert "max-age=31536000" in asset.headers["cache-control"], url
    assert ABSOLUTE_URL.findall(html) == []
    # Swagger UI would otherwise send the whole document to validator.swagger.io for a badge.
    assert "validatorUrl: null" in html


async def test_schema_documents_stay_where_they_were(client):
    document = await client.get("/schema/openapi.json")
    assert document.status_code == 200
    paths = document.json()["paths"]
    assert "/v1/documents" in paths
    assert not any(p.startswith("/static/vendor") for p in paths)


async def test_vendored_files_are_unchanged_from_the_readme_checksums(client):
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    listed = {name: digest for digest, name in CHECKSUM_LINE.findall(readme)}
    present = {str(p.relative_to(VENDOR)) for p in VENDOR.glob("*/**/*") if p.is_file()}
    assert listed, "the README lists no checksums"
    assert set(listed) == present
    for name, digest in listed.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    # Served byte for byte as vendored.
    served = await client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js")
    assert served.status_code == 200
    assert hashlib.sha256(served.content).hexdigest() == listed["swagger-ui/swagger-ui-bundle.js"]
