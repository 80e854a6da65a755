"""The console's search (`/ops/search`) and an item's page with its custody timeline
(`/ops/items/{tracking_number}`), for supervisors, inspectors, the help desk and admins."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from litestar import Request, Response, get

from delivery.console.layout import render, templates
from delivery.console.scope import Scope
from delivery.console.search import model, services
from delivery.console.web import ConsoleController, console_roles
from delivery.custody.doctypes import DOCUMENT_TYPES
from delivery.staff.auth import StaffUser

TEMPLATES = templates(Path(__file__).parent / "templates")
READERS = console_roles("supervisor", "admin", "inspector", "helpdesk")
_DOCTYPES = {d.code: d for d in DOCUMENT_TYPES}


class SearchController(ConsoleController):
    path = "/ops"
    guards = [READERS]

    @get("/search")
    async def search(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                     scope: Scope, q: str | None = None, page: str | None = None) -> Response:
        """The search box and, once something was typed, what it found in the viewer's scope."""
        if q is None:
            return _render(request, "search.html.j2", q=None, results=None)
        try:
            results = await services.search(conn, text=q, scope=scope,
                                            page=model.page_number(page))
        except model.BadQuery as bad:
            return _render(request, "search.html.j2", status=422, q=q, results=None,
                           message=(bad.ar, bad.en))
        return _render(request, "search.html.j2", q=q, results=results)

    @get("/items/{tracking_number:str}")
    async def item(self, request: Request, conn: asyncpg.Connection, staff: StaffUser,
                   scope: Scope, tracking_number: str) -> Response:
        """The item and its whole timeline; the same 404 for an unknown item and one out of
        scope. Each reading is recorded."""
        found = await services.read_item(conn, tracking_number=tracking_number, staff=staff,
                                         scope=scope, now=datetime.now(UTC))
        if found is None:
            return _render(request, "not_found.html.j2", status=404)
        return _render(request, "item.html.j2", page=found)


def _render(request: Request, name: str, *, status: int = 200, **context) -> Response:
    return render(request, TEMPLATES, name, status=status, states=model.STATES,
                  modes=model.MODES, windows=model.WINDOWS, doctypes=_DOCTYPES, **context)


HANDLERS = [SearchController]
