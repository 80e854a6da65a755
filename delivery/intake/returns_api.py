"""The agency's return manifest: JSON, and a printable page (Arabic first)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, Response, get
from litestar.params import Parameter

from delivery.agencies.api import AGENCY_DEPENDENCIES
from delivery.agencies.store import Agency
from delivery.custody.anchors import local_day
from delivery.intake import returns
from delivery.intake.schemas import ReturnsDayOut
from delivery.platform.errors import FieldError, InvalidInput

LIST_PARAMETERS = frozenset({"date"})
PAGE_HEADERS = {"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY",
                "Content-Security-Policy": returns.CSP}


class ReturnsController(Controller):
    path = "/v1/returns"
    tags = ["agencies"]
    dependencies = AGENCY_DEPENDENCIES
    security = [{"agencyKey": []}]

    @get("/", summary="The items handed back to the agency on one day")
    async def list_returns(
        self, request: Request[Any, Any, Any], conn: asyncpg.Connection, agency: Agency,
        day: Annotated[date | None, Parameter(query="date")] = None,
    ) -> ReturnsDayOut:
        """Every item the sorting centres handed back to the agency on `date` (Asia/Baghdad;
        today when absent), in the order handed: its `return_reason` (refused, not_theirs,
        hold_expired, unreachable, address_not_found, recalled, found_after_loss,
        old_document), when, by which sorting centre, and who at the agency signed
        for it (`signed_by`: initials and ID's last four digits)."""
        if unknown := sorted(set(request.query_params) - LIST_PARAMETERS):
            raise InvalidInput(f"unknown query parameter {unknown[0]}", errors=[
                FieldError(field=f"query:{name}", message="unknown parameter") for name in unknown])
        return await returns.returns_of_day(conn, agency.id, day or local_day(datetime.now(UTC)))

    @get("/{day:str}/manifest", summary="The day's return manifest, printable")
    async def manifest(self, conn: asyncpg.Connection, agency: Agency,
                       day: str) -> Response[str]:
        """The same list as a printable HTML page, Arabic first (right to left) with English
        beside it, and room for both signatures: what the sorting centre hands back that day."""
        try:
            wanted = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(f"{day} is not a date (YYYY-MM-DD)", errors=[
                FieldError(field="path:date", message="expected YYYY-MM-DD")]) from None
        page = returns.manifest_page(agency.name, await returns.returns_of_day(
            conn, agency.id, wanted))
        return Response(page, media_type="text/html; charset=utf-8", headers={
            **PAGE_HEADERS,
            "Content-Disposition": f'inline; filename="returns-{wanted.isoformat()}.html"'})


HANDLERS = [ReturnsController]
