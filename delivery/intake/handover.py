"""What an agency is shown of a hand-over: proof of delivery, and why an item came back. Pure.

The custody log keeps the facts (`judge._proof`: who, where, what was checked; the row's
`return_reason`; who at the agency signed for a return); this module turns them into what the
agency may keep: a stable pseudonym instead of the member of staff, masked proxies and
signatures, the distance between the handheld's point and the citizen's.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from delivery.intake.schemas import OldDocumentOut, PointOut, ProofOut, ProxyOut, SignedByOut
from delivery.platform.privacy import mask_name
from routing.assign import haversine_km

PSEUDONYM_BYTES = 10


def staff_pseudonym(key: bytes, staff_id: int) -> str:
    """The same opaque id for every item one member of staff handed over; never their name,
    and not reversible without the server's key."""
    mac = hmac.new(key, f"staff:{staff_id}".encode(), hashlib.sha256).hexdigest()
    return f"stf_{mac[:2 * PSEUDONYM_BYTES]}"


def proof_out(key: bytes, at: datetime, proof: dict[str, Any],
              citizen_point: tuple[float, float] | None,
              old_document: dict[str, Any] | None = None) -> ProofOut:
    """The agency's view of a hand-over's proof (`proof` as the judge recorded it)."""
    point = proof.get("point")
    location = PointOut(lat=point["lat"], lon=point["lon"]) if point else None
    distance = None
    if location is not None and citizen_point is not None:
        distance = round(float(haversine_km(location.lat, location.lon, *citizen_point)) * 1000)
    proxy = proof.get("proxy")
    return ProofOut(
        at=at, staff=staff_pseudonym(key, proof["staff_id"]), otp_checked=True,
        id_checked=bool(proof.get("id_checked")), location=location, distance_m=distance,
        proxy=ProxyOut(name=proxy["name"], id_last4=proxy["id_last4"]) if proxy else None,
        old_document=None if old_document is None else (
            "declared_lost" if old_document.get("lost") else "taken"))


def old_document_out(number: str | None, handed: dict[str, Any] | None,
                     tracking_number: str | None, state: str | None) -> OldDocumentOut | None:
    """The old document an item replaces, and what became of it at the hand-over: `number` is
    the agency's; without one (a type that always takes the old one back), the number read at
    the hand-over, unchecked."""
    if handed is None:
        return None if number is None else OldDocumentOut(number=number)
    if handed.get("lost"):
        return OldDocumentOut(number=number, declared_lost=True)
    return OldDocumentOut(number=number or handed["number"], tracking_number=tracking_number,
                          state=state, number_checked=handed.get("checked") is not False)


def signed_by_out(signed: dict[str, Any] | None) -> SignedByOut | None:
    """Who at the agency signed for a return, masked like any name shown."""
    if not signed:
        return None
    return SignedByOut(name=mask_name(signed["name"]), id_last4=signed["id_last4"])
