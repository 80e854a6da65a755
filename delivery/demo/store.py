"""What the demo reads back: values its citizens received by SMS, and the demo branch."""

from __future__ import annotations

import asyncpg

# A value of the newest SMS of one kind about an item, still in the outbox: the demo is made
# before any worker could send (and scrub) it.
SELECT_SMS_VALUE = """
SELECT o.payload->'values'->>$3 FROM outbox o JOIN items i ON i.id = o.item_id
WHERE i.tracking_number = $1 AND o.channel = 'sms' AND o.topic = $2
ORDER BY o.id DESC LIMIT 1
"""
SELECT_SITE = "SELECT id, code, name_en, lat, lon FROM sites WHERE code = $1"

# --- seeding -------------------------------------------------------------------------------------

ONE_SEEDER = "SELECT pg_advisory_xact_lock(7340021)"  # one seeder at a time, until it commits
IS_EMPTY = "SELECT NOT EXISTS (SELECT 1 FROM agencies) AND NOT EXISTS (SELECT 1 FROM sites)"


async def sms_value(conn: asyncpg.Connection, tracking_number: str, kind: str,
                    name: str) -> str:
    """What the citizen's SMS of this kind carries under `name` (a code, a tracking token)."""
    value = await conn.fetchval(SELECT_SMS_VALUE, tracking_number, kind, name)
    if value is None:
        raise LookupError(f"no {kind} SMS with a {name} for {tracking_number}")
    return value


async def site(conn: asyncpg.Connection, code: str) -> asyncpg.Record:
    """A site's id, code, English name and point."""
    return await conn.fetchrow(SELECT_SITE, code)


async def states(conn: asyncpg.Connection, tracking_numbers: list[str]) -> dict[str, str]:
    """The state of each item, by tracking number."""
    rows = await conn.fetch("SELECT tracking_number, state FROM items "
                            "WHERE tracking_number = ANY($1::text[])", tracking_numbers)
    return {r["tracking_number"]: r["state"] for r in rows}
