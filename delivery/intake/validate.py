"""The rules an agency's document must meet beyond its JSON types, every broken one reported.

Decisions worth knowing:
- Phones: parsed as Iraqi (`phonenumbers`, region IQ), kept only if valid *mobile* numbers of
  Iraq (the one-time code travels by SMS), returned as E.164. Arabic-Indic digits are fine.
- National ID: exactly 12 digits; Arabic-Indic (٠-٩) and Persian/Kurdish (۰-۹) digits are turned
  into ASCII first, since Arabic text in Iraq commonly uses them and the mapping is exact.
- Free text: control and format characters removed (except ZWNJ, which Persian and Kurdish
  spelling needs inside words), NFC, whitespace collapsed; optional text that ends up empty is
  treated as absent. Bidi overrides are format characters, so they cannot disguise a name.
- Error messages never repeat a phone number, national ID or name back.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Collection, Sequence
from typing import Any, TypeVar

import msgspec
import phonenumbers

from delivery.custody.doctypes import DocumentTypes
from delivery.custody.old_documents import NUMBER_RULE, is_valid_number, normalize_number
from delivery.intake.schemas import (
    DELIVERY_MODES,
    LANGUAGES,
    MAX_ADDRESS_TEXT,
    MAX_BATCH,
    MAX_DISTRICT,
    MAX_LANDMARK,
    NAME_LENGTH,
    DocumentIn,
    ExternalRef,
)
from delivery.platform.errors import (
    FieldError,
    InvalidInput,
    MalformedRequest,
    PayloadTooLarge,
    decode_errors_to_field_errors,
)
from delivery.platform.inputs import faults_by_item

T = TypeVar("T")

ZWNJ = "\u200c"
IRAQ_LAT = (29.0, 37.5)
IRAQ_LON = (38.7, 48.8)
# Format only; whether the branch exists is for the service to say.
BRANCH_CODE = re.compile(r"[A-Z0-9](?:[A-Z0-9_-]{0,30}[A-Z0-9])?")
_TO_ASCII_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
# Most agencies send 07XXXXXXXXX or +9647XXXXXXXXX: such a number is checked against the
# library's own pattern for Iraqi mobiles without a full parse (a third of a batch's CPU);
# anything else takes the full parse, which also words the refusal.
_PLAIN_IRAQI_NUMBER = re.compile(r"(?:\+964|0)(\d{10})")
_IRAQI_MOBILE = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("IQ")
                           .mobile.national_number_pattern)


class DocumentInvalid(InvalidInput):
    """A document breaks one or more rules; `errors` names each field at fault."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__(f"The document has {len(errors)} invalid field(s).", errors=errors)


class NormalisedDocument(msgspec.Struct, frozen=True, kw_only=True):
    """A valid document with cleaned values: E.164 phone, ASCII national ID, tidy text."""

    external_ref: str
    document_type: str
    name: str
    phone_e164: str
    national_id: str
    national_id_last4: str
    language: str | None
    governorate: str
    mode: str | None
    district: str | None
    address_text: str | None
    landmark: str | None
    lat: float | None
    lon: float | None
    branch_code: str | None
    old_document_number: str | None = None  # the document this one replaces, to take back


Rejected = tuple[int, str | None, list[FieldError]]


class _Envelope(msgspec.Struct, forbid_unknown_fields=True):
    documents: list[msgspec.Raw]


class _RefOnly(msgspec.Struct):
    external_ref: ExternalRef | None = None


_DOCUMENT = msgspec.json.Decoder(DocumentIn)
_ENVELOPE = msgspec.json.Decoder(_Envelope)
_REF_ONLY = msgspec.json.Decoder(_RefOnly)


def validate_document(
    doc: DocumentIn, *, types: DocumentTypes, governorates: Collection[str],
    pointer_prefix: str = "",
) -> tuple[NormalisedDocument | None, list[FieldError]]:
    """The cleaned document, or None and every rule it breaks (pointers under `pointer_prefix`)."""
    errors: list[FieldError] = []

    def rule(pointer: str, check: Callable[..., T], *args: Any) -> T | None:
        try:
            return check(*args)
        except ValueError as exc:
            errors.append(FieldError(field=pointer_prefix + pointer, message=str(exc)))
            return None

    citizen, delivery, location = doc.citizen, doc.delivery, doc.delivery.location
    values = {
        "external_ref": doc.external_ref,
        "document_type": rule("/document_type", _document_type, doc.document_type, types),
        "name": rule("/citizen/name", clean_name, citizen.name),
        "phone_e164": rule("/citizen/phone", normalise_phone, citizen.phone),
        "national_id": rule("/citizen/national_id", normalise_national_id, citizen.national_id),
        "language": rule("/citizen/language", _one_of, citizen.language, LANGUAGES),
        "governorate": rule("/delivery/governorate", _governorate, delivery.governorate,
                            governorates),
        "mode": rule("/delivery/mode", _one_of, delivery.mode, DELIVERY_MODES),
        "district": rule("/delivery/district", clean_optional_text, delivery.district,
                         MAX_DISTRICT),
        "address_text": rule("/delivery/address_text", clean_optional_text,
                             delivery.address_text, MAX_ADDRESS_TEXT),
        "landmark": rule("/delivery/landmark", clean_optional_text, delivery.landmark,
                         MAX_LANDMARK),
        "lat": rule("/delivery/location/lat", _coordinate, location.lat, IRAQ_LAT)
        if location else None,
        "lon": rule("/delivery/location/lon", _coordinate, location.lon, IRAQ_LON)
        if location else None,
        "branch_code": rule("/delivery/branch_code", _branch_code, delivery.branch_code,
                            delivery.mode),
        "old_document_number": rule("/old_document/number", _old_document_number,
                                    doc.old_document.number) if doc.old_document else None,
    }
    if errors:
        return None, errors
    return NormalisedDocument(**values, national_id_last4=values["national_id"][-4:]), []


