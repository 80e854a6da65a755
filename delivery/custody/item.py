"""An item as the custody rules see it: plain values, loaded by `store`, judged by `judge`."""

from __future__ import annotations

import msgspec


class ItemRef(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    state: str
    agency_id: int
    tracking_number: str
    external_ref: str


class ScanItem(msgspec.Struct, frozen=True, kw_only=True):
    """An item with what the custody rules need to judge a scan of it."""

    id: int
    state: str
    agency_id: int
    tracking_number: str
    external_ref: str
    document_type: str
    branch_id: int | None
    branch_code: str | None
    centre_id: int | None
    centre_code: str | None
    courier_id: int | None
    national_id_last4: str | None
    otp_mac: bytes | None
    otp_generation: int
    otp_wrong: int
    otp_locked: bool
    failed_attempts: int
    handover_action: str | None
    chain_length: int  # the head of the item's custody chain: its number of events
    chain_head: bytes  # and the last one's hash
    old_document_number: str | None = None  # the old document to take back at the hand-over

    def ref(self) -> ItemRef:
        return ItemRef(id=self.id, state=self.state, agency_id=self.agency_id,
                       tracking_number=self.tracking_number, external_ref=self.external_ref)
