"""The agency's reports: a period's summary, and its items as JSON pages or a streamed CSV."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

import asyncpg
from litestar import Controller, Request, get
from litestar.datastructures import State
from litestar.params import Parameter
from litestar.response import Stream

from delivery.agencies.api import AGENCY_DEPENDENCIES, AGENCY_OWN_CONNECTION
from delivery.agencies.store import Agency
from delivery.intake.api import states_from_query
from delivery.platform.errors import FieldError, InvalidInput
from delivery.reports import model, services
from delivery.reports.schemas import ReportItemsPage, SummaryOut

SUMMARY_PARAMETERS = frozenset({"from", "to", "group_by"})
CSV_PARAMETERS = frozenset({"from", "to", "state"})
PAGE_PARAMETERS = CSV_PARAMETERS | {"cursor", "limit"}
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"

First = Annotated[date | None, Parameter(query="from")]
Last = Annotated[date | None, Parameter(query="to")]
States = Annotated[str | None, Parameter(query="state")]


class ReportsController(Controller):
    path = "/v1/reports"
    tags = ["agencies"]
    dependencies = AGENCY_DEPENDENCIES
    security = [{"agencyKey": []}]

    @get("/summary", summary="What became of the items registered in a period")
    async def summary(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                      agency: Agency, first: First = None, last: Last = None,
                      group_by: model.GroupBy | None = None) -> SummaryOut:
        """The agency's items registered from `from` to `to` (Asia/Baghdad days, both included;
        by default the last 30 days, at most 366): counts by state now, hand-overs (delivered
        or collected) within 1, 3, 7 and 14 days of registration with the median and 90th
        percentile in hours, failed attempts by the courier's reason, and returns by what sent
        them back (`refused`, `not_theirs`, `hold_expired`, `unreachable`, `address_not_found`,
        `recalled`, `found_after_loss`). `group_by`
        splits them by `document_type`, `governorate`, `branch` or `day` of registration. An
        unknown parameter or value is a 422 naming it."""
        _refuse_unknown(request, SUMMARY_PARAMETERS)
        return await services.summary(conn, agency.id, _period(first, last), group_by=group_by)

    @get("/items", summary="The items registered in a period, one row each")
    async def items(self, request: Request[Any, Any, Any], conn: asyncpg.Connection,
                    agency: Agency, first: First = None, last: Last = None,
                    item_state: States = None, cursor: str | None = None,
                    limit: Annotated[int, Parameter(ge=1, le=1000)] = 500) -> ReportItemsPage:
        """The rows of `items.csv` as JSON, in the order the items were registered: pass
        `next_cursor` back as `cursor` for the next page. `state` (several, comma-separated)
        keeps items in those states now."""
        _refuse_unknown(request, PAGE_PARAMETERS)
        return await services.items_page(conn, agency.id, _period(first, last),
                                         states=states_from_query(item_state), cursor=cursor, limit=limit)

    @get("/items.csv", summary="The items registered in a period, as a CSV file",
         dependencies=AGENCY_OWN_CONNECTION, media_type=CSV_MEDIA_TYPE)
    async def items_csv(self, request: Request[Any, Any, Any], state: State, agency: Agency,
                        first: First = None, last: Last = None,
                        item_state: States = None) -> Stream:
        """UTF-8 with a byte-order mark (spreadsheets then show Arabic), one row per item, in
        the order they were registered: `external_ref`, `tracking_number`, `document_type`,
        `state`, `registered_at`, `handed_over_at` (Asia/Baghdad times with their offset),
        `attempts`, `last_failure_reason`, `return_reason`, `branch`, `branch_name`. Streamed
        as it is read: a year of items starts arriving at once."""
        _refuse_unknown(request, CSV_PARAMETERS)
        period = _period(first, last)
        chunks = services.items_csv(state.pool, agency.id, period, states=states_from_query(item_state))
        name = f"items-{period.first}-{period.last}.csv"
        return Stream(chunks, media_type=CSV_MEDIA_TYPE,
                      headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _refuse_unknown(request: Request[Any, Any, Any], known: frozenset[str]) -> None:
    if unknown := sorted(set(request.query_params) - known):
        raise InvalidInput(f"unknown query parameter {unknown[0]}", errors=[
            FieldError(field=f"query:{name}", message="unknown parameter") for name in unknown])


def _period(first: date | None, last: date | None) -> model.Period:
    try:
        return model.period(first, last, today=model.local_day(datetime.now(UTC)))
    except model.PeriodRefused as refused:
        raise InvalidInput(str(refused), errors=[
            FieldError(field="query:from", message=str(refused))]) from None


HANDLERS = [ReportsController]
