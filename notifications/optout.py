"""What an inbound SMS asks for: stop, start again, or a delivery choice (1 home, 2 pickup)."""

from __future__ import annotations

import re
from typing import Literal

InboundIntent = Literal["stop", "start", "choose_home", "choose_pickup"]

# Arabic and Sorani letters people type in several forms, folded to one; Eastern digits to 0-9.
_FOLD = str.maketrans(
    {
        "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
        "ة": "ه", "ە": "ه", "ھ": "ه",
        "ى": "ي", "ی": "ي", "ێ": "ي",
        "ک": "ك",
        "ڕ": "ر", "ڵ": "ل", "ۆ": "و",
        **{eastern: str(value) for value, eastern in enumerate("٠١٢٣٤٥٦٧٨٩")},
        **{persian: str(value) for value, persian in enumerate("۰۱۲۳۴۵۶۷۸۹")},
    }
)  # fmt: skip
# Short vowels, tatweel and zero-width joiners change nothing a reader would notice.
_INVISIBLE = re.compile(r"[\u064b-\u065f\u0670\u0640\u200b-\u200f\u2066-\u2069\u202a-\u202e]")
_EDGE_PUNCTUATION = re.compile(r"^[\s\.\!\?؟،,;:\"'«»()]+|[\s\.\!\?؟،,;:\"'«»()]+$")
_SPACES = re.compile(r"\s+")


def normalise(body: str) -> str:
    """Lower-cased, trimmed text with Arabic-script variants and digits folded."""
    text = _INVISIBLE.sub("", body.casefold()).translate(_FOLD)
    return _SPACES.sub(" ", _EDGE_PUNCTUATION.sub("", text))


# Twilio's default opt-out and opt-in words. "YES", also a Twilio opt-in word, is left out:
# it would be an opt-in when a citizen merely answers a question.
_STOP_WORDS = {
    "stop", "unsubscribe", "end", "quit", "stopall", "revoke", "optout", "cancel",
    "توقف", "ايقاف", "الغاء", "الغاء الاشتراك", "اوقف", "قف",
    "وەستان", "ڕاگرتن", "وەستاندن", "بوەستە", "ڕایگرە", "ڕاوەستە", "ڕاوەستان",
}  # fmt: skip
_START_WORDS = {
    "start", "unstop",
    "ابدأ", "ابدا", "بدء", "استئناف",
    "دەستپێکردن", "دەستپێبکە", "دەست پێکردن",
}  # fmt: skip
_INTENTS: dict[str, InboundIntent] = {
    **{normalise(word): "stop" for word in _STOP_WORDS},
    **{normalise(word): "start" for word in _START_WORDS},
    "1": "choose_home",
    "2": "choose_pickup",
}


def classify_inbound(body: str) -> InboundIntent | None:
    """The intent of a whole inbound message, or None when it is anything else."""
    return _INTENTS.get(normalise(body))
