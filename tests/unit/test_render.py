import datetime as dt
import itertools

import jinja2.meta
import pytest

from notifications import render
from notifications.language import citizen_language
from notifications.links import (
    MAX_PUBLIC_BASE_URL_CHARS,
    MAX_TRACKING_URL_CHARS,
    new_tracking_token,
    token_hash,
    tracking_url,
)
from notifications.render import (
    DOCUMENT_TYPES,
    FAILURE_REASONS,
    KINDS,
    LANGUAGES,
    NEXT_STEPS,
    bounded,
    render_sms,
)

LONGEST_BASE_URL = "https://tasheel-post.g.iq"  # the longest base URL the budget allows
LONGEST_CODE = "98765432"
LONGEST_DATE = dt.date(2026, 12, 28)
TERMS = {  # reference/TERMS.md
    "ar": {
        "passport": "جواز السفر",
        "national_id": "البطاقة الوطنية الموحدة",
        "driving_licence": "إجازة السوق",
        "vehicle_registration": "سنوية المركبة",
        "degree_certificate": "وثيقة التخرج",
        "continuity_confirmation": "تأييد استمرارية",
        "non_conviction_certificate": "شهادة عدم محكومية",
    },
    "ckb": {
        "passport": "پاسپۆرت",
        "national_id": "کارتی نیشتمانیی یەکگرتوو",
        "driving_licence": "مۆڵەتی شۆفێری",
        "vehicle_registration": "سەنەویی ئۆتۆمبێل",
        "degree_certificate": "بەڵگەنامەی دەرچوون",
        "continuity_confirmation": "پشتگیریی بەردەوامی",
        "non_conviction_certificate": "بڕوانامەی بێ تاوانی",
    },
    "en": {
        "passport": "passport",
        "national_id": "unified national ID card",
        "driving_licence": "driving licence",
        "vehicle_registration": "vehicle annual registration",
        "degree_certificate": "degree certificate",
        "continuity_confirmation": "continuity confirmation",
        "non_conviction_certificate": "non-conviction certificate",
    },
}


def longest_values(language):
    """Values at their upper bounds, in the script a real value would use for the language."""
    letter = "B" if language == "en" else "ب"
    return {
        "link": tracking_url(LONGEST_BASE_URL, new_tracking_token()),
        "code": LONGEST_CODE,
        "branch": letter * 29 + "Z",
        "hours": "08:00-14:00",
        "hold_until": LONGEST_DATE,
        "window": "10:00-13:00",
        "agency": letter * 30,
        "tracking_number": "RR123456785IQ",
        "at": dt.datetime(2026, 12, 28, 21, 59, tzinfo=dt.UTC),  # 00:59 on the 29th in Baghdad
        "by_proxy": True,
        "day": LONGEST_DATE,
    }


def every_message(language):
    values = longest_values(language)
    axes = {"document_type": DOCUMENT_TYPES, "reason": FAILURE_REASONS, "next_step": NEXT_STEPS}
    for kind in KINDS:
        names = render.REQUIRED[kind] | render.OPTIONAL.get(kind, frozenset())
        fixed = {name: values[name] for name in names if name in values}
        varying = [[(name, option) for option in axes[name]] for name in names if name in axes]
        for combination in itertools.product(*varying):
            given = {**fixed, **dict(combination)}
            yield given, render_sms(kind, language, given)


@pytest.mark.parametrize("language", ["ar", "ckb"])
def test_every_arabic_script_message_fits_two_ucs2_segments_with_longest_values(language):
    for _, message in every_message(language):
        assert message.segments.units <= 134, (message.kind, message.body)
        assert message.segments.segments <= 2


def test_every_english_message_fits_two_gsm7_segments_with_longest_values():
    for _, message in every_message("en"):
        assert message.segments.encoding == "GSM-7", message.body
        assert message.segments.units <= 306
        assert message.segments.segments <= 2


