import pytest

from delivery.custody.doctypes import DEFAULT_DOCUMENT_TYPES, DocumentType, DocumentTypes

API_CODES = (
    "passport", "national_id", "driving_licence", "vehicle_registration", "degree_certificate",
    "continuity_confirmation", "non_conviction_certificate", "other",
)


def test_registry_knows_exactly_the_codes_of_the_api():
    assert DEFAULT_DOCUMENT_TYPES.codes() == API_CODES


@pytest.mark.parametrize("code", ["passport", "national_id"])
def test_identity_documents_need_an_id_check_go_to_the_holder_only_and_wait_30_days(code):
    doc_type = DEFAULT_DOCUMENT_TYPES.get(code)
    assert doc_type.needs_id_check
    assert not doc_type.proxy_allowed
    assert doc_type.sensitive
    assert doc_type.hold_days == 30


def test_other_types_wait_14_days():
    others = [t for t in DEFAULT_DOCUMENT_TYPES if t.code not in ("passport", "national_id")]
    assert {t.hold_days for t in others} == {14}


@pytest.mark.parametrize(
    "code", ["degree_certificate", "continuity_confirmation", "non_conviction_certificate"]
)
def test_certificates_may_be_collected_by_a_proxy(code):
    assert DEFAULT_DOCUMENT_TYPES.get(code).proxy_allowed


def test_names_follow_the_terms_in_three_languages():
    passport = DEFAULT_DOCUMENT_TYPES.get("passport")
    assert passport.name("ckb") == "پاسپۆرت"
    assert passport.name("en") == "passport"
    assert DEFAULT_DOCUMENT_TYPES.get("driving_licence").name("ar") == "إجازة السوق"
    other = DEFAULT_DOCUMENT_TYPES.get("other")
    assert (other.name("ar"), other.name("ckb"), other.name("en")) == (
        "وثيقة أخرى", "بەڵگەنامەی تر", "other document",
    )


def test_every_type_has_a_name_in_every_language():
    for doc_type in DEFAULT_DOCUMENT_TYPES:
        assert all(doc_type.name(lang).strip() for lang in ("ar", "ckb", "en"))


def test_unknown_code_gives_none():
    assert DEFAULT_DOCUMENT_TYPES.get("birth_certificate") is None
    assert "birth_certificate" not in DEFAULT_DOCUMENT_TYPES


def test_with_hold_days_changes_only_the_named_types_and_leaves_the_original_alone():
    changed = DEFAULT_DOCUMENT_TYPES.with_hold_days({"passport": 45, "other": 7})
    assert changed.get("passport").hold_days == 45
    assert changed.get("other").hold_days == 7
    assert changed.get("national_id").hold_days == 30
    assert DEFAULT_DOCUMENT_TYPES.get("passport").hold_days == 30
    assert changed.codes() == DEFAULT_DOCUMENT_TYPES.codes()


@pytest.mark.parametrize("overrides", [{"visa": 10}, {"passport": 0}, {"passport": 366}])
def test_with_hold_days_refuses_unknown_codes_and_impossible_periods(overrides):
    with pytest.raises(ValueError):
        DEFAULT_DOCUMENT_TYPES.with_hold_days(overrides)


def test_hold_days_setting_is_parsed_into_overrides():
    assert DEFAULT_DOCUMENT_TYPES.parse_hold_days(" passport=30, national_id = 30,other=10 ") == {
        "passport": 30, "national_id": 30, "other": 10,
    }


def test_empty_hold_days_setting_changes_nothing():
    assert DEFAULT_DOCUMENT_TYPES.parse_hold_days("") == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ("visa=10", "unknown document type"),
        ("passport=ten", "expected code=days"),
        ("passport", "expected code=days"),
        ("passport=", "expected code=days"),
        ("passport=-3", "expected code=days"),
        ("passport=١٠", "expected code=days"),
        ("passport=0", "1 to 365"),
        ("passport=400", "1 to 365"),
        ("passport=30,passport=20", "twice"),
    ],
)
def test_bad_hold_days_settings_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        DEFAULT_DOCUMENT_TYPES.parse_hold_days(text)


def test_registry_loads_from_a_mapping():
    types = DocumentTypes.from_mapping({
        "passport": {
            "needs_id_check": True, "proxy_allowed": False, "hold_days": 21, "sensitive": True,
            "name_ar": "جواز السفر", "name_ckb": "پاسپۆرت", "name_en": "passport",
        },
    })
    assert types.codes() == ("passport",)
    assert types["passport"].hold_days == 21


@pytest.mark.parametrize(
    "fields",
    [
        {"needs_id_check": True},  # names and rules missing
        {"needs_id_check": True, "proxy_allowed": False, "hold_days": 0, "sensitive": True,
         "name_ar": "x", "name_ckb": "x", "name_en": "x"},
        {"needs_id_check": True, "proxy_allowed": False, "hold_days": 9, "sensitive": True,
         "name_ar": "x", "name_ckb": "x", "name_en": "x", "colour": "red"},
    ],
)
def test_registry_refuses_incomplete_or_wrong_definitions(fields):
    with pytest.raises(ValueError, match="bad document type definition"):
        DocumentTypes.from_mapping({"passport": fields})


def test_registry_refuses_a_code_defined_twice():
    passport = DEFAULT_DOCUMENT_TYPES.get("passport")
    with pytest.raises(ValueError, match="twice"):
        DocumentTypes([passport, passport])


def test_document_types_are_immutable():
    with pytest.raises(AttributeError):
        DEFAULT_DOCUMENT_TYPES.get("passport").hold_days = 1  # type: ignore[misc]
    assert isinstance(DEFAULT_DOCUMENT_TYPES.get("other"), DocumentType)


def test_only_the_yearly_vehicle_card_always_takes_the_old_one_back():
    # Passports, IDs and licences have first issues too: theirs is the single document's rule.
    assert [t.code for t in DEFAULT_DOCUMENT_TYPES if t.takes_old_document] == [
        "vehicle_registration"]
