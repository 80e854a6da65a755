"""What citizens read: SMS bodies rendered from jinja2 templates in Arabic, Sorani and English.

Every value is sanitised and bounded before it reaches a template, so the longest possible
message is known and measured (see the unit tests): at most two segments in every language.
Values that must arrive intact (links, codes) are refused rather than cut.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
import msgspec

from notifications.language import DEFAULT_LANGUAGE, LANGUAGES
from notifications.links import MAX_TRACKING_URL_CHARS
from notifications.quiet_hours import BAGHDAD
from notifications.segments import SegmentCount, count_segments, is_gsm7

ACCEPTED = "accepted"
READY_FOR_PICKUP = "ready_for_pickup"
OUT_FOR_DELIVERY = "out_for_delivery"
DELIVERED = "delivered"
COLLECTED = "collected"
DELIVERY_FAILED = "delivery_failed"
RETURNING = "returning"
BRIBE_QUESTION = "bribe_question"
OTP_REISSUED = "otp_reissued"
DAY_PASSED = "day_passed"
# Asked for by the help desk: the citizen reads it out, so the desk knows who is on the line.
HELPDESK_CODE = "helpdesk_code"

MAX_SEGMENTS = 2

# Longest free-text values a template may receive; longer ones are cut with an ellipsis.
MAX_BRANCH_CHARS = 30
MAX_HOURS_CHARS = 11  # the first period, e.g. "08:00-14:00"
MAX_WINDOW_CHARS = 11  # e.g. "10:00-13:00"
TRACKING_NUMBER = re.compile(r"^[A-Z]{2}[0-9]{9}[A-Z]{2}$")  # S10
MAX_AGENCY_CHARS = 30
MIN_CODE_DIGITS, MAX_CODE_DIGITS = 6, 8

DOCUMENT_TYPES = (
    "passport",
    "national_id",
    "driving_licence",
    "vehicle_registration",
    "degree_certificate",
    "continuity_confirmation",
    "non_conviction_certificate",
    "other",
)
FAILURE_REASONS = ("absent", "refused", "address_not_found", "unsafe", "wrong_person", "other")
NEXT_STEPS = ("retry", "pickup")

# Words from TERMS.md (see GLOSSARY.md). Sorani takes them in the possessive of respect ("your
# passport", plural); Arabic verbs agree with the noun, so the feminine ones are marked.
DOCUMENT_WORDS: dict[str, dict[str, str]] = {
    "ar": {
        "passport": "جواز السفر",
        "national_id": "البطاقة الوطنية الموحدة",
        "driving_licence": "إجازة السوق",
        "vehicle_registration": "سنوية المركبة",
        "degree_certificate": "وثيقة التخرج",
        "continuity_confirmation": "تأييد استمرارية",
        "non_conviction_certificate": "شهادة عدم محكومية",
        "other": "وثيقتك",
    },
    "ckb": {
        "passport": "پاسپۆرتەکەتان",
        "national_id": "کارتی نیشتمانیی یەکگرتووەکەتان",
        "driving_licence": "مۆڵەتی شۆفێرییەکەتان",
        "vehicle_registration": "سەنەویی ئۆتۆمبێلەکەتان",
        "degree_certificate": "بەڵگەنامەی دەرچوونەکەتان",
        "continuity_confirmation": "پشتگیریی بەردەوامییەکەتان",
        "non_conviction_certificate": "بڕوانامەی بێ تاوانییەکەتان",
        "other": "بەڵگەنامەکەتان",
    },
    "en": {
        "passport": "passport",
        "national_id": "unified national ID card",
        "driving_licence": "driving licence",
        "vehicle_registration": "vehicle annual registration",
        "degree_certificate": "degree certificate",
        "continuity_confirmation": "continuity confirmation",
        "non_conviction_certificate": "non-conviction certificate",
        "other": "document",
    },
}
ARABIC_FEMININE = frozenset(
    {
        "national_id",
        "driving_licence",
        "vehicle_registration",
        "degree_certificate",
        "non_conviction_certificate",
        "other",
    }
)

REASON_WORDS: dict[str, dict[str, str]] = {
    "ar": {
        "absent": "لم نجد أحداً في العنوان",
        "refused": "رُفض الاستلام",
        "address_not_found": "لم نجد العنوان",
        "unsafe": "تعذر الوصول بأمان",
        "wrong_person": "المستلم ليس صاحب الوثيقة",
        "other": "ظرف طارئ",
    },
    "ckb": {
        "absent": "کەس لە ماڵ نەبوو",
        "refused": "وەرگرتن ڕەتکرایەوە",
        "address_not_found": "ناونیشانەکە نەدۆزرایەوە",
        "unsafe": "گەیشتن سەلامەت نەبوو",
        "wrong_person": "وەرگر خاوەنی نەبوو",
        "other": "هۆیەکی لەناکاو",
    },
    "en": {
        "absent": "nobody was at the address",
        "refused": "it was refused",
        "address_not_found": "we could not find the address",
        "unsafe": "the address could not be reached safely",
        "wrong_person": "the person there was not the holder",
        "other": "an unexpected problem",
    },
}

MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_KEPT_FORMAT_CHARACTERS = frozenset({"\u200c", "\u200d"})  # ZWNJ/ZWJ shape Kurdish words
_WHITESPACE = re.compile(r"\s+")
# Collapses a template's own spacing but keeps the one line break before a link.
_SPACE_RUNS = re.compile(r"[ \t]+")

TEMPLATES_DIR = Path(__file__).parent / "templates"


class RenderedSms(msgspec.Struct, frozen=True, kw_only=True):
    """A message ready to send, with its measured size."""

    body: str
    language: str
    kind: str
    segments: SegmentCount


def bounded(value: object, max_chars: int) -> str:
    """Printable single-line text of at most max_chars characters, cut with an ellipsis."""
    text = str(value)
    if not text.isprintable():  # printable text (most of it) has no character to drop
        text = "".join(ch for ch in text if _printable(ch))
    text = _WHITESPACE.sub(" ", text).strip()
    if len(text) <= max_chars:
        return text
    ellipsis = "..." if is_gsm7(text) else "…"  # keep Latin text in GSM-7
    return text[: max_chars - len(ellipsis)].rstrip() + ellipsis


def _printable(ch: str) -> bool:
    # Control and format characters (bidi overrides included) could spoof or break a message.
    category = unicodedata.category(ch)
    if ch.isspace():
        return True
    return not category.startswith("C") or ch in _KEPT_FORMAT_CHARACTERS


def western_digits(text: str) -> str:
    """Arabic-Indic and Persian digits replaced by 0-9."""
    return text.translate(_EASTERN_DIGITS)


def _exact(value: object, max_chars: int, name: str) -> str:
    text = bounded(value, max_chars + 1)
    if text != str(value) or len(text) > max_chars:
        raise ValueError(f"{name} must be at most {max_chars} printable characters, unchanged")
    return text


def _link(value: object) -> str:
    link = _exact(value, MAX_TRACKING_URL_CHARS, "link")
    if not link.isascii() or not link.startswith(("https://", "http://")):
        raise ValueError("link must be an http(s) URL in ASCII")
    return link


def _code(value: object) -> str:
    code = western_digits(bounded(value, MAX_CODE_DIGITS + 1))
    if not (code.isascii() and code.isdigit()) or not (
        MIN_CODE_DIGITS <= len(code) <= MAX_CODE_DIGITS
    ):
        raise ValueError(f"code must be {MIN_CODE_DIGITS} to {MAX_CODE_DIGITS} digits")
    return code


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(bounded(value, 10))


def _tracking_number(value: object) -> str:
    text = bounded(value, 14)
    if not TRACKING_NUMBER.fullmatch(text):
        raise ValueError("tracking_number must be an S10 number such as RR123456785IQ")
    return text


def _moment(value: object) -> dt.datetime:
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(
        bounded(value, 40))
    if moment.tzinfo is None:
        raise ValueError("a moment needs its UTC offset")
    return moment


def _window(value: object) -> tuple[str, str]:
    start, sep, end = bounded(value, MAX_WINDOW_CHARS).partition("-")
    if not sep or not start.strip() or not end.strip():
        raise ValueError("window must be a range such as 10:00-13:00")
    return start.strip(), end.strip()


def _choice(options: tuple[str, ...], default: str | None = None) -> Callable[[object], str]:
    def choose(value: object) -> str:
        if value in options:
            return str(value)
        if default is not None:
            return default
        raise ValueError(f"expected one of {', '.join(options)}; got {value!r}")

    return choose


def _free_text(max_chars: int) -> Callable[[object], str]:
    return lambda value: bounded(value, max_chars)


# Every variable a template may see, and how its value is cleaned. Anything else is refused,
# so personal data such as a national ID can never reach a message by accident.
FIELDS: dict[str, Callable[[object], Any]] = {
    "document_type": _choice(DOCUMENT_TYPES, default="other"),
    "link": _link,
    "code": _code,
    "branch": _free_text(MAX_BRANCH_CHARS),
    "hours": _free_text(MAX_HOURS_CHARS),
    "hold_until": _date,
    "window": _window,
    "tracking_number": _tracking_number,
    "at": _moment,
    "by_proxy": bool,
    "day": _date,
    "reason": _choice(FAILURE_REASONS, default="other"),
    "next_step": _choice(NEXT_STEPS),
    "agency": _free_text(MAX_AGENCY_CHARS),
}

REQUIRED: dict[str, frozenset[str]] = {
    ACCEPTED: frozenset({"document_type", "link"}),
    READY_FOR_PICKUP: frozenset({"branch", "hours", "hold_until", "code", "tracking_number"}),
    OUT_FOR_DELIVERY: frozenset({"code"}),
    DELIVERED: frozenset({"document_type"}),
    COLLECTED: frozenset({"document_type"}),
    DELIVERY_FAILED: frozenset({"reason", "next_step"}),
    RETURNING: frozenset(),
    BRIBE_QUESTION: frozenset(),
    OTP_REISSUED: frozenset({"code"}),
    DAY_PASSED: frozenset({"day"}),
    HELPDESK_CODE: frozenset({"code", "tracking_number"}),
}
# The link is optional where the worker can add it only for items whose token it can derive.
OPTIONAL: dict[str, frozenset[str]] = {
    OUT_FOR_DELIVERY: frozenset({"window"}),
    RETURNING: frozenset({"agency"}),
    DELIVERED: frozenset({"at"}),
    COLLECTED: frozenset({"at", "by_proxy"}),
    DELIVERY_FAILED: frozenset({"link"}),
    BRIBE_QUESTION: frozenset({"link"}),
    DAY_PASSED: frozenset({"link"}),
}
KINDS = tuple(REQUIRED)


def _environment() -> jinja2.Environment:
    # Plain text for SMS: no HTML escaping; values are cleaned before rendering instead.
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=False,  # noqa: S701
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the code: no file check on every message
    )


ENVIRONMENT = _environment()


def supported_language(language: str | None) -> str:
    """The language itself when templates exist for it, else Arabic."""
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def clean_values(kind: str, values: Mapping[str, object]) -> dict[str, Any]:
    """The values a kind needs, each cleaned and bounded; ValueError for missing or unknown."""
    if kind not in REQUIRED:
        raise ValueError(f"unknown message kind {kind!r}")
    allowed = REQUIRED[kind] | OPTIONAL.get(kind, frozenset())
    given = {name for name, value in values.items() if value is not None}
    if missing := REQUIRED[kind] - given:
        raise ValueError(f"{kind} needs {', '.join(sorted(missing))}")
    if unknown := given - allowed:
        raise ValueError(f"{kind} does not take {', '.join(sorted(unknown))}")
    return {name: FIELDS[name](values[name]) for name in sorted(given)}


def _format_date(day: dt.date, language: str) -> str:
    if language == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.day}/{day.month}/{day.year}"


def _words(language: str, cleaned: Mapping[str, Any]) -> dict[str, Any]:
    document_type = cleaned.get("document_type", "other")
    words: dict[str, Any] = {
        "document": DOCUMENT_WORDS[language][document_type],
        "feminine": document_type in ARABIC_FEMININE,
    }
    if "reason" in cleaned:
        words["reason_words"] = REASON_WORDS[language][cleaned["reason"]]
    if "hold_until" in cleaned:
        words["hold_until"] = _format_date(cleaned["hold_until"], language)
    if "day" in cleaned:
        words["day"] = _format_date(cleaned["day"], language)
    if "at" in cleaned:
        local = cleaned["at"].astimezone(BAGHDAD)
        words["at"] = f"{local:%H:%M} {_format_date(local.date(), language)}"
    if "window" in cleaned:
        words["window_from"], words["window_to"] = cleaned["window"]
    words["by_proxy"] = cleaned.get("by_proxy", False)
    return words


def render_sms(kind: str, language: str | None, values: Mapping[str, object]) -> RenderedSms:
    """Render one SMS of the given kind in the language (Arabic when unsupported)."""
    language = supported_language(language)
    cleaned = clean_values(kind, values)
    context = {**cleaned, **_words(language, cleaned)}
    template = ENVIRONMENT.get_template(f"{language}/{kind}.txt.j2")
    try:
        text = template.render(context)
    except jinja2.TemplateError as exc:  # a template asking for what its kind does not take
        raise ValueError(f"{language}/{kind} cannot be rendered: {exc}") from exc
    body = _SPACE_RUNS.sub(" ", text).strip()
    return RenderedSms(body=body, language=language, kind=kind, segments=count_segments(body))

