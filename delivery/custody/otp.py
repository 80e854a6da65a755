"""One-time hand-over codes: made from a CSPRNG, stored only as a keyed MAC, limited attempts.

The MAC binds the code to the item and to the code's generation, so a reissued code (generation
n + 1) makes the previous one useless even if someone kept it.
"""

import hashlib
import hmac
import json
import secrets
from datetime import timedelta
from enum import StrEnum

import msgspec

OTP_DIGITS = 6
MAX_WRONG_ATTEMPTS = 5
# A member of staff this many wrong attempts (codes or ID digits, any items) within the window
# is guessing, or is being used to guess: their hand-overs stop until a supervisor unlocks them.
# Ten is two items locked in a day, which honest mistakes at the door do not reach.
STAFF_MAX_WRONG_ATTEMPTS = 10
STAFF_WRONG_WINDOW = timedelta(hours=24)
MIN_KEY_BYTES = 16

# Couriers' handhelds may be set to Arabic or Kurdish: accept the digits those keyboards type.
_DIGIT_FOLDING = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


class OtpVerdict(StrEnum):
    accept = "accept"
    reject = "reject"
    locked = "locked"


class OtpCheck(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of one attempt and the wrong-attempt count to store after it."""

    verdict: OtpVerdict
    attempts_left: int
    wrong_attempts: int


def new_otp() -> str:
    """A fresh code of six uniformly random decimal digits."""
    return f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def normalize_otp(candidate: str) -> str | None:
    """The code as six ASCII digits (spaces dropped, Arabic-Indic digits folded), or None."""
    folded = "".join(candidate.split()).translate(_DIGIT_FOLDING)
    if len(folded) == OTP_DIGITS and folded.isascii() and folded.isdigit():
        return folded
    return None


def otp_mac(key: bytes, item_id: str, otp: str, generation: int) -> bytes:
    """HMAC-SHA256 of the code, bound to the item and the code's generation."""
    if len(key) < MIN_KEY_BYTES:
        raise ValueError(f"the OTP key must be at least {MIN_KEY_BYTES} bytes")
    # A JSON array keeps the parts apart whatever characters the item id holds.
    message = json.dumps(["tasheel-otp-v1", item_id, generation, otp], separators=(",", ":"))
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def verify_otp(
    key: bytes, item_id: str, candidate: str, generation: int, stored_mac: bytes
) -> bool:
    """Whether `candidate` is the current code of the item, compared in constant time."""
    normalized = normalize_otp(candidate)
    if normalized is None:
        return False
    return hmac.compare_digest(otp_mac(key, item_id, normalized, generation), stored_mac)


def check_otp(*, wrong_attempts: int, locked: bool, matched: bool) -> OtpCheck:
    """Decide one attempt: accept, reject with the attempts left, or locked until reissued."""
    if locked or wrong_attempts >= MAX_WRONG_ATTEMPTS:
        return OtpCheck(verdict=OtpVerdict.locked, attempts_left=0, wrong_attempts=wrong_attempts)
    if matched:
        verdict, wrong = OtpVerdict.accept, wrong_attempts
    else:
        wrong = wrong_attempts + 1
        verdict = OtpVerdict.reject if wrong < MAX_WRONG_ATTEMPTS else OtpVerdict.locked
    left = MAX_WRONG_ATTEMPTS - wrong
    return OtpCheck(verdict=verdict, attempts_left=left, wrong_attempts=wrong)
