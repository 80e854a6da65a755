"""What a console search asks for, read from what was typed; and the words of a timeline.

Pure: no I/O. `classify` turns the text of the search box into the values the store searches
with, or raises `BadQuery` with a message for the person who typed it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import msgspec

from delivery.custody import s10

MIN_PHONE_DIGITS = 4
MAX_PHONE_DIGITS = 8
MIN_CHARS = 3
MAX_CHARS = 64
# Arabic-Indic and Persian digits, as a phone's keyboard may type them.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_S10_SHAPE = re.compile(r"[A-Z]{2}[0-9]{9}[A-Z]{2}")
# What an agency reference may hold (intake's `ExternalRef`).
_REFERENCE = re.compile(r"[A-Za-z0-9._:/-]+")
# An Iraqi mobile number written whole: 07XX…, 7XX… or 9647XX… (ten national digits).
_IRAQI_MOBILE = re.compile(r"(?:964|0)?7[0-9]{9}")


class BadQuery(Exception):
    """Text the search cannot use; `ar` and `en` say why, for the page."""

    def __init__(self, ar: str, en: str):
        super().__init__(en)
        self.ar, self.en = ar, en


class Search(msgspec.Struct, frozen=True, kw_only=True):
    """What to look for; an item matching any one of the values is found."""

    tracking_number: str | None = None
    reference: str | None = None
    phone_tail: str | None = None

    @property
    def phone_range(self) -> tuple[str | None, str | None]:
        """The reversed phone numbers that end in `phone_tail`, as a half-open range."""
        return phone_tail_range(self.phone_tail) if self.phone_tail else (None, None)


_EMPTY = BadQuery("اكتب رقم التتبع أو مرجع الجهة أو آخر ٤ إلى ٨ أرقام من هاتف المواطن.",
                  "Type a tracking number, an agency reference or the last 4 to 8 digits of "
                  "the citizen's phone.")
_TOO_SHORT = BadQuery("البحث قصير جدًا: اكتب ٤ أرقام على الأقل من الهاتف، أو ٣ أحرف من المرجع.",
                      "Too short: type at least 4 digits of a phone, or 3 characters of a "
                      "reference.")
_TOO_LONG = BadQuery("البحث طويل جدًا (٦٤ حرفًا على الأكثر).",
                     "Too long: at most 64 characters.")
_NONSENSE = BadQuery(
    "لا يشبه رقم تتبع ولا مرجعًا ولا أرقام هاتف: المرجع حروف لاتينية وأرقام و . _ : / - فقط.",
    "This is neither a tracking number, a reference nor phone digits: a reference holds only "
    "Latin letters, digits and . _ : / -")
_BAD_CHECK_DIGIT = BadQuery("رقم التتبع غير صحيح: رقم التحقق لا يطابق. تأكد من الأرقام.",
                            "Not a valid tracking number: its check digit does not match. "
                            "Check the digits.")


def classify(text: str | None) -> Search:
    """What to search for given the search box's text; `BadQuery` when it cannot be used."""
    typed = (text or "").strip().translate(_DIGITS)
    if not typed:
        raise _EMPTY
    if len(typed) > MAX_CHARS:
        raise _TOO_LONG
    compact = re.sub(r"[\s-]+", "", typed)
    if _S10_SHAPE.fullmatch(compact.upper()):
        return _tracking_number(compact.upper())
    digits = compact.removeprefix("+")
    if digits.isascii() and digits.isdigit():
        return _digits(digits, typed)
    if len(typed) < MIN_CHARS:
        raise _TOO_SHORT
    if not _REFERENCE.fullmatch(typed):
        raise _NONSENSE
    return Search(reference=typed)


def _tracking_number(tn: str) -> Search:
    if s10.check_digit(tn[2:10]) != int(tn[10]):
        raise _BAD_CHECK_DIGIT
    return Search(tracking_number=tn)


def _digits(digits: str, typed: str) -> Search:
    """Digits alone: a phone's tail (a whole Iraqi mobile number: its last 8), and perhaps a
    reference made of digits."""
    reference = typed if _REFERENCE.fullmatch(typed) else None
    if len(digits) < MIN_PHONE_DIGITS:
        raise _TOO_SHORT
    if len(digits) <= MAX_PHONE_DIGITS:
        return Search(phone_tail=digits, reference=reference)
    if _IRAQI_MOBILE.fullmatch(digits):
        return Search(phone_tail=digits[-MAX_PHONE_DIGITS:], reference=reference)
    return Search(reference=reference or digits)


def phone_tail_range(tail: str) -> tuple[str, str]:
    """[low, high) of reversed E.164 numbers ending in `tail`: `reverse(phone)` starts with the
    reversed tail, so it lies between it and the same text with its last character one up."""
    low = tail[::-1]
    return low, low[:-1] + chr(ord(low[-1]) + 1)


# --- the words of a timeline -----------------------------------------------------------------

