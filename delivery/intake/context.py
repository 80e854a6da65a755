"""What intake needs from configuration and reference data, built once per process."""

from __future__ import annotations

import msgspec

from delivery.custody.doctypes import DEFAULT_DOCUMENT_TYPES, DocumentTypes
from delivery.platform.keys import derive_key, link_key
from delivery.platform.settings import Settings
from delivery.sites.district_book import GazetteerCache
from delivery.sites.geo import governorate_codes
from routing.index_cache import AreaIndexCache


class IntakeContext(msgspec.Struct, frozen=True, kw_only=True):
    types: DocumentTypes
    governorates: frozenset[str]
    national_id_key: bytes
    link_key: bytes  # citizens' tracking tokens
    staff_pseudonym_key: bytes  # the stable pseudonym of staff in proofs of delivery
    service_indicator: str
    max_nearest_km: float
    areas: AreaIndexCache
    districts: GazetteerCache  # reloaded with the area index


def intake_context(settings: Settings) -> IntakeContext:
    types = DEFAULT_DOCUMENT_TYPES
    if settings.hold_days:
        types = types.with_hold_days(types.parse_hold_days(settings.hold_days))
    return IntakeContext(
        types=types, governorates=governorate_codes(),
        national_id_key=derive_key(settings.secret_key, "national-id"),
        link_key=link_key(settings.secret_key),
        staff_pseudonym_key=derive_key(settings.secret_key, "staff-pseudonym"),
        service_indicator=settings.s10_service_indicator,
        max_nearest_km=settings.assign_max_nearest_km, areas=AreaIndexCache(),
        districts=GazetteerCache(),
    )
