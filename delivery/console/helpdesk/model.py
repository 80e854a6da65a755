"""The help desk's rules: who is on the line, and for how long the desk may act for them.

Pure: no I/O. A check is one member of staff's proof, for one item, that the caller holds the
citizen's phone: a six-digit code sent there by SMS, read out, typed by the desk. The code is
kept only as a keyed MAC bound to the item, the member of staff and the moment it was sent, so a
new send (which replaces the row) kills the old code even if someone kept it.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from enum import StrEnum

import msgspec

from delivery.custody.otp import new_otp, normalize_otp

CODE_LIFETIME = timedelta(minutes=10)
CHOICE_WINDOW = timedelta(minutes=15)  # after a correct code: the desk may record choices
MAX_WRONG_CODES = 5
# A citizen's phone is not a target: a live code is not sent again within a minute, and an item
# gets at most this many codes an hour from all desks together.
RESEND_AFTER = timedelta(minutes=1)
MAX_CODES_PER_HOUR = 5
# Lookups by one member of staff: enough for a busy shift of calls, far too few to enumerate
# tracking numbers and phones.
LOOKUP_LIMIT = 30
LOOKUP_WINDOW = timedelta(hours=1)
# A found item stays open on the desk's screen this long after its lookup, no longer.
LOOKUP_OPEN_FOR = timedelta(minutes=30)
VISIBLE_PHONE_DIGITS = 4


class CheckState(StrEnum):
    none = "none"  # no code sent yet (or the row replaced by nothing)
    waiting = "waiting"  # a code is live: the desk may type it
    expired = "expired"  # ten minutes passed without the right code
    locked = "locked"  # five wrong codes: only a new send opens it again
    confirmed = "confirmed"  # the right code: choices may be recorded
    lapsed = "lapsed"  # the window after a correct code has passed


class Verdict(StrEnum):
    accepted = "accepted"
    wrong = "wrong"
    locked = "locked"
    expired = "expired"
    no_code = "no_code"


class Check(msgspec.Struct, frozen=True, kw_only=True):
    """A stored check (the code itself is never kept)."""

    item_id: int
    staff_id: int
    code_mac: bytes
    sent_at: datetime
    wrong_attempts: int
    confirmed_at: datetime | None


def new_code() -> str:
    """Six random digits, as the hand-over codes are made."""
    return new_otp()


def code_mac(key: bytes, *, item_id: int, staff_id: int, sent_at: datetime, code: str) -> bytes:
    """HMAC-SHA256 binding the code to its item, member of staff and send."""
    message = f"helpdesk\x00{item_id}\x00{staff_id}\x00{sent_at.isoformat()}\x00{code}"
    return hmac.digest(key, message.encode(), hashlib.sha256)


def state_of(check: Check | None, now: datetime) -> CheckState:
    """Where a check stands at `now`."""
    if check is None:
        return CheckState.none
    if check.confirmed_at is not None:
        live = now < check.confirmed_at + CHOICE_WINDOW
        return CheckState.confirmed if live else CheckState.lapsed
    if check.wrong_attempts >= MAX_WRONG_CODES:
        return CheckState.locked
    if now >= check.sent_at + CODE_LIFETIME:
        return CheckState.expired
    return CheckState.waiting


def judge(key: bytes, check: Check | None, typed: str, now: datetime) -> Verdict:
    """The verdict on a code typed by the desk (a confirmed check stays confirmed)."""
    state = state_of(check, now)
    if state in (CheckState.none, CheckState.lapsed):
        return Verdict.no_code
    if state == CheckState.confirmed:
        return Verdict.accepted
    if state == CheckState.locked:
        return Verdict.locked
    if state == CheckState.expired:
        return Verdict.expired
    code = normalize_otp(typed)
    expected = code_mac(key, item_id=check.item_id, staff_id=check.staff_id,
                        sent_at=check.sent_at, code=code or "")
    if code is not None and hmac.compare_digest(expected, check.code_mac):
        return Verdict.accepted
    return Verdict.locked if check.wrong_attempts + 1 >= MAX_WRONG_CODES else Verdict.wrong


def may_choose(check: Check | None, now: datetime) -> bool:
    """Whether the desk may record a choice for the citizen now."""
    return state_of(check, now) == CheckState.confirmed


def choice_note() -> dict[str, str]:
    """What a choice made by the desk adds to its custody event."""
    return {"on_behalf_of": "citizen", "confirmed_by": "sms_code"}


def too_soon(check: Check | None, now: datetime) -> bool:
    """Whether a code still waiting was sent too recently to send another (a locked or expired
    check may be replaced at once: that is its remedy)."""
    return state_of(check, now) == CheckState.waiting and now < check.sent_at + RESEND_AFTER
