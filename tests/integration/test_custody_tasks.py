"""The scheduler: hold expiry and used-up attempts, idempotent and safe on several workers."""

import asyncio
from datetime import UTC, datetime

import pytest

from delivery.custody import tasks
from delivery.custody.context import custody_context
from delivery.platform import db
from tests.custody_world import state_of, submit
from tests.helpers import create_agency

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
async def tns(client, conn):
    key = await create_agency(conn, "MOI-PASSPORTS")
    return [await submit(client, key, f"PP-{i}") for i in range(6)]


async def test_hold_expiry_run_twice_at_once_returns_each_item_once(settings, conn, tns):
    await conn.execute("UPDATE items SET state = 'ready_for_pickup', "
                       "hold_until = now() - interval '1 hour' WHERE tracking_number <> $1",
                       tns[0])
    await conn.execute("UPDATE items SET state = 'ready_for_pickup', "
                       "hold_until = now() + interval '1 day' WHERE tracking_number = $1", tns[0])
    ctx = custody_context(settings)
    first, second = await db.connect(settings.database_url), await db.connect(settings.database_url)
    try:
        moved = await asyncio.gather(tasks.expire_holds(first, ctx, now=datetime.now(UTC)),
                                     tasks.expire_holds(second, ctx, now=datetime.now(UTC)))
    finally:
        await first.close()
        await second.close()
    assert sum(moved) == 5
    counts = await conn.fetch("SELECT i.tracking_number, count(e.id) AS n FROM items i LEFT JOIN "
                              "custody_events e ON e.item_id = i.id AND e.action = 'expire_hold' "
                              "GROUP BY i.tracking_number")
    assert {r["tracking_number"]: r["n"] for r in counts} == {t: int(t != tns[0]) for t in tns}
    assert await state_of(conn, tns[0]) == "ready_for_pickup"
    assert await state_of(conn, tns[1]) == "returning"


async def test_expiry_job_again_finds_nothing_left(settings, conn, tns):
    await conn.execute("UPDATE items SET state = 'at_branch', hold_until = now() - interval '1 s'")
    pool = await db.create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        ctx = {"pool": pool, "settings": settings}
        assert await tasks.expire_holds_job(ctx) == len(tns)
        assert await tasks.expire_holds_job(ctx) == 0
    finally:
        await pool.close()


async def test_after_the_allowed_attempts_the_item_is_offered_for_pickup_with_a_code(
        settings, conn, tns):
    await conn.execute("UPDATE items SET state = 'at_branch', failed_attempts = 2 "
                       "WHERE tracking_number = $1", tns[0])
    await conn.execute("UPDATE items SET state = 'at_branch', failed_attempts = 1 "
                       "WHERE tracking_number = $1", tns[1])
    await conn.execute("UPDATE items SET state = 'at_branch', failed_attempts = 2, "
                       "handover_action = 'return' WHERE tracking_number = $1", tns[2])
    moved = await tasks.exhaust_attempts(conn, custody_context(settings), now=datetime.now(UTC))
    assert moved == 1
    assert [await state_of(conn, t) for t in tns[:3]] == [
        "ready_for_pickup", "at_branch", "at_branch"]
    sms = await conn.fetchval("SELECT payload FROM outbox o JOIN items i ON i.id = o.item_id "
                              "WHERE i.tracking_number = $1 AND topic = 'ready_for_pickup'", tns[0])
    assert len(sms["values"]["code"]) == 6
    assert await conn.fetchval("SELECT hold_until > now() FROM items WHERE tracking_number = $1",
                               tns[0])


def test_scheduler_jobs_are_registered_with_the_worker():
    from delivery import jobs

    names = {job.name for job in jobs.CRON_JOBS}
    assert {"cron:expire_holds_job", "cron:exhaust_attempts_job"} <= names
