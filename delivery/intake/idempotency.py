"""`Idempotency-Key` on submissions, single or batch: the same key and body replay the first
answer."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

import asyncpg
import msgspec
from litestar import Response

from delivery.intake import store
from delivery.platform.errors import InvalidInput

# A replayed answer says so. `Idempotent-Replayed` is the name the first integrators were given;
# it is still sent beside the documented one.
REPLAYED = {"Idempotency-Replayed": "true", "Idempotent-Replayed": "true"}
# What a batch's body is hashed under, so a key first used for one route never replays the
# other's answer (a single submission's hash is the body's alone, as it always was).
BATCH = b"batch\0"


async def replay_or_run(conn: asyncpg.Connection, agency_id: int, key: str, body: bytes,
                        run: Callable[[], Awaitable[tuple[int, msgspec.Struct]]], *,
                        scope: bytes = b"") -> Response:
    """Replay a stored answer for this key, or run and store a successful one.

    Requests with the same key wait for each other (a transaction-scoped advisory lock), so two
    racing retries get one answer between them. Failures are not stored: fixing the body and
    retrying with the same key is allowed, as with Stripe.
    """
    request_hash = hashlib.sha256(scope + body).digest()
    async with conn.transaction():
        await conn.execute(store.LOCK_KEY, key, agency_id)
        stored = await conn.fetchrow(store.SELECT_KEY, agency_id, key)
        if stored is not None:
            if stored["request_hash"] != request_hash:
                raise InvalidInput(
                    "this Idempotency-Key was used with a different request body",
                    idempotency_key=key)
            return Response(stored["response"], status_code=stored["status_code"],
                            media_type="application/json",
                            headers=REPLAYED)
        status, result = await run()
        encoded = msgspec.json.encode(result)
        await conn.execute(store.INSERT_KEY, agency_id, key, request_hash, status, encoded)
    return Response(encoded, status_code=status, media_type="application/json")
