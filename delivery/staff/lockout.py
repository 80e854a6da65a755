"""Login limits an attacker cannot turn against a member of staff, counted in Redis.

Only failures count, and a success clears its own (username, address) pair:
- per (username, address): a few guesses, then that address waits for that username;
- per address, across usernames: a generous cap that stops one machine spraying passwords;
- per username, across addresses: a high cap against a botnet, which never stops an address
  the account has logged in from successfully (so the real user still gets in).

While Redis is away the counters cannot be read, and sign-in answers 503 (it fails closed):
without them nothing would slow a password guesser down.
"""

from __future__ import annotations

from redis.asyncio import Redis

from delivery.platform.errors import RateLimited

PAIR_FAILURES = 5
ADDRESS_FAILURES = 30
USERNAME_FAILURES = 50
WINDOW_S = 900
KNOWN_ADDRESS_S = 30 * 24 * 3600  # how long a successful login vouches for its address
PREFIX = "tasheel:login:"


def _keys(username: str, address: str) -> tuple[str, str, str]:
    return (f"{PREFIX}pair:{username}:{address}", f"{PREFIX}addr:{address}",
            f"{PREFIX}user:{username}")


def _known(username: str, address: str) -> str:
    return f"{PREFIX}known:{username}:{address}"


async def refuse_if_limited(redis: Redis, username: str, address: str) -> None:
    """Raise RateLimited (with the seconds to wait) when any limit of this attempt is spent."""
    pair, addr, user = _keys(username, address)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.get(pair).get(addr).get(user).exists(_known(username, address))
        pair_n, addr_n, user_n, known = await pipe.execute()
    limits = [(pair, pair_n, PAIR_FAILURES), (addr, addr_n, ADDRESS_FAILURES)]
    if not known:
        limits.append((user, user_n, USERNAME_FAILURES))
    for key, count, limit in limits:
        if int(count or 0) >= limit:
            raise RateLimited("too many failed logins; try again later",
                              retry_after=max(int(await redis.ttl(key)), 1))


async def count_failure(redis: Redis, username: str, address: str) -> None:
    """One more failure for the pair, the address and the username."""
    async with redis.pipeline(transaction=True) as pipe:
        for key in _keys(username, address):
            # SET NX then INCR: the window starts at the first failure (as EXPIRE NX would,
            # which the embedded Redis 6.2 lacks).
            pipe.set(key, 0, ex=WINDOW_S, nx=True).incr(key)
        await pipe.execute()


async def count_success(redis: Redis, username: str, address: str) -> None:
    """Clear the pair's failures and vouch for the address against the username's cap."""
    pair, _, _ = _keys(username, address)
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(pair).set(_known(username, address), 1, ex=KNOWN_ADDRESS_S)
        await pipe.execute()
