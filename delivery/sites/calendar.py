"""Working days: when branches and couriers work (Sunday–Thursday, holidays skipped).

Holidays come from configuration (`TASHEEL_HOLIDAYS`, national) and from the `holidays` table
(national, or for one governorate).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import asyncpg

# Sunday–Thursday; Python counts Monday as 0.
WORKING_WEEKDAYS = frozenset({6, 0, 1, 2, 3})
MAX_LOOKAHEAD_DAYS = 60

SELECT_HOLIDAYS = """
SELECT day FROM holidays
WHERE day BETWEEN $1 AND $2 AND (governorate IS NULL OR governorate = $3)
"""


def is_working_day(day: date, holidays: Iterable[date]) -> bool:
    """Whether branches work on `day`."""
    return day.weekday() in WORKING_WEEKDAYS and day not in frozenset(holidays)


def working_days(after: date, holidays: Iterable[date], count: int) -> list[date]:
    """The next `count` working days after `after`."""
    closed = frozenset(holidays)
    days: list[date] = []
    day = after
    for _ in range(MAX_LOOKAHEAD_DAYS):
        day += timedelta(days=1)
        if is_working_day(day, closed):
            days.append(day)
            if len(days) == count:
                break
    return days


def parse_holidays(values: Iterable[str]) -> frozenset[date]:
    """ISO dates from configuration; ValueError names the first bad one."""
    try:
        return frozenset(date.fromisoformat(v) for v in values)
    except ValueError as exc:
        raise ValueError(f"TASHEEL_HOLIDAYS holds ISO dates (YYYY-MM-DD): {exc}") from None


async def stored_holidays(conn: asyncpg.Connection, first: date, last: date,
                          governorate: str | None) -> set[date]:
    """Stored holidays in a date range, national or for this governorate."""
    return {r["day"] for r in await conn.fetch(SELECT_HOLIDAYS, first, last, governorate)}
