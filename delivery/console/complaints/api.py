"""The inspectors' queue over the API (staff token), for tools of their own; the console's pages
are in `pages.py`. Inspectors see their governorate's reports, administrators all but their own
site's; the branch a report is about never sees it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import asyncpg
import msgspec
from litestar import Controller, get, post
from litestar.params import Parameter

from delivery.console.complaints import services
from delivery.console.complaints.services import ComplaintOut, Outcome, Status
from delivery.console.complaints.store import Viewer
from delivery.staff.auth import STAFF_DEPENDENCIES, StaffUser, require_roles

INSPECTORS = [require_roles("inspector", "admin")]


class ComplaintsOut(msgspec.Struct, frozen=True, kw_only=True):
    """One page of the queue: open first, "asked for money" first, newest first."""

    complaints: list[ComplaintOut]
    next_page: int | None


class HandledIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What was done about it, for the record."""

    outcome: Outcome
    note: Annotated[str, msgspec.Meta(max_length=services.MAX_NOTE_CHARS)] = ""


class ReopenIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Why the complaint is open again."""

    note: Annotated[str, msgspec.Meta(min_length=1, max_length=services.MAX_NOTE_CHARS)]


class ComplaintsController(Controller):
    path = "/v1/ops/complaints"
    tags = ["operations"]
    dependencies = STAFF_DEPENDENCIES
    guards = INSPECTORS
    security = [{"staffToken": []}]

    @get("/", summary="Citizens' complaints and money answers (inspectors)")
    async def list_json(
        self, conn: asyncpg.Connection, staff: StaffUser,
        branch: Annotated[str | None, Parameter(max_length=32)] = None,
        status: Status = "open",
        page: Annotated[int, Parameter(ge=1, le=100_000)] = 1,
    ) -> ComplaintsOut:
        """Every report shown is logged as read by the caller."""
        rows, more = await services.queue(conn, Viewer.of(staff), status=status, branch=branch,
                                          page=page, now=datetime.now(UTC))
        return ComplaintsOut(complaints=rows, next_page=page + 1 if more else None)

    @post("/{report_id:int}/handled", status_code=200, summary="Mark one complaint handled")
    async def mark_handled(self, conn: asyncpg.Connection, staff: StaffUser, report_id: int,
                           data: HandledIn) -> ComplaintOut:
        """Records who, when and the outcome; a second time is a 409."""
        return await self._change(conn, staff, report_id, services.handle, outcome=data.outcome,
                                  note=data.note)

    @post("/{report_id:int}/reopen", status_code=200, summary="Reopen a handled complaint")
    async def reopen(self, conn: asyncpg.Connection, staff: StaffUser, report_id: int,
                     data: ReopenIn) -> ComplaintOut:
        """Records who, when and why; reopening an open one is a 409."""
        return await self._change(conn, staff, report_id, services.reopen, note=data.note)

    async def _change(self, conn, staff: StaffUser, report_id: int, change, **values) -> ComplaintOut:
        viewer, now = Viewer.of(staff), datetime.now(UTC)
        await change(conn, viewer, report_id, now=now, **values)
        return (await services.one(conn, viewer, report_id, now=now))[0]


HANDLERS = [ComplaintsController]
