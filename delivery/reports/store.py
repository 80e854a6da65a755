"""SQL for agencies' reports: each item of the period with what its custody log says of it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import asyncpg

from delivery.reports.model import WITHIN_DAYS

# What an item's custody log says of its outcome is kept in `item_outcomes` as its events are
# written (migration 0033): the delivery or collection, the attempts at the door and their
# failure reasons, what last sent it back, whether its attempts were all used up, and what became
# of the old document it replaced at its hand-over (migration 0034).
# An item with none of these events yet has no row there.
#
# Why an item on its way back (or back) was sent back: the return reason the custody event
# that did it recorded (`model.ReturnReason`; the event's code for an event older than return
# reasons), or `unreachable` for an older event whose hold expired after the attempts at the
# door were used up (such events now say `unreachable` or `address_not_found` themselves).
_RETURN_REASON = """
CASE WHEN i.state IN ('returning', 'returned_to_agency') THEN
    CASE WHEN o.sent_back_by = 'hold_expired' AND o.attempts_exhausted
         THEN 'unreachable' ELSE o.sent_back_by END
END AS return_reason
"""
# Each of the agency's items registered in [$2, $3) with its outcome: the items come out in the
# order of `items_agency_registered`, so a page is quick and a cursor streams them.
_FACTS = f"""
SELECT i.id, i.external_ref, i.tracking_number, i.document_type, i.state, s.code AS branch,
       s.name_ar AS branch_name, i.created_at AS registered_at, o.handed_over_at,
       coalesce(o.attempts, 0) AS attempts, o.failure_reasons[cardinality(o.failure_reasons)]
       AS last_failure_reason, {_RETURN_REASON}
FROM items i
LEFT JOIN sites s ON s.id = i.branch_id
LEFT JOIN item_outcomes o ON o.item_id = i.id
WHERE i.agency_id = $1 AND i.created_at >= $2 AND i.created_at < $3
"""
# The same for every item of the period at once, for the summary.
_ALL_FACTS = f"""
SELECT i.document_type, i.state, i.governorate, s.code AS branch, i.created_at AS registered_at,
       o.handed_over_at, o.failure_reasons, o.old_document, {_RETURN_REASON}
FROM items i
LEFT JOIN sites s ON s.id = i.branch_id
LEFT JOIN item_outcomes o ON o.item_id = i.id
WHERE i.agency_id = $1 AND i.created_at >= $2 AND i.created_at < $3
"""
# $4 the grouping (`model.GroupBy`, or NULL for one group), $5 the days of "within N days".
# One row per count: (kind, key, name, n); the hand-over times as kind `handover` with the
# median and 90th percentile in hours. Hours are float8 (`date_part`): `extract` gives numeric,
# several times slower to compare and sort over a year of hand-overs. The "within N days"
# counts come out of the same pass as the percentiles, one FILTER per entry of $5.
_WITHIN = ", ".join(f"count(*) FILTER (WHERE hours <= 24 * ($5::int[])[{n}])"
                    for n in range(1, len(WITHIN_DAYS) + 1))
SUMMARY = f"""
WITH facts AS MATERIALIZED (
    SELECT f.state, f.failure_reasons, f.return_reason, f.handed_over_at, f.registered_at,
           f.old_document,
           CASE $4::text
               WHEN 'document_type' THEN f.document_type
               WHEN 'governorate' THEN f.governorate
               WHEN 'branch' THEN f.branch
               WHEN 'day' THEN ((f.registered_at AT TIME ZONE 'Asia/Baghdad')::date)::text
           END AS key
    FROM ({_ALL_FACTS}) f
), handover AS (
    SELECT key, count(*) AS n, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS median,
           percentile_cont(0.9) WITHIN GROUP (ORDER BY hours) AS p90, ARRAY[{_WITHIN}] AS within
    FROM (SELECT key, date_part('epoch', handed_over_at - registered_at) / 3600 AS hours
          FROM facts WHERE handed_over_at IS NOT NULL) handed
    GROUP BY key
)
SELECT 'state' AS kind, key, state AS name, count(*) AS n,
       NULL::float8 AS median_hours, NULL::float8 AS p90_hours
FROM facts GROUP BY key, state
UNION ALL
SELECT 'failure', key, reason, count(*), NULL, NULL
FROM facts, unnest(failure_reasons) AS reason
WHERE cardinality(failure_reasons) > 0  -- most items never failed: skip their empty unnest
GROUP BY key, reason
UNION ALL
SELECT 'return', key, return_reason, count(*), NULL, NULL
FROM facts WHERE return_reason IS NOT NULL GROUP BY key, return_reason
UNION ALL
SELECT 'old_document', key, old_document, count(*), NULL, NULL
FROM facts WHERE old_document IS NOT NULL GROUP BY key, old_document
UNION ALL
SELECT 'within', key, days::text, within_n, NULL, NULL
FROM handover, unnest($5::int[], within) AS w (days, within_n)
UNION ALL
SELECT 'handover', key, NULL, n, median, p90 FROM handover
"""
# A report reads a year in one statement: compiling it (JIT) costs more than it saves, and the
# hash of a year's outcomes should not spill to disk.
REPORT_SETTINGS = "SET LOCAL jit = off; SET LOCAL work_mem = '64MB'"
# $4 the states (NULL: all), $5/$6 after which (created_at, id) to start (NULL: the first),
# $7 how many.
ITEMS_PAGE = f"""{_FACTS}
  AND ($4::text[] IS NULL OR i.state = ANY ($4))
  AND ($5::timestamptz IS NULL OR (i.created_at, i.id) > ($5, $6))
ORDER BY i.created_at, i.id
LIMIT $7
"""
# $4 the states (NULL: all).
ITEMS_ALL = f"""{_FACTS}
  AND ($4::text[] IS NULL OR i.state = ANY ($4))
ORDER BY i.created_at, i.id
"""
CURSOR_PREFETCH = 2000


async def summary_rows(conn: asyncpg.Connection, agency_id: int, starts: datetime,
                       ends: datetime, *, group_by: str | None) -> list[asyncpg.Record]:
    async with conn.transaction(readonly=True):
        await conn.execute(REPORT_SETTINGS)
        return await conn.fetch(SUMMARY, agency_id, starts, ends, group_by, list(WITHIN_DAYS))


async def item_page(conn: asyncpg.Connection, agency_id: int, starts: datetime, ends: datetime,
                    *, states: list[str] | None, after: tuple[datetime, int] | None,
                    limit: int) -> list[asyncpg.Record]:
    at, item_id = after or (None, None)
    return await conn.fetch(ITEMS_PAGE, agency_id, starts, ends, states, at, item_id, limit)


async def all_items(conn: asyncpg.Connection, agency_id: int, starts: datetime, ends: datetime,
                    *, states: list[str] | None) -> AsyncIterator[asyncpg.Record]:
    """Every item of the period, read through a server-side cursor (the caller holds the
    transaction), so a year of them never sits in memory."""
    async for row in conn.cursor(ITEMS_ALL, agency_id, starts, ends, states,
                                 prefetch=CURSOR_PREFETCH):
        yield row
