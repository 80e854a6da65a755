"""SQL for the supervisors' queue of citizens' reports."""

from __future__ import annotations

from datetime import datetime

import asyncpg

LIST_REPORTS = """
SELECT r.id, i.tracking_number, i.document_type, i.state AS item_state, s.code AS branch,
    r.asked_for_money, r.complaint, r.staff, r.created_at, r.handled_at, r.handled_note,
    h.username AS handled_by
FROM citizen_reports r
JOIN items i ON i.id = r.item_id
LEFT JOIN sites s ON s.id = r.branch_id
LEFT JOIN staff h ON h.id = r.handled_by
WHERE ($1::text IS NULL OR s.code = $1)
  AND ($2::boolean IS NULL OR (r.handled_at IS NOT NULL) = $2)
  AND ($3::bigint IS NULL OR r.id = $3)
ORDER BY r.asked_for_money DESC, r.created_at DESC, r.id DESC
LIMIT $4
"""
MARK_HANDLED = """
UPDATE citizen_reports SET handled_by = $2, handled_at = $3, handled_note = $4
WHERE id = $1 AND handled_at IS NULL
RETURNING id
"""
REPORT_EXISTS = "SELECT EXISTS (SELECT 1 FROM citizen_reports WHERE id = $1)"
STAFF_NAMES = "SELECT id, username FROM staff WHERE id = ANY($1::bigint[])"


async def list_reports(conn: asyncpg.Connection, *, branch: str | None, handled: bool | None,
                       report_id: int | None = None, limit: int = 200) -> list[asyncpg.Record]:
    """Reports, money first then newest, optionally one branch's, open or handled."""
    return await conn.fetch(LIST_REPORTS, branch, handled, report_id, limit)


async def mark_handled(conn: asyncpg.Connection, report_id: int, *, staff_id: int,
                       at: datetime, note: str | None) -> bool:
    """True if this call marked it; False if it was already handled (or does not exist)."""
    return await conn.fetchval(MARK_HANDLED, report_id, staff_id, at, note) is not None


async def report_exists(conn: asyncpg.Connection, report_id: int) -> bool:
    return await conn.fetchval(REPORT_EXISTS, report_id)


async def staff_names(conn: asyncpg.Connection, ids: list[int]) -> dict[int, str]:
    return {r["id"]: r["username"] for r in await conn.fetch(STAFF_NAMES, ids)}
