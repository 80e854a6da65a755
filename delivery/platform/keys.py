"""Keys derived from the service's one secret: a separate key per purpose."""

from __future__ import annotations

import hashlib


def derive_key(secret: bytes, purpose: str) -> bytes:
    """A separate key per purpose, so one leaked hash key opens nothing else."""
    return hashlib.sha256(b"tasheel:" + purpose.encode() + b":" + secret).digest()


def link_key(secret: bytes) -> bytes:
    """The key citizens' tracking tokens are computed with (`notifications.links.derived_token`):
    intake makes them with it, the SMS worker makes them again for later messages' links."""
    return derive_key(secret, "tracking-link")
