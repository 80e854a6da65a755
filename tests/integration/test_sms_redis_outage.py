"""Redis stops while agencies hand documents over, then comes back: every SMS goes, once."""

import collections
from datetime import timedelta

import msgspec
import pytest
from arq import create_pool
from litestar.testing import AsyncTestClient
from redis.exceptions import RedisError

from delivery.outbox.relay import relay_once, requeue_stale
from delivery.platform.runtime import redis_settings
from delivery.web.app import create_app
from tests.fakes.twilio import FakeTwilio
from tests.helpers import auth, create_agency, document
from tests.integration.sms_support import drain, twilio_settings

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


async def _accept(client, key, refs):
    for n in refs:
        doc = document(f"OUT-{n}", phone=f"0770{n:07d}")
        response = await client.post("/v1/documents", json=doc, headers=auth(key))
        assert response.status_code == 201, response.text


async def _pending_sms(conn) -> int:
    return await conn.fetchval("SELECT count(*) FROM outbox WHERE channel = 'sms' AND "
                               "status = 'pending'")


async def test_messages_accepted_while_redis_is_down_are_each_sent_once(settings, conn, fake,
                                                                        own_redis):
    settings = twilio_settings(msgspec.structs.replace(settings, redis_url=own_redis.url), fake)
    key = await create_agency(conn, "MOI-OUTAGE")
    async with AsyncTestClient(app=create_app(settings)) as client:
        redis = await create_pool(redis_settings(own_redis.url))
        own_redis.stop()
        await _accept(client, key, range(1, 6))
        with pytest.raises((RedisError, OSError)):
            await relay_once(conn, redis)
        assert await _pending_sms(conn) == 5  # the failed hand-over rolled back: nothing lost
        own_redis.start()
        await drain(settings, conn)
        await redis.aclose()
    per_phone = collections.Counter(m.to for m in fake.messages)
    assert per_phone == {f"+964770{n:07d}": 1 for n in range(1, 6)}
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE status <> 'done'") == 0


async def test_jobs_lost_with_redis_are_handed_over_again_and_sent_once(settings, conn, fake,
                                                                        own_redis):
    settings = twilio_settings(msgspec.structs.replace(settings, redis_url=own_redis.url), fake)
    key = await create_agency(conn, "MOI-LOSS")
    async with AsyncTestClient(app=create_app(settings)) as client:
        await _accept(client, key, range(1, 4))
        redis = await create_pool(redis_settings(own_redis.url))
        assert await relay_once(conn, redis) == 6  # three SMS, three webhooks
        await redis.aclose()
        own_redis.stop()  # the queued jobs vanish with it
        own_redis.start()
        assert await requeue_stale(conn, older_than=timedelta(0)) == 6
        await drain(settings, conn)
        await drain(settings, conn)  # a second pass finds nothing more to send
    assert collections.Counter(m.to for m in fake.messages) == {
        f"+964770{n:07d}": 1 for n in range(1, 4)}
