"""The relay hands each ready outbox row to Redis once per turn, however many relays run."""

import asyncio

from arq import create_pool

from delivery.app import redis_settings
from delivery.relay import relay_once
from tests.integration.sms_support import add_item, add_sms, phone


async def test_two_relays_at_once_enqueue_every_row_exactly_once(settings, conn):
    from delivery import db

    for n in range(30):
        await add_sms(conn, await add_item(conn, phone=phone(60 + n), with_branch=False),
                      "delivered")
    redis = await create_pool(redis_settings(settings.redis_url))
    other = await db.connect(settings.database_url)
    try:
        counts = await asyncio.gather(relay_once(conn, redis), relay_once(other, redis))
        assert sum(counts) == 30
        assert await redis.zcard("arq:queue") == 30
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
