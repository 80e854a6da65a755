import pytest

from delivery.intake.readback import masked_citizen
from delivery.platform.privacy import REDACTED, mask_name, mask_phone, redact


@pytest.mark.parametrize(
    "name, initials",
    [
        ("أحمد علي", "أ. ع."),
        ("Ahmed Ali", "A. A."),
        ("ahmed  ali hussein", "A. A. H."),
        ("هەڵ\u200cگرت کوردی", "ه. ک."),
        ("'Abd (Ali)", "A. A."),
        ("Ali", "A."),
        ("", ""),
    ],
)
def test_names_are_shown_as_initials(name, initials):
    assert mask_name(name) == initials


def test_masked_name_reveals_no_whole_word():
    masked = mask_name("Mustafa Kadhim")
    assert "Mustafa" not in masked and "Kadhim" not in masked


def test_iraqi_mobile_shows_only_its_last_three_digits():
    assert mask_phone("+9647701234567") == "+964 *** *** *567"


def test_other_numbers_hide_everything_but_the_last_three_digits():
    assert mask_phone("+14155552671") == "+********671"
    assert mask_phone("12") == "***"


def test_masked_citizen_carries_no_full_phone_or_name():
    out = masked_citizen(name="Ahmed Ali", phone_e164="+9647701234567", language="ar")
    assert (out.name, out.phone, out.language) == ("A. A.", "+964 *** *** *567", "ar")


def test_redact_replaces_personal_data_and_secrets_at_any_depth():
    record = {
        "event": "document_accepted",
        "tracking_number": "RR123456785IQ",
        "citizen": {"name": "Ahmed Ali", "phone": "+9647701234567", "national_id": "199012345678"},
        "delivery": {"address_text": "zuqaq 7", "location": {"lat": 33.3, "lon": 44.4},
                     "governorate": "IQ-BG"},
        "attempts": [{"OTP": "123456", "at": "2026-01-01"}],
        "password": "hunter2",
        "token": "abc",
        "lat": 33.3,
        "lon": 44.4,
    }
    assert redact(record) == {
        "event": "document_accepted",
        "tracking_number": "RR123456785IQ",
        "citizen": {"name": REDACTED, "phone": REDACTED, "national_id": REDACTED},
        "delivery": {"address_text": REDACTED, "location": REDACTED, "governorate": "IQ-BG"},
        "attempts": [{"OTP": REDACTED, "at": "2026-01-01"}],
        "password": REDACTED,
        "token": REDACTED,
        "lat": REDACTED,
        "lon": REDACTED,
    }
    assert record["citizen"]["name"] == "Ahmed Ali"


def _field_names(struct_type: type, but: tuple[type, ...] = ()) -> set[str]:
    """Every field name reachable from a response Struct, nested Structs included (except
    those of the Structs `but`)."""
    import msgspec

    names: set[str] = set()
    pending = [msgspec.inspect.type_info(struct_type)]
    while pending:
        info = pending.pop()
        if isinstance(info, msgspec.inspect.StructType) and info.cls in but:
            continue
        if isinstance(info, msgspec.inspect.StructType):
            names |= {field.encode_name for field in info.fields}
            pending += [field.type for field in info.fields]
        elif isinstance(info, msgspec.inspect.UnionType):
            pending += list(info.types)
        elif isinstance(info, msgspec.inspect.ListType):
            pending.append(info.item_type)
    return names


def test_agency_answers_have_no_field_for_national_id_address_or_location():
    from delivery.intake.schemas import BatchOut, DocumentOut, ProofOut

    # The proof of a hand-over carries where the handheld was when it happened (API.md: the
    # agency proves the delivery with it); nothing else carries a point, and nothing an ID.
    exposed = _field_names(DocumentOut, but=(ProofOut,)) | _field_names(BatchOut)
    assert {"tracking_number", "phone", "name", "events", "errors", "proof"} <= exposed
    assert not exposed & {"national_id", "national_id_last4", "address_text", "location",
                          "lat", "lon", "phone_e164", "landmark"}
    assert _field_names(ProofOut) == {"at", "staff", "otp_checked", "id_checked", "location",
                                      "distance_m", "proxy", "lat", "lon", "name", "id_last4",
                                      "old_document"}


def test_answers_omit_empty_optional_fields_but_keep_an_unassigned_branch():
    from datetime import UTC, datetime

    import msgspec

    from delivery.intake.schemas import BatchResultOut, DocumentOut, MaskedDeliveryOut

    now = datetime(2026, 1, 1, tzinfo=UTC)
    out = DocumentOut(
        tracking_number="RR123456785IQ", external_ref="R-1", document_type="passport",
        state="registered", branch=None, assignment_rule=None,
        citizen=masked_citizen(name="Ahmed Ali", phone_e164="+9647701234567", language=None),
        delivery=MaskedDeliveryOut(governorate="IQ-BG"), created_at=now, updated_at=now,
    )
    encoded = msgspec.json.decode(msgspec.json.encode(out))
    assert encoded["branch"] is None
    assert "events" not in encoded
    assert encoded["citizen"] == {"name": "A. A.", "phone": "+964 *** *** *567"}
    accepted = BatchResultOut(index=0, external_ref="R-1", status="accepted",
                              tracking_number="RR123456785IQ")
    assert msgspec.json.decode(msgspec.json.encode(accepted)) == {
        "index": 0, "external_ref": "R-1", "status": "accepted",
        "tracking_number": "RR123456785IQ",
    }
