"""Signatures on Tasheel's webhooks to agencies, in the Stripe style receivers already know.

Header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. The timestamp inside the
signed text lets receivers refuse replays older than a tolerance.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (a label, not a secret)
DEFAULT_TOLERANCE_S = 300


def new_webhook_secret() -> str:
    """A fresh secret: `whsec_` and 32 random bytes in base64url."""
    raw = base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode("ascii")
    return SECRET_PREFIX + raw


def _unix(moment: dt.datetime | float) -> int:
    if isinstance(moment, dt.datetime):
        if moment.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return int(moment.timestamp())
    return int(moment)


def _digest(secret: str, body: bytes, timestamp: int) -> str:
    signed = f"{timestamp}.".encode("ascii") + body
    return hmac.new(secret.encode("utf-8"), signed, hashlib.sha256).hexdigest()


def sign_webhook(secret: str, body: bytes, timestamp: dt.datetime | float) -> str:
    """The signature header for body sent at timestamp."""
    unix = _unix(timestamp)
    return f"t={unix},v1={_digest(secret, body, unix)}"


def sign_webhook_with(secrets_: list[str], body: bytes, timestamp: dt.datetime | float) -> str:
    """One header signed with each secret, newest first: `t=<t>,v1=<new>,v1=<old>` while a
    replaced secret is still valid, so a receiver checking either secret accepts it."""
    unix = _unix(timestamp)
    return ",".join([f"t={unix}", *(f"v1={_digest(s, body, unix)}" for s in secrets_)])


def _parse(header: str) -> tuple[int, list[str]] | None:
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            signatures.append(value)
    return (timestamp, signatures) if timestamp is not None and signatures else None


def verify_webhook(
    secret: str,
    body: bytes,
    header: str,
    now: dt.datetime | float,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> bool:
    """True when one v1 signature matches and the timestamp is within tolerance of now."""
    parsed = _parse(header or "")
    if parsed is None:
        return False
    timestamp, signatures = parsed
    if abs(_unix(now) - timestamp) > tolerance_s:
        return False
    expected = _digest(secret, body, timestamp)
    # Every candidate is compared, so timing does not reveal which one matched.
    matches = [hmac.compare_digest(expected, candidate) for candidate in signatures]
    return any(matches)
