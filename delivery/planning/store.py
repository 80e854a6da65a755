"""SQL for couriers' shifts and route plans, and the planned window an SMS may quote."""

from __future__ import annotations

import datetime as dt

import asyncpg
import msgspec

from delivery.planning.model import DayPlan, PlanItem, local_day, moment, window_text
from delivery.sites import district_book
from delivery.sites.districts import Gazetteer

DISTRICT = "district"  # an item placed at its district's (or mahalla's) point

# Both keys of the advisory lock taken while a branch's day is planned (namespace, branch+day).
PLAN_LOCK_NAMESPACE = 7340062

SELECT_BRANCH = """
SELECT id, code, kind, governorate, lat, lon, opening_hours FROM sites WHERE code = $1
"""
SELECT_BRANCH_AREA = "SELECT geometry FROM service_areas WHERE site_id = $1"
# At the branch for home delivery on this day (or any day), or already out with a courier.
SELECT_CANDIDATES = """
SELECT id, coalesce(citizen_phone, '') AS phone, lat, lon, delivery_window AS window,
    CASE WHEN state = 'out_for_delivery' THEN courier_id END AS courier_id,
    delivery_day IS NOT DISTINCT FROM $2 AS chosen_day,
    (SELECT count(DISTINCT p.day) FROM route_left_out l JOIN route_plans p ON p.id = l.plan_id
     WHERE l.item_id = items.id AND p.day < $2) AS waited_days,
    governorate, mahalla, district, address_text
FROM items
WHERE branch_id = $1 AND delivery_mode = 'home' AND (
    (state = 'at_branch' AND (delivery_day IS NULL OR delivery_day = $2))
    OR (state = 'out_for_delivery' AND courier_id IS NOT NULL AND $3))
ORDER BY id
"""
SELECT_BRANCHES_TO_PLAN = """
SELECT DISTINCT s.code, s.governorate FROM items i JOIN sites s ON s.id = i.branch_id
WHERE s.kind = 'branch' AND i.delivery_mode = 'home' AND i.state = 'at_branch'
    AND (i.delivery_day IS NULL OR i.delivery_day = $1)
ORDER BY s.code
"""
LOCK_PLAN = "SELECT pg_advisory_xact_lock($1, hashtext($2))"
SELECT_LATEST_PLAN = """
SELECT id, version, inputs_digest, created_at FROM route_plans
WHERE branch_id = $1 AND day = $2 ORDER BY version DESC LIMIT 1
"""
SELECT_PLAN_VERSION = """
SELECT p.id, p.version, p.day, p.trigger, p.travel_source, p.total_distance_m,
    p.total_duration_s, p.items_routed, p.items_left_out, p.created_at
FROM route_plans p WHERE p.branch_id = $1 AND p.day = $2 AND ($3::int IS NULL OR p.version = $3)
ORDER BY p.version DESC LIMIT 1
"""
INSERT_PLAN = """
INSERT INTO route_plans (branch_id, day, version, trigger, inputs_digest, travel_source,
    total_distance_m, total_duration_s, items_routed, items_left_out)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
RETURNING id, created_at
"""
INSERT_COURIER = """
INSERT INTO route_couriers (plan_id, courier_id, vehicle, capacity_items, shift_start, shift_end,
    distance_m, duration_s)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
"""
INSERT_STOP = """
INSERT INTO route_stops (plan_id, courier_id, seq, item_ids, lat, lon, window_start, window_end,
    service_s, arrival_at, departure_at, fixed, located_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
"""
INSERT_LEFT_OUT = "INSERT INTO route_left_out (plan_id, item_id, reason) VALUES ($1, $2, $3)"
INSERT_NOTICE = """
INSERT INTO route_notices (courier_id, plan_id, day, plan_version, detail, changed_at)
VALUES ($1, $2, $3, $4, $5, $6)
"""
SELECT_STOP_ITEMS = """
SELECT courier_id, item_ids FROM route_stops WHERE plan_id = $1 ORDER BY courier_id, seq
"""
SELECT_PLAN_COURIERS = """
SELECT c.courier_id, s.username, c.vehicle, c.capacity_items, c.shift_start, c.shift_end,
    c.distance_m, c.duration_s
FROM route_couriers c JOIN staff s ON s.id = c.courier_id
WHERE c.plan_id = $1 ORDER BY c.courier_id
"""
SELECT_STOPS = """
SELECT courier_id, seq, item_ids, lat, lon, window_start, window_end, service_s, arrival_at,
    departure_at, fixed, located_by
FROM route_stops WHERE plan_id = $1 AND ($2::bigint IS NULL OR courier_id = $2)
ORDER BY courier_id, seq
"""
SELECT_LEFT_OUT = """
SELECT l.item_id, i.tracking_number, l.reason, i.district, i.mahalla
FROM route_left_out l JOIN items i ON i.id = l.item_id
WHERE l.plan_id = $1 ORDER BY l.item_id
"""
# Items of a plan ($1) and the earlier planned days of their branch that left them out.
SELECT_WAITED = """
SELECT i.tracking_number, count(DISTINCT p.day) AS days
FROM items i
JOIN route_left_out l ON l.item_id = i.id
JOIN route_plans p ON p.id = l.plan_id AND p.day < $2
WHERE i.id IN (SELECT unnest(item_ids) FROM route_stops WHERE plan_id = $1
               UNION SELECT item_id FROM route_left_out WHERE plan_id = $1)
GROUP BY i.tracking_number HAVING count(DISTINCT p.day) > 1
ORDER BY days DESC, i.tracking_number
"""
SELECT_STOP_DETAILS = """
SELECT id, tracking_number, state, document_type, citizen_name, citizen_phone, district,
    address_text, landmark, mahalla, zuqaq, house, old_document_number IS NOT NULL AS old_document
FROM items WHERE id = ANY($1::bigint[])
"""
SELECT_NOTICES = """
SELECT plan_version, detail, changed_at FROM route_notices
WHERE courier_id = $1 AND day = $2 ORDER BY id DESC LIMIT 20
"""
# The newest plan of the item's branch for the day, and the item's stop in it if it has one.
# For each item ($1), its planned arrival on day $2 in the newest plan of its branch, if on it.
SELECT_PLANNED_ARRIVALS = """
SELECT i.id, r.arrival_at
FROM items i
CROSS JOIN LATERAL (SELECT p.id FROM route_plans p
                    WHERE p.branch_id = i.branch_id AND p.day = $2
                    ORDER BY p.version DESC LIMIT 1) AS latest
JOIN route_stops r ON r.plan_id = latest.id AND i.id = ANY(r.item_ids)
WHERE i.id = ANY($1::bigint[])
"""

