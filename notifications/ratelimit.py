"""Per-sender SMS throughput, in segments per second, shared by every worker through Redis.

A GCRA (generic cell rate algorithm) in one Lua script: Redis runs it atomically with its own
clock, so concurrent workers on any machine can neither overshoot the rate nor lose capacity.
A refused request reserves nothing: the caller defers the job and asks again later.
Many requests can be asked in one round trip (`acquire_many`): Redis decides them in order,
exactly as if they had arrived one after another at the same instant.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Sequence

from redis.asyncio import Redis

# KEYS[1]: the sender's key. ARGV: emission interval per segment (µs), burst tolerance (µs), then
# the segments of each request in turn. Stores the theoretical arrival time (TAT) in µs; returns,
# per request, µs to wait (0 if allowed and counted).
_GCRA = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local allowed_any = false
local waits = {}
for i = 3, #ARGV do
  local new_tat = tat + tonumber(ARGV[i]) * interval
  local allowed_at = new_tat - tolerance
  if allowed_at > now then
    waits[#waits + 1] = math.max(1, math.ceil(allowed_at - now))
  else
    tat = new_tat
    allowed_any = true
    waits[#waits + 1] = 0
  end
end
if allowed_any then
  local ttl_ms = math.ceil((tat - now) / 1000) + 1000
  redis.call('SET', KEYS[1], string.format('%.0f', tat), 'PX', ttl_ms)
end
return waits
"""

DEFAULT_KEY_PREFIX = "tasheel:sms-rate:"


class SmsRateLimiter:
    """At most `segments_per_second` on average, and `burst` segments at once, per sender."""

    def __init__(
        self,
        redis: Redis,
        *,
        segments_per_second: float,
        burst: int,
        key_prefix: str = DEFAULT_KEY_PREFIX,
    ) -> None:
        if segments_per_second <= 0 or burst < 1:
            raise ValueError("segments_per_second must be positive and burst at least 1")
        self._interval_us = max(1, round(1_000_000 / segments_per_second))
        self._burst = burst
        self._key_prefix = key_prefix
        self._script = redis.register_script(_GCRA)

    def check(self, segments: int) -> None:
        """Refuse a request that could never pass (more segments than the burst)."""
        if not 1 <= segments <= self._burst:
            raise ValueError(f"segments must be between 1 and the burst ({self._burst})")

    async def acquire(self, sender: str, segments: int) -> float:
        """0 when the segments may be sent now (and are counted), else seconds to wait first."""
        return (await self.acquire_many(sender, [segments]))[0]

    async def acquire_many(self, sender: str, segments: Sequence[int]) -> list[float]:
        """`acquire` for each request in turn, in one round trip: seconds to wait for each."""
        for count in segments:
            self.check(count)
        waits_us = await self._script(
            keys=[self._key_prefix + sender],
            args=[self._interval_us, self._interval_us * self._burst, *segments],
        )
        return [int(wait) / 1_000_000 for wait in waits_us]

    async def acquire_waiting(self, sender: str, segments: int, *, max_wait_s: float) -> bool:
        """Wait as needed for the segments; False if that would take longer than max_wait_s."""
        return await wait_for_capacity(lambda: self.acquire(sender, segments),
                                       max_wait_s=max_wait_s)


async def wait_for_capacity(acquire: Callable[[], Awaitable[float]], *,
                            max_wait_s: float) -> bool:
    """Ask `acquire` until it allows (True), waiting as told; False past max_wait_s."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_wait_s
    while (wait := await acquire()) > 0:
        if loop.time() + wait > deadline:
            return False
        await asyncio.sleep(math.nextafter(wait, math.inf))
    return True
