"""The help desk's pages: find a citizen's item, confirm the caller with a code sent to their
phone, and record their choices for them (`services`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Request, Response, get, post
from litestar.response import Redirect

from delivery.console import layout
from delivery.console.helpdesk import services
from delivery.console.helpdesk.model import CHOICE_WINDOW, CODE_LIFETIME, Verdict
from delivery.console.scope import Scope
from delivery.console.web import ConsoleController, console_roles, form
from delivery.custody.model import TransitionRefused
from delivery.platform.errors import InvalidInput, NotFound, RateLimited
from delivery.staff.auth import StaffUser
from delivery.tracking.services import AddressIn

ENV = layout.templates(Path(__file__).parent / "templates")
WORDS = {
    "not_found": ("لا توجد وثيقة بهذا الرقم وهذا الهاتف.",
                  "No item matches this tracking number and phone number."),
    "too_many": ("عمليات بحث كثيرة خلال ساعة. يرجى المحاولة لاحقاً.",
                 "Too many lookups within an hour. Please try again later."),
    "sent": ("أُرسل الرمز إلى هاتف المواطن. يرجى أن يقرأه لك.",
             "The code was sent to the citizen's phone. Ask them to read it out."),
    Verdict.accepted: ("تم التأكد من المتصل. يمكنك تسجيل اختياره الآن.",
                       "The caller is confirmed. You may record their choice now."),
    Verdict.wrong: ("الرمز غير صحيح.", "The code is not right."),
    Verdict.locked: ("أُدخل رمز خاطئ خمس مرات. يرجى إرسال رمز جديد.",
                     "Five wrong codes. Please send a new code."),
    Verdict.expired: ("انتهت صلاحية الرمز. يرجى إرسال رمز جديد.",
                      "The code expired. Please send a new code."),
    Verdict.no_code: ("لا يوجد رمز قيد الانتظار. يرجى إرسال رمز.",
                      "No code is waiting. Please send one."),
    "not_confirmed": ("يرجى التأكد من المتصل برمز يُرسل إلى هاتف المواطن أولاً.",
                      "Confirm the caller first with a code sent to the citizen's phone."),
    "refused": ("لم يعد هذا الاختيار ممكناً لهذه الوثيقة.",
                "This choice is no longer possible for this item."),
    "invalid": ("يرجى التحقق مما أُدخل.", "Please check what was entered."),
    "too_soon": ("أُرسل رمز قبل أقل من دقيقة. يرجى الانتظار قليلاً.",
                 "A code was sent less than a minute ago. Please wait a moment."),
    "too_many_codes": ("أُرسلت رموز كثيرة لهذه الوثيقة خلال ساعة. يرجى المحاولة لاحقاً.",
                       "Too many codes were sent for this item within an hour. Try later."),
    "saved": ("تم تسجيل اختيار المواطن.", "The citizen's choice was recorded."),
}


class HelpdeskPages(ConsoleController):
    path = "/ops/helpdesk"
    guards = [console_roles("helpdesk", "admin")]

    @get("")
    async def start(self, request: Request[Any, Any, Any]) -> Response:
        """The lookup form: tracking number and the citizen's phone."""
        return _lookup_page(request)

    @post("/lookup", status_code=303)
    async def lookup(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                     staff: StaffUser, visible: Scope) -> Response:
        """Form: `tracking_number`, `phone`; both must match one item in scope."""
        fields = form(request)
        try:
            item_id = await services.lookup(
                conn, visible, staff.id, tracking_number=fields.get("tracking_number", "")[:40],
                phone=fields.get("phone", "")[:40], now=datetime.now(UTC))
        except NotFound:
            return _lookup_page(request, status_code=404, notice="not_found")
        except RateLimited:
            return _lookup_page(request, status_code=429, notice="too_many")
        return Redirect(f"/ops/helpdesk/items/{item_id}", status_code=303)

    @get("/items/{item_id:int}")
    async def item(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                   staff: StaffUser, visible: Scope, item_id: int) -> Response:
        """The item as the desk sees it: the check, the choices open, the latest events."""
        notice = request.query_params.get("done")
        return await _item_page(request, conn, staff, visible, item_id,
                                notice=notice if notice in WORDS else None)

    @post("/items/{item_id:int}/code", status_code=303)
    async def send_code(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                        staff: StaffUser, visible: Scope, item_id: int) -> Response:
        """A new code to the citizen's phone (it replaces the previous one)."""
        try:
            await services.send_code(conn, request.app.state.settings.secret_key, visible,
                                     staff.id, item_id, now=datetime.now(UTC))
        except TransitionRefused:
            return await _item_page(request, conn, staff, visible, item_id, status_code=409,
                                    notice="refused")
        except services.CodesPaced as paced:
            return await _item_page(request, conn, staff, visible, item_id, status_code=429,
                                    notice=paced.notice)
        return _back(item_id, "sent")

    @post("/items/{item_id:int}/confirm", status_code=303)
    async def confirm(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                      staff: StaffUser, visible: Scope, item_id: int) -> Response:
        """Form: `code`, as the citizen reads it out."""
        verdict = await services.enter_code(
            conn, request.app.state.settings.secret_key, visible, staff.id, item_id,
            form(request).get("code", "")[:20], now=datetime.now(UTC))
        if verdict == Verdict.accepted:
            return _back(item_id, Verdict.accepted)
        return await _item_page(request, conn, staff, visible, item_id, status_code=422,
                                notice=verdict)

    @post("/items/{item_id:int}/mode", status_code=303)
    async def mode(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                   staff: StaffUser, visible: Scope, item_id: int) -> Response:
        """Form: `mode` (home or pickup), `branch` (for pickup)."""
        fields = form(request)
        return await _choose(request, conn, staff, visible, item_id, services.choose_mode,
                             mode=fields.get("mode", ""), branch_code=fields.get("branch") or None)

    @post("/items/{item_id:int}/day", status_code=303)
    async def day(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                  staff: StaffUser, visible: Scope, item_id: int) -> Response:
        """Form: `day` (one of those offered), `window` (morning or afternoon)."""
        fields = form(request)
        try:
            day = date.fromisoformat(fields.get("day", ""))
        except ValueError:
            return await _item_page(request, conn, staff, visible, item_id, status_code=422,
                                    notice="invalid")
        return await _choose(request, conn, staff, visible, item_id, services.reschedule,
                             day=day, window=fields.get("window", ""), today=_today())

    @post("/items/{item_id:int}/address", status_code=303)
    async def address(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                      staff: StaffUser, visible: Scope, item_id: int) -> Response:
        """Form: the address in words (district, mahalla, zuqaq, house, landmark)."""
        fields = form(request)
        words = {f: fields.get(f) or None for f in ("district", "mahalla", "zuqaq", "house",
                                                    "landmark")}
        return await _choose(request, conn, staff, visible, item_id, services.share_location,
                             AddressIn(**words))


