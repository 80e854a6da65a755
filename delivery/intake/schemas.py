"""The agency API's shapes: what agencies send (`…In`) and what they are shown (`…Out`).

Request Structs check types and lengths; the rules beyond that (Iraqi mobile numbers, national ID
digits, known governorates and document types, Iraq's bounding box) live in `validate.py`.
Response Structs carry masked personal data only: never a national ID, never a full phone
number, never the address text or the citizen's location.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, get_args

import msgspec
from msgspec import Meta

from delivery.custody import doctypes
from delivery.custody.model import ReturnReason, State
from delivery.platform.apidoc import documented_as
from delivery.platform.errors import FieldError

Language = Literal["ar", "ckb", "en"]
LANGUAGES: tuple[str, ...] = get_args(Language)
DeliveryMode = Literal["home", "pickup"]
DELIVERY_MODES: tuple[str, ...] = get_args(DeliveryMode)
BatchStatus = Literal["accepted", "duplicate", "rejected"]
MAX_BATCH = 10_000
NAME_LENGTH = (2, 100)
MAX_DISTRICT, MAX_ADDRESS_TEXT, MAX_LANDMARK = 80, 300, 120

ExternalRef = Annotated[
    str,
    Meta(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:/-]+$",
        description="The agency's own reference, unique per agency.",
        examples=["MOI-PP-2026-000123"],
    ),
]
# Any text decodes: an unknown type is reported with the list of known ones (validate.py).
DocumentTypeCode = Annotated[
    str, Meta(min_length=1, max_length=40), documented_as(doctypes.DocumentTypeCode),
]
PersonName = Annotated[str, Meta(min_length=NAME_LENGTH[0], max_length=NAME_LENGTH[1],
                                 examples=["أحمد علي حسن"])]
PhoneText = Annotated[
    str, Meta(min_length=1, max_length=32, examples=["07701234567", "+9647701234567"],
              description="An Iraqi mobile number, national or international form."),
]
NationalIdText = Annotated[
    str, Meta(min_length=1, max_length=32, examples=["199012345678"],
              description="The unified national ID number: 12 digits."),
]
GovernorateCode = Annotated[
    str, Meta(min_length=1, max_length=16, examples=["IQ-BG"],
              description="An ISO 3166-2:IQ code; IQ-HAL for Halabja, which has none yet."),
]
District = Annotated[str, Meta(max_length=MAX_DISTRICT, examples=["Karkh"])]
AddressText = Annotated[str, Meta(max_length=MAX_ADDRESS_TEXT,
                                  examples=["mahalla 314, zuqaq 7, house 12"])]
Landmark = Annotated[str, Meta(max_length=MAX_LANDMARK, examples=["near Al-Zawraa Park"])]
BranchCode = Annotated[str, Meta(min_length=1, max_length=32)]


class CitizenIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The holder: name, mobile phone for the SMS, national ID for the hand-over check."""

    name: PersonName
    phone: PhoneText
    national_id: NationalIdText
    language: Language | None = None


class LocationIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A point in WGS 84 degrees."""

    lat: float
    lon: float


class DeliveryIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Where and how; without `mode` the citizen chooses by SMS."""

    governorate: GovernorateCode
    mode: DeliveryMode | None = None
    district: District | None = None
    address_text: AddressText | None = None
    landmark: Landmark | None = None
    location: LocationIn | None = None
    branch_code: BranchCode | None = None


class OldDocumentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The document this one replaces (e.g. the expiring passport): its number, which the courier
    or clerk must read back from it at the hand-over before the new one is handed over, and
    which is then carried back to the agency as an item of its own."""

    number: Annotated[str, Meta(min_length=1, max_length=40, examples=["A1234567"],
                                description="Latin letters and digits, 5 to 20 of them.")]


class DocumentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """One document handed over by an agency; with `old_document`, the old one is taken back at
    the hand-over."""

    external_ref: ExternalRef
    document_type: DocumentTypeCode
    citizen: CitizenIn
    delivery: DeliveryIn
    old_document: OldDocumentIn | None = None


class BatchIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Up to 10,000 documents; each is judged on its own."""

    documents: Annotated[list[DocumentIn], Meta(min_length=1, max_length=MAX_BATCH)]


class LocationOut(msgspec.Struct, kw_only=True):
    """A point in WGS 84 degrees (for staff who need it, never in agency answers)."""

    lat: float
    lon: float


class BranchRefOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The branch an item is assigned to."""

    code: str
    name: str | None = None


class CustodyEventOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One entry of the custody log as an agency sees it: no staff names, no codes. `at` is when
    the server recorded it; `scanned_at`, for a handheld's scan, when the handheld made it (by its
    own clock): later uploads, from a device that was offline, keep the time of the hand-over."""

    at: datetime
    action: str
    state: State
    site: str | None = None
    reason: str | None = None
    scanned_at: datetime | None = None


class MaskedCitizenOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The holder, masked: initials and the last three phone digits (see `platform/privacy.py`)."""

    name: str
    phone: str
    language: Language | None = None


class MaskedDeliveryOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Delivery wishes without the address text or point: only whether they were given."""

    governorate: str
    mode: DeliveryMode | None = None
    district: str | None = None
    branch_code: str | None = None
    has_address_text: bool = False
    has_location: bool = False


