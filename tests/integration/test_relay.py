"""The relay hands each ready outbox row to Redis once per turn, however many relays run."""

import asyncio

from arq import create_pool

from delivery.outbox.relay import relay_once
from delivery.platform.runtime import redis_settings
from tests.integration.sms_support import add_item, add_sms, phone


async def test_two_relays_at_once_enqueue_every_row_exactly_once(settings, conn):
    from delivery.platform import db

    ids_added = [await add_sms(conn, await add_item(conn, phone=phone(60 + n),
                                                    with_branch=False), "delivered")
                 for n in range(30)]
    redis = await create_pool(redis_settings(settings.redis_url))
    other = await db.connect(settings.database_url)
    try:
        counts = await asyncio.gather(relay_once(conn, redis), relay_once(other, redis))
        assert sum(counts) == 30
        queued = [job.args[0] for job in await redis.queued_jobs()]
        in_jobs = [outbox_id for ids in queued for outbox_id in ids]
        assert sorted(in_jobs) == sorted(ids_added)  # each row in one job, none twice
        assert len(queued) > 1  # a small backlog is still shared among workers
    finally:
        await other.close()
        await redis.aclose()


async def test_a_row_handed_over_again_becomes_a_new_job(settings, conn):
    outbox_id = await add_sms(conn, await add_item(conn, phone=phone(95)), "delivered")
    redis = await create_pool(redis_settings(settings.redis_url))
    try:
        assert await relay_once(conn, redis) == 1
        # A deferral puts the row back with its attempts unchanged: the job must still be new.
        await conn.execute("UPDATE outbox SET status = 'pending' WHERE id = $1", outbox_id)
        assert await relay_once(conn, redis) == 1
        assert sorted(k.decode() for k in await redis.zrange("arq:queue", 0, -1)) == [
            f"outbox:{outbox_id}:0", f"outbox:{outbox_id}:1"]
    finally:
        await redis.aclose()


async def test_a_replayed_hand_over_whose_old_job_holds_other_rows_leaves_no_row_behind(
        settings, conn):
    from delivery.outbox.relay import JOB

    ids = [await add_sms(conn, await add_item(conn, phone=phone(100 + n), with_branch=False),
                         "delivered") for n in range(8)]
    redis = await create_pool(redis_settings(settings.redis_url))
    try:
        # What a relay whose transaction rolled back can leave: a job by the same name, other rows.
        await redis.enqueue_job(JOB, ids[:1], _job_id=f"outbox:{ids[0]}:0")
        assert await relay_once(conn, redis) == 8
        queued = [job.args[0] for job in await redis.queued_jobs()]
        assert {outbox_id for job in queued for outbox_id in job} == set(ids)
    finally:
        await redis.aclose()