def _old_document_number(text: str) -> str:
    number = normalize_number(text)
    if not is_valid_number(number):
        raise ValueError(f"the old document's number must be {NUMBER_RULE}")
    return number


def normalise_phone(text: str) -> str:
    """The E.164 form of an Iraqi mobile number; ValueError for anything else."""
    if (written := _PLAIN_IRAQI_NUMBER.fullmatch(text)) and _IRAQI_MOBILE.fullmatch(written[1]):
        return "+964" + written[1]
    try:
        number = phonenumbers.parse(text, "IQ")
    except phonenumbers.NumberParseException:
        raise ValueError("not a phone number") from None
    if number.country_code != 964:
        raise ValueError("must be an Iraqi mobile number (+964 7…)")
    if number.extension or not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid Iraqi number: a mobile is 07XX XXX XXXX or +964 7XX XXX XXXX")
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ValueError("must be a mobile number: the one-time code is sent by SMS")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_national_id(text: str) -> str:
    """The 12 ASCII digits of a national ID number (Arabic-Indic digits converted)."""
    digits = text.strip().translate(_TO_ASCII_DIGITS)
    if len(digits) != 12 or not digits.isascii() or not digits.isdigit():
        raise ValueError("must be the 12 digits of the unified national ID number")
    return digits


def clean_text(text: str) -> str:
    """Text without control or format characters (ZWNJ kept inside words), NFC, single spaces."""
    if text.isascii() and text.isprintable():  # nothing to remove or compose: blanks only
        return " ".join(text.split())
    # isprintable() is false for any control, format or non-space blank: the rare slow path.
    kept = text if text.isprintable() else "".join(
        " " if ch.isspace() else ch for ch in text if _is_kept(ch)
    )
    words = (word.strip(ZWNJ) for word in unicodedata.normalize("NFC", kept).split())
    return " ".join(word for word in words if word)


def clean_name(text: str) -> str:
    """A cleaned person's name: 2-100 characters with at least one letter."""
    name = clean_text(text)
    low, high = NAME_LENGTH
    if not low <= len(name) <= high:
        raise ValueError(f"must be {low} to {high} characters once blanks and controls are removed")
    if not any(unicodedata.category(ch).startswith("L") for ch in name):
        raise ValueError("must contain letters")
    return name


def clean_optional_text(text: str | None, max_length: int) -> str | None:
    """Cleaned free text, None when nothing is left; ValueError when longer than `max_length`."""
    cleaned = clean_text(text) if text is not None else ""
    if len(cleaned) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    return cleaned or None


def decode_single(
    body: bytes, *, types: DocumentTypes, governorates: Collection[str],
) -> NormalisedDocument:
    """The cleaned document in a request body; DocumentInvalid or MalformedRequest otherwise."""
    try:
        doc = _DOCUMENT.decode(body)
    except msgspec.ValidationError as exc:
        raise DocumentInvalid(decode_errors_to_field_errors(exc)) from None
    except msgspec.DecodeError as exc:
        raise MalformedRequest(f"The body is not valid JSON: {exc}") from None
    normalised, errors = validate_document(doc, types=types, governorates=governorates)
    if normalised is None:
        raise DocumentInvalid(errors)
    return normalised


def decode_batch(
    body: bytes, *, types: DocumentTypes, governorates: Collection[str],
    max_documents: int = MAX_BATCH,
) -> tuple[list[tuple[int, NormalisedDocument]], list[Rejected]]:
    """Each document of `{"documents": [...]}` judged alone: (index, doc) accepted, rejects apart.

    Rejects are (index, external_ref if readable, errors). The body is refused as
    `batch_elements` refuses it.
    """
    accepted: list[tuple[int, NormalisedDocument]] = []
    rejected: list[Rejected] = []
    for element in batch_elements(body, types=types, governorates=governorates,
                                  max_documents=max_documents):
        doc, errors = element.judged()
        if doc is None:
            rejected.append((element.index, element.external_ref, errors))
        else:
            accepted.append((element.index, doc))
    return accepted, rejected


