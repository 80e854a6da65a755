"""An upload of item scans in two round trips: a read without locks, then one statement.

`read` fetches what the rules need: the account, the handheld's last time, the scan ids seen
before, the items with the heads of their custody chains, and what the scans need besides
(`fastscan.Needs`: the couriers and bags named, the items' bags, where returning items are,
whether the member of staff is locked out of hand-overs). The scans are judged in memory
(`fastscan.plan_batch`); `write` then claims the scan ids with their results, moves the items
(each only if its state, hand-over and chain are still the ones read, and a code proved still
the live one), appends the chained events, outbox rows, bag memberships and alerts and notes the
handheld's time, all in one statement: one transaction, with no BEGIN or COMMIT round trip,
holding its row locks only while it runs.

The statement ends by checking that it claimed every scan id, moved every item, and that every
bag it put items in is still open (locked until it commits, so a dispatch waits for them). If
not (another upload got there first, the account was just deactivated, an event was appended
to a chain since the read, the bag was dispatched), the whole statement fails and leaves nothing
behind: `write` says so, and the caller takes its transactional path, which reads everything
again under locks. Whatever else the read saw (the item's bags and place, a courier) changes
only with an event on the item's chain, which the statement checks. A staff lockout that
commits after the read does not stop it: the upload is then ordered before the lockout, and it
has no wrong attempt in it (one makes the whole upload take the transactional path).
"""

from __future__ import annotations

from datetime import datetime

import asyncpg
import msgspec

from delivery.custody import fastscan, store
from delivery.custody.bags import normalize_code
from delivery.custody.judge import Scan, ScanResult
from delivery.custody.store import ScanItem
from delivery.platform import db
from delivery.staff.auth import StaffUser

# What may fail the statement because of a writer in between: it then wrote nothing.
STALE = (asyncpg.exceptions.TransactionRollbackError, asyncpg.UniqueViolationError)


class _Claim(msgspec.Struct, frozen=True, kw_only=True):
    """A scan and its result, as CLAIM_WITH_RESULTS reads them."""

    scan_id: str
    code: str
    action: str
    at: datetime
    status: str
    state: str | None
    error: str | None
    clock_flags: list[str]


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """What an upload's rules need, as one read saw it."""

    active: bool
    token_gen: int | None  # the account's, to refuse a token issued before a change
    last_device_at: datetime | None
    earlier: dict[str, str | None]  # scan ids seen before, with the state each one gave
    items: dict[str, ScanItem]  # by tracking number
    loaded: fastscan.Loaded  # what the scans need besides their items


async def read(conn: asyncpg.Connection, staff: StaffUser, scans: list[Scan]) -> Snapshot:
    """One read, without locks, of everything the upload's rules need."""
    needs = fastscan.Needs.of(scans)
    if needs:
        row = await conn.fetchrow(store.READ_UPLOAD_WITH_EXTRAS, *_upload_args(staff, scans),
                                  *needs.args(staff))
    elif len(scans) == 1:  # a handheld's scan sent as it happens: worth a statement of its own
        row = await conn.fetchrow(store.READ_ONE_SCAN, staff.id, staff.device_id,
                                  scans[0].scan_id, normalize_code(scans[0].code))
    else:
        row = await conn.fetchrow(store.READ_UPLOAD, *_upload_args(staff, scans))
    return Snapshot(active=bool(row["active"]), token_gen=row["token_gen"],
                    last_device_at=row["last_device_at"],
                    earlier=dict(row["earlier"]), items=store.scan_items_of(row["items"]),
                    loaded=needs.loaded(row) if needs else fastscan.Loaded())


def _upload_args(staff: StaffUser, scans: list[Scan]) -> list:
    return [staff.id, staff.device_id, [s.scan_id for s in scans],
            list({normalize_code(s.code) for s in scans})]


async def write(conn: asyncpg.Connection, staff: StaffUser, plan: fastscan.Plan,
                claims: list[tuple[Scan, ScanResult]], *, device_at: datetime,
                now: datetime) -> bool:
    """Write the judged upload in one statement; False when something changed since the read
    (nothing was written then)."""
    statement = db.Composed()
    statement.with_("claimed", store.CLAIM_WITH_RESULTS, staff.device_id, staff.id, now,
                    _claims_of(claims))
    statement.clauses(store.NOTE_DEVICE, staff.device_id, staff.id, device_at, now)
    checks, expected = ["(SELECT count(*) FROM claimed) = $1"], [len(claims)]
    if plan.read:
        events = fastscan.chained(staff, plan, now=now)
        statement.with_("moved", store.MOVE_ITEMS, fastscan.moves_of(plan, events), now)
        pending = fastscan.pending_of(plan, events, now=now)
        pending.add_to(statement)
        checks.append("(SELECT count(*) FROM moved) = $2")
        expected.append(len(plan.read))
        if pending.into_bags is not None:
            bags = sorted(set(pending.into_bags[0]))
            statement.with_("still_open", store.STILL_OPEN_BAGS, bags)
            checks.append("(SELECT count(*) FROM still_open) = $3")
            expected.append(len(bags))
    sql = statement.statement(f"SELECT expect_unchanged({' AND '.join(checks)}, "
                              "'a scan, an item or a bag of this upload')", *expected)
    try:
        await conn.execute(sql, *statement.args)
    except STALE:
        return False
    return True


def _claims_of(claims: list[tuple[Scan, ScanResult]]) -> list[_Claim]:
    return [_Claim(scan_id=s.scan_id, code=s.code, action=s.action, at=s.at, status=r.status,
                   state=r.state, error=r.error, clock_flags=r.clock_flags)
            for s, r in claims]
