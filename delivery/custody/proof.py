"""One-time codes at the door and the counter: issue, check, lock, reissue; proof for the event.

The code and the ID digits are judged together, as one attempt: a wrong attempt is counted for
the item (five lock it) and for the member of staff (ten in a day, on any items, lock their
hand-overs), and the refusal never says which of the two was wrong.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from delivery import outbox
from delivery.custody import store
from delivery.custody.bags import looks_like_bag, normalize_code
from delivery.custody.context import CustodyContext
from delivery.custody.otp import (
    MAX_WRONG_ATTEMPTS,
    STAFF_MAX_WRONG_ATTEMPTS,
    STAFF_WRONG_WINDOW,
    OtpVerdict,
    check_otp,
    new_otp,
    otp_mac,
    verify_otp,
)
from delivery.custody.store import ScanItem
from delivery.intake.fingerprint import national_id_hash
from delivery.intake.masking import mask_name
from delivery.staff.auth import StaffUser

# Scans judged on a code (and ID digits): see `hold`.
PROOF_ACTIONS = frozenset({"deliver", "collect"})
HOLD_STAFF = "SELECT 1 FROM staff WHERE id = $1 FOR NO KEY UPDATE"
HOLD_ITEM = "SELECT 1 FROM items WHERE tracking_number = $1 FOR NO KEY UPDATE"
# Never past the limit, and only against the code the attempt was judged on.
COUNT_WRONG = """
UPDATE items SET otp_wrong = otp_wrong + 1, otp_locked = otp_wrong + 1 >= $3
WHERE id = $1 AND otp_generation = $2 AND NOT otp_locked AND otp_wrong < $3
RETURNING otp_wrong
"""
STAFF_LOCKED = "SELECT EXISTS (SELECT 1 FROM handover_locks WHERE staff_id = $1 AND unlocked_at " \
    "IS NULL)"
# The wrong attempt, and how many the member of staff made since $5 and since their last unlock.
STAFF_WRONG = """
WITH failure AS (
    INSERT INTO handover_failures (staff_id, item_id, device_id, at) VALUES ($1, $2, $3, $4)
)
SELECT count(*) + 1 FROM handover_failures
WHERE staff_id = $1 AND at > $5
  AND at > coalesce((SELECT max(unlocked_at) FROM handover_locks WHERE staff_id = $1),
                    '-infinity')
