"""Document types as data: who may collect each, whether an ID check is due, how long it is held,
whether the old document is always taken back."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any

import msgspec

HoldDays = Annotated[int, msgspec.Meta(ge=1, le=365)]


class DocumentType(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One kind of document and the hand-over rules that come with it.

    - `needs_id_check`: hand-over also needs the last four digits of a national ID, checked by
      the clerk or courier against the card shown (besides the one-time code sent by SMS).
    - `proxy_allowed`: someone other than the holder may collect at a branch, showing their own
      ID, which is then the one checked and recorded.
    - `hold_days`: days a branch keeps it for pickup before it goes back to the agency.
    - `sensitive`: the document itself proves identity, so it could be used to impersonate the
      holder; its loss is an incident, not a nuisance.
    - `takes_old_document`: every one of them replaces one the citizen holds, which is taken back
      at the hand-over even when the agency sent no old number (the number read off it is then
      recorded unchecked), or its loss declared. For types that also have first issues, the
      requirement is the single document's (`old_document` at intake), never the type's.
    """

    code: str
    needs_id_check: bool
    proxy_allowed: bool
    hold_days: HoldDays
    sensitive: bool
    name_ar: str
    name_ckb: str
    name_en: str
    takes_old_document: bool = False

    def name(self, language: str) -> str:
        """The everyday name in `ar`, `ckb` or `en` (Arabic for anything else)."""
        return {"ckb": self.name_ckb, "en": self.name_en}.get(language, self.name_ar)


DOCUMENT_TYPES: tuple[DocumentType, ...] = (
    DocumentType(
        code="passport", needs_id_check=True, proxy_allowed=False, hold_days=30, sensitive=True,
        name_ar="جواز السفر", name_ckb="پاسپۆرت", name_en="passport",
    ),
    DocumentType(
        code="national_id", needs_id_check=True, proxy_allowed=False, hold_days=30, sensitive=True,
        name_ar="البطاقة الوطنية الموحدة", name_ckb="کارتی نیشتمانیی یەکگرتوو",
        name_en="unified national ID card",
    ),
    # A driving licence is a photo card accepted as ID at checkpoints and counters: handed to
    # the wrong person it is an impersonation kit, so it is treated like the national ID.
    DocumentType(
        code="driving_licence", needs_id_check=True, proxy_allowed=False, hold_days=14,
        sensitive=True, name_ar="إجازة السوق", name_ckb="مۆڵەتی شۆفێری", name_en="driving licence",
    ),
    # The annual registration proves who owns a car (resale, checkpoints): check the ID, but
    # families commonly handle vehicle papers for each other, so a proxy with their own ID may.
    # Each year's card replaces last year's (a new car's first card is issued with its plates at
    # the traffic directorate, never posted), so the old card is always taken back.
    DocumentType(
        code="vehicle_registration", needs_id_check=True, proxy_allowed=True, hold_days=14,
        sensitive=False, name_ar="سنوية المركبة", name_ckb="سەنەویی ئۆتۆمبێل",
        name_en="vehicle annual registration", takes_old_document=True,
    ),
    # An original degree is hard to replace and worth forging a claim for: ID check, proxy allowed.
    DocumentType(
        code="degree_certificate", needs_id_check=True, proxy_allowed=True, hold_days=14,
        sensitive=False, name_ar="وثيقة التخرج", name_ckb="بەڵگەنامەی دەرچوون",
        name_en="degree certificate",
    ),
    # A routine letter that institutions verify by its QR code: the SMS code is proof enough.
    DocumentType(
        code="continuity_confirmation", needs_id_check=False, proxy_allowed=True, hold_days=14,
        sensitive=False, name_ar="تأييد استمرارية", name_ckb="پشتگیریی بەردەوامی",
        name_en="continuity confirmation",
    ),
    # It states a person's criminal record: private enough to check the ID of whoever takes it.
    DocumentType(
        code="non_conviction_certificate", needs_id_check=True, proxy_allowed=True, hold_days=14,
        sensitive=False, name_ar="شهادة عدم محكومية", name_ckb="بڕوانامەی بێ تاوانی",
        name_en="non-conviction certificate",
    ),
    # Unknown content: take the cautious side (ID check, holder only) until the agency says more.
    DocumentType(
        code="other", needs_id_check=True, proxy_allowed=False, hold_days=14, sensitive=False,
        name_ar="وثيقة أخرى", name_ckb="بەڵگەنامەی تر", name_en="other document",
    ),
)


class DocumentTypes:
    """A registry of document types, looked up by code; immutable, replaced to reconfigure."""

    __slots__ = ("_by_code",)

    def __init__(self, types: Iterable[DocumentType] = DOCUMENT_TYPES) -> None:
        by_code: dict[str, DocumentType] = {}
        for doc_type in types:
            if doc_type.code in by_code:
                raise ValueError(f"document type {doc_type.code!r} is defined twice")
            by_code[doc_type.code] = doc_type
        self._by_code = by_code

    @classmethod
    def from_mapping(cls, data: Mapping[str, Mapping[str, Any]]) -> DocumentTypes:
        """A registry from `{code: {needs_id_check: …, hold_days: …, name_ar: …}}` (e.g. YAML)."""
        try:
            return cls(
                msgspec.convert({**fields, "code": code}, DocumentType)
                for code, fields in data.items()
            )
        except msgspec.ValidationError as exc:
            raise ValueError(f"bad document type definition: {exc}") from exc

    def get(self, code: str) -> DocumentType | None:
        """The type with this code, or None when there is none."""
        return self._by_code.get(code)

    def __getitem__(self, code: str) -> DocumentType:
        return self._by_code[code]

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[DocumentType]:
        return iter(self._by_code.values())

    def codes(self) -> tuple[str, ...]:
        """Every known code, in definition order."""
        return tuple(self._by_code)

    def with_hold_days(self, overrides: Mapping[str, int]) -> DocumentTypes:
        """A copy with some hold periods changed; unknown codes or days outside 1-365 refused."""
        for code, days in overrides.items():
            self._require_known(code)
            _require_hold_days(code, days)
        return DocumentTypes(
            msgspec.structs.replace(t, hold_days=overrides.get(t.code, t.hold_days)) for t in self
        )

    def parse_hold_days(self, text: str) -> dict[str, int]:
        """Hold periods from a setting like `passport=30,national_id=30,other=10` (may be empty)."""
        overrides: dict[str, int] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            code, sep, days = (piece.strip() for piece in item.partition("="))
            if not sep or not days.isascii() or not days.isdigit():
                raise ValueError(f"expected code=days, got {item!r}")
            self._require_known(code)
            if code in overrides:
                raise ValueError(f"hold days for {code!r} given twice")
            overrides[code] = _require_hold_days(code, int(days))
        return overrides

    def _require_known(self, code: str) -> None:
        if code not in self._by_code:
            raise ValueError(f"unknown document type {code!r}; known: {', '.join(self.codes())}")


def _require_hold_days(code: str, days: object) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 365:
        raise ValueError(f"hold days for {code!r} must be a whole number from 1 to 365")
    return days


DEFAULT_DOCUMENT_TYPES = DocumentTypes()
# The codes agencies send, as one vocabulary for the API's schema.
DocumentTypeCode = StrEnum("DocumentTypeCode", [(t.code, t.code) for t in DOCUMENT_TYPES])
DocumentTypeCode.__doc__ = "The kind of document; each has its own hand-over rules."
