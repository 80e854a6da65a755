"""The inspectors' complaints in the console: the queue, one complaint with its history and
reads, handling and reopening."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Request, Response, get, post
from litestar.response import Redirect

from delivery.console import layout
from delivery.console.complaints import services
from delivery.console.complaints.store import Viewer
from delivery.console.web import ConsoleController, console_roles, form
from delivery.platform.errors import Conflict, InvalidInput
from delivery.staff.auth import StaffUser

ENV = layout.templates(Path(__file__).parent / "templates")
OUTCOME_WORDS = {
    "investigated": ("تم التحقيق", "investigated"),
    "staff_warned": ("تم إنذار الموظف", "member of staff warned"),
    "referred": ("أحيلت إلى جهة التحقيق", "referred for investigation"),
    "unfounded": ("لا أساس لها", "unfounded"),
}
STATUSES = ("open", "handled", "all")


class ComplaintPages(ConsoleController):
    path = "/ops/complaints"
    guards = [console_roles("inspector", "admin")]

    @get("")
    async def queue(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                    staff: StaffUser) -> Response:
        """Open first, "asked for money" first, newest first; `?status=`, `?page=`."""
        status = request.query_params.get("status", "open")
        status = status if status in STATUSES else "open"
        page = layout.page_number(request.query_params.get("page"))
        rows, more = await services.queue(conn, Viewer.of(staff), status=status, page=page,
                                          now=datetime.now(UTC))
        return layout.render(request, ENV, "complaints.html.j2", rows=rows, status=status,
                             page=page, more=more, outcomes=OUTCOME_WORDS)

    @get("/{report_id:int}")
    async def one(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                  staff: StaffUser, report_id: int) -> Response:
        """One complaint: the citizen's words, the staff involved, its history and reads."""
        return await _complaint_page(request, conn, staff, report_id)

    @post("/{report_id:int}/handled", status_code=303)
    async def handled(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                      staff: StaffUser, report_id: int) -> Response:
        """Form: `outcome`, `note`."""
        fields = form(request)
        return await _change(request, conn, staff, report_id, services.handle,
                             outcome=fields.get("outcome", ""), note=fields.get("note", ""))

    @post("/{report_id:int}/reopen", status_code=303)
    async def reopen(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                     staff: StaffUser, report_id: int) -> Response:
        """Form: `note` (why)."""
        note = form(request).get("note", "")
        if not note.strip():
            return await _complaint_page(request, conn, staff, report_id, status=422,
                                         problem=("يرجى كتابة سبب إعادة الفتح.",
                                                  "Please say why it is reopened."))
        return await _change(request, conn, staff, report_id, services.reopen, note=note)


async def _change(request, conn, staff: StaffUser, report_id: int, change, **values) -> Response:
    try:
        await change(conn, Viewer.of(staff), report_id, now=datetime.now(UTC), **values)
    except InvalidInput:
        return await _complaint_page(request, conn, staff, report_id, status=422,
                                     problem=("يرجى اختيار ما تم.", "Please choose what was done."))
    except Conflict:
        return await _complaint_page(request, conn, staff, report_id, status=409,
                                     problem=("غيّر شخص آخر هذه الشكوى للتو.",
                                              "Someone else changed this complaint just now."))
    return Redirect(f"/ops/complaints/{report_id}?done=1", status_code=303)


async def _complaint_page(request, conn, staff: StaffUser, report_id: int, *, status: int = 200,
                          problem: tuple[str, str] | None = None) -> Response:
    complaint, history, reads = await services.one(conn, Viewer.of(staff), report_id,
                                                   now=datetime.now(UTC))
    lang = layout.language(request)
    notice = problem[0 if lang == "ar" else 1] if problem else None
    if notice is None and request.query_params.get("done"):
        notice = "تم الحفظ." if lang == "ar" else "Saved."
    return layout.render(request, ENV, "complaint.html.j2", status_code=status, c=complaint,
                         history=history, reads=reads, outcomes=OUTCOME_WORDS, notice=notice)


HANDLERS = [ComplaintPages]
