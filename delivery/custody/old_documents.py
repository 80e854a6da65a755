"""Old documents taken back at a new one's hand-over: their numbers, as rules. No I/O.

An agency names the document a new one replaces (`old_document.number` at intake, e.g. the
expiring passport's number); the courier or clerk reads the number off the old document at the
hand-over (scanned or typed). Both are compared in one normal form, so that a number typed on an
Arabic keyboard, in lower case or with spaces still matches what the agency sent.
"""

from __future__ import annotations

import re

_TO_ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
_SEPARATORS = re.compile(r"[\s\-/.]+")
# Passport, ID card and licence numbers: Latin letters and digits, 5 to 20 of them.
_VALID = re.compile(r"^[A-Z0-9]{5,20}$")
NUMBER_RULE = "5 to 20 Latin letters or digits (spaces and dashes are ignored)"


def normalize_number(text: str) -> str:
    """The number in its one comparable form: ASCII digits, upper case, no separators."""
    return _SEPARATORS.sub("", text.translate(_TO_ASCII_DIGITS)).upper()


def is_valid_number(normalized: str) -> bool:
    return bool(_VALID.match(normalized))


def old_external_ref(external_ref: str) -> str:
    """The old document's reference: the new one's with a suffix no agency reference can carry
    (`#` is outside their alphabet), so it never collides with one the agency sends."""
    return f"{external_ref}#old"


def handover_notice(handed: dict | None) -> dict | None:
    """What the agency's webhook of a hand-over says of the old document (`handed`: as the judge
    recorded it): its loss declared, or taken, and whether its number could be checked (the
    number read is given when it could not, for the agency to check itself)."""
    if handed is None:
        return None
    if handed.get("lost"):
        return {"declared_lost": True}
    if handed.get("checked") is False:
        return {"taken": True, "number": handed["number"], "number_checked": False}
    return {"taken": True, "number_checked": True}


def simulated_handover(expected: str | None, lost: bool) -> dict:
    """What a test-mode hand-over records of the old document (`custody.simulation`): declared
    lost, or taken as if the number read were the agency's (unchecked when it sent none)."""
    if lost:
        return {"number": expected, "lost": True}
    return {"number": expected, "lost": False} if expected else {
        "number": None, "lost": False, "checked": False}