# --- couriers' shifts ----------------------------------------------------------------------------

SELECT_COURIER = "SELECT id, username, role, site_id FROM staff WHERE username = $1"
UPSERT_PROFILE = """
INSERT INTO courier_profiles (staff_id, vehicle, capacity_items, shift_start, shift_end)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (staff_id) DO UPDATE SET vehicle = EXCLUDED.vehicle,
    capacity_items = EXCLUDED.capacity_items, shift_start = EXCLUDED.shift_start,
    shift_end = EXCLUDED.shift_end, updated_at = now()
"""
UPSERT_DAY = """
INSERT INTO courier_days (staff_id, day, off, reason, vehicle, capacity_items, shift_start,
    shift_end)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (staff_id, day) DO UPDATE SET off = EXCLUDED.off, reason = EXCLUDED.reason,
    vehicle = EXCLUDED.vehicle, capacity_items = EXCLUDED.capacity_items,
    shift_start = EXCLUDED.shift_start, shift_end = EXCLUDED.shift_end, updated_at = now()
"""
DELETE_DAY = "DELETE FROM courier_days WHERE staff_id = $1 AND day = $2"
# Active couriers of the branch, their profile and that day's exception, if any.
SELECT_SHIFTS = """
SELECT s.id, s.username, p.vehicle, p.capacity_items, p.shift_start, p.shift_end,
    coalesce(d.off, false) AS off, d.vehicle AS day_vehicle, d.capacity_items AS day_capacity,
    d.shift_start AS day_start, d.shift_end AS day_end
FROM staff s
LEFT JOIN courier_profiles p ON p.staff_id = s.id
LEFT JOIN courier_days d ON d.staff_id = s.id AND d.day = $2
WHERE s.role = 'courier' AND s.active AND s.site_id = $1
ORDER BY s.id
"""

