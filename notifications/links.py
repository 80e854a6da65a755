"""Tracking links for citizens: a random token, its stored hash, and the short URL in the SMS."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

TOKEN_BYTES = 16  # 128 bits; base64url without padding gives 22 characters
TOKEN_CHARS = 22
# The SMS budget (2 UCS-2 segments) is measured with a base URL this long, e.g.
# "https://tasheel.gov.iq" (22). A longer PUBLIC_BASE_URL would push messages to 3 segments:
# it is refused when the settings are read, not at each first SMS.
MAX_PUBLIC_BASE_URL_CHARS = 25
MAX_TRACKING_URL_CHARS = MAX_PUBLIC_BASE_URL_CHARS + len("/t/") + TOKEN_CHARS

_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def new_tracking_token() -> str:
    """A fresh URL-safe token with 128 bits from the operating system's CSPRNG."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def derived_token(key: bytes, tracking_number: str) -> str:
    """The item's token, computed from a server-side key and its tracking number.

    Links in later messages (a failed attempt, the money question) need the token again, but only
    its hash is stored: the worker computes it again from the key, and sends the link only when
    it hashes to the stored one (an item registered under another key gets no link). 128 bits
    of a keyed hash: as unguessable as a random token while the key stays secret.
    """
    digest = hmac.new(key, tracking_number.encode("ascii"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:TOKEN_BYTES]).decode("ascii").rstrip("=")


def token_hash(token: str) -> bytes:
    """SHA-256 of the token: what the database stores and looks links up by."""
    return hashlib.sha256(token.encode("ascii")).digest()


def checked_public_base_url(public_base_url: str) -> str:
    """The base URL without a trailing slash; ValueError if it cannot carry tracking links."""
    base = public_base_url.strip().rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"PUBLIC_BASE_URL must be an http(s) URL: {public_base_url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"PUBLIC_BASE_URL must not carry a query or fragment: {public_base_url!r}")
    if len(base) > MAX_PUBLIC_BASE_URL_CHARS:
        raise ValueError(
            f"PUBLIC_BASE_URL is {len(base)} characters; SMS links allow at most "
            f"{MAX_PUBLIC_BASE_URL_CHARS}, so that every message stays within two segments: {base!r}"
        )
    return base


def tracking_url(public_base_url: str, token: str) -> str:
    """The citizen's tracking link, `{base}/t/{token}`."""
    if not _TOKEN_PATTERN.fullmatch(token):
        raise ValueError("a tracking token is 16 to 64 URL-safe characters")
    return f"{checked_public_base_url(public_base_url)}/t/{token}"
