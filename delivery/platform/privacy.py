"""Personal data as others may see it, and as it is kept: initials, the tail of a phone number,
redacted logs, a keyed hash of a national ID. One place, so that a name or a number is masked
alike on every page, log and report."""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Mapping
from typing import Any

from delivery.platform.logs import SENSITIVE_KEYS

REDACTED = "[redacted]"
VISIBLE_PHONE_DIGITS = 3
# Beyond the log formatter's list: derived identifiers and secrets that must not leak either.
_REDACTED_KEYS = SENSITIVE_KEYS | {
    "phone_e164", "national_id_last4", "id_last4", "landmark", "api_key", "secret",
    "old_document_number",
    "access_token", "refresh_token",
}


def mask_name(name: str) -> str:
    """Initials: 'أحمد علي' → 'أ. ع.', 'ahmed ali' → 'A. A.'."""
    initials = (_first_letter(word) for word in name.split())
    return " ".join(f"{letter.upper()}." for letter in initials if letter)


def mask_phone(e164: str, visible: int = VISIBLE_PHONE_DIGITS) -> str:
    """The last three digits only (or `visible`, at most four): '+9647701234567' →
    '+964 *** *** *567'."""
    visible = min(visible, 4)
    digits = "".join(ch for ch in e164 if ch.isdigit())
    if len(digits) <= visible:
        return "*" * visible
    tail = digits[-visible:]
    if digits.startswith("964") and len(digits) == 13:
        return f"+964 *** *** {'*' * (4 - visible)}{tail}"
    return "+" + "*" * (len(digits) - visible) + tail


def national_id_hash(key: bytes, nid: str) -> bytes:
    """HMAC-SHA256 of a normalised national ID, scoped so the key can serve other uses too."""
    return hmac.digest(key, b"national-id\x00" + nid.encode(), "sha256")


def redact(record: Mapping[str, Any]) -> dict[str, Any]:
    """A copy for logging with personal data and secrets replaced, nested mappings included."""
    return {key: _redacted_value(key, value) for key, value in record.items()}


def _redacted_value(key: object, value: Any) -> Any:
    if isinstance(key, str) and key.lower() in _REDACTED_KEYS:
        return REDACTED
    if isinstance(value, Mapping):
        return redact(value)
    if isinstance(value, list | tuple):
        return [redact(item) if isinstance(item, Mapping) else item for item in value]
    return value


def _first_letter(word: str) -> str:
    # Skips leading punctuation or digits ("(Ali)", "'Abd") to reach the letter that is the initial.
    return next((ch for ch in word if unicodedata.category(ch).startswith("L")), "")
