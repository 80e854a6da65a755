"""SQL of the console's routes pages; every statement takes the viewer's scope."""

from __future__ import annotations

import datetime as dt

import asyncpg

from delivery.console.scope import Scope, items_in_scope, sites_in_scope

SELECT_BRANCH = f"""
SELECT s.id, s.code, s.name_ar, s.name_en FROM sites s
WHERE s.code = $1 AND s.kind = 'branch' AND {sites_in_scope(2)}
"""
# The version in force of each planned day, newest day first.
SELECT_PLAN_DAYS = f"""
SELECT DISTINCT ON (p.day) p.day, p.version, p.created_at, p.items_routed, p.items_left_out,
    p.total_distance_m
FROM route_plans p JOIN sites s ON s.id = p.branch_id
WHERE s.id = $1 AND {sites_in_scope(2)}
ORDER BY p.day DESC, p.version DESC
LIMIT $5 OFFSET $6
"""
# What the day page shows of a stop's items: where, never who.
SELECT_STOP_WORDS = f"""
SELECT i.id, i.tracking_number, i.district, i.mahalla, i.zuqaq, i.house, i.address_text,
    i.landmark
FROM items i WHERE i.id = ANY($1::bigint[]) AND {items_in_scope(2)}
"""
SELECT_COURIERS = f"""
SELECT c.id, c.username, p.vehicle, p.capacity_items, p.shift_start, p.shift_end
FROM staff c JOIN sites s ON s.id = c.site_id
LEFT JOIN courier_profiles p ON p.staff_id = c.id
WHERE c.role = 'courier' AND c.active AND s.id = $1 AND {sites_in_scope(2)}
ORDER BY c.username
LIMIT $5 OFFSET $6
"""
SELECT_COMING_DAYS = f"""
SELECT d.staff_id, d.day, d.off, d.reason, d.shift_start, d.shift_end
FROM courier_days d JOIN staff c ON c.id = d.staff_id JOIN sites s ON s.id = c.site_id
WHERE c.id = ANY($1::bigint[]) AND d.day >= $2 AND {sites_in_scope(3)}
ORDER BY d.day, c.username
"""
SELECT_BRANCH_COURIER = f"""
SELECT c.id, c.username FROM staff c JOIN sites s ON s.id = c.site_id
WHERE c.username = $1 AND c.role = 'courier' AND c.active AND s.id = $2 AND {sites_in_scope(3)}
"""


async def get_branch(conn: asyncpg.Connection, scope: Scope, code: str) -> asyncpg.Record | None:
    """A branch in the viewer's scope, by code."""
    return await conn.fetchrow(SELECT_BRANCH, code, *scope.args())


async def plan_days(conn: asyncpg.Connection, scope: Scope, branch_id: int, *, limit: int,
                    offset: int) -> list[asyncpg.Record]:
    """The branch's planned days (version in force), newest day first."""
    return await conn.fetch(SELECT_PLAN_DAYS, branch_id, *scope.args(), limit, offset)


async def stop_words(conn: asyncpg.Connection, scope: Scope,
                     item_ids: list[int]) -> dict[int, asyncpg.Record]:
    """Tracking number and address words of each item in scope, by id."""
    rows = await conn.fetch(SELECT_STOP_WORDS, item_ids, *scope.args())
    return {r["id"]: r for r in rows}


async def couriers(conn: asyncpg.Connection, scope: Scope, branch_id: int, *, limit: int,
                   offset: int) -> list[asyncpg.Record]:
    """The branch's active couriers with their usual shift, by username."""
    return await conn.fetch(SELECT_COURIERS, branch_id, *scope.args(), limit, offset)


async def coming_days(conn: asyncpg.Connection, scope: Scope, courier_ids: list[int],
                      today: dt.date) -> list[asyncpg.Record]:
    """The couriers' days off and other hours from today on."""
    return await conn.fetch(SELECT_COMING_DAYS, courier_ids, today, *scope.args())


async def get_branch_courier(conn: asyncpg.Connection, scope: Scope, username: str,
                             branch_id: int) -> asyncpg.Record | None:
    """An active courier of this branch, or None (unknown, or of another branch)."""
    return await conn.fetchrow(SELECT_BRANCH_COURIER, username, branch_id, *scope.args())
