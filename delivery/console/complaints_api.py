"""The supervisors' queue: citizens' complaints and "asked for money" answers, with the staff
who handled each item; marking one handled records who and when."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Literal

import asyncpg
import msgspec
from litestar import Controller, Response, get, post
from litestar.params import Parameter

from delivery import pages
from delivery.console import complaints_store as store
from delivery.custody.model import State as ItemState
from delivery.platform.errors import Conflict, NotFound
from delivery.staff.auth import STAFF_DEPENDENCIES, StaffUser, require_roles

TEMPLATES = pages.templates(Path(__file__).parent / "templates")

SUPERVISORS = [require_roles("supervisor", "admin")]


class StaffInvolvedOut(msgspec.Struct, frozen=True, kw_only=True):
    """A member of staff who handled the item, and what they did."""

    id: int
    username: str | None
    role: str
    actions: list[str]


class ComplaintOut(msgspec.Struct, frozen=True, kw_only=True):
    """A citizen's answer after hand-over, with the staff involved and whether it was handled."""

    id: int
    tracking_number: str
    document_type: str
    item_state: ItemState
    branch: str | None
    asked_for_money: bool
    complaint: str
    staff: list[StaffInvolvedOut]
    created_at: datetime
    handled_by: str | None
    handled_at: datetime | None
    handled_note: str | None


class ComplaintsOut(msgspec.Struct, frozen=True, kw_only=True):
    """The queue: "asked for money" answers first, newest first."""

    complaints: list[ComplaintOut]


class HandledIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What was done about it, for the record."""

    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


Status = Literal["open", "handled", "all"]
_HANDLED = {"open": False, "handled": True, "all": None}


async def _complaints(conn: asyncpg.Connection, *, branch: str | None, status: Status,
                      report_id: int | None = None) -> list[ComplaintOut]:
    rows = await store.list_reports(conn, branch=branch, handled=_HANDLED[status],
                                    report_id=report_id)
    ids = sorted({s["id"] for r in rows for s in r["staff"]})
    names = await store.staff_names(conn, ids) if ids else {}
    return [_out(r, names) for r in rows]


def _out(row, names: dict[int, str]) -> ComplaintOut:
    values = dict(row)
    values["staff"] = [StaffInvolvedOut(id=s["id"], username=names.get(s["id"]), role=s["role"],
                                        actions=s["actions"]) for s in row["staff"]]
    return ComplaintOut(**values)


class ComplaintsController(Controller):
    tags = ["operations"]
    dependencies = STAFF_DEPENDENCIES
    guards = SUPERVISORS
    security = [{"staffToken": []}]

    @get("/v1/ops/complaints", summary="Citizens' complaints and money answers")
    async def list_json(
        self, conn: asyncpg.Connection, staff: StaffUser, branch: str | None = None,
        status: Annotated[Status, Parameter(query="status")] = "open",
    ) -> ComplaintsOut:
        """Money answers first, newest first; `?branch=CODE`, `?status=open|handled|all`."""
        return ComplaintsOut(complaints=await _complaints(conn, branch=branch, status=status))

    @post("/v1/ops/complaints/{report_id:int}/handled", status_code=200,
          summary="Mark one complaint handled")
    async def mark_handled(self, conn: asyncpg.Connection, staff: StaffUser, report_id: int,
                           data: HandledIn) -> ComplaintOut:
        """Records who marked it and when; a second time is a 409."""
        done = await store.mark_handled(conn, report_id, staff_id=staff.id,
                                        at=datetime.now(UTC), note=data.note or None)
        if not done and not await store.report_exists(conn, report_id):
            raise NotFound(f"no complaint {report_id}")
        if not done:
            raise Conflict(f"complaint {report_id} was already handled")
        found = await _complaints(conn, branch=None, status="all", report_id=report_id)
        return found[0]

    @get("/ops/complaints", summary="The complaints queue (HTML)", media_type="text/html")
    async def page(self, conn: asyncpg.Connection, staff: StaffUser, branch: str | None = None,
                   status: Annotated[Status, Parameter(query="status")] = "open",
                   ) -> Response[str]:
        """The same queue as a page for supervisors' screens."""
        rows = await _complaints(conn, branch=branch, status=status)
        body = TEMPLATES.get_template("complaints.html.j2").render(
            css=pages.CSS, rows=rows, branch=branch, status=status, staff=staff)
        return Response(body, media_type=pages.HTML, headers=pages.PRIVATE_HEADERS)


HANDLERS = [ComplaintsController]
