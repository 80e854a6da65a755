"""The morning job plans working days only: no Friday, no Saturday, no national holiday (from
configuration or the `holidays` table), and no governorate's own holiday in that governorate."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from delivery.planning import tasks
from delivery.planning.model import BAGHDAD
from delivery.platform import db
from tests.integration.planning_support import BRANCH, add_courier, add_item, branch_point

PLAN_HOUR = 6


def next_weekday(weekday: int) -> dt.date:
    """The next date after today falling on `weekday` (Monday is 0)."""
    day = dt.datetime.now(BAGHDAD).date() + dt.timedelta(days=1)
    return day + dt.timedelta(days=(weekday - day.weekday()) % 7)


def at_plan_hour(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(PLAN_HOUR, 5), tzinfo=BAGHDAD).astimezone(dt.UTC)


async def other_branch(conn) -> tuple[str, str]:
    """A demo branch outside Baghdad: its code and governorate."""
    row = await conn.fetchrow("SELECT code, governorate FROM sites WHERE kind = 'branch' "
                              "AND governorate <> 'IQ-BG' ORDER BY code LIMIT 1")
    return row["code"], row["governorate"]


async def waiting_work(conn, branch: str, courier: str) -> None:
    """A courier of the branch and one item waiting for home delivery near it."""
    lat, lon = await branch_point(conn, branch)
    await add_courier(conn, courier, branch=branch)
    await add_item(conn, lat=lat + 0.01, lon=lon, branch=branch)


async def run_job(settings, day: dt.date) -> int:
    worker_settings = msgspec.structs.replace(settings, route_plan_hour=PLAN_HOUR,
                                              route_plan_seconds=0.2)
    pool = await db.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        return await tasks.plan_routes_job({"settings": worker_settings, "pool": pool},
                                           now=at_plan_hour(day))
    finally:
        await pool.close()


async def planned(conn) -> list[tuple[str, dt.date]]:
    rows = await conn.fetch("SELECT s.code, p.day FROM route_plans p JOIN sites s "
                            "ON s.id = p.branch_id ORDER BY s.code")
    return [(r["code"], r["day"]) for r in rows]


@pytest.mark.parametrize("weekday", [4, 5], ids=["friday", "saturday"])
async def test_the_morning_job_plans_nothing_at_the_weekend(conn, settings, demo_sites, weekday):
    await waiting_work(conn, BRANCH, "rider")
    weekend = next_weekday(weekday)

    assert await run_job(settings, weekend) == 0
    assert await planned(conn) == []

    sunday = weekend + dt.timedelta(days=(6 - weekend.weekday()) % 7)
    assert await run_job(settings, sunday) == 1
    assert await planned(conn) == [(BRANCH, sunday)]


async def test_a_national_holiday_from_configuration_is_skipped(conn, settings, demo_sites):
    await waiting_work(conn, BRANCH, "rider")
    tuesday = next_weekday(1)
    closed = msgspec.structs.replace(settings, holidays=(tuesday.isoformat(),))

    assert await run_job(closed, tuesday) == 0
    assert await planned(conn) == []


async def test_a_national_holiday_in_the_table_is_skipped_everywhere(conn, settings, demo_sites):
    other, _ = await other_branch(conn)
    await waiting_work(conn, BRANCH, "rider")
    await waiting_work(conn, other, "walker")
    wednesday = next_weekday(2)
    await conn.execute("INSERT INTO holidays (day, name) VALUES ($1, 'national day')", wednesday)

    assert await run_job(settings, wednesday) == 0
    assert await planned(conn) == []


async def test_a_governorates_holiday_skips_its_branches_and_plans_the_others(
        conn, settings, demo_sites):
    other, governorate = await other_branch(conn)
    await waiting_work(conn, BRANCH, "rider")
    await waiting_work(conn, other, "walker")
    thursday = next_weekday(3)
    await conn.execute("INSERT INTO holidays (day, governorate, name) VALUES ($1, $2, 'local')",
                       thursday, governorate)

    assert await run_job(settings, thursday) == 1
    assert await planned(conn) == [(BRANCH, thursday)]
