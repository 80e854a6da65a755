"""SQL of the inspectors' queue of citizens' reports: who may see which, handling and reopening,
and the log of every read."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.console.scope import TEST_AGENCIES
from delivery.staff.model import StaffAccount, StaffRole


class Viewer(msgspec.Struct, frozen=True, kw_only=True):
    """Whose eyes a report is for.

    Inspectors see their governorate's reports (a national inspector every report); an
    administrator sees every report except those about their own site. Nobody sees a report that
    names them among the staff who handled the item, nor one about their site.
    """

    staff_id: int
    everything: bool
    governorate: str | None
    own_site: int | None

    @classmethod
    def of(cls, staff: StaffAccount) -> Viewer:
        national = staff.role == StaffRole.admin or (
            staff.role == StaffRole.inspector and staff.governorate is None)
        return cls(staff_id=staff.id, everything=national,
                   governorate=None if national else staff.governorate, own_site=staff.site_id)

    def args(self) -> tuple[int, bool, str | None, int | None]:
        return self.staff_id, self.everything, self.governorate, self.own_site


# $1..$4: Viewer.args(). A report is about a site when the item's branch is that site or is fed
# by it, or when a member of its staff handled the item.
_VISIBLE = f"""
($2::boolean OR i.governorate = $3::text)
AND i.agency_id NOT IN ({TEST_AGENCIES})
AND NOT r.staff @> jsonb_build_array(jsonb_build_object('id', $1::bigint))
AND ($4::bigint IS NULL OR NOT (
    coalesce(b.id = $4 OR b.sorting_centre = $4, false)
    OR EXISTS (SELECT 1 FROM jsonb_array_elements(r.staff) e JOIN staff f
               ON f.id = (e ->> 'id')::bigint WHERE f.site_id = $4)))
"""
_FROM = """
FROM citizen_reports r
JOIN items i ON i.id = r.item_id
LEFT JOIN sites b ON b.id = r.branch_id
"""
LIST_REPORTS = f"""
SELECT r.id, i.tracking_number, i.document_type, i.state AS item_state, i.governorate,
    b.code AS branch, r.asked_for_money, r.complaint, r.staff, r.created_at, r.handled_at,
    r.handled_note, r.outcome, h.username AS handled_by
{_FROM}
LEFT JOIN staff h ON h.id = r.handled_by
WHERE {_VISIBLE}
  AND ($5::text IS NULL OR b.code = $5)
  AND ($6::boolean IS NULL OR (r.handled_at IS NOT NULL) = $6)
  AND ($7::bigint IS NULL OR r.id = $7)
ORDER BY (r.handled_at IS NULL) DESC, r.asked_for_money DESC, r.created_at DESC, r.id DESC
LIMIT $8 OFFSET $9
"""
COUNT_OPEN = f"""
SELECT count(*) FILTER (WHERE r.asked_for_money) AS money,
    count(*) FILTER (WHERE NOT r.asked_for_money) AS other
{_FROM}
WHERE r.handled_at IS NULL AND {_VISIBLE}
"""
VISIBLE_REPORT = f"SELECT r.id {_FROM} WHERE r.id = $5 AND {_VISIBLE} FOR UPDATE OF r"
MARK_HANDLED = """
UPDATE citizen_reports SET handled_by = $2, handled_at = $3, handled_note = $4, outcome = $5
WHERE id = $1 AND handled_at IS NULL
RETURNING id
"""
REOPEN = """
UPDATE citizen_reports SET handled_by = NULL, handled_at = NULL, handled_note = NULL,
    outcome = NULL
WHERE id = $1 AND handled_at IS NOT NULL
RETURNING id
"""
INSERT_ACTION = """
INSERT INTO complaint_actions (report_id, staff_id, at, action, outcome, note)
VALUES ($1, $2, $3, $4, $5, $6)
"""
ACTIONS = """
SELECT a.at, a.action, a.outcome, a.note, s.username
FROM complaint_actions a JOIN staff s ON s.id = a.staff_id
WHERE a.report_id = $1 ORDER BY a.at, a.id
"""
LOG_READS = """
INSERT INTO complaint_reads (report_id, staff_id, at) SELECT unnest($1::bigint[]), $2, $3
"""
READS = """
SELECT r.at, s.username, s.role FROM complaint_reads r JOIN staff s ON s.id = r.staff_id
WHERE r.report_id = $1 ORDER BY r.at DESC LIMIT $2
"""
STAFF_NAMES = "SELECT id, username FROM staff WHERE id = ANY($1::bigint[])"


async def list_reports(conn: asyncpg.Connection, viewer: Viewer, *, branch: str | None = None,
                       handled: bool | None = None, report_id: int | None = None,
                       limit: int = 50, offset: int = 0) -> list[asyncpg.Record]:
    """The reports this viewer may see: open first, money first, newest first."""
    return await conn.fetch(LIST_REPORTS, *viewer.args(), branch, handled, report_id, limit,
                            offset)


async def count_open(conn: asyncpg.Connection, viewer: Viewer) -> tuple[int, int]:
    """Open reports this viewer may see: (money answers, other complaints)."""
    row = await conn.fetchrow(COUNT_OPEN, *viewer.args())
    return row["money"], row["other"]


async def hold_visible(conn: asyncpg.Connection, viewer: Viewer, report_id: int) -> bool:
    """Lock the report for a change, if this viewer may see it."""
    return await conn.fetchval(VISIBLE_REPORT, *viewer.args(), report_id) is not None


async def mark_handled(conn: asyncpg.Connection, report_id: int, *, staff_id: int,
                       at: datetime, outcome: str, note: str) -> bool:
    """True if this call marked it; False if it was already handled."""
    done = await conn.fetchval(MARK_HANDLED, report_id, staff_id, at, note or None, outcome)
    if done is not None:
        await conn.execute(INSERT_ACTION, report_id, staff_id, at, "handled", outcome, note)
    return done is not None


async def reopen(conn: asyncpg.Connection, report_id: int, *, staff_id: int, at: datetime,
                 note: str) -> bool:
    """True if this call reopened it; False if it was open."""
    done = await conn.fetchval(REOPEN, report_id)
    if done is not None:
        await conn.execute(INSERT_ACTION, report_id, staff_id, at, "reopened", None, note)
    return done is not None


async def actions(conn: asyncpg.Connection, report_id: int) -> list[asyncpg.Record]:
    """Who handled or reopened the report, when, and what they did; oldest first."""
    return await conn.fetch(ACTIONS, report_id)


async def log_reads(conn: asyncpg.Connection, report_ids: list[int], *, staff_id: int,
                    at: datetime) -> None:
    """Keep that this member of staff read these reports now."""
    if report_ids:
        await conn.execute(LOG_READS, report_ids, staff_id, at)


async def reads(conn: asyncpg.Connection, report_id: int, limit: int = 20) -> list[asyncpg.Record]:
    """The latest reads of a report: when, by whom."""
    return await conn.fetch(READS, report_id, limit)


async def staff_names(conn: asyncpg.Connection, ids: list[int]) -> dict[int, str]:
    return {r["id"]: r["username"] for r in await conn.fetch(STAFF_NAMES, ids)}
