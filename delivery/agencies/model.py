"""Agency API keys: random, shown once, stored as a hash, found by their prefix."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import msgspec

KEY_PATTERN = re.compile(r"^tsk_([a-z0-9]{10})_([A-Za-z0-9_-]{43})$")
AGENCY_CODE = re.compile(r"^[A-Z][A-Z0-9-]{1,31}$")


class NewKey(msgspec.Struct, frozen=True, kw_only=True):
    key: str      # the only time the whole key exists outside the caller's hands
    prefix: str   # shown afterwards to tell keys apart
    key_hash: bytes


def new_api_key() -> NewKey:
    """A fresh key; 256 random bits, so a plain SHA-256 is a sufficient verifier."""
    prefix = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(10))
    key = f"tsk_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(key=key, prefix=prefix, key_hash=hash_key(key))


def hash_key(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def key_prefix(key: str) -> str | None:
    """The lookup prefix of a well-formed key, else None."""
    match = KEY_PATTERN.match(key)
    return match.group(1) if match else None


def key_matches(key: str, stored_hash: bytes) -> bool:
    return hmac.compare_digest(hash_key(key), stored_hash)


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer …` header."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None
