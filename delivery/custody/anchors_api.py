"""Public routes of the daily custody anchors: anyone may fetch and check them, no key needed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, get
from litestar.params import Parameter

from delivery.custody import anchors
from delivery.custody.anchors import Anchor
from delivery.platform.errors import FieldError, InvalidInput, NotFound

LIST_PARAMETERS = {"from", "to"}
DEFAULT_SPAN = timedelta(days=30)
MAX_SPAN = timedelta(days=366)


class AnchorsController(Controller):
    path = "/v1/anchors"
    tags = ["anchors"]

    @get("/", summary="Daily anchors of the custody log, oldest first")
    async def list_anchors(
        self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
        first: Annotated[date | None, Parameter(query="from")] = None,
        last: Annotated[date | None, Parameter(query="to")] = None,
    ) -> list[Anchor]:
        """The anchors of the days `from`..`to` (Asia/Baghdad, inclusive; by default the last
        30 days, at most 366), each signed with Ed25519 over `tasheel custody anchor|<date>|
        <count>|<root>`. The same objects reach agencies as the webhook event
        `custody.anchor`."""
        if unknown := sorted(set(request.query_params) - LIST_PARAMETERS):
            raise InvalidInput(f"unknown query parameter {unknown[0]}", errors=[
                FieldError(field=f"query:{name}", message="unknown parameter") for name in unknown])
        last = last or anchors.local_day(datetime.now(UTC))
        first = first or last - DEFAULT_SPAN
        if first > last or last - first > MAX_SPAN:
            raise InvalidInput("from must not be after to, nor more than 366 days before it",
                               errors=[FieldError(field="query:from", message="out of range")])
        return await anchors.list_anchors(conn, first, last)

    @get("/{day:str}", summary="The anchor of one day")
    async def one_anchor(self, conn: asyncpg.Connection, day: str) -> Anchor:
        """404 for a day not anchored (yet: a day is anchored shortly after it ends)."""
        try:
            wanted = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(f"{day} is not a date (YYYY-MM-DD)", errors=[
                FieldError(field="path:date", message="expected YYYY-MM-DD")]) from None
        anchor = await anchors.get_anchor(conn, wanted)
        if anchor is None:
            raise NotFound(f"no anchor for {wanted}")
        return anchor


HANDLERS = [AnchorsController]
