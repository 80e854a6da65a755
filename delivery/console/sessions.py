"""Console sessions and their CSRF fields, as values: no I/O.

The session cookie carries a random secret (only its SHA-256 is stored). Every form of a page
carries a field derived from that secret under a server key: another site can neither read it
(same-origin policy, CSP) nor compute it, and it is worthless with another session. The login
form, shown before there is a session, is bound the same way to a short-lived pre-login cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

COOKIE = "tsk_ops"
PRE_COOKIE = "tsk_ops_pre"
LANG_COOKIE = "tsk_ops_lang"
COOKIE_PATH = "/ops"
FIELD = "csrf"
LANGUAGES = ("ar", "en")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_secret() -> str:
    """A fresh random secret for a session (or a pre-login) cookie."""
    return secrets.token_urlsafe(32)


def usable(value: str | None) -> str | None:
    """The cookie's secret if it has the shape we issue, else None."""
    return value if value and _SECRET.fullmatch(value) else None


def secret_hash(secret: str) -> bytes:
    """What the database keeps of a session's secret."""
    return hashlib.sha256(secret.encode()).digest()


def form_token(key: bytes, secret: str, purpose: str = "session") -> str:
    """The hidden field of every form of the session (or of the login form, `purpose="login"`,
    bound to the pre-login cookie)."""
    mac = hmac.new(key, f"console-csrf:{purpose}:{secret}".encode(), hashlib.sha256)
    return base64.urlsafe_b64encode(mac.digest()[:24]).decode()


def form_token_valid(key: bytes, secret: str | None, given: str | None,
                     purpose: str = "session") -> bool:
    """Whether a posted field was made for this cookie's secret."""
    if secret is None or not given:
        return False
    return hmac.compare_digest(form_token(key, secret, purpose), given)


def local_path(target: str | None) -> str:
    """Where to go after signing in: a console path of ours, never another site."""
    if target and target.startswith("/ops") and not target.startswith("/ops/login") \
            and "//" not in target and "\\" not in target:
        return target
    return "/ops"
