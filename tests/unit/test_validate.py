import copy
import math
import unicodedata

import msgspec
import phonenumbers
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from delivery.custody.doctypes import DEFAULT_DOCUMENT_TYPES
from delivery.intake.schemas import BatchIn, DocumentIn
from delivery.intake.validate import (
    DocumentInvalid,
    clean_text,
    decode_batch,
    decode_single,
    normalise_phone,
    validate_document,
)
from delivery.platform.errors import (
    FieldError,
    InvalidInput,
    MalformedRequest,
    PayloadTooLarge,
    decode_errors_to_field_errors,
    msgspec_path_to_pointer,
)
from delivery.sites.geo import governorate_codes

GOVERNORATES = governorate_codes()
RULES = {"types": DEFAULT_DOCUMENT_TYPES, "governorates": GOVERNORATES}

GOOD = {
    "external_ref": "MOI-PP-2026-000123",
    "document_type": "passport",
    "citizen": {
        "name": "أحمد علي", "phone": "07701234567", "national_id": "199012345678",
        "language": "ar",
    },
    "delivery": {
        "mode": "home", "governorate": "IQ-BG", "district": "Karkh",
        "address_text": "mahalla 314, zuqaq 7, house 12",
        "location": {"lat": 33.312, "lon": 44.361},
    },
}


def body(**changes) -> dict:
    """GOOD with changes given as `citizen__phone="…"`; None removes the field."""
    doc = copy.deepcopy(GOOD)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        target = doc
        for parent in parents:
            target = target[parent]
        if value is None:
            target.pop(leaf, None)
        else:
            target[leaf] = value
    return doc


def decode(doc: dict):
    return decode_single(msgspec.json.encode(doc), **RULES)


def errors_of(doc: dict) -> list[FieldError]:
    with pytest.raises(DocumentInvalid) as caught:
        decode(doc)
    return list(caught.value.errors)


def pointers_of(doc: dict) -> list[str]:
    return [error.field for error in errors_of(doc)]


def test_good_document_is_normalised():
    doc = decode(GOOD)
    assert doc.phone_e164 == "+9647701234567"
    assert doc.national_id == "199012345678"
    assert doc.national_id_last4 == "5678"
    assert (doc.governorate, doc.mode, doc.lat, doc.lon) == ("IQ-BG", "home", 33.312, 44.361)
    assert doc.name == "أحمد علي"
    assert doc.language == "ar"


def test_optional_fields_may_be_absent():
    doc = decode(body(citizen__language=None, delivery__mode=None, delivery__district=None,
                      delivery__address_text=None, delivery__location=None))
    assert (doc.language, doc.mode, doc.district, doc.address_text) == (None, None, None, None)
    assert (doc.lat, doc.lon, doc.branch_code, doc.landmark) == (None, None, None, None)


@pytest.mark.parametrize(
    "phone, e164",
    [
        ("+9647701234567", "+9647701234567"),
        ("07801234567", "+9647801234567"),
        ("0770 123 4567", "+9647701234567"),
        ("00964 750 123 4567", "+9647501234567"),
        ("٠٧٩٠١٢٣٤٥٦٧", "+9647901234567"),
    ],
)
def test_iraqi_mobiles_in_any_usual_form_become_e164(phone, e164):
    assert decode(body(citizen__phone=phone)).phone_e164 == e164


@pytest.mark.parametrize(
    "phone",
    [
        "0770123456",        # one digit short
        "+96477012345678",   # one digit too many
        "07281234567",       # no such mobile prefix
        "+96415371234",      # a Baghdad landline: no SMS
        "+14155552671",      # valid, but American
        "+447700900123",     # valid, but British
        "not a number",
        "07701234567 ext. 12",
    ],
)
def test_numbers_that_are_not_iraqi_mobiles_are_refused_at_citizen_phone(phone):
    errors = errors_of(body(citizen__phone=phone))
    assert [e.field for e in errors] == ["/citizen/phone"]
    assert phone not in errors[0].message


