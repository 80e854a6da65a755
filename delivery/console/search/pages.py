"""The console's search (`/ops/search`) and an item's page with its custody timeline
(`/ops/items/{tracking_number}`), for supervisors, inspectors, the help desk and admins."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from litestar import Request, Response, get

from delivery.console import layout
from delivery.console.scope import Scope
from delivery.console.search import model, services
from delivery.console.web import ConsoleController, console_roles
from delivery.platform.errors import NotFound
from delivery.staff.auth import StaffUser

ENV = layout.templates(Path(__file__).parent / "templates")
_WORDS = {"modes": model.MODES, "windows": model.WINDOWS, "staff_roles": model.STAFF_ROLES}


class SearchPages(ConsoleController):
    path = "/ops"
    guards = [console_roles("supervisor", "admin", "inspector", "helpdesk")]

    @get("/search")
    async def search(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                     visible: Scope) -> Response:
        """The search box and, once something was typed (`?q=`), what it found in scope."""
        q = request.query_params.get("q")
        if q is None:
            return layout.render(request, ENV, "search.html.j2", q=None, results=None, **_WORDS)
        try:
            results = await services.search(
                conn, text=q, scope=visible,
                page=layout.page_number(request.query_params.get("page")))
        except model.BadQuery as bad:
            return layout.render(request, ENV, "search.html.j2", status_code=422, q=q, results=None,
                                 message=(bad.ar, bad.en), **_WORDS)
        return layout.render(request, ENV, "search.html.j2", q=q, results=results, **_WORDS)

    @get("/items/{tracking_number:str}")
    async def item(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                   staff: StaffUser, visible: Scope, tracking_number: str) -> Response:
        """The item and its whole timeline, the reading recorded; the same 404 for an unknown
        item and one out of scope."""
        found = await services.read_item(conn, tracking_number=tracking_number, staff=staff,
                                         scope=visible, now=datetime.now(UTC))
        if found is None:
            raise NotFound("no such item in scope")
        return layout.render(request, ENV, "item.html.j2", page=found, **_WORDS)


HANDLERS = [SearchPages]
