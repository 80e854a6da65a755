"""SMS segment counting per GSM 03.38 (GSM-7) and UCS-2, as carriers bill them."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

import msgspec

Encoding = Literal["GSM-7", "UCS-2"]

# GSM 03.38 default alphabet. ESC (0x1B) is left out on purpose: it only introduces the
# extension table and cannot be sent as a character of its own.
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Extension table: each is sent as ESC + code, so it takes two septets.
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")
_GSM7 = GSM7_BASIC | GSM7_EXTENSION
_BMP_LAST = "\uffff"

GSM7_SINGLE = 160
GSM7_CONCATENATED = 153
UCS2_SINGLE = 70
UCS2_CONCATENATED = 67


class SegmentCount(msgspec.Struct, frozen=True, kw_only=True):
    """How a message travels: its encoding, length in encoding units, and segments."""

    encoding: Encoding
    units: int
    segments: int


def is_gsm7(text: str) -> bool:
    """True when every character of the text exists in the GSM-7 basic or extension table."""
    return _GSM7.issuperset(text)


def _gsm7_units(ch: str) -> int:
    return 2 if ch in GSM7_EXTENSION else 1


def _ucs2_units(ch: str) -> int:
    # Characters outside the BMP are a surrogate pair in UTF-16.
    return 2 if ord(ch) > 0xFFFF else 1


def _pack(unit_sizes: list[int], per_segment: int) -> int:
    """Segments needed when no character (escape sequence, surrogate pair) may be split."""
    segments, used = 1, 0
    for size in unit_sizes:
        if used + size > per_segment:
            segments, used = segments + 1, 0
        used += size
    return segments


def count_segments(text: str) -> SegmentCount:
    """Count the encoding units and segments the text takes as one SMS."""
    if is_gsm7(text):
        encoding, single, concatenated = "GSM-7", GSM7_SINGLE, GSM7_CONCATENATED
        wide = not GSM7_EXTENSION.isdisjoint(text)
        sizer = _gsm7_units
    else:
        encoding, single, concatenated = "UCS-2", UCS2_SINGLE, UCS2_CONCATENATED
        wide = bool(text) and max(text) > _BMP_LAST
        sizer = _ucs2_units
    if not wide:  # every character one unit (the usual case): a plain division is exact
        units = len(text)
        segments = 1 if units <= single else -(-units // concatenated)
    else:
        sizes = [sizer(ch) for ch in text]
        units = sum(sizes)
        segments = 1 if units <= single else _pack(sizes, concatenated)
    return SegmentCount(encoding=encoding, units=units, segments=segments)


def cost(segments: int, price_per_segment: Decimal | int | str) -> Decimal:
    """Price of a message: segments times the per-segment price (exact decimal arithmetic)."""
    if segments < 0:
        raise ValueError(f"segments must not be negative: {segments}")
    if isinstance(price_per_segment, float):
        raise TypeError("give the price as Decimal or str, not float")
    return Decimal(segments) * Decimal(price_per_segment)