class BatchElement:
    """One document of a batch, judged only when asked: a batch's later documents can then be
    judged while its earlier ones are being written. Its external_ref is read at once (None if
    unreadable), since the whole batch's references are looked up before anything is written."""

    def __init__(self, index: int, raw: msgspec.Raw, types: DocumentTypes,
                 governorates: Collection[str], faults: Sequence[FieldError] = ()) -> None:
        self.index, self._raw, self._faults = index, raw, list(faults)
        self._rules = (types, governorates)
        # A reference the edge found fault with (a NUL in it) is not looked up.
        at_fault = any(f.field == f"/documents/{index}/external_ref" for f in faults)
        self.external_ref = None if at_fault else _readable_external_ref(raw)

    def judged(self) -> tuple[NormalisedDocument | None, list[FieldError]]:
        if self._faults:
            return None, self._faults
        doc, _, errors = _decode_element(self._raw, f"/documents/{self.index}", *self._rules)
        return doc, errors


class Judged(msgspec.Struct, frozen=True):
    """A document already judged valid (the single submission), as a batch of one."""

    doc: NormalisedDocument
    index: int = 0

    @property
    def external_ref(self) -> str:
        return self.doc.external_ref

    def judged(self) -> tuple[NormalisedDocument | None, list[FieldError]]:
        return self.doc, []


def batch_elements(
    body: bytes, *, types: DocumentTypes, governorates: Collection[str],
    max_documents: int = MAX_BATCH, faults: list[FieldError] | None = None,
) -> list[BatchElement]:
    """The documents of `{"documents": [...]}`, each to be judged alone; `faults` the edge
    found in the body (`platform.inputs`) reject their document alone.

    A body that is not JSON raises MalformedRequest, JSON that is not such an envelope
    InvalidInput; more than `max_documents` raises PayloadTooLarge.
    """
    raws = _envelope_documents(body, max_documents)
    by_document = faults_by_item(faults or [], "/documents")
    return [BatchElement(i, raw, types, governorates, by_document.get(i, ()))
            for i, raw in enumerate(raws)]


def _envelope_documents(body: bytes, max_documents: int) -> list[msgspec.Raw]:
    try:
        raws = _ENVELOPE.decode(body).documents
    except msgspec.ValidationError as exc:
        errors = decode_errors_to_field_errors(exc)
        raise InvalidInput('The body must be {"documents": [...]}.', errors=errors) from None
    except msgspec.DecodeError as exc:
        raise MalformedRequest(f"The body is not valid JSON: {exc}") from None
    if not raws:
        error = FieldError(field="/documents", message="must hold at least one document")
        raise InvalidInput("The batch is empty.", errors=[error])
    if len(raws) > max_documents:
        error = FieldError(field="/documents", message=f"at most {max_documents} per batch")
        raise PayloadTooLarge(f"A batch holds at most {max_documents} documents.", errors=[error])
    return raws


def _decode_element(
    raw: msgspec.Raw, prefix: str, types: DocumentTypes, governorates: Collection[str],
) -> tuple[NormalisedDocument | None, str | None, list[FieldError]]:
    try:
        doc = _DOCUMENT.decode(raw)
    except msgspec.ValidationError as exc:
        return None, _readable_external_ref(raw), decode_errors_to_field_errors(exc, prefix)
    normalised, errors = validate_document(
        doc, types=types, governorates=governorates, pointer_prefix=prefix,
    )
    return normalised, doc.external_ref, errors


def _readable_external_ref(raw: msgspec.Raw) -> str | None:
    # Echo the agency's reference when it is well-formed, so it can match the rejection to its row.
    try:
        return _REF_ONLY.decode(raw).external_ref
    except msgspec.ValidationError:
        return None


def _is_kept(ch: str) -> bool:
    return ch == ZWNJ or ch.isspace() or unicodedata.category(ch) not in ("Cc", "Cf")


def _document_type(code: str, types: DocumentTypes) -> str:
    if code not in types:
        raise ValueError(f"unknown document type; expected one of {', '.join(types.codes())}")
    return code


def _governorate(code: str, governorates: Collection[str]) -> str:
    if code not in governorates:
        raise ValueError("unknown governorate; expected an ISO 3166-2:IQ code such as IQ-BG "
                         "(IQ-HAL for Halabja)")
    return code


def _one_of(value: str | None, allowed: tuple[str, ...]) -> str | None:
    if value is not None and value not in allowed:
        raise ValueError(f"must be one of {', '.join(allowed)}")
    return value


def _coordinate(value: float, bounds: tuple[float, float]) -> float:
    low, high = bounds
    if not math.isfinite(value) or not low <= value <= high:
        raise ValueError(f"must be between {low} and {high} (inside Iraq)")
    return float(value)


def _branch_code(code: str | None, mode: str | None) -> str | None:
    if code is None:
        return None
    if mode == "home":
        raise ValueError("a branch is chosen only for pickup, not with mode home")
    if not BRANCH_CODE.fullmatch(code):
        raise ValueError("must be a branch code: capital letters, digits, '-' or '_'")
    return code
