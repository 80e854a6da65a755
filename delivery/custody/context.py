"""What custody needs from configuration, built once per process."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

import msgspec

from delivery.custody.doctypes import DEFAULT_DOCUMENT_TYPES, DocumentTypes
from delivery.custody.model import State, TypeRules, type_rules
from delivery.custody.stuck import DEFAULT_STUCK_AFTER, parse_stuck_after
from delivery.platform.keys import derive_key
from delivery.platform.settings import Settings


class CustodyContext(msgspec.Struct, frozen=True, kw_only=True):
    otp_key: bytes
    id_key: bytes  # the national-ID hash key: a proxy's ID is hashed like the holder's
    types: DocumentTypes
    max_attempts: int = 2
    service_indicator: str = "RR"  # of the S10 numbers given to old documents taken back
    handover_alert_after: timedelta = timedelta(hours=1)
    manifest_alert_after: timedelta = timedelta(hours=4)
    # Per state, see `stuck`.
    stuck_after: Mapping[State, timedelta] = msgspec.field(
        default_factory=lambda: dict(DEFAULT_STUCK_AFTER))

    def rules_of(self, document_type: str) -> TypeRules:
        """The hand-over rules of a document type (see `model.type_rules`)."""
        return type_rules(self.types.get(document_type))


def custody_context(settings: Settings) -> CustodyContext:
    """The custody context for `settings`."""
    types = DEFAULT_DOCUMENT_TYPES
    if settings.hold_days:
        types = types.with_hold_days(types.parse_hold_days(settings.hold_days))
    return CustodyContext(
        otp_key=derive_key(settings.secret_key, "otp"),
        id_key=derive_key(settings.secret_key, "national-id"),
        types=types,
        max_attempts=settings.delivery_max_attempts,
        service_indicator=settings.s10_service_indicator,
        handover_alert_after=timedelta(seconds=settings.handover_alert_seconds),
        manifest_alert_after=timedelta(seconds=settings.manifest_alert_seconds),
        # Built at start (the app's and the worker's): a bad value stops it, naming the setting.
        stuck_after=parse_stuck_after(settings.stuck_after_hours),
    )
