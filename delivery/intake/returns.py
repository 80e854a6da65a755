"""The agency's return manifest: what the sorting centres handed back to it on one day, each
item with why it came back and who at the agency signed for it (masked)."""

from __future__ import annotations

import base64
import hashlib
from datetime import date
from pathlib import Path

import asyncpg
import jinja2

from delivery.custody.anchors import BAGHDAD, day_bounds
from delivery.custody.model import ReturnReason
from delivery.intake import handover, store
from delivery.intake.schemas import ReturnedItemOut, ReturnsDayOut

TEMPLATES = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent / "templates"), autoescape=True,
    trim_blocks=True, lstrip_blocks=True, auto_reload=False)
_CSS = (Path(__file__).parent / "templates" / "return_manifest.css").read_text()
_CSS_DIGEST = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
# No script, no resource from anywhere: only the page's own style sheet, by its hash.
CSP = (f"default-src 'none'; style-src-elem 'sha256-{_CSS_DIGEST}'; script-src 'none'; "
       "img-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")

# The reasons as the agency's clerk reads them on the printed page: Arabic, then English.
REASON_WORDS: dict[str, tuple[str, str]] = {
    ReturnReason.refused: ("رفض المواطن الاستلام", "refused by the citizen"),
    ReturnReason.not_theirs: ("ليست للمستلم", "not the recipient's"),
    ReturnReason.hold_expired: ("انتهت مدة الحفظ", "hold expired"),
    ReturnReason.recalled: ("سحبتها الجهة", "recalled by the agency"),
    ReturnReason.found_after_loss: ("عُثر عليها بعد فقدانها", "found after being lost"),
    ReturnReason.unreachable: ("تعذّر الوصول إلى المواطن بعد كل المحاولات",
                               "citizen unreachable after every attempt"),
    ReturnReason.address_not_found: ("لم يُعثر على العنوان", "address not found"),
    ReturnReason.old_document: ("وثيقة قديمة استُبدلت بجديدة", "old document, replaced"),
}


async def returns_of_day(conn: asyncpg.Connection, agency_id: int, day: date) -> ReturnsDayOut:
    """Every item of the agency returned to it on `day` (Asia/Baghdad), in the order handed."""
    start, end = day_bounds(day)
    rows = await store.returned_between(conn, agency_id, start, end)
    items = [ReturnedItemOut(
        tracking_number=r["tracking_number"], external_ref=r["external_ref"],
        document_type=r["document_type"], return_reason=r["return_reason"],
        returned_at=r["returned_at"], sorting_centre=r["centre"],
        signed_by=handover.signed_by_out(r["signed_by"])) for r in rows]
    return ReturnsDayOut(day=day, count=len(items), items=items)


def manifest_page(agency_name: str, returns: ReturnsDayOut) -> str:
    """The printable manifest: Arabic first (right to left), English beside it."""
    return TEMPLATES.get_template("return_manifest.html.j2").render(
        agency=agency_name, returns=returns, css=_CSS, reasons=REASON_WORDS, baghdad=BAGHDAD)
