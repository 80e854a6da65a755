"""Printable labels over HTTP: a page (the handheld app prints it) or a PDF, per item or bag."""

from __future__ import annotations

from typing import Any

import asyncpg
from litestar import Controller, Request, Response, get

from delivery.labels import model, services
from delivery.staff.auth import STAFF_DEPENDENCIES, StaffUser, require_roles

NO_STORE = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"}


class LabelsController(Controller):
    path = "/v1/labels"
    tags = ["staff"]
    dependencies = STAFF_DEPENDENCIES
    guards = [require_roles("sorting_clerk", "branch_clerk", "supervisor", "admin")]
    security = [{"staffToken": []}]

    @get("/items/{tracking_number:str}", summary="An item's label with its Code 128 barcode")
    async def item(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                   staff: StaffUser, tracking_number: str) -> Response[bytes]:
        """The S10 number as Code 128 bars and in plain text, the destination branch (its code;
        its Arabic name on the page), the document type and the day it was registered; nothing
        about the citizen. A printable page (`?format=html`, the default) or a PDF
        (`?format=pdf`, or `Accept: application/pdf`), `?size=100x50` (default, 4 × 2 in) or
        `100x150` (4 × 6 in), for 203 dpi thermal printers. Sorting clerks of the item's centre,
        clerks and supervisors of its branch, administrators; 404 for anyone else."""
        choice = model.choose(request.query_params, request.headers.get("accept"))
        return _answer(await services.item_label(conn, staff, tracking_number, choice))

    @get("/bags/{bag_id:str}", summary="A bag's label with its Code 128 barcode")
    async def bag(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                  staff: StaffUser, bag_id: str) -> Response[bytes]:
        """The bag id as Code 128 bars and in plain text, the destination branch (its code; its
        Arabic name on the page), the sorting centre it comes from, how many items it holds and
        the day it was dispatched (or opened, before that). Formats and sizes as for an item's
        label. Sorting clerks of its centre, clerks and supervisors of the destination branch,
        administrators; 404 for anyone else."""
        choice = model.choose(request.query_params, request.headers.get("accept"))
        return _answer(await services.bag_label(conn, staff, bag_id, choice))


def _answer(printed: services.Printed) -> Response[bytes]:
    headers = {**NO_STORE, "Content-Disposition": f'inline; filename="{printed.filename}"'}
    if printed.csp:
        headers["Content-Security-Policy"] = printed.csp
    return Response(printed.body, media_type=printed.media_type, headers=headers)


HANDLERS = [LabelsController]
