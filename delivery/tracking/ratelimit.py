"""Per-IP fixed-window counters in Redis for the citizen's page and forms."""

from __future__ import annotations

import time

from redis.asyncio import Redis

KEY_PREFIX = "tasheel:track-rate:"


async def hit(redis: Redis, scope: str, client: str, limit: tuple[int, int]) -> int:
    """Count one request; 0 if within the limit, else seconds until the window ends."""
    count_max, window_s = limit
    now = int(time.time())
    window = now // window_s
    key = f"{KEY_PREFIX}{scope}:{client}:{window}"
    async with redis.pipeline(transaction=False) as pipe:
        pipe.incr(key)
        pipe.expire(key, window_s + 1)
        count, _ = await pipe.execute()
    if count <= count_max:
        return 0
    return max(1, (window + 1) * window_s - now)
