"""Days that went by: an item whose chosen delivery day passed without it is moved on.

The planner takes an item on its chosen day or, with no day chosen, on any day; an item whose
day passed would never be planned again. Each morning, before planning, such items get the
next working day of their governorate (today, when today is one) and their citizen is told,
with the link to choose another day. Safe on several workers: rows are claimed with
`FOR UPDATE SKIP LOCKED` and moved in the same transaction.
"""

from __future__ import annotations

import datetime as dt

import asyncpg

from delivery.custody.citizen_messages import MESSAGES
from delivery.custody.model import CHOICE_STATES
from delivery.outbox import rows as outbox
from delivery.sites import calendar

BATCH = 500
CLAIM_PASSED = """
SELECT id, governorate FROM items
WHERE delivery_day < $1 AND state = ANY($2::text[])
ORDER BY id LIMIT $3
FOR UPDATE SKIP LOCKED
"""
MOVE_ON = """
UPDATE items i SET delivery_day = v.day, updated_at = $3
FROM unnest($1::bigint[], $2::date[]) AS v(id, day) WHERE i.id = v.id
"""
EVENT = "day_passed"


async def carry_over(conn: asyncpg.Connection, *, today: dt.date, holidays: frozenset[dt.date],
                     now: dt.datetime) -> int:
    """Move every passed chosen day on; how many items were moved."""
    moved = 0
    days: dict[str, dt.date] = {}
    while True:
        async with conn.transaction():
            rows = await conn.fetch(CLAIM_PASSED, today, sorted(CHOICE_STATES), BATCH)
            for governorate in {r["governorate"] for r in rows} - days.keys():
                days[governorate] = await next_working_day(conn, governorate, today, holidays)
            new_days = [days[r["governorate"]] for r in rows]
            await conn.execute(MOVE_ON, [r["id"] for r in rows], new_days, now)
            await outbox.add(conn, [
                outbox.citizen_sms(item_id=r["id"], kind=m.kind, values={"day": day.isoformat()})
                for r, day in zip(rows, new_days, strict=True) for m in MESSAGES[EVENT]], now=now)
        moved += len(rows)
        if len(rows) < BATCH:
            return moved


async def next_working_day(conn: asyncpg.Connection, governorate: str, today: dt.date,
                           holidays: frozenset[dt.date]) -> dt.date:
    """Today if branches work today, else the next day they do, in the governorate."""
    closed = holidays | await calendar.stored_holidays(
        conn, today, today + dt.timedelta(days=calendar.MAX_LOOKAHEAD_DAYS), governorate)
    if calendar.is_working_day(today, closed):
        return today
    return calendar.working_days(today, closed, 1)[0]
