"""CSRF protection for the citizen's forms: a per-browser cookie and a form field bound to it.

The field is an HMAC of the cookie and the item's token hash under a server key: another site can
neither read the field (same-origin policy, CSP) nor forge it, and a field taken from one page
is useless with another browser's cookie or another item.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

COOKIE = "tsk_csrf"
FIELD = "csrf"
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def new_cookie_value() -> str:
    """A fresh random value for the browser's CSRF cookie."""
    return secrets.token_urlsafe(16)


def usable_cookie(value: str | None) -> str | None:
    """The cookie value if it has the shape we issue, else None."""
    return value if value and _COOKIE_VALUE.fullmatch(value) else None


def form_token(key: bytes, cookie: str, item_digest: bytes) -> str:
    """The hidden field for forms about one item in one browser."""
    mac = hmac.new(key, b"csrf:" + cookie.encode() + b":" + item_digest, hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:18]).decode()


def is_valid(key: bytes, cookie: str | None, item_digest: bytes, given: str | None) -> bool:
    """Whether a posted field matches the browser's cookie for this item."""
    cookie = usable_cookie(cookie)
    if cookie is None or not given:
        return False
    return hmac.compare_digest(form_token(key, cookie, item_digest), given)