def _full_parse_verdict(text: str) -> str | None:
    try:
        number = phonenumbers.parse(text, "IQ")
    except phonenumbers.NumberParseException:
        return None
    mobile = (number.country_code == 964 and phonenumbers.is_valid_number(number)
              and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if mobile else None


@example(prefix="0", digits="0210000000")  # "00…" is an international prefix: no number
@given(prefix=st.sampled_from(["0", "+964"]),
       digits=st.from_regex(r"7[0-9]{9}", fullmatch=True) | st.from_regex(r"[0-9]{10}",
                                                                            fullmatch=True))
def test_plainly_written_numbers_get_the_verdict_of_a_full_parse(prefix, digits):
    # Numbers written 07XXXXXXXXX or +9647XXXXXXXXX skip the full parse: same answer required.
    text = prefix + digits
    expected = _full_parse_verdict(text)
    if expected is None:
        with pytest.raises(ValueError):
            normalise_phone(text)
    else:
        assert normalise_phone(text) == expected


@pytest.mark.parametrize("nid", ["19901234567", "1990123456789", "19901234567X", "1990-1234-5678"])
def test_national_id_must_be_twelve_digits(nid):
    errors = errors_of(body(citizen__national_id=nid))
    assert [e.field for e in errors] == ["/citizen/national_id"]
    assert nid not in errors[0].message


def test_national_id_in_arabic_indic_or_persian_digits_is_converted():
    assert decode(body(citizen__national_id="١٩٩٠١٢٣٤٥٦٧٨")).national_id == "199012345678"
    assert decode(body(citizen__national_id="۱۹۹۰۱۲۳۴۵۶۷۸")).national_id == "199012345678"


def test_unknown_governorate_is_refused():
    assert pointers_of(body(delivery__governorate="IQ-XX")) == ["/delivery/governorate"]
    assert pointers_of(body(delivery__governorate="iq-bg")) == ["/delivery/governorate"]
    assert pointers_of(body(delivery__governorate="IQ-KR")) == ["/delivery/governorate"]


def test_halabja_is_accepted_under_its_project_code():
    assert decode(body(delivery__governorate="IQ-HAL")).governorate == "IQ-HAL"


@pytest.mark.parametrize(
    "location, pointers",
    [
        ({"lat": 28.9, "lon": 44.0}, ["/delivery/location/lat"]),
        ({"lat": 37.6, "lon": 44.0}, ["/delivery/location/lat"]),
        ({"lat": 33.0, "lon": 38.6}, ["/delivery/location/lon"]),
        ({"lat": 33.0, "lon": 48.9}, ["/delivery/location/lon"]),
        ({"lat": 44.361, "lon": 33.312}, ["/delivery/location/lat", "/delivery/location/lon"]),
    ],
)
def test_location_outside_iraq_is_refused(location, pointers):
    assert pointers_of(body(delivery__location=location)) == pointers


def test_location_on_the_edge_of_the_box_and_in_whole_degrees_is_accepted():
    doc = decode(body(delivery__location={"lat": 29, "lon": 48.8}))
    assert (doc.lat, doc.lon) == (29.0, 48.8)
    assert isinstance(doc.lat, float)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_coordinates_that_are_not_finite_are_refused(bad):
    doc = msgspec.convert(body(), DocumentIn)
    location = msgspec.structs.replace(doc.delivery.location, lat=bad, lon=bad)
    doc = msgspec.structs.replace(doc, delivery=msgspec.structs.replace(doc.delivery,
                                                                        location=location))
    normalised, errors = validate_document(doc, **RULES)
    assert normalised is None
    assert [e.field for e in errors] == ["/delivery/location/lat", "/delivery/location/lon"]


def test_names_lose_controls_and_extra_blanks_but_keep_zwnj():
    name = "\u202e  هەڵ\u200cگرت\u200b\t\n  کوردی\x00 "
    assert decode(body(citizen__name=name)).name == "هەڵ\u200cگرت کوردی"


def test_names_are_nfc_normalised():
    decomposed = "Jose\u0301 Ali"
    assert decode(body(citizen__name=decomposed)).name == "Jos\u00e9 Ali"


@pytest.mark.parametrize("name", ["\u200b\u200b\u200b", "\t\n \u00a0 ", "\u202e\u202c", "12 34"])
def test_names_without_letters_after_cleaning_are_refused(name):
    assert pointers_of(body(citizen__name=name)) == ["/citizen/name"]


def test_free_text_is_cleaned_and_blank_text_is_treated_as_absent():
    doc = decode(body(delivery__district="  Karkh\u200f  ", delivery__address_text=" \t ",
                      delivery__landmark="near  the\nschool"))
    assert (doc.district, doc.address_text, doc.landmark) == ("Karkh", None, "near the school")


def test_clean_text_drops_zwnj_at_word_edges_where_it_means_nothing():
    assert clean_text("\u200cabc\u200c de\u200cf") == "abc de\u200cf"


@given(st.text())
def test_cleaned_text_has_no_controls_no_double_blanks_and_is_stable(text):
    cleaned = clean_text(text)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip() and "  " not in cleaned
    assert all(ch == "\u200c" or unicodedata.category(ch) not in ("Cc", "Cf") for ch in cleaned)
    assert unicodedata.is_normalized("NFC", cleaned)


def test_unknown_document_type_is_refused():
    errors = errors_of(body(document_type="visa"))
    assert [e.field for e in errors] == ["/document_type"]
    assert "passport" in errors[0].message


def test_pickup_may_name_a_branch():
    doc = decode(body(delivery__mode="pickup", delivery__branch_code="BG-KARKH-01"))
    assert (doc.mode, doc.branch_code) == ("pickup", "BG-KARKH-01")


@pytest.mark.parametrize("code", ["bg-karkh", "BG KARKH", "-BG", "BG-", "ب-١"])
def test_branch_code_must_look_like_a_branch_code(code):
    doc = body(delivery__mode="pickup", delivery__branch_code=code)
    assert pointers_of(doc) == ["/delivery/branch_code"]


def test_branch_code_with_home_delivery_is_refused():
    assert pointers_of(body(delivery__branch_code="BG-01")) == ["/delivery/branch_code"]


def test_language_outside_ar_ckb_en_is_refused_when_decoding():
    assert pointers_of(body(citizen__language="fr")) == ["/citizen/language"]


def test_language_and_mode_are_checked_on_structs_built_in_code_too():
    doc = msgspec.convert(body(), DocumentIn)
    doc = msgspec.structs.replace(
        doc, citizen=msgspec.structs.replace(doc.citizen, language="fr"),
        delivery=msgspec.structs.replace(doc.delivery, mode="drone"),
    )
    _, errors = validate_document(doc, **RULES)
    assert [e.field for e in errors] == ["/citizen/language", "/delivery/mode"]


def test_every_broken_rule_is_reported_at_once_under_the_prefix():
    doc = msgspec.convert(
        body(document_type="visa", citizen__name="\x00\u200b", citizen__phone="0770123456",
             citizen__national_id="123", delivery__governorate="IQ-XX",
             delivery__location={"lat": 10.0, "lon": 10.0}),
        DocumentIn,
    )
    normalised, errors = validate_document(doc, **RULES, pointer_prefix="/documents/4")
    assert normalised is None
    assert {e.field for e in errors} == {
        "/documents/4/document_type", "/documents/4/citizen/name", "/documents/4/citizen/phone",
        "/documents/4/citizen/national_id", "/documents/4/delivery/governorate",
        "/documents/4/delivery/location/lat", "/documents/4/delivery/location/lon",
    }


@pytest.mark.parametrize(
    "doc, pointer, words",
    [
        (body(citizen__phone=7701234567), "/citizen/phone", "Expected `str`, got `int`"),
        (body(citizen__nickname="Abu Ali"), "/citizen/nickname", "unknown field"),
        (body(citizen__national_id=None), "/citizen/national_id", "missing required field"),
        (body(external_ref="MOI PP 1"), "/external_ref", "matching regex"),
        (body(external_ref="x" * 65), "/external_ref", "length <= 64"),
        (body(citizen__name="A" * 101), "/citizen/name", "length <= 100"),
        (body(delivery__address_text="x" * 301), "/delivery/address_text", "length <= 300"),
        (body(delivery__district="x" * 81), "/delivery/district", "length <= 80"),
        (body(delivery__landmark="x" * 121), "/delivery/landmark", "length <= 120"),
        (body(delivery__mode="drone"), "/delivery/mode", "Invalid enum value"),
        (body(delivery__location={"lat": "33", "lon": 44}), "/delivery/location/lat",
         "Expected `float`"),
    ],
)
def test_type_and_length_errors_point_at_the_field(doc, pointer, words):
    errors = errors_of(doc)
    assert [e.field for e in errors] == [pointer]
    assert words in errors[0].message
    assert "$." not in errors[0].message


def test_document_invalid_is_an_invalid_input_for_the_problem_map():
    with pytest.raises(InvalidInput):
        decode(body(document_type="visa"))


@pytest.mark.parametrize("raw", [b"{", b"", b"\xff"])
def test_a_body_that_is_not_json_is_malformed(raw):
    with pytest.raises(MalformedRequest):
        decode_single(raw, **RULES)


def test_msgspec_errors_become_json_pointers():
    raw = msgspec.json.encode({"documents": [GOOD] * 17 + [body(citizen__phone=5)]})
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.json.decode(raw, type=BatchIn)
    [error] = decode_errors_to_field_errors(caught.value)
    assert error == FieldError(field="/documents/17/citizen/phone",
                               message="Expected `str`, got `int`")


def test_msgspec_path_conversion_escapes_pointer_characters_and_stops_at_mapping_keys():
    assert msgspec_path_to_pointer("$") == ""
    assert msgspec_path_to_pointer("$.a/b.c~d[3]") == "/a~1b/c~0d/3"
    assert msgspec_path_to_pointer("$.extra[...].x") == "/extra"


def test_error_without_a_path_points_at_the_prefix():
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.json.decode(b"3", type=DocumentIn)
    [error] = decode_errors_to_field_errors(caught.value, "/documents/2")
    assert error == FieldError(field="/documents/2", message="Expected `object`, got `int`")


def test_batch_accepts_good_documents_and_rejects_each_bad_one_with_its_pointer():
    documents = [
        GOOD,
        body(external_ref="REF-2", citizen__phone=12),
        body(external_ref="REF-3", delivery__governorate="IQ-XX", citizen__national_id="1"),
        "not an object",
        body(external_ref="REF-5", citizen__phone="+9647801234567"),
        body(external_ref="bad ref", document_type=None),
        body(external_ref="REF-7", document_type=None),
    ]
    raw = msgspec.json.encode({"documents": documents})
    accepted, rejected = decode_batch(raw, **RULES)

    assert [(i, doc.external_ref) for i, doc in accepted] == [
        (0, "MOI-PP-2026-000123"), (4, "REF-5"),
    ]
    assert rejected == [
        (1, "REF-2", [FieldError(field="/documents/1/citizen/phone",
                                 message="Expected `str`, got `int`")]),
        (2, "REF-3", [
            FieldError(field="/documents/2/citizen/national_id",
                       message="must be the 12 digits of the unified national ID number"),
            FieldError(field="/documents/2/delivery/governorate",
                       message="unknown governorate; expected an ISO 3166-2:IQ code such as "
                               "IQ-BG (IQ-HAL for Halabja)"),
        ]),
        (3, None, [FieldError(field="/documents/3", message="Expected `object`, got `str`")]),
        (5, None, [FieldError(field="/documents/5/external_ref",
                              message="Expected `str` matching regex '^[A-Za-z0-9._:/-]+$'")]),
        (6, "REF-7", [FieldError(field="/documents/6/document_type",
                                 message="Object missing required field `document_type`")]),
    ]


@pytest.mark.parametrize(
    "raw, pointer",
    [
        (b'{"documents": 3}', "/documents"),
        (b'{"docs": []}', "/docs"),
        (b"[]", ""),
        (b'{"documents": []}', "/documents"),
    ],
)
def test_a_batch_body_of_the_wrong_shape_is_invalid_input(raw, pointer):
    with pytest.raises(InvalidInput) as caught:
        decode_batch(raw, **RULES)
    assert [e.field for e in caught.value.errors] == [pointer]


def test_a_batch_that_is_not_json_is_malformed():
    with pytest.raises(MalformedRequest):
        decode_batch(b'{"documents": [', **RULES)


def test_a_batch_over_the_limit_is_too_large():
    raw = msgspec.json.encode({"documents": [GOOD, GOOD, GOOD]})
    with pytest.raises(PayloadTooLarge) as caught:
        decode_batch(raw, **RULES, max_documents=2)
    assert [e.field for e in caught.value.errors] == ["/documents"]
    assert len(decode_batch(raw, **RULES, max_documents=3)[0]) == 3


def test_governorates_are_the_eighteen_iso_codes_and_halabja():
    from delivery.sites.geo import KURDISTAN_REGION, load_governorates

    governorates = load_governorates()
    assert len(governorates) == 19
    assert [g.code for g in governorates if not g.iso] == ["IQ-HAL"]
    assert all(g.code.startswith("IQ-") and len(g.code) == 5 for g in governorates if g.iso)
    assert KURDISTAN_REGION <= GOVERNORATES
    baghdad = next(g for g in governorates if g.code == "IQ-BG")
    assert (baghdad.name_ar, baghdad.capital, baghdad.in_kurdistan_region) == (
        "بغداد", "Baghdad", False,
    )


def test_every_governorate_capital_lies_inside_the_accepted_box():
    from delivery.sites.geo import load_governorates

    for g in load_governorates():
        doc = decode(body(delivery__governorate=g.code,
                          delivery__location={"lat": g.lat, "lon": g.lon}))
        assert doc.governorate == g.code


def test_a_governorate_file_with_an_unnamed_code_is_refused(tmp_path):
    from delivery.sites.geo import load_governorates

    path = tmp_path / "g.csv"
    path.write_text("iso_code,name_en,name_ar,name_ku,capital_en,lat,lon\n"
                    ",Atlantis,أ,ئ,Atlantis,33,44\n", encoding="utf-8")
    with pytest.raises(ValueError, match="Atlantis"):
        load_governorates(path)