@pytest.mark.parametrize("language", LANGUAGES)
def test_link_code_and_branch_arrive_intact(language):
    for given, message in every_message(language):
        for name in ("link", "code", "branch"):
            if name in given:
                assert given[name] in message.body, (message.kind, name)


def test_longest_allowed_base_url_is_the_one_the_budget_was_measured_with():
    assert len(LONGEST_BASE_URL) == MAX_PUBLIC_BASE_URL_CHARS
    link = tracking_url(LONGEST_BASE_URL, new_tracking_token())
    assert len(link) == MAX_TRACKING_URL_CHARS


def test_longer_base_url_is_refused():
    with pytest.raises(ValueError, match="PUBLIC_BASE_URL"):
        tracking_url("https://tasheel-post.gov.iq", new_tracking_token())


def test_tracking_url_has_no_double_slash():
    token = new_tracking_token()
    assert tracking_url("https://tasheel.iq/", token) == f"https://tasheel.iq/t/{token}"


def test_tracking_token_is_url_safe_with_128_bits_and_hashes_to_sha256():
    tokens = {new_tracking_token() for _ in range(1000)}
    assert len(tokens) == 1000
    token = tokens.pop()
    assert len(token) == 22 and all(c.isalnum() or c in "-_" for c in token)
    assert len(token_hash(token)) == 32
    assert token_hash(token) != token_hash(tokens.pop())


@pytest.mark.parametrize("language", LANGUAGES)
def test_accepted_message_names_the_document_in_the_words_of_the_terms(language):
    for document_type, word in TERMS[language].items():
        body = render_sms(
            "accepted",
            language,
            {"document_type": document_type, "link": "https://tasheel.iq/t/" + "a" * 22},
        ).body
        assert word in body


def test_arabic_verb_agrees_with_the_document():
    link = "https://tasheel.iq/t/" + "a" * 22
    passport = render_sms("accepted", "ar", {"document_type": "passport", "link": link}).body
    card = render_sms("accepted", "ar", {"document_type": "national_id", "link": link}).body
    assert passport.startswith("وصل جواز")
    assert card.startswith("وصلت البطاقة")


def test_unknown_language_falls_back_to_arabic():
    message = render_sms("otp_reissued", "fr", {"code": "123456"})
    assert message.language == "ar"
    assert "رمز التحقق" in message.body


def test_eastern_digits_in_a_code_are_sent_as_western_digits():
    body = render_sms("otp_reissued", "ar", {"code": "٤٨٢٩١٣"}).body
    assert "482913" in body
    assert "٤" not in body


def test_code_that_is_not_six_to_eight_digits_is_refused():
    for bad in ("12345", "123456789", "12a456"):
        with pytest.raises(ValueError, match="code"):
            render_sms("otp_reissued", "ar", {"code": bad})


def test_link_that_would_be_cut_is_refused_not_truncated():
    with pytest.raises(ValueError, match="link"):
        render_sms("bribe_question", "ar", {"link": "https://tasheel.iq/t/" + "a" * 40})


def test_national_id_can_never_be_a_template_value():
    with pytest.raises(ValueError, match="national_id"):
        render_sms("delivered", "ar", {"document_type": "passport", "at": "2026-03-05T09:00+00:00",
                                       "national_id": "1990123"})


def test_templates_use_only_known_variables():
    allowed = set(render.FIELDS) | {"document", "feminine", "reason_words", "hold_until",
                                    "window_from", "window_to"}
    for language, kind in itertools.product(LANGUAGES, KINDS):
        source = render.ENVIRONMENT.loader.get_source(
            render.ENVIRONMENT, f"{language}/{kind}.txt.j2"
        )
        names = jinja2.meta.find_undeclared_variables(render.ENVIRONMENT.parse(source[0]))
        assert names <= allowed, (language, kind, names - allowed)
        assert "national_id" not in names


def test_missing_value_is_refused():
    with pytest.raises(ValueError, match="hold_until"):
        render_sms("ready_for_pickup", "ar", {"branch": "x", "hours": "8-14", "code": "123456"})


