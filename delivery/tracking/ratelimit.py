"""Per-IP fixed-window counters in Redis for the citizen's page and forms.

While Redis is down the limits are not counted (they fail open): the page and its forms need
only PostgreSQL, a token is not guessable, and a citizen is not refused their own page because
a counter is away.
"""

from __future__ import annotations

import logging
import time

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

KEY_PREFIX = "tasheel:track-rate:"


async def hit(redis: Redis, scope: str, client: str, limit: tuple[int, int]) -> int:
    """Count one request; 0 if within the limit, else seconds until the window ends."""
    count_max, window_s = limit
    now = int(time.time())
    window = now // window_s
    key = f"{KEY_PREFIX}{scope}:{client}:{window}"
    try:
        async with redis.pipeline(transaction=False) as pipe:
            pipe.incr(key)
            pipe.expire(key, window_s + 1)
            count, _ = await pipe.execute()
    except (RedisError, OSError) as exc:
        log.warning("citizen page limit not counted (Redis away): %s", type(exc).__name__)
        return 0
    if count <= count_max:
        return 0
    return max(1, (window + 1) * window_s - now)