"""
LOCK_STAFF = """
INSERT INTO handover_locks (staff_id, locked_at, wrong_attempts) VALUES ($1, $2, $3)
ON CONFLICT (staff_id) WHERE unlocked_at IS NULL DO NOTHING RETURNING id
"""


class ScanRefused(Exception):
    """A scan the rules refuse; `effects` still run (and commit) after its changes are undone."""

    def __init__(self, message: str, *, code: str = "refused", effects: tuple = ()) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.effects = effects


async def issue_code(conn: asyncpg.Connection, ctx: CustodyContext, item: ScanItem, *,
                     kind: str, now: datetime, hold_days: int | None = None) -> None:
    """A fresh code for the item (the previous one dies) and the SMS that carries it."""
    code = new_otp()
    generation = item.otp_generation + 1
    mac = otp_mac(ctx.otp_key, item.tracking_number, code, generation)
    hold_until = now + timedelta(days=hold_days) if hold_days else None
    await conn.execute(store.NEW_OTP, item.id, mac, generation, hold_until)
    await outbox.add(conn, [outbox.citizen_sms(item_id=item.id, kind=kind, values={
        "code": code, "tracking_number": item.tracking_number, "branch": item.branch_code})],
        now=now)


async def hold(conn: asyncpg.Connection, staff: StaffUser, action: str, code: str) -> None:
    """Lock the member of staff and the item of a hand-over scan until the upload commits.

    Called before the scan's savepoint: a refused attempt's savepoint is undone (and with it any
    lock taken inside), and its count is written after that. Held from outside, the locks make
    every attempt on the item, and every attempt by the member of staff, wait until the one
    before is judged and counted.
    """
    tn = normalize_code(code)
    if action in PROOF_ACTIONS and not looks_like_bag(tn):
        await conn.execute(HOLD_STAFF, staff.id)
        await conn.execute(HOLD_ITEM, tn)


async def check_handover(conn: asyncpg.Connection, ctx: CustodyContext, staff: StaffUser,
                         item: ScanItem, *, otp: str | None, id_last4: str | None,
                         needs_id: bool, expected_last4: str | None, now: datetime) -> int:
    """The generation of the code the scan proved, with the ID digits when `needs_id`; or a
    refusal. A wrong code and wrong ID digits are one and the same wrong attempt."""
    if await conn.fetchval(STAFF_LOCKED, staff.id):
        raise ScanRefused(f"{staff.username} may not hand items over after too many wrong "
                          "codes or ID digits: a supervisor must unlock the account",
                          code="staff_locked")
    if item.otp_locked or item.otp_wrong >= MAX_WRONG_ATTEMPTS:
        raise ScanRefused(_locked(item), code="otp_locked")
    if not otp:
        raise ScanRefused("the citizen's one-time code is required", code="otp_required")
    if needs_id and not id_last4:
        raise ScanRefused("the last four digits of the ID card are required", code="id_required")
    code_ok = item.otp_mac is not None and verify_otp(
        ctx.otp_key, item.tracking_number, otp, item.otp_generation, item.otp_mac)
    id_ok = not needs_id or hmac.compare_digest((id_last4 or "").strip().encode(),
                                                (expected_last4 or "-").encode())
    verdict = check_otp(wrong_attempts=item.otp_wrong, locked=False, matched=code_ok and id_ok)
    if verdict.verdict is OtpVerdict.accept:
        return item.otp_generation
    wrong = "the code or the ID digits are wrong" if needs_id else "the code is wrong"
    refused = ScanRefused(_wrong(item, wrong, verdict.attempts_left),
                          code="otp_locked" if verdict.verdict is OtpVerdict.locked
                          else "otp_wrong")
    refused.effects = (_count_wrong(refused, staff, item, wrong, now),)
    raise refused


def _locked(item: ScanItem) -> str:
    return (f"{item.tracking_number} is locked after {MAX_WRONG_ATTEMPTS} wrong attempts: a "
            "supervisor must unlock it, which sends the citizen a new code")


def _wrong(item: ScanItem, wrong: str, left: int) -> str:
    if left <= 0:
        return f"{wrong}; {item.tracking_number} is now locked until a supervisor unlocks it"
    return f"{wrong}; {left} {'try' if left == 1 else 'tries'} left"


def _count_wrong(refused: ScanRefused, staff: StaffUser, item: ScanItem, wrong: str,
                 now: datetime):
    """Count the attempt once the scan's savepoint is undone; the refusal then tells what the
    count really is (an attempt that found the limit reached is not counted)."""
    async def count(conn: asyncpg.Connection) -> None:
        counted = await conn.fetchval(COUNT_WRONG, item.id, item.otp_generation,
                                      MAX_WRONG_ATTEMPTS)
        if counted is None:
            refused.message, refused.code = _locked(item), "otp_locked"
            return
        left = MAX_WRONG_ATTEMPTS - counted
        refused.message = _wrong(item, wrong, left)
        refused.code = "otp_wrong" if left > 0 else "otp_locked"
        await _count_for_staff(conn, staff, item, now)

    return count


async def _count_for_staff(conn: asyncpg.Connection, staff: StaffUser, item: ScanItem,
                           now: datetime) -> None:
    made = await conn.fetchval(STAFF_WRONG, staff.id, item.id, staff.device_id, now,
                               now - STAFF_WRONG_WINDOW)
    if made < STAFF_MAX_WRONG_ATTEMPTS:
        return
    if await conn.fetchval(LOCK_STAFF, staff.id, now, made) is not None:
        hours = int(STAFF_WRONG_WINDOW.total_seconds() // 3600)
        await store.add_alert(conn, kind="staff_locked", site_id=staff.site_id,
                              staff_id=staff.id, device_id=staff.device_id, now=now,
                              detail=f"{staff.username} made {made} wrong hand-over attempts "
                                     f"(codes or ID digits) within {hours} h: their "
                                     "hand-overs are stopped until a supervisor unlocks them")


def expected_id(ctx: CustodyContext, item: ScanItem,
                proxy: dict[str, Any] | None) -> tuple[bool, str | None]:
    """Whether the item's type needs ID digits, and whose: the proxy's when one collects."""
    doc_type = ctx.types.get(item.document_type)
    if doc_type is not None and not doc_type.needs_id_check:
        return False, None
    return True, proxy["id_last4"] if proxy is not None else item.national_id_last4


def proxy_record(ctx: CustodyContext, name: str, id_number: str) -> dict[str, Any]:
    """What is kept of a proxy: the name's initials, the last four digits and a keyed hash of
    the ID (the custody log outlives the purge of personal data)."""
    digits = "".join(id_number.split())
    return {"name": mask_name(name.strip()), "id_last4": digits[-4:],
            "id_hash": national_id_hash(ctx.id_key, digits).hex()}
