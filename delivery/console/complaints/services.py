"""The inspectors' queue: citizens' complaints and "asked for money" answers, with the staff who
handled each item. Reading one is logged; handling records who, when and what was done; an
inspector can reopen. The branch a report is about never sees it (`store.Viewer`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import asyncpg
import msgspec

from delivery.console.complaints import store
from delivery.console.complaints.store import Viewer
from delivery.custody.model import State as ItemState
from delivery.platform.errors import Conflict, FieldError, InvalidInput, NotFound

Outcome = Literal["investigated", "staff_warned", "referred", "unfounded"]
OUTCOMES: tuple[str, ...] = Outcome.__args__  # type: ignore[attr-defined]
Status = Literal["open", "handled", "all"]
_HANDLED = {"open": False, "handled": True, "all": None}
MAX_NOTE_CHARS = 2000


class StaffInvolvedOut(msgspec.Struct, frozen=True, kw_only=True):
    """A member of staff who handled the item, and what they did."""

    id: int
    username: str | None
    role: str
    actions: list[str]


class ComplaintOut(msgspec.Struct, frozen=True, kw_only=True):
    """A citizen's answer after hand-over, the staff involved, and whether it was handled."""

    id: int
    tracking_number: str
    document_type: str
    item_state: ItemState
    governorate: str
    branch: str | None
    asked_for_money: bool
    complaint: str
    staff: list[StaffInvolvedOut]
    created_at: datetime
    handled_by: str | None
    handled_at: datetime | None
    handled_note: str | None
    outcome: Outcome | None


class ActionOut(msgspec.Struct, frozen=True, kw_only=True):
    """One handling or reopening: who, when, what was done."""

    at: datetime
    action: Literal["handled", "reopened"]
    by: str
    outcome: Outcome | None
    note: str


class ReadOut(msgspec.Struct, frozen=True, kw_only=True):
    at: datetime
    by: str
    role: str


async def queue(conn: asyncpg.Connection, viewer: Viewer, *, status: Status, now: datetime,
                branch: str | None = None, page: int = 1,
                page_size: int = 50) -> tuple[list[ComplaintOut], bool]:
    """One page of the queue (and whether there is another); each report shown is a read."""
    rows = await store.list_reports(conn, viewer, branch=branch, handled=_HANDLED[status],
                                    limit=page_size + 1, offset=(page - 1) * page_size)
    shown = await _out(conn, rows[:page_size])
    await store.log_reads(conn, [c.id for c in shown], staff_id=viewer.staff_id, at=now)
    return shown, len(rows) > page_size


async def one(conn: asyncpg.Connection, viewer: Viewer, report_id: int, *,
              now: datetime) -> tuple[ComplaintOut, list[ActionOut], list[ReadOut]]:
    """One report with its history and latest reads (this one logged first)."""
    rows = await store.list_reports(conn, viewer, report_id=report_id, limit=1)
    if not rows:
        raise NotFound(f"no complaint {report_id}")
    await store.log_reads(conn, [report_id], staff_id=viewer.staff_id, at=now)
    history = [ActionOut(at=a["at"], action=a["action"], by=a["username"],
                         outcome=a["outcome"], note=a["note"])
               for a in await store.actions(conn, report_id)]
    reads = [ReadOut(at=r["at"], by=r["username"], role=r["role"])
             for r in await store.reads(conn, report_id)]
    return (await _out(conn, rows))[0], history, reads


async def handle(conn: asyncpg.Connection, viewer: Viewer, report_id: int, *, outcome: str,
                 note: str, now: datetime) -> None:
    """Mark a report handled, with what was done; a second time is a conflict."""
    _check(outcome, note)
    async with conn.transaction():
        await _hold(conn, viewer, report_id)
        if not await store.mark_handled(conn, report_id, staff_id=viewer.staff_id, at=now,
                                        outcome=outcome, note=note.strip()):
            raise Conflict(f"complaint {report_id} was already handled")


async def reopen(conn: asyncpg.Connection, viewer: Viewer, report_id: int, *, note: str,
                 now: datetime) -> None:
    """Open a handled report again, saying why."""
    _check("investigated", note)
    async with conn.transaction():
        await _hold(conn, viewer, report_id)
        if not await store.reopen(conn, report_id, staff_id=viewer.staff_id, at=now,
                                  note=note.strip()):
            raise Conflict(f"complaint {report_id} is open")


async def _hold(conn: asyncpg.Connection, viewer: Viewer, report_id: int) -> None:
    if not await store.hold_visible(conn, viewer, report_id):
        raise NotFound(f"no complaint {report_id}")


def _check(outcome: str, note: str) -> None:
    if outcome not in OUTCOMES:
        raise InvalidInput("unknown outcome", errors=[FieldError(
            field="/outcome", message=f"one of {', '.join(OUTCOMES)}")])
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput("the note is too long", errors=[FieldError(
            field="/note", message=f"at most {MAX_NOTE_CHARS} characters")])


async def _out(conn: asyncpg.Connection, rows: list[asyncpg.Record]) -> list[ComplaintOut]:
    ids = sorted({s["id"] for r in rows for s in r["staff"]})
    names = await store.staff_names(conn, ids) if ids else {}
    return [ComplaintOut(**{**dict(r), "staff": [
        StaffInvolvedOut(id=s["id"], username=names.get(s["id"]), role=s["role"],
                         actions=s["actions"]) for s in r["staff"]]}) for r in rows]