def test_out_for_delivery_mentions_the_window_only_when_known():
    with_window = render_sms("out_for_delivery", "en", {"code": "123456", "window": "10:00-13:00"})
    without = render_sms("out_for_delivery", "en", {"code": "123456"})
    assert "between 10:00 and 13:00" in with_window.body
    assert "today." in without.body
    assert "بين 10:00 و13:00" in render_sms("out_for_delivery", "ar",
                                           {"code": "123456", "window": "10:00-13:00"}).body


def test_delivery_failure_says_what_happens_next():
    retry = render_sms("delivery_failed", "en", {"reason": "absent", "next_step": "retry"}).body
    pickup = render_sms("delivery_failed", "en", {"reason": "refused", "next_step": "pickup"}).body
    assert "try again" in retry and "nobody was at the address" in retry
    assert "wait at the branch" in pickup and "pickup code" in pickup and "refused" in pickup


def test_pickup_message_shows_the_deadline_as_a_western_digit_date():
    values = {
        "branch": "فرع الكرادة",
        "hours": "8-14",
        "hold_until": "2026-03-05",
        "code": "123456",
        "tracking_number": "RR123456785IQ",
    }
    assert "5/3/2026" in render_sms("ready_for_pickup", "ar", values).body
    assert "5 Mar 2026" in render_sms("ready_for_pickup", "en", values).body


def test_bounded_strips_control_and_bidi_characters_and_collapses_whitespace():
    assert bounded("فرع\u202e  الكرادة\n\x07 الداخل", 40) == "فرع الكرادة الداخل"


def test_bounded_keeps_the_zero_width_non_joiner_of_kurdish_words():
    assert bounded("ده\u200cست", 10) == "ده\u200cست"


def test_bounded_truncates_with_an_ellipsis_that_keeps_latin_text_gsm7():
    assert bounded("Karrada Dakhil Post Office", 10) == "Karrada..."
    assert bounded("مكتب بريد الكرادة داخل", 10) == "مكتب بريد…"
    assert len(bounded("x" * 100, 40)) == 40


def test_branch_name_longer_than_its_bound_is_cut():
    values = {"branch": "ب" * 60, "hours": "8-14", "hold_until": LONGEST_DATE, "code": "123456",
              "tracking_number": "RR123456785IQ"}
    body = render_sms("ready_for_pickup", "ar", values).body
    assert "ب" * 29 + "…" in body and "ب" * 30 not in body


@pytest.mark.parametrize(
    ("chosen", "given", "agency", "governorate", "expected"),
    [
        ("ar", "en", "ckb", "IQ-AR", "ar"),  # the citizen's own choice first
        (None, "en", "ar", "IQ-SU", "en"),  # then the agency's word for this citizen
        (None, None, "en", "IQ-SU", "en"),  # then the agency's default
        (None, None, "ar", "IQ-AR", "ar"),
        (None, None, None, "IQ-AR", "ckb"),  # then the region
        (None, None, None, "IQ-SU", "ckb"),
        (None, None, None, "IQ-DA", "ckb"),
        (None, None, None, "IQ-HAL", "ckb"),
        (None, None, None, "IQ-BG", "ar"),
        (None, None, None, "IQ-KI", "ar"),
        (None, None, None, None, "ar"),
        ("tr", "fr", "de", "IQ-BA", "ar"),  # a language we do not write in is skipped
        ("tr", None, None, "IQ-DA", "ckb"),
    ],
)
def test_one_language_rule_the_citizens_choice_then_the_agencys_then_the_region(
    chosen, given, agency, governorate, expected
):
    assert citizen_language(chosen=chosen, given=given, agency=agency,
                            governorate=governorate) == expected


def test_an_english_message_naming_an_arabic_agency_still_fits_two_segments():
    message = render_sms("returning", "en", {"agency": "مديرية شؤون الجنسية والأحوال المدنية"})
    assert message.segments.encoding == "UCS-2" and message.segments.segments <= 2