# --- the morning plan ----------------------------------------------------------------------------

PLANNED_TODAY = "SELECT EXISTS (SELECT 1 FROM route_plans WHERE day = $1 AND trigger = 'cron')"


async def get_branch(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    """A site's id, kind, governorate, point and opening hours."""
    return await conn.fetchrow(SELECT_BRANCH, code)


async def branch_area_wkb(conn: asyncpg.Connection, site_id: int) -> bytes | None:
    """The branch's service area as WKB, if it has one."""
    return await conn.fetchval(SELECT_BRANCH_AREA, site_id)


async def lock_plan(conn: asyncpg.Connection, branch_id: int, day: dt.date) -> None:
    """Wait for, then hold until commit, the right to plan this branch's day (one planner)."""
    await conn.execute(LOCK_PLAN, PLAN_LOCK_NAMESPACE, f"{branch_id}:{day.isoformat()}")


async def candidates(conn: asyncpg.Connection, branch_id: int, day: dt.date, *,
                     with_carried: bool) -> list[PlanItem]:
    """Items the day's plan must consider; carried ones only when planning the current day."""
    rows = await conn.fetch(SELECT_CANDIDATES, branch_id, day, with_carried)
    unplaced = [r for r in rows if r["lat"] is None or r["lon"] is None]
    gazetteer = Gazetteer(await district_book.list_districts(conn)) if unplaced else None
    return [_plan_item(r, gazetteer) for r in rows]


def _plan_item(row: asyncpg.Record, gazetteer: Gazetteer | None) -> PlanItem:
    """The item at its own point; else, known only by words, at its mahalla's or district's."""
    item = PlanItem(item_id=row["id"], phone=row["phone"], lat=row["lat"], lon=row["lon"],
                    window=row["window"], courier_id=row["courier_id"],
                    waited_days=row["waited_days"], chosen_day=row["chosen_day"])
    if gazetteer is None or (row["lat"] is not None and row["lon"] is not None):
        return item
    place = gazetteer.match(row["governorate"], row["mahalla"], row["district"],
                            row["address_text"])
    if place is None:
        return item
    return msgspec.structs.replace(item, lat=place.lat, lon=place.lon, located_by=DISTRICT)


async def branches_to_plan(conn: asyncpg.Connection, day: dt.date) -> list[asyncpg.Record]:
    """Branches (code, governorate) with items waiting for home delivery on `day`."""
    return await conn.fetch(SELECT_BRANCHES_TO_PLAN, day)


async def latest_plan(conn: asyncpg.Connection, branch_id: int,
                      day: dt.date) -> asyncpg.Record | None:
    """The version in force: id, version, inputs_digest, created_at."""
    return await conn.fetchrow(SELECT_LATEST_PLAN, branch_id, day)


async def plan_version(conn: asyncpg.Connection, branch_id: int, day: dt.date,
                       version: int | None = None) -> asyncpg.Record | None:
    """One version's header (the newest when `version` is None)."""
    return await conn.fetchrow(SELECT_PLAN_VERSION, branch_id, day, version)


async def stop_items(conn: asyncpg.Connection, plan_id: int) -> dict[int, list[tuple[int, ...]]]:
    """Each courier's ordered stops as tuples of item ids."""
    routes: dict[int, list[tuple[int, ...]]] = {}
    for row in await conn.fetch(SELECT_STOP_ITEMS, plan_id):
        routes.setdefault(row["courier_id"], []).append(tuple(row["item_ids"]))
    return routes


async def insert_plan(conn: asyncpg.Connection, *, branch_id: int, day: dt.date, version: int,
                      trigger: str, digest: bytes, travel_source: str,
                      plan: DayPlan) -> asyncpg.Record:
    """Write a whole plan version; returns its id and creation time."""
    header = await conn.fetchrow(
        INSERT_PLAN, branch_id, day, version, trigger, digest, travel_source,
        sum(c.distance_m for c in plan.couriers), sum(c.duration_s for c in plan.couriers),
        plan.items_routed, len(plan.left_out))
    plan_id = header["id"]
    await conn.executemany(INSERT_COURIER, [
        (plan_id, c.shift.courier_id, c.shift.vehicle, c.shift.capacity_items,
         moment(day, c.shift.start_s), moment(day, c.shift.end_s), c.distance_m, c.duration_s)
        for c in plan.couriers])
    await conn.executemany(INSERT_STOP, [
        (plan_id, c.shift.courier_id, seq, [int(i) for i in p.stop.item_ids], p.stop.lat,
         p.stop.lon, moment(day, p.stop.window_start_s), moment(day, p.stop.window_end_s),
         p.stop.service_s, moment(day, p.visit.arrival_s), moment(day, p.visit.departure_s),
         p.fixed, plan.stop_located_by(p.stop))
        for c in plan.couriers for seq, p in enumerate(c.stops, start=1)])
    await conn.executemany(INSERT_LEFT_OUT, [
        (plan_id, item_id, reason) for item_id, reason in sorted(plan.left_out.items())])
    return header


async def insert_notices(conn: asyncpg.Connection, *, plan_id: int, day: dt.date, version: int,
                         couriers: list[int], detail: str, at: dt.datetime) -> None:
    """Tell each of `couriers` that their route changed in this version."""
    await conn.executemany(INSERT_NOTICE, [
        (courier_id, plan_id, day, version, detail, at) for courier_id in couriers])


async def plan_couriers(conn: asyncpg.Connection, plan_id: int) -> list[asyncpg.Record]:
    """The couriers of a version with their usernames, totals and shifts."""
    return await conn.fetch(SELECT_PLAN_COURIERS, plan_id)


async def plan_stops(conn: asyncpg.Connection, plan_id: int,
                     courier_id: int | None = None) -> list[asyncpg.Record]:
    """A version's stops in route order, for one courier or all."""
    return await conn.fetch(SELECT_STOPS, plan_id, courier_id)


async def left_out(conn: asyncpg.Connection, plan_id: int) -> list[asyncpg.Record]:
    """A version's left-out items with tracking numbers and reasons."""
    return await conn.fetch(SELECT_LEFT_OUT, plan_id)


async def waited(conn: asyncpg.Connection, plan_id: int, day: dt.date) -> list[asyncpg.Record]:
    """A plan's items that earlier plans left out on more than one day: tracking number, days."""
    return await conn.fetch(SELECT_WAITED, plan_id, day)


async def stop_details(conn: asyncpg.Connection, item_ids: list[int]) -> dict[int, asyncpg.Record]:
    """What a courier needs about the items at their stops, by item id (PII: mask before use)."""
    return {r["id"]: r for r in await conn.fetch(SELECT_STOP_DETAILS, item_ids)}


async def notices(conn: asyncpg.Connection, courier_id: int,
                  day: dt.date) -> list[asyncpg.Record]:
    """The newest route-change notices of a courier for a day."""
    return await conn.fetch(SELECT_NOTICES, courier_id, day)


async def planned_window(conn: asyncpg.Connection, item_id: int, *,
                         now: dt.datetime | None = None) -> str | None:
    """The hour window of the item's planned arrival today ('10:00-11:00', Asia/Baghdad), or
    None when today's plan in force has no stop for it."""
    return (await planned_windows(conn, [item_id], now=now)).get(item_id)


async def planned_windows(conn: asyncpg.Connection, item_ids: list[int], *,
                          now: dt.datetime | None = None) -> dict[int, str]:
    """`planned_window` of many items in one read: those on today's plan in force."""
    today = local_day(now or dt.datetime.now(dt.UTC))
    rows = await conn.fetch(SELECT_PLANNED_ARRIVALS, item_ids, today)
    return {r["id"]: window_text(r["arrival_at"]) for r in rows}