# Each custody event in words for staff, Arabic then English (model.py's event codes).
EVENTS: Mapping[str, tuple[str, str]] = {
    "registered": ("سجّلتها الجهة", "Registered by the agency"),
    "received": ("استُلمت في مركز الفرز", "Received at the sorting centre"),
    "bagged": ("وُضعت في كيس", "Put in a bag"),
    "unbagged": ("أُخرجت من الكيس", "Taken out of its bag"),
    "dispatched": ("أُرسلت إلى الفرع", "Dispatched to the branch"),
    "arrived": ("وصلت إلى الفرع", "Arrived at the branch"),
    "arrival_confirmed": ("أُكّد وصولها بمسحها وحدها", "Arrival confirmed by its own scan"),
    "handed_to_courier": ("سُلّمت لموزع البريد", "Handed to the courier"),
    "taken": ("استلمها موزع البريد", "Taken by the courier"),
    "delivered": ("سُلّمت للمواطن", "Delivered to the citizen"),
    "delivery_failed": ("تعذّر التوصيل", "Delivery attempt failed"),
    "sent_back_at_door": ("رفضها المواطن أو قال إنها ليست له: تُعاد إلى الجهة",
                          "Refused at the door, or not theirs: going back to the agency"),
    "returned_to_branch": ("أعادها الموزع إلى الفرع", "Returned to the branch by the courier"),
    "accepted": ("قُبلت عند التسليم", "Accepted at hand-over"),
    "shelved": ("وُضعت على الرف للاستلام", "Shelved for pickup"),
    "collected": ("استلمها المواطن من الفرع", "Collected at the branch"),
    "sent_back": ("أُعيدت نحو مركز الفرز", "Sent back towards the sorting centre"),
    "returned_to_agency": ("أُعيدت إلى الجهة", "Returned to the agency"),
    "hold_expired": ("انتهت مدة الحفظ", "Holding period ended"),
    "attempts_exhausted": ("استُنفدت محاولات التوصيل", "Delivery attempts used up"),
    "cancelled": ("ألغتها الجهة", "Cancelled by the agency"),
    "old_document_taken": ("أُخذت الوثيقة القديمة عند تسليم الجديدة",
                           "Old document taken at the new one's hand-over"),
    "lost": ("سُجّلت مفقودة", "Marked lost"),
    "damaged": ("سُجّلت تالفة", "Marked damaged"),
    "found": ("عُثر عليها", "Found"),
    "code_reissued": ("أُعيد إصدار رمز التسليم", "Hand-over code reissued"),
    "code_unlocked": ("فُتح قفل رمز التسليم", "Hand-over code unlocked"),
    "chose_home": ("اختار المواطن التوصيل إلى المنزل", "Citizen chose home delivery"),
    "chose_pickup": ("اختار المواطن الاستلام من الفرع", "Citizen chose pickup"),
    "shared_location": ("أرسل المواطن موقعه", "Citizen shared a location"),
    "rescheduled": ("اختار المواطن موعدًا", "Citizen chose a delivery day"),
    "reported": ("أجاب المواطن عن التسليم", "Citizen answered about the hand-over"),
}

# How the citizen chose to receive it, and when (items.delivery_mode, delivery_window).
MODES: Mapping[str, tuple[str, str]] = {
    "home": ("توصيل إلى المنزل", "home delivery"), "pickup": ("استلام من الفرع", "pickup")}
WINDOWS: Mapping[str, tuple[str, str]] = {
    "morning": ("صباحًا", "morning"), "afternoon": ("بعد الظهر", "afternoon")}


def event_words(event_code: str) -> tuple[str, str]:
    """An event in words (Arabic, English); an unknown code as itself."""
    return EVENTS.get(event_code, (event_code, event_code))


# Roles whose `actor_id` is a member of staff (an agency's event carries the agency's id).
STAFF_ROLES = frozenset({"sorting_clerk", "branch_clerk", "courier", "supervisor", "admin",
                         "helpdesk"})
# Who else acts on an item (the staff are named by the console's `role_name` and username).
ACTORS: Mapping[str, tuple[str, str]] = {
    "citizen": ("المواطن", "citizen"),
    "agency": ("الجهة", "agency"),
    "scheduler": ("النظام", "system"),
    "system": ("النظام", "system"),
}


# The parts of an event's payload worth showing, in this order (the rest is internal).
PAYLOAD_KEYS = ("reason", "attempt", "bag", "courier", "why", "branch", "day")


def payload_parts(payload: Mapping[str, object]) -> list[tuple[str, str]]:
    """(key, value) of the payload's useful parts, and whether a hand-over code was checked."""
    parts = [(k, str(payload[k])) for k in PAYLOAD_KEYS if payload.get(k) not in (None, "")]
    proof = payload.get("proof")
    if isinstance(proof, Mapping):
        parts.append(("proof", "code checked" + (", ID checked" if proof.get("id_checked")
                                                 else "") + (", by proxy" if proof.get("proxy")
                                                             else "")))
    return parts

