"""The SMS rate limit against the real Redis at REDIS_URL (keys under a unique test prefix)."""

import asyncio
import os
import time
import uuid

import pytest
from redis.asyncio import Redis

from notifications.ratelimit import SmsRateLimiter

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
async def prefix():
    prefix = f"test:sms-rate:{uuid.uuid4().hex}:"
    yield prefix
    redis = Redis.from_url(REDIS_URL)
    keys = [key async for key in redis.scan_iter(match=prefix + "*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


@pytest.fixture
async def clients():
    made = [Redis.from_url(REDIS_URL) for _ in range(2)]
    yield made
    for client in made:
        await client.aclose()


async def worker(limiter, sender, segments, deadline):
    """Sends as fast as the limiter allows until the deadline; returns segments sent."""
    sent = 0
    while (remaining := deadline - time.monotonic()) > 0:
        wait = await limiter.acquire(sender, segments)
        if wait == 0:
            sent += segments
        else:
            await asyncio.sleep(min(wait, remaining))
    return sent


@pytest.mark.parametrize("segments", [1, 2])
async def test_two_workers_sharing_a_sender_stay_within_rate_times_time_plus_burst(
    clients, prefix, segments
):
    rate, burst, duration = 20, 6, 2.0
    limiters = [
        SmsRateLimiter(client, segments_per_second=rate, burst=burst, key_prefix=prefix)
        for client in clients
    ]
    started = time.monotonic()
    deadline = started + duration
    shares = await asyncio.gather(*(worker(lim, "TASHEEL", segments, deadline) for lim in limiters))
    elapsed = time.monotonic() - started
    assert sum(shares) <= rate * elapsed + burst
    assert sum(shares) >= 0.8 * rate * duration  # the limit is not stricter than asked
    assert all(share > 0 for share in shares)


async def test_simultaneous_requests_get_exactly_the_burst(clients, prefix):
    limiter = SmsRateLimiter(clients[0], segments_per_second=1, burst=10, key_prefix=prefix)
    other = SmsRateLimiter(clients[1], segments_per_second=1, burst=10, key_prefix=prefix)
    waits = await asyncio.gather(
        *(lim.acquire("TASHEEL", 1) for _ in range(30) for lim in (limiter, other))
    )
    assert sum(1 for wait in waits if wait == 0) == 10


async def test_refused_request_reserves_nothing(clients, prefix):
    limiter = SmsRateLimiter(clients[0], segments_per_second=10, burst=2, key_prefix=prefix)
    assert await limiter.acquire("TASHEEL", 2) == 0
    waits = [await limiter.acquire("TASHEEL", 1) for _ in range(20)]
    assert all(0 < wait <= 0.1 for wait in waits)
    await asyncio.sleep(max(waits) + 0.005)
    assert await limiter.acquire("TASHEEL", 1) == 0


async def test_senders_have_separate_limits(clients, prefix):
    limiter = SmsRateLimiter(clients[0], segments_per_second=1, burst=1, key_prefix=prefix)
    assert await limiter.acquire("TASHEEL", 1) == 0
    assert await limiter.acquire("TASHEEL", 1) > 0
    assert await limiter.acquire("+9647701234567", 1) == 0


async def test_waiting_acquire_gives_up_past_its_limit(clients, prefix):
    limiter = SmsRateLimiter(clients[0], segments_per_second=2, burst=1, key_prefix=prefix)
    assert await limiter.acquire_waiting("TASHEEL", 1, max_wait_s=0)
    assert not await limiter.acquire_waiting("TASHEEL", 1, max_wait_s=0.1)
    assert await limiter.acquire_waiting("TASHEEL", 1, max_wait_s=1.0)


async def test_more_segments_than_the_burst_can_never_pass_and_are_refused(clients, prefix):
    limiter = SmsRateLimiter(clients[0], segments_per_second=1, burst=2, key_prefix=prefix)
    with pytest.raises(ValueError, match="burst"):
        await limiter.acquire("TASHEEL", 3)


async def test_many_requests_in_one_round_trip_pass_exactly_as_one_by_one(clients, prefix):
    together = SmsRateLimiter(clients[0], segments_per_second=1, burst=10, key_prefix=prefix)
    alone = SmsRateLimiter(clients[1], segments_per_second=1, burst=10,
                           key_prefix=prefix + "alone:")
    asked = [2, 1, 2, 2, 1, 2, 2, 1, 2]
    waits = await together.acquire_many("TASHEEL", asked)
    one_by_one = [await alone.acquire("TASHEEL", n) for n in asked]
    assert [w == 0 for w in waits] == [w == 0 for w in one_by_one]
    assert sum(n for n, w in zip(asked, waits, strict=True) if w == 0) <= 10
    assert all(0 < w <= 2 for w in waits if w)
    assert await together.acquire("TASHEEL", 1) > 0  # the passed ones were counted


async def test_a_refused_request_among_many_reserves_nothing(clients, prefix):
    limiter = SmsRateLimiter(clients[0], segments_per_second=10, burst=2, key_prefix=prefix)
    waits = await limiter.acquire_many("TASHEEL", [2, 1, 1, 1])
    assert waits[0] == 0 and all(0 < w <= 0.1 for w in waits[1:])
    await asyncio.sleep(max(waits) + 0.005)
    assert await limiter.acquire("TASHEEL", 1) == 0
