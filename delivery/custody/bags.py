"""Bag (receptacle) identifiers: `BAG` + 9-digit serial + 1 Damm check digit, e.g. `BAG0000005724`.

No UPU S10 item number can be read as a bag id: S10 has a digit in third place and ends in two
letters, a bag id has the letter `G` in third place and ends in a digit. So a scanned code that
starts with `BAG` is a bag, anything else is an item.

The check digit is Damm's (a totally anti-symmetric quasigroup of order 10): one decimal digit
that catches every single-digit substitution and every adjacent transposition. Luhn misses the
transposition 09 ↔ 90, and the S10 mod-11 scheme folds two residues onto the digit 5, so some
substitutions slip through it; ISO 7064 MOD 97-10 is as strong but needs two digits.
"""

import re

BAG_PREFIX = "BAG"
SERIAL_DIGITS = 9
MAX_SERIAL = 10**SERIAL_DIGITS - 1
BAG_ID_LENGTH = len(BAG_PREFIX) + SERIAL_DIGITS + 1

_BAG_ID = re.compile(rf"{BAG_PREFIX}[0-9]{{{SERIAL_DIGITS + 1}}}")

# Damm's table (H. M. Damm, 2004), the one published with the algorithm.
_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


class InvalidBagId(ValueError):
    """A code that looks like a bag id but is not a valid one."""


def damm_check_digit(digits: str) -> str:
    """The Damm check digit of a string of ASCII digits."""
    interim = 0
    for digit in digits:
        interim = _DAMM[interim][int(digit)]
    return str(interim)


def new_bag_id(serial: int) -> str:
    """The bag id for `serial` (0 … 999,999,999)."""
    if not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"bag serial must be between 0 and {MAX_SERIAL}")
    digits = f"{serial:0{SERIAL_DIGITS}d}"
    return f"{BAG_PREFIX}{digits}{damm_check_digit(digits)}"


def is_valid_bag_id(code: str) -> bool:
    """Whether `code` is exactly a well-formed bag id (upper case, no spaces) with a good check."""
    if _BAG_ID.fullmatch(code) is None:
        return False
    return damm_check_digit(code[len(BAG_PREFIX) :]) == "0"


def normalize_code(code: str) -> str:
    """A scanned or typed code without spaces, upper case."""
    return "".join(code.split()).upper()


def looks_like_bag(code: str) -> bool:
    """Whether a scanned code belongs on the bag path (valid or not) rather than the item path."""
    return normalize_code(code).startswith(BAG_PREFIX)


def parse_bag_id(code: str) -> str:
    """The canonical bag id in `code`, or `InvalidBagId`."""
    normalized = normalize_code(code)
    if not is_valid_bag_id(normalized):
        raise InvalidBagId(f"{code!r} is not a valid bag id")
    return normalized


def bag_serial(bag_id: str) -> int:
    """The serial number inside a valid bag id."""
    return int(parse_bag_id(bag_id)[len(BAG_PREFIX) : -1])
