"""Personal data as others may see it: initials, the tail of a phone number, redacted logs."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

from delivery.intake.schemas import MaskedCitizenOut
from delivery.logs import SENSITIVE_KEYS

REDACTED = "[redacted]"
VISIBLE_PHONE_DIGITS = 3
# Beyond the log formatter's list: derived identifiers and secrets that must not leak either.
_REDACTED_KEYS = SENSITIVE_KEYS | {
    "phone_e164", "national_id_last4", "id_last4", "landmark", "api_key", "secret",
    "access_token", "refresh_token",
}


def mask_name(name: str) -> str:
    """Initials: 'أحمد علي' → 'أ. ع.', 'ahmed ali' → 'A. A.'."""
    initials = (_first_letter(word) for word in name.split())
    return " ".join(f"{letter.upper()}." for letter in initials if letter)


def mask_phone(e164: str) -> str:
    """The last three digits only: '+9647701234567' → '+964 *** *** *567'."""
    digits = "".join(ch for ch in e164 if ch.isdigit())
    if len(digits) <= VISIBLE_PHONE_DIGITS:
        return "*" * VISIBLE_PHONE_DIGITS
    tail = digits[-VISIBLE_PHONE_DIGITS:]
    if digits.startswith("964") and len(digits) == 13:
        return f"+964 *** *** *{tail}"
    return "+" + "*" * (len(digits) - VISIBLE_PHONE_DIGITS) + tail


def masked_citizen(*, name: str, phone_e164: str, language: str | None) -> MaskedCitizenOut:
    """The citizen block of an agency answer."""
    return MaskedCitizenOut(name=mask_name(name), phone=mask_phone(phone_e164), language=language)


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