class PointOut(msgspec.Struct, kw_only=True):
    """A point in WGS 84 degrees."""

    lat: float
    lon: float


class ProxyOut(msgspec.Struct, kw_only=True):
    """Who collected for the holder, masked: initials and their ID's last four digits."""

    name: str
    id_last4: str


class ProofOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """Proof of a hand-over to the citizen: when; by whom, as a pseudonym stable across items
    (never a name); whether the one-time code and the ID's last four digits were checked; where
    the handheld was and how far that is from the citizen's point, when both are known; the
    proxy, masked, when one collected."""

    at: datetime
    staff: str
    otp_checked: bool
    id_checked: bool
    location: PointOut | None = None
    distance_m: int | None = None
    proxy: ProxyOut | None = None
    # For a document that replaced an old one: the old one was read back and taken, or the
    # citizen declared it lost.
    old_document: Literal["taken", "declared_lost"] | None = None


class OldDocumentOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The old document this one replaces: its number as the agency sent it; once the new one
    was handed over, the item it travels back to the agency as (`tracking_number`, `state`) and
    whether the number read off it was checked against the agency's (`number_checked`), or
    `declared_lost` when the citizen declared it lost. For a type that always takes the old one
    back, sent without a number, `number` is the one read at the hand-over, unchecked."""

    number: str | None = None
    number_checked: bool | None = None
    tracking_number: str | None = None
    state: State | None = None
    declared_lost: bool = False


class SignedByOut(msgspec.Struct, kw_only=True):
    """Who at the agency signed for a returned item, masked: initials and ID's last four."""

    name: str
    id_last4: str


class DocumentOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """An item as its agency sees it; `branch` is null until assigned, `events` only on request."""

    tracking_number: str
    external_ref: str
    document_type: DocumentTypeCode
    state: State
    branch: BranchRefOut | None
    assignment_rule: str | None
    citizen: MaskedCitizenOut
    delivery: MaskedDeliveryOut
    created_at: datetime
    updated_at: datetime
    events: list[CustodyEventOut] | None = None
    # Set once the citizen's personal data was removed (PII_RETENTION_DAYS after the item
    # finished): `citizen` is then empty and the delivery block keeps only the governorate.
    personal_data_removed_at: datetime | None = None
    # On one item read alone: the head hash of its custody chain (hex), to keep against the
    # daily anchors; `proof` once delivered or collected; why it goes (or went) back.
    chain_head: str | None = None
    proof: ProofOut | None = None
    return_reason: ReturnReason | None = None
    returned_signed_by: SignedByOut | None = None
    # On one item read alone: the old document it replaces (`old_document`), or, for an old
    # document taken back, the tracking number of the new one it was taken for.
    old_document: OldDocumentOut | None = None
    old_document_of: str | None = None
    # Doubts about the data, found at intake (the document was accepted all the same).
    warnings: list[DataWarningOut] | None = None


class ReturnedItemOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """One item handed back to the agency: why it came back, when, by which sorting centre, and
    who at the agency signed for it (masked)."""

    tracking_number: str
    external_ref: str
    document_type: DocumentTypeCode
    return_reason: ReturnReason | None
    returned_at: datetime
    sorting_centre: str | None
    signed_by: SignedByOut | None = None


class ReturnsDayOut(msgspec.Struct, kw_only=True):
    """What the sorting centres handed back to the agency on one day (Asia/Baghdad), in the
    order handed."""

    day: date = msgspec.field(name="date")
    count: int
    items: list[ReturnedItemOut]


class DocumentsPage(msgspec.Struct, kw_only=True):
    """One page of the agency's items, newest change first; `next_cursor` (null on the last
    page) is passed back as `cursor` for the next one."""

    items: list[DocumentOut]
    next_cursor: str | None


class DataWarningOut(msgspec.Struct, kw_only=True):
    """Something doubtful in an accepted document, kept with the item for staff to see:
    `location_outside_governorate` when its point lies clearly (beyond a 10 km tolerance for the
    simplified outlines) outside the governorate named."""

    code: Literal["location_outside_governorate"]
    field: str  # a JSON pointer into the submitted body
    message: str


class BatchResultOut(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The fate of the document at `index`; `errors` only when rejected, `warnings` when
    accepted with doubts."""

    index: int
    external_ref: str | None
    status: BatchStatus
    tracking_number: str | None = None
    errors: list[FieldError] | None = None
    warnings: list[DataWarningOut] | None = None


class BatchOut(msgspec.Struct, kw_only=True):
    """One result per submitted document, in submission order."""

    results: list[BatchResultOut]


__all__ = [
    "DELIVERY_MODES", "LANGUAGES", "MAX_ADDRESS_TEXT", "MAX_BATCH", "MAX_DISTRICT",
    "MAX_LANDMARK", "NAME_LENGTH", "BatchIn", "BatchOut", "BatchResultOut", "BatchStatus",
    "BranchRefOut", "CitizenIn", "CustodyEventOut", "DataWarningOut", "DeliveryIn", "DeliveryMode",
    "DocumentIn",
    "DocumentOut", "DocumentsPage", "ExternalRef", "FieldError", "Language", "LocationIn", "LocationOut",
    "MaskedCitizenOut", "MaskedDeliveryOut",
]
