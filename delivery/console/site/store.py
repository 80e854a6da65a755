"""SQL of the site view. Every query about items takes the scope's three values first
(`items_in_scope(1)`), so a supervisor reads nothing beyond their site."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import asyncpg
import msgspec

from delivery.console.scope import Scope, items_in_scope

SELECT_SITE = "SELECT id, code, kind, name_ar, name_en FROM sites WHERE code = $1"
SELECT_SITE_BY_ID = "SELECT id, code, kind, name_ar, name_en FROM sites WHERE id = $1"
COUNT_BY_STATE = f"""
SELECT i.state, count(*) FROM items i WHERE {items_in_scope(1)} GROUP BY i.state
"""
# $4 the state; $5, $6 the page (limit, offset). Oldest first: those most likely to need a look.
ITEMS_IN_STATE = f"""
SELECT i.tracking_number, i.state, i.updated_at AS since, i.document_type
FROM items i WHERE i.state = $4 AND {items_in_scope(1)}
ORDER BY i.updated_at, i.id LIMIT $5 OFFSET $6
"""
# $4 the states an item can rest in; $5..$7 per state, the times before which an item's last
# change puts it past its threshold, twice it, a week (`stuck.cutoffs`): counts per bucket.
STUCK_COUNTS = f"""
SELECT t.state,
    count(*) FILTER (WHERE i.updated_at >= t.double) AS over,
    count(*) FILTER (WHERE i.updated_at < t.double AND i.updated_at >= t.week) AS double,
    count(*) FILTER (WHERE i.updated_at < t.week) AS week
FROM items i
    JOIN unnest($4::text[], $5::timestamptz[], $6::timestamptz[], $7::timestamptz[])
        AS t (state, over, double, week) ON t.state = i.state
WHERE i.updated_at < t.over AND {items_in_scope(1)}
GROUP BY t.state
"""
# $4 the state, $5 the time before which its items are stuck; $6, $7 the page.
STUCK_ITEMS = f"""
SELECT i.tracking_number, i.state, i.updated_at AS since, i.document_type
FROM items i WHERE i.state = $4 AND i.updated_at < $5 AND {items_in_scope(1)}
ORDER BY i.updated_at, i.id LIMIT $6 OFFSET $7
"""
SELECT_ACKNOWLEDGEMENTS = """
SELECT a.kind, a.subject, a.since, s.username, a.acknowledged_at
FROM alert_acknowledgements a JOIN staff s ON s.id = a.staff_id
    JOIN unnest($1::text[], $2::text[], $3::timestamptz[]) AS k (kind, subject, since)
        ON (k.kind, k.subject, k.since) = (a.kind, a.subject, a.since)
"""
# The first acknowledgement of an occurrence stands: a second click changes nothing.
INSERT_ACKNOWLEDGEMENT = """
INSERT INTO alert_acknowledgements (kind, subject, since, staff_id, acknowledged_at)
VALUES ($1, $2, $3, $4, $5) ON CONFLICT (kind, subject, since) DO NOTHING
"""


class Site(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    code: str
    kind: str
    name_ar: str
    name_en: str

    @property
    def scope(self) -> Scope:
        """The items this site's supervisor oversees."""
        return Scope(site_id=self.id)


class ItemRow(msgspec.Struct, frozen=True, kw_only=True):
    """An item in a list: no citizen's data, only what the post knows of the document."""

    tracking_number: str
    state: str
    since: datetime
    document_type: str


async def site_by_code(conn: asyncpg.Connection, code: str) -> Site | None:
    row = await conn.fetchrow(SELECT_SITE, code)
    return None if row is None else Site(**dict(row))


async def site_by_id(conn: asyncpg.Connection, site_id: int) -> Site | None:
    row = await conn.fetchrow(SELECT_SITE_BY_ID, site_id)
    return None if row is None else Site(**dict(row))


async def count_by_state(conn: asyncpg.Connection, scope: Scope) -> list[tuple[str, int]]:
    return [(r["state"], r["count"]) for r in await conn.fetch(COUNT_BY_STATE, *scope.args())]


async def items_in_state(conn: asyncpg.Connection, scope: Scope, state: str, *, limit: int,
                         offset: int) -> list[ItemRow]:
    rows = await conn.fetch(ITEMS_IN_STATE, *scope.args(), state, limit, offset)
    return [ItemRow(**dict(r)) for r in rows]


async def stuck_counts(conn: asyncpg.Connection, scope: Scope, states: Sequence[str],
                       cutoffs: Sequence[tuple[datetime, datetime, datetime]],
                       ) -> list[tuple[str, int, int, int]]:
    over, double, week = (list(column) for column in zip(*cutoffs, strict=True))
    rows = await conn.fetch(STUCK_COUNTS, *scope.args(), list(states), over, double, week)
    return [(r["state"], r["over"], r["double"], r["week"]) for r in rows]


async def stuck_items(conn: asyncpg.Connection, scope: Scope, state: str, before: datetime, *,
                      limit: int, offset: int) -> list[ItemRow]:
    rows = await conn.fetch(STUCK_ITEMS, *scope.args(), state, before, limit, offset)
    return [ItemRow(**dict(r)) for r in rows]


async def acknowledgements(conn: asyncpg.Connection, keys: Sequence[tuple[str, str, datetime]],
                           ) -> list[asyncpg.Record]:
    kinds, subjects, since = ([k[i] for k in keys] for i in range(3))
    return await conn.fetch(SELECT_ACKNOWLEDGEMENTS, kinds, subjects, since)


async def acknowledge(conn: asyncpg.Connection, *, kind: str, subject: str, since: datetime,
                      staff_id: int, now: datetime) -> None:
    await conn.execute(INSERT_ACKNOWLEDGEMENT, kind, subject, since, staff_id, now)
