"""The look of every page people use: one base template (`templates/base.html.j2`), one style
sheet (`static/page.css`), and the headers every private page carries.

Pages are rendered on the server; the style sheet is inlined and allowed by its hash, so the
Content-Security-Policy loads nothing from anywhere else. An area keeps its own templates in its
own `templates/` folder and extends `base.html.j2`. It imports nothing from `delivery`.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

import jinja2
from markupsafe import Markup

HERE = Path(__file__).parent
HTML = "text/html; charset=utf-8"
# Our own file, fixed at start-up: safe to place unescaped inside <style>.
CSS = Markup((HERE / "static" / "page.css").read_text(encoding="utf-8").strip())  # noqa: S704
_CSS_HASH = base64.b64encode(hashlib.sha256(str(CSS).encode()).digest()).decode()
CSP = (f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; script-src 'self'; img-src 'self'; "
       "connect-src 'none'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
PRIVATE_HEADERS = {
    "Cache-Control": "private, no-store", "Content-Security-Policy": CSP,
    # A page's URL may carry a secret (the citizen's token): it may go back to us, never to
    # another site.
    "Referrer-Policy": "same-origin", "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def templates(folder: Path) -> jinja2.Environment:
    """An area's templates (`folder`), which may extend the shared `base.html.j2`."""
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(folder),
                                    jinja2.FileSystemLoader(HERE / "templates")]),
        autoescape=True, trim_blocks=True, lstrip_blocks=True,
        auto_reload=False,  # templates ship with the code: no file check on every page
    )
