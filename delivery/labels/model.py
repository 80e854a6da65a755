"""What a label says and who may print it: pure rules, no I/O.

A label is printed where the thing is handled: at the sorting centre that sends it (sorting
clerks) or at the branch it goes to (its clerks and supervisor); administrators anywhere. An
item's centre is the one that feeds its branch; a bag's are its origin and destination.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

import msgspec

from delivery.platform.errors import FieldError, InvalidInput

BAGHDAD = ZoneInfo("Asia/Baghdad")
Format = Literal["html", "pdf"]
PDF = "application/pdf"
# Which of a label's two sites each role must belong to; a role not listed prints nothing.
PRINTS_AT = {"sorting_clerk": "centre", "branch_clerk": "branch", "supervisor": "branch"}


class LabelSize(msgspec.Struct, frozen=True, kw_only=True):
    """A thermal label stock and how big each part of the label is on it."""

    name: str
    width_mm: float
    height_mm: float
    margin_mm: float
    headline_pt: float  # the destination's code, read from across the counter
    detail_pt: float
    bar_height_mm: float
    readable_pt: float  # the code in plain text under the bars


# 4 × 2 in, the everyday roll; 4 × 6 in, the common shipping label.
SIZES = {s.name: s for s in (
    LabelSize(name="100x50", width_mm=100, height_mm=50, margin_mm=3, headline_pt=18,
              detail_pt=8, bar_height_mm=18, readable_pt=12),
    LabelSize(name="100x150", width_mm=100, height_mm=150, margin_mm=5, headline_pt=30,
              detail_pt=12, bar_height_mm=40, readable_pt=16),
)}
DEFAULT_SIZE = "100x50"
QUERY = frozenset({"size", "format"})


class Sites(msgspec.Struct, frozen=True, kw_only=True):
    """The two sites a label belongs to (ids; `None` when not known yet)."""

    centre_id: int | None
    branch_id: int | None


class Face(msgspec.Struct, frozen=True, kw_only=True):
    """Everything printed on a label, in the order it is read."""

    code: str  # what the bars carry
    readable: str  # the same for people, grouped
    destination_code: str
    destination_name: str  # Arabic: the HTML page only (the PDF keeps to Latin text)
    # (Arabic caption, Latin caption, value): values are codes, numbers and dates.
    details: tuple[tuple[str, str, str], ...]


class ItemLabel(msgspec.Struct, frozen=True, kw_only=True):
    tracking_number: str
    document_type: str
    registered_at: datetime
    branch_code: str | None
    branch_name_ar: str | None
    sites: Sites


class BagLabel(msgspec.Struct, frozen=True, kw_only=True):
    bag_id: str
    opened_at: datetime
    dispatched_at: datetime | None
    origin_code: str
    destination_code: str
    destination_name_ar: str
    items: int
    sites: Sites


class Choice(msgspec.Struct, frozen=True, kw_only=True):
    """What the caller asked for: the stock and the format."""

    size: LabelSize
    format: Format


def may_print(role: str, site_id: int | None, sites: Sites) -> bool:
    """Whether someone of `role` at `site_id` may print a label belonging to `sites`."""
    if role == "admin":
        return True
    where = PRINTS_AT.get(role)
    if where is None or site_id is None:
        return False
    return site_id == (sites.centre_id if where == "centre" else sites.branch_id)


def choose(query: Mapping[str, str], accept: str | None) -> Choice:
    """The size and format asked for (`?size=`, `?format=`, else `Accept`); InvalidInput names
    each parameter that is unknown or has a value not offered."""
    errors = [FieldError(field=f"query:{name}", message="unknown parameter")
              for name in sorted(set(query) - QUERY)]
    size = query.get("size", DEFAULT_SIZE)
    if size not in SIZES:
        errors.append(FieldError(field="query:size", message=f"one of {', '.join(SIZES)}"))
    wanted = query.get("format") or ("pdf" if PDF in (accept or "") else "html")
    if wanted not in ("html", "pdf"):
        errors.append(FieldError(field="query:format", message="html or pdf"))
    if errors:
        raise InvalidInput(f"this label cannot be made: {errors[0].field} "
                           f"({errors[0].message})", errors=errors)
    return Choice(size=SIZES[size], format=wanted)  # type: ignore[arg-type]


def grouped_s10(tracking_number: str) -> str:
    """`RR123456785IQ` as people read it aloud: `RR 123 456 785 IQ`."""
    tn = tracking_number
    return f"{tn[:2]} {tn[2:5]} {tn[5:8]} {tn[8:11]} {tn[11:]}"


def local_day(moment: datetime) -> date:
    return moment.astimezone(BAGHDAD).date()


def item_face(label: ItemLabel) -> Face:
    """An item's label: where it goes, what it is, when it came; nothing about the citizen."""
    return Face(
        code=label.tracking_number, readable=grouped_s10(label.tracking_number),
        destination_code=label.branch_code or "—", destination_name=label.branch_name_ar or "",
        details=(("نوع الوثيقة", "type", label.document_type),
                 ("تاريخ التسجيل", "registered", local_day(label.registered_at).isoformat())))


def bag_face(label: BagLabel) -> Face:
    """A bag's label: where it goes, where from, how many items, when it left (or was opened)."""
    when = (("تاريخ الإرسال", "dispatched", label.dispatched_at) if label.dispatched_at
            else ("تاريخ الفتح", "opened", label.opened_at))
    return Face(
        code=label.bag_id, readable=label.bag_id, destination_code=label.destination_code,
        destination_name=label.destination_name_ar,
        details=(("من", "from", label.origin_code), ("عدد المواد", "items", str(label.items)),
                 (when[0], when[1], local_day(when[2]).isoformat())))
