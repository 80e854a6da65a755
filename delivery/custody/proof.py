"""One-time codes at the door and the counter: issue them, and count the wrong attempts.

The code and the ID digits are judged together, as one attempt (`judge`): a wrong attempt is
counted here for the item (five lock it) and for the member of staff (ten in a day, on any items,
lock their hand-overs), and the refusal never says which of the two was wrong.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import asyncpg
import msgspec

from delivery.custody import store
from delivery.custody.bags import looks_like_bag, normalize_code
from delivery.custody.context import CustodyContext
from delivery.custody.judge import Refused, WrongAttempt
from delivery.custody.judge import counted as judge_counted
from delivery.custody.otp import (
    MAX_WRONG_ATTEMPTS,
    STAFF_MAX_WRONG_ATTEMPTS,
    STAFF_WRONG_WINDOW,
    new_otp,
    otp_mac,
)
from delivery.custody.store import ScanItem
from delivery.outbox import rows as outbox
from delivery.staff.auth import StaffUser

# Scans judged on a code (and ID digits): see `hold`.
PROOF_ACTIONS = frozenset({"deliver", "collect"})


class FreshCode(msgspec.Struct, frozen=True, kw_only=True):
    """A new one-time code for an item, as stored (its MAC) and as sent (the SMS row)."""

    mac: bytes
    generation: int
    hold_until: datetime | None
    sms: outbox.OutboxRow


def fresh_code(ctx: CustodyContext, item: ScanItem, *, kind: str, now: datetime,
               hold_days: int | None = None) -> FreshCode:
    """A fresh code for the item (the previous generation dies) and the SMS that carries it."""
    code = new_otp()
    generation = item.otp_generation + 1
    return FreshCode(
        mac=otp_mac(ctx.otp_key, item.tracking_number, code, generation), generation=generation,
        hold_until=now + timedelta(days=hold_days) if hold_days else None,
        sms=outbox.citizen_sms(item_id=item.id, kind=kind, values={
            "code": code, "tracking_number": item.tracking_number}))


async def issue_code(conn: asyncpg.Connection, ctx: CustodyContext, item: ScanItem, *,
                     kind: str, now: datetime, hold_days: int | None = None) -> None:
    """Store a fresh code for the item and queue the SMS that carries it."""
    fresh = fresh_code(ctx, item, kind=kind, now=now, hold_days=hold_days)
    await conn.execute(store.NEW_OTP, item.id, fresh.mac, fresh.generation, fresh.hold_until)
    await outbox.add(conn, [fresh.sms], now=now)


async def hold(conn: asyncpg.Connection, staff: StaffUser, action: str, code: str) -> None:
    """Lock the member of staff and the item of a hand-over scan until the upload commits.

    Called before the scan's savepoint: a refused attempt's savepoint is undone (and with it any
    lock taken inside), and its count is written after that. Held from outside, the locks make
    every attempt on the item, and every attempt by the member of staff, wait until the one
    before is judged and counted.
    """
    tn = normalize_code(code)
    if action in PROOF_ACTIONS and not looks_like_bag(tn):
        await conn.execute(store.HOLD_STAFF, staff.id)
        await conn.execute(store.HOLD_ITEM, tn)


async def count_wrong(conn: asyncpg.Connection, staff: StaffUser, attempt: WrongAttempt, *,
                      now: datetime) -> Refused:
    """Count a wrong attempt (once the scan's savepoint is undone) against the item and the
    member of staff; the refusal as the count really is (an attempt that found the limit
    reached is not counted)."""
    counted = await conn.fetchval(store.COUNT_WRONG, attempt.item_id, attempt.generation,
                                  MAX_WRONG_ATTEMPTS)
    if counted is not None:
        await _count_for_staff(conn, staff, attempt.item_id, now)
    return judge_counted(attempt, counted)


async def _count_for_staff(conn: asyncpg.Connection, staff: StaffUser, item_id: int,
                           now: datetime) -> None:
    made = await conn.fetchval(store.STAFF_WRONG, staff.id, item_id, staff.device_id, now,
                               now - STAFF_WRONG_WINDOW)
    if made < STAFF_MAX_WRONG_ATTEMPTS:
        return
    if await conn.fetchval(store.LOCK_STAFF, staff.id, now, made) is not None:
        hours = int(STAFF_WRONG_WINDOW.total_seconds() // 3600)
        await store.add_alert(conn, kind="staff_locked", site_id=staff.site_id,
                              staff_id=staff.id, device_id=staff.device_id, now=now,
                              detail=f"{staff.username} made {made} wrong hand-over attempts "
                                     f"(codes or ID digits) within {hours} h: their "
                                     "hand-overs are stopped until a supervisor unlocks them")