async def _choose(request, conn, staff: StaffUser, visible: Scope, item_id: int, choose,
                  *args, **values) -> Response:
    """Make one choice for the citizen, or show the item again with what stopped it."""
    ctx = request.app.state.tracking
    try:
        await choose(conn, ctx, visible, staff.id, item_id, *args, now=datetime.now(UTC),
                     **values)
    except services.NotConfirmed:
        return await _item_page(request, conn, staff, visible, item_id, status_code=403,
                                notice="not_confirmed")
    except InvalidInput:
        return await _item_page(request, conn, staff, visible, item_id, status_code=422,
                                notice="invalid")
    except TransitionRefused:
        return await _item_page(request, conn, staff, visible, item_id, status_code=409,
                                notice="refused")
    return _back(item_id, "saved")


def _back(item_id: int, done: str) -> Response:
    return Redirect(f"/ops/helpdesk/items/{item_id}?done={done}", status_code=303)


def _today() -> date:
    return datetime.now(layout.BAGHDAD).date()


def _say(request: Request[Any, Any, Any], key: str | None) -> str | None:
    if key is None:
        return None
    return WORDS[key][0 if layout.language(request) == "ar" else 1]


def _lookup_page(request: Request[Any, Any, Any], *, status_code: int = 200,
                 notice: str | None = None) -> Response:
    return layout.render(request, ENV, "helpdesk.html.j2", status_code=status_code,
                         notice=_say(request, notice))


async def _item_page(request, conn, staff: StaffUser, visible: Scope, item_id: int, *,
                     status_code: int = 200, notice: str | None = None) -> Response:
    view = await services.view(conn, request.app.state.tracking, visible, staff.id, item_id,
                               today=_today(), now=datetime.now(UTC))
    return layout.render(request, ENV, "helpdesk_item.html.j2", status_code=status_code, d=view,
                         notice=_say(request, notice), code_minutes=_minutes(CODE_LIFETIME),
                         window_minutes=_minutes(CHOICE_WINDOW))


def _minutes(span) -> int:
    return int(span.total_seconds() // 60)


HANDLERS = [HelpdeskPages]
