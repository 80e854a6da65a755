"""Items as their agency sees them: state, branch, events; personal data masked."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from delivery.intake import handover, store
from delivery.intake.placement import data_warning
from delivery.intake.schemas import (
    BranchRefOut,
    CustodyEventOut,
    DocumentOut,
    MaskedCitizenOut,
    MaskedDeliveryOut,
)
from delivery.platform.errors import NotFound
from delivery.platform.privacy import mask_name, mask_phone


async def document(conn: asyncpg.Connection, agency_id: int, tracking_number: str, *,
                   with_events: bool, pseudonym_key: bytes | None = None) -> DocumentOut:
    """One of the agency's items; anything else is the same 404. With `pseudonym_key`, also
    what the agency keeps of its hand-overs (chain head, proof, return reason)."""
    row = await store.get_item(conn, agency_id, tracking_number)
    if row is None:
        raise NotFound(f"no item {tracking_number} for this agency")
    events = await store.item_events(conn, row["id"]) if with_events else None
    out = to_out(row, events)
    if pseudonym_key is not None:
        with_handovers(out, await store.handover_facts(conn, row["id"]), pseudonym_key)
    return out


def with_handovers(out: DocumentOut, facts: asyncpg.Record, pseudonym_key: bytes) -> None:
    """Add the chain head, the proof of the hand-over and why it was sent back to `out`."""
    out.chain_head = facts["chain_head"]
    if facts["proof"] is not None:
        point = (facts["lat"], facts["lon"]) if facts["lat"] is not None else None
        out.proof = handover.proof_out(pseudonym_key, facts["handed_at"], facts["proof"], point,
                                       facts["old_document_handed"])
    out.return_reason = facts["return_reason"]
    out.returned_signed_by = handover.signed_by_out(facts["signed_by"])
    out.old_document = handover.old_document_out(
        facts["old_document_number"], facts["old_document_handed"], facts["old_tracking_number"],
        facts["old_state"])
    out.old_document_of = facts["old_document_of"]


async def page(conn: asyncpg.Connection, agency_id: int, *, states: list[str] | None,
               document_type: str | None = None, external_ref: str | None = None,
               branch: str | None = None, updated_since: datetime | None,
               after: tuple[datetime, int] | None,
               limit: int) -> tuple[list[DocumentOut], tuple[datetime, int] | None]:
    """One page, newest change first, and where the next one starts (None at the end)."""
    rows = await store.list_items(conn, agency_id, states=states, document_type=document_type,
                                  external_ref=external_ref, branch=branch,
                                  updated_since=updated_since, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_after = (rows[-1]["updated_at"], rows[-1]["id"]) if more else None
    return [to_out(r, None) for r in rows], next_after


def to_out(row: asyncpg.Record, events: list[asyncpg.Record] | None) -> DocumentOut:
    branch = (BranchRefOut(code=row["branch_code"], name=row["branch_name"])
              if row["branch_code"] else None)
    return DocumentOut(
        tracking_number=row["tracking_number"], external_ref=row["external_ref"],
        document_type=row["document_type"], state=row["state"], branch=branch,
        assignment_rule=row["assignment_rule"],
        citizen=masked_citizen(name=row["citizen_name"] or "", phone_e164=row["citizen_phone"] or "",
                               language=row["language"]),
        delivery=MaskedDeliveryOut(
            governorate=row["governorate"], mode=row["delivery_mode"], district=row["district"],
            branch_code=row["branch_code"] if row["delivery_mode"] == "pickup" else None,
            has_address_text=row["has_address_text"], has_location=row["has_location"]),
        created_at=row["created_at"], updated_at=row["updated_at"],
        personal_data_removed_at=row["pii_purged_at"],
        warnings=[data_warning(row["location_warning"])] if row["location_warning"] else None,
        events=None if events is None else [
            CustodyEventOut(at=e["server_at"], action=e["action"], state=e["to_state"],
                            site=e["site"], reason=e["reason"], scanned_at=e["device_at"])
            for e in events],
    )


def masked_citizen(*, name: str, phone_e164: str, language: str | None) -> MaskedCitizenOut:
    """The citizen block of an agency answer."""
    return MaskedCitizenOut(name=mask_name(name), phone=mask_phone(phone_e164), language=language)
