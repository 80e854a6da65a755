"""UPU S10 item identifiers: service indicator, eight serial digits, check digit, country code."""

from __future__ import annotations

import operator
import re

import msgspec

WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
_SPECIAL_REMAINDERS = {10: 0, 11: 5}
MAX_SERIAL = 99_999_999
# Explicit ASCII classes: `\d` would also accept Arabic-Indic digits, which S10 does not.
_TWO_LETTERS = re.compile(r"[A-Z]{2}")
_EIGHT_DIGITS = re.compile(r"[0-9]{8}")
_S10 = re.compile(r"(?P<service>[A-Z]{2})(?P<serial>[0-9]{8})(?P<check>[0-9])(?P<country>[A-Z]{2})")


class S10(msgspec.Struct, frozen=True, kw_only=True):
    """The four parts of an S10 number; `str()` gives the 13 characters back."""

    service: str
    serial: int
    check: int
    country: str

    def __str__(self) -> str:
        return f"{self.service}{self.serial:08d}{self.check}{self.country}"


def check_digit(serial8: str) -> int:
    """The S10 check digit of eight serial digits."""
    if not _EIGHT_DIGITS.fullmatch(serial8):
        raise ValueError(f"an S10 serial is eight digits 0-9, got {serial8!r}")
    return _check_digit_of(serial8)


def _check_digit_of(serial8: str) -> int:
    remainder = 11 - sum(map(operator.mul, WEIGHTS, map(int, serial8))) % 11
    return _SPECIAL_REMAINDERS.get(remainder, remainder)


def make_tracking_number(serial: int, service_indicator: str = "RR", country: str = "IQ") -> str:
    """The S10 number for a serial, e.g. `make_tracking_number(12345678) == 'RR123456785IQ'`."""
    if isinstance(serial, bool) or not isinstance(serial, int) or not 0 <= serial <= MAX_SERIAL:
        raise ValueError(f"an S10 serial is an integer from 0 to {MAX_SERIAL}, got {serial!r}")
    _require_two_letters(service_indicator, "service indicator")
    _require_two_letters(country, "country code")
    serial8 = f"{serial:08d}"  # eight ASCII digits by construction
    return f"{service_indicator}{serial8}{_check_digit_of(serial8)}{country}"


def parse(tn: str) -> S10:
    """The parts of a tracking number; ValueError says what is wrong with a bad one."""
    if not isinstance(tn, str):
        raise ValueError(f"a tracking number is a string, got {type(tn).__name__}")
    match = _S10.fullmatch(tn)
    if match is None:
        raise ValueError(
            f"a tracking number is two capital letters, nine digits and two capital letters "
            f"(like RR123456785IQ), got {tn!r}"
        )
    expected = check_digit(match["serial"])
    if int(match["check"]) != expected:
        raise ValueError(f"{tn!r} has check digit {match['check']}, expected {expected}")
    return S10(
        service=match["service"], serial=int(match["serial"]), check=expected,
        country=match["country"],
    )


def is_valid(tn: object) -> bool:
    """Whether `tn` is a well-formed S10 number with the right check digit."""
    try:
        parse(tn)  # type: ignore[arg-type]
    except ValueError:
        return False
    return True


def _require_two_letters(value: object, what: str) -> None:
    if not isinstance(value, str) or not _TWO_LETTERS.fullmatch(value):
        raise ValueError(f"an S10 {what} is two capital letters A-Z, got {value!r}")
