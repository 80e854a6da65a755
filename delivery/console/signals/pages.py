"""The inspectors' integrity signals in the console: the board per branch and per member of
staff over a period (`/ops/signals?from=&to=`), and the items behind each figure
(`/ops/signals/items?signal=&branch=|courier=&from=&to=&page=`)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Request, Response, get

from delivery.console import layout
from delivery.console.scope import Scope
from delivery.console.signals import services, view
from delivery.console.signals.model import ITEM_SIGNALS, Period, default_period, period_of
from delivery.console.web import INTEGRITY_GUARDS, ConsoleController

ENV = layout.templates(Path(__file__).parent / "templates")
BAD_PERIOD = ("التاريخان غير صالحين: اكتب يومين بالصيغة 2026-12-07 والأول قبل الثاني؛ "
              "تُعرض آخر 30 يوماً.",
              "The dates are not valid: give two days as 2026-12-07, the first before the "
              "second; the last 30 days are shown.")
BAD_SIGNAL = ("لا يوجد مؤشر بهذا الاسم.", "There is no signal of that name.")


class SignalPages(ConsoleController):
    path = "/ops/signals"
    guards = INTEGRITY_GUARDS

    @get("")
    async def board(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                    visible: Scope) -> Response:
        """The figures per branch and per member of staff, with charts and outliers."""
        now = datetime.now(UTC)
        period, problem = _period(request, now)
        board = await services.board(conn, period=period, scope=visible,
                                     ctx=request.app.state.custody, now=now)
        lang = layout.language(request)
        sections = [
            {"id": "branches", "title": view.pick(lang, ("الفروع", "Branches")),
             "unit": view.pick(lang, ("الفرع", "Branch")),
             "blocks": view.blocks(board, board.branches, lang)},
            {"id": "staff", "title": view.pick(lang, ("الموزعون وموظفو التسليم",
                                                      "Couriers and counter clerks")),
             "unit": view.pick(lang, ("الموظف", "Staff")),
             "blocks": view.blocks(board, board.staff, lang)},
        ]
        return layout.render(request, ENV, "signals.html.j2", status_code=422 if problem else 200,
                             period=period, sections=sections,
                             notice=view.pick(lang, problem) if problem else None)

    @get("/items")
    async def items(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                    visible: Scope) -> Response:
        """The items behind one figure, newest first, a page at a time."""
        now = datetime.now(UTC)
        lang = layout.language(request)
        period, problem = _period(request, now)
        signal = request.query_params.get("signal", "")
        if signal not in ITEM_SIGNALS:
            problem = problem or BAD_SIGNAL
        branch = request.query_params.get("branch") or None
        courier = request.query_params.get("courier") or None
        page = layout.page_number(request.query_params.get("page"))
        rows, more = [], False
        if problem is None:
            rows, more = await services.items_behind(
                conn, period=period, scope=visible, ctx=request.app.state.custody, now=now,
                signal=signal, branch=branch, staff=courier, page=page)
        title = view.pick(lang, view.NAMES.get(signal, BAD_SIGNAL))
        return layout.render(request, ENV, "signal_items.html.j2",
                             status_code=422 if problem else 200, title=title, period=period,
                             branch=branch, courier=courier, rows=rows, page=page,
                             has_more=more, notice=view.pick(lang, problem) if problem else None)


def _period(request: Request[Any, Any, Any], now: datetime
            ) -> tuple[Period, tuple[str, str] | None]:
    """The period asked for, or the default one and the words saying why."""
    first, last = request.query_params.get("from"), request.query_params.get("to")
    try:
        return period_of(_day(first), _day(last), now), None
    except ValueError:
        return default_period(now), BAD_PERIOD


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


HANDLERS = [SignalPages]
