"""The rows behind the integrity signals, in the viewer's scope.

`SIGNAL_ROWS` is one row per (signal, item, member of staff, time); the figures count those rows
per branch or per member of staff, and a drill-down lists the same rows, so a figure and the
items behind it can never disagree. Parameters: $1/$2 the period (UTC, end excluded), $3 the
time before which a hand-over is overdue, $4 the time before which an untouched item is stuck,
$5 the non-final states, $6 the "far" distance in metres, $7..$9 the scope.
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.console.scope import Scope, items_in_scope, sites_in_scope
from delivery.custody.model import ACTIVE_STATES

# Great-circle distance in metres between the proof's point and the citizen's shared point.
_DISTANCE = """2 * 6371000 * asin(sqrt(
    power(sin(radians((e.payload->'proof'->'point'->>'lat')::float8 - i.lat) / 2), 2)
    + cos(radians(i.lat)) * cos(radians((e.payload->'proof'->'point'->>'lat')::float8))
    * power(sin(radians((e.payload->'proof'->'point'->>'lon')::float8 - i.lon) / 2), 2)))"""

SIGNAL_ROWS = f"""
WITH events AS (
    SELECT e.item_id, e.event_code, e.actor_id, e.server_at, e.payload
    FROM custody_events e
    WHERE e.server_at >= $1 AND e.server_at < $2
      AND e.event_code IN ('delivered', 'collected', 'delivery_failed')
), handed AS (
    SELECT * FROM events WHERE event_code IN ('delivered', 'collected')
), raw AS (
    SELECT 'delivered' AS signal, item_id, actor_id AS staff_id, server_at AS at FROM handed
    UNION ALL
    SELECT 'far', e.item_id, e.actor_id, e.server_at
    FROM handed e JOIN items i ON i.id = e.item_id
    WHERE i.lat IS NOT NULL AND i.lon IS NOT NULL
      AND jsonb_typeof(e.payload->'proof'->'point') = 'object' AND {_DISTANCE} > $6
    UNION ALL
    SELECT 'failed', item_id, actor_id, server_at FROM events WHERE event_code = 'delivery_failed'
    UNION ALL
    SELECT 'failed:' || coalesce(payload->>'reason', 'other'), item_id, actor_id, server_at
    FROM events WHERE event_code = 'delivery_failed'
    UNION ALL
    SELECT 'money_yes', r.item_id,
        (SELECT h.actor_id FROM custody_events h WHERE h.item_id = r.item_id
           AND h.event_code IN ('delivered', 'collected') ORDER BY h.seq DESC LIMIT 1),
        r.created_at
    FROM citizen_reports r WHERE r.asked_for_money AND r.created_at >= $1 AND r.created_at < $2
    UNION ALL
    SELECT 'wrong_code', f.item_id, f.staff_id, f.at
    FROM handover_failures f WHERE f.at >= $1 AND f.at < $2
    UNION ALL
    SELECT 'unconfirmed', i.id, i.courier_id, i.handover_since
    FROM items i WHERE i.handover_since < $3
    UNION ALL
    SELECT 'stuck', i.id, i.courier_id, i.updated_at
    FROM items i WHERE i.state = ANY($5::text[]) AND i.updated_at < $4
), rows AS (
    SELECT raw.signal, raw.at, i.id AS item_id, i.tracking_number,
        b.code AS branch, b.name_ar AS branch_ar, b.name_en AS branch_en,
        b.governorate AS branch_governorate,
        s.username AS staff, ss.governorate AS staff_governorate
    FROM raw JOIN items i ON i.id = raw.item_id
        LEFT JOIN sites b ON b.id = i.branch_id
        LEFT JOIN staff s ON s.id = raw.staff_id
        LEFT JOIN sites ss ON ss.id = s.site_id
    WHERE {items_in_scope(7)}
)
"""

BRANCH_FIGURES = SIGNAL_ROWS + """
SELECT branch AS key, branch_ar, branch_en, branch_governorate AS governorate, signal,
    count(*) AS n
FROM rows WHERE branch IS NOT NULL
GROUP BY branch, branch_ar, branch_en, branch_governorate, signal
"""
STAFF_FIGURES = SIGNAL_ROWS + """
SELECT staff AS key, staff_governorate AS governorate, signal, count(*) AS n
FROM rows WHERE staff IS NOT NULL
GROUP BY staff, staff_governorate, signal
"""
# $10 the signal, $11 a branch code or NULL, $12 a username or NULL, $13 limit, $14 offset.
SIGNAL_ITEMS = SIGNAL_ROWS + """
SELECT tracking_number, at, branch, staff FROM rows
WHERE signal = $10 AND ($11::text IS NULL OR branch = $11) AND ($12::text IS NULL OR staff = $12)
ORDER BY at DESC, item_id DESC LIMIT $13 OFFSET $14
"""

# Lockouts are of a member of staff: counted at their site, in scope through that site.
LOCKOUTS = f"""
SELECT s.username AS staff, b.code AS branch, b.name_ar AS branch_ar, b.name_en AS branch_en,
    b.governorate, count(*) AS n
FROM handover_locks l JOIN staff s ON s.id = l.staff_id JOIN sites b ON b.id = s.site_id
WHERE l.locked_at >= $1 AND l.locked_at < $2 AND {sites_in_scope(3, "b")}
GROUP BY s.username, b.code, b.name_ar, b.name_en, b.governorate
"""


class Window(msgspec.Struct, frozen=True, kw_only=True):
    """What the signal rows are computed over: the period, the overdue and stuck lines, the
    "far" distance and the viewer's scope."""

    start: datetime
    end: datetime
    overdue_before: datetime
    stuck_before: datetime
    far_metres: float
    scope: Scope

    def args(self) -> tuple:
        """$1..$9 of `SIGNAL_ROWS`."""
        return (self.start, self.end, self.overdue_before, self.stuck_before, _ACTIVE,
                self.far_metres, *self.scope.args())


_ACTIVE = sorted(ACTIVE_STATES)


async def branch_figures(conn: asyncpg.Connection, window: Window) -> list[asyncpg.Record]:
    """Counts per (branch, signal)."""
    return await conn.fetch(BRANCH_FIGURES, *window.args())


async def staff_figures(conn: asyncpg.Connection, window: Window) -> list[asyncpg.Record]:
    """Counts per (member of staff, signal)."""
    return await conn.fetch(STAFF_FIGURES, *window.args())


async def lockouts(conn: asyncpg.Connection, window: Window) -> list[asyncpg.Record]:
    """Hand-over lockouts in the period, per member of staff and their site."""
    return await conn.fetch(LOCKOUTS, window.start, window.end, *window.scope.args())


async def signal_items(conn: asyncpg.Connection, window: Window, *, signal: str,
                       branch: str | None, staff: str | None, limit: int,
                       offset: int) -> list[asyncpg.Record]:
    """The items behind one figure, newest first."""
    return await conn.fetch(SIGNAL_ITEMS, *window.args(), signal, branch, staff, limit, offset)
