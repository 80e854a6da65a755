"""One-time codes at the door and the counter: issue, check, lock, reissue; proof for the event."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg

from delivery import outbox
from delivery.custody import store
from delivery.custody.context import CustodyContext
from delivery.custody.otp import (
    MAX_WRONG_ATTEMPTS,
    OtpVerdict,
    check_otp,
    new_otp,
    otp_mac,
    verify_otp,
)
from delivery.custody.store import ScanItem
from delivery.intake.fingerprint import national_id_hash


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


def check_code(ctx: CustodyContext, item: ScanItem, otp: str | None) -> int:
    """The generation of the code the scan proved, or a refusal (wrong codes are counted)."""
    if item.otp_locked or item.otp_wrong >= MAX_WRONG_ATTEMPTS:
        raise ScanRefused(f"{item.tracking_number} is locked after {MAX_WRONG_ATTEMPTS} wrong "
                          "codes: a supervisor must issue a new code", code="otp_locked")
    if not otp:
        raise ScanRefused("the citizen's one-time code is required", code="otp_required")
    matched = item.otp_mac is not None and verify_otp(
        ctx.otp_key, item.tracking_number, otp, item.otp_generation, item.otp_mac)
    verdict = check_otp(wrong_attempts=item.otp_wrong, locked=False, matched=matched)
    if verdict.verdict is OtpVerdict.accept:
        return item.otp_generation
    count = _count_wrong(item.id, item.otp_generation)
    if verdict.verdict is OtpVerdict.locked:
        raise ScanRefused(f"wrong code; {item.tracking_number} is now locked until a supervisor "
                          "issues a new code", code="otp_locked", effects=(count,))
    raise ScanRefused(f"wrong code: {verdict.attempts_left} attempts left", code="otp_wrong",
                      effects=(count,))


def _count_wrong(item_id: int, generation: int):
    async def count(conn: asyncpg.Connection) -> None:
        await conn.execute(store.WRONG_OTP, item_id, generation, MAX_WRONG_ATTEMPTS)

    return count


def check_id(expected_last4: str | None, given: str | None) -> None:
    """The last four digits read from the ID card shown must be the expected ones."""
    if not given:
        raise ScanRefused("the last four digits of the ID card are required", code="id_required")
    if expected_last4 is None or given.strip() != expected_last4:
        raise ScanRefused("the ID card shown does not match (last four digits)",
                          code="id_mismatch")


def proxy_record(ctx: CustodyContext, name: str, id_number: str) -> dict[str, Any]:
    """What is kept of a proxy: the name, the last four digits and a keyed hash of the ID."""
    digits = "".join(id_number.split())
    return {"name": name.strip(), "id_last4": digits[-4:],
            "id_hash": national_id_hash(ctx.id_key, digits).hex()}
