import msgspec
import pytest

from delivery.custody.doctypes import DEFAULT_DOCUMENT_TYPES
from delivery.intake.fingerprint import (
    FIELD_POINTERS,
    canonical_fingerprint,
    comparable_form,
    differing_fields,
    fingerprint_of_form,
)
from delivery.intake.validate import NormalisedDocument, decode_single
from delivery.platform.privacy import national_id_hash
from delivery.sites.geo import governorate_codes

KEY = b"test-secret"
RULES = {"types": DEFAULT_DOCUMENT_TYPES, "governorates": governorate_codes()}

BODY = (
    b'{"external_ref": "MOI-PP-2026-000123", "document_type": "passport",'
    b' "citizen": {"name": "Ahmed Ali", "phone": "07701234567", "national_id": "199012345678",'
    b' "language": "ar"},'
    b' "delivery": {"mode": "home", "governorate": "IQ-BG", "district": "Karkh",'
    b' "address_text": "mahalla 314", "location": {"lat": 33.312, "lon": 44.361}}}'
)
# The same document: keys reordered, phone in international form, blanks and digits varied.
SAME_BODY = (
    b'{"delivery": {"location": {"lon": 44.361, "lat": 33.3120}, "address_text": " mahalla  314",'
    b' "district": "Karkh", "governorate": "IQ-BG", "mode": "home"},'
    b' "citizen": {"language": "ar", "national_id": "\xd9\xa1\xd9\xa9\xd9\xa9\xd9\xa0123'
    b'45678", "phone": "+964 770 123 4567", "name": "Ahmed\\t Ali "},'
    b' "document_type": "passport", "external_ref": "MOI-PP-2026-000123"}'
)

# A different value for every compared field, each still valid.
CHANGES = {
    "external_ref": "MOI-PP-2026-000124",
    "document_type": "national_id",
    "name": "Ahmed Ala",
    "phone_e164": "+9647701234568",
    "national_id": "199012345679",
    "language": "ckb",
    "governorate": "IQ-KA",
    "mode": "pickup",
    "district": "Rusafa",
    "address_text": "mahalla 315",
    "landmark": "near the school",
    "lat": 33.3121,
    "lon": 44.3611,
    "branch_code": "BG-01",
    "old_document_number": "A1234567",
}


def normalised(raw: bytes = BODY) -> NormalisedDocument:
    return decode_single(raw, **RULES)


def test_same_document_written_differently_has_the_same_fingerprint():
    assert canonical_fingerprint(normalised(SAME_BODY), KEY) == canonical_fingerprint(
        normalised(), KEY
    )
    assert differing_fields(comparable_form(normalised(SAME_BODY), KEY),
                            comparable_form(normalised(), KEY)) == []


def test_changes_list_covers_every_compared_field():
    assert set(CHANGES) == set(FIELD_POINTERS)
    assert set(FIELD_POINTERS) <= set(NormalisedDocument.__struct_fields__)


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_a_change_to_any_field_changes_the_fingerprint_and_is_named(field):
    original = normalised()
    changed = msgspec.structs.replace(original, **{field: CHANGES[field]})
    assert canonical_fingerprint(changed, KEY) != canonical_fingerprint(original, KEY)
    assert differing_fields(comparable_form(original, KEY), comparable_form(changed, KEY)) == [
        FIELD_POINTERS[field]
    ]


def test_a_field_given_once_and_absent_once_differs():
    original = normalised()
    without_district = msgspec.structs.replace(original, district=None)
    assert differing_fields(comparable_form(original, KEY),
                            comparable_form(without_district, KEY)) == ["/delivery/district"]


def test_differing_fields_come_in_document_order():
    original = normalised()
    changed = msgspec.structs.replace(original, lon=44.0, name="Omar Ali", document_type="other")
    assert differing_fields(comparable_form(original, KEY), comparable_form(changed, KEY)) == [
        "/document_type", "/citizen/name", "/delivery/location/lon",
    ]


def test_comparable_form_and_fingerprint_hold_no_personal_data():
    doc = normalised()
    stored = msgspec.json.encode(comparable_form(doc, KEY)) + canonical_fingerprint(doc, KEY)
    for secret in (b"199012345678", b"5678", b"7701234567", b"Ahmed", b"mahalla", b"33.312"):
        assert secret not in stored


def test_comparable_form_survives_a_json_round_trip_with_the_same_fingerprint():
    form = comparable_form(normalised(), KEY)
    stored = msgspec.json.decode(msgspec.json.encode(dict(reversed(form.items()))))
    assert fingerprint_of_form(stored) == canonical_fingerprint(normalised(), KEY)


def test_fingerprint_depends_on_the_key():
    doc = normalised()
    assert canonical_fingerprint(doc, KEY) != canonical_fingerprint(doc, b"another-secret")


def test_national_id_hash_is_keyed_and_stable():
    first = national_id_hash(KEY, "199012345678")
    assert first == national_id_hash(KEY, "199012345678")
    assert len(first) == 32
    assert first != national_id_hash(b"another-secret", "199012345678")
    assert first != national_id_hash(KEY, "199012345679")
    assert b"199012345678" not in first
