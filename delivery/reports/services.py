"""Reports of an agency's own items: load, tally, encode."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable, Mapping

import asyncpg

from delivery.platform import db
from delivery.platform.cursors import decode_cursor, encode_cursor
from delivery.reports import model, store
from delivery.reports.schemas import (
    HandOverOut,
    OldDocumentsOut,
    ReportItemOut,
    ReportItemsPage,
    SummaryGroupOut,
    SummaryOut,
)

BOM = "\ufeff"  # lets spreadsheets read the file as UTF-8, so Arabic shows as Arabic
CSV_CHUNK = 64 * 1024
NO_REASON = "unknown"  # a failure recorded without a reason (none is, since scans need one)


async def summary(conn: asyncpg.Connection, agency_id: int, period: model.Period, *,
                  group_by: model.GroupBy | None) -> SummaryOut:
    """The period's counts, in one group or one per key."""
    rows = await store.summary_rows(conn, agency_id, period.starts, period.ends,
                                    group_by=group_by)
    return SummaryOut(first=period.first, last=period.last, timezone=str(model.BAGHDAD),
                      group_by=group_by, groups=tally(rows))


def tally(rows: Iterable[Mapping]) -> list[SummaryGroupOut]:
    """Rows of (kind, key, name, n, median_hours, p90_hours) as one summary per key."""
    groups: dict[str | None, dict] = {}
    for row in rows:
        group = groups.setdefault(row["key"], {"state": {}, "failure": {}, "return": {},
                                               "within": {}, "old_document": {},
                                               "handover": None})
        if row["kind"] == "handover":
            group["handover"] = row
        else:
            group[row["kind"]][row["name"] or NO_REASON] = row["n"]
    return [_group(key, groups[key]) for key in sorted(groups, key=lambda k: (k is None, k))]


def _group(key: str | None, counts: dict) -> SummaryGroupOut:
    handover = counts["handover"]
    return SummaryGroupOut(
        key=key, items=sum(counts["state"].values()), by_state=counts["state"],
        handed_over=HandOverOut(
            count=handover["n"] if handover else 0,
            within_days={str(d): counts["within"].get(str(d), 0) for d in model.WITHIN_DAYS},
            median_hours=_hours(handover and handover["median_hours"]),
            p90_hours=_hours(handover and handover["p90_hours"])),
        failed_attempts=sum(counts["failure"].values()),
        failed_attempts_by_reason=counts["failure"],
        returns=sum(counts["return"].values()), returns_by_reason=counts["return"],
        old_documents=OldDocumentsOut(taken=counts["old_document"].get("taken", 0),
                                      declared_lost=counts["old_document"].get("declared_lost", 0)))


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


async def items_page(conn: asyncpg.Connection, agency_id: int, period: model.Period, *,
                     states: list[str] | None, cursor: str | None,
                     limit: int) -> ReportItemsPage:
    """One page of the period's items, in the order they were registered."""
    rows = await store.item_page(conn, agency_id, period.starts, period.ends, states=states,
                                 after=decode_cursor(cursor) if cursor else None,
                                 limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if more else None
    return ReportItemsPage(items=[item_out(r) for r in rows],
                           next_cursor=encode_cursor(last["registered_at"], last["id"])
                           if last else None)


def item_out(row: Mapping) -> ReportItemOut:
    return ReportItemOut(
        external_ref=row["external_ref"], tracking_number=row["tracking_number"],
        document_type=row["document_type"], state=row["state"],
        registered_at=row["registered_at"], handed_over_at=row["handed_over_at"],
        attempts=row["attempts"], last_failure_reason=row["last_failure_reason"],
        return_reason=row["return_reason"], branch=row["branch"], branch_name=row["branch_name"])


async def items_csv(pool: asyncpg.Pool, agency_id: int, period: model.Period, *,
                    states: list[str] | None) -> AsyncIterator[bytes]:
    """The period's items as CSV (UTF-8 with BOM) in chunks of about CSV_CHUNK bytes, read in
    one snapshot through a server-side cursor: memory stays flat however many there are."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow(model.CSV_COLUMNS)
    async with db.acquire(pool) as conn, conn.transaction(isolation="repeatable_read",
                                                          readonly=True):
        async for row in store.all_items(conn, agency_id, period.starts, period.ends,
                                         states=states):
            writer.writerow(model.csv_row(row))
            if buffer.tell() >= CSV_CHUNK:
                yield buffer.getvalue().encode()
                buffer.seek(0)
                buffer.truncate()
    yield buffer.getvalue().encode()
