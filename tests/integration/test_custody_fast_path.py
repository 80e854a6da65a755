"""Every item scan of a handheld's day takes the shortest way: one read, then one statement.

A day at the post, item by item: received and bagged in the sorting centre, confirmed on
arrival at the branch, handed to a courier, taken, delivered with a code or failed, returned
and accepted, shelved, collected with a code; and a recalled item signed for by its agency.
Each of those uploads must cost the handheld's round trips of a single scan, whatever action it
carries (a bag's own scans, which move every item inside, are the only other way).
"""

import asyncio
import secrets
from datetime import UTC, datetime

from delivery.custody import bagging, chain, fastscan, log, optimistic, scans
from delivery.custody.context import custody_context
from delivery.custody.model import Role
from delivery.custody.recall import cancel_by_agency
from delivery.custody.scans import Scan, SignedBy
from delivery.platform import db
from tests.custody_rows import _world
from tests.integration.test_custody_uploads import _item

SIGNED_BY = SignedBy(name="Zainab Kareem", id_last4="4321")


def _scan(tn: str, action: str, **extra) -> Scan:
    return Scan(scan_id=secrets.token_hex(8), code=tn, action=action, at=datetime.now(UTC),
                **extra)


async def _code_of(conn, tn: str, kind: str) -> str:
    """The one-time code the citizen's SMS carries (still in the outbox: nothing sends it)."""
    return await conn.fetchval(
        "SELECT o.payload->'values'->>'code' FROM outbox o JOIN items i ON i.id = o.item_id "
        "WHERE i.tracking_number = $1 AND o.topic = $2 ORDER BY o.id DESC LIMIT 1", tn, kind)


class _Day:
    """Runs each upload twice, on a warm-up item and on the measured one, and keeps what the
    measured upload sent to PostgreSQL."""

    def __init__(self, conn, settings, world) -> None:
        self.conn, self.ctx, self.world = conn, custody_context(settings), world
        self.sent: dict[str, list[str]] = {}
        self.results: dict[str, list] = {}

    async def upload(self, step: str, role: Role, warm: list[Scan], measured: list[Scan]) -> None:
        staff = self.world["users"][role]
        first = await scans.apply_scans(self.conn, self.ctx, staff, warm, now=datetime.now(UTC))
        assert {r.status for r in first} == {"applied"}, (step, first)
        sent: list[str] = []

        def note(record) -> None:
            sent.append(record.query)

        self.conn.add_query_logger(note)
        results = await scans.apply_scans(self.conn, self.ctx, staff, measured,
                                          now=datetime.now(UTC))
        await asyncio.sleep(0)  # query loggers are called soon after, not during
        self.conn.remove_query_logger(note)
        self.sent[step], self.results[step] = sent, results


async def test_every_item_scan_of_a_handhelds_day_is_one_read_and_one_write(settings, conn):
    world = await _world(conn)
    day = _Day(conn, settings, world)
    sorter, clerk = world["users"][Role.sorting_clerk], world["users"][Role.branch_clerk]
    warm = [await _item(conn, world) for _ in range(3)]
    measured = [await _item(conn, world) for _ in range(3)]

    def each(action: str, tns: list[str], **extra) -> list[Scan]:
        return [_scan(tn, action, **extra) for tn in tns]

    await day.upload("receive", Role.sorting_clerk, each("receive", warm), each("receive", measured))
    bags = []
    for _ in range(2):
        bags.append((await bagging.open_bag(conn, sorter, "HY-001", now=datetime.now(UTC))).bag_id)
    await day.upload("bag", Role.sorting_clerk, each("bag", warm[:2], bag=bags[0]),
                     each("bag", measured[:2], bag=bags[1]))
    await day.upload("unbag", Role.sorting_clerk, each("unbag", warm[1:2], bag=bags[0]),
                     each("unbag", measured[1:2], bag=bags[1]))
    await day.upload("bag again", Role.sorting_clerk, each("bag", warm[1:2], bag=bags[0]),
                     each("bag", measured[1:2], bag=bags[1]))
    for bag in bags:  # a bag's own scans: every item inside moves with it
        await scans.apply_scans(conn, day.ctx, sorter, [_scan(bag, "dispatch")],
                                now=datetime.now(UTC))
        await scans.apply_scans(conn, day.ctx, clerk, [_scan(bag, "arrive")],
                                now=datetime.now(UTC))
    await day.upload("arrive", Role.branch_clerk, each("arrive", warm[:2]),
                     each("arrive", measured[:2]))
    await day.upload("to_courier", Role.branch_clerk, each("to_courier", warm[:2],
                                                           courier="courier"),
                     each("to_courier", measured[:2], courier="courier"))
    await day.upload("take", Role.courier, each("take", warm[:2]), each("take", measured[:2]))

    async def deliver_and_fail(tns: list[str]) -> list[Scan]:
        code = await _code_of(conn, tns[0], "out_for_delivery")
        return [_scan(tns[0], "deliver", otp=code, id_last4="5678"),
                _scan(tns[1], "fail", reason="absent")]

    await day.upload("deliver, fail", Role.courier, await deliver_and_fail(warm),
                     await deliver_and_fail(measured))
    await day.upload("return", Role.courier, each("return", warm[1:2]),
                     each("return", measured[1:2]))
    await day.upload("accept", Role.branch_clerk, each("accept", warm[1:2]),
                     each("accept", measured[1:2]))
    await day.upload("shelve", Role.branch_clerk, each("shelve", warm[1:2]),
                     each("shelve", measured[1:2]))

    async def collect(tn: str) -> list[Scan]:
        code = await _code_of(conn, tn, "ready_for_pickup")
        return [_scan(tn, "collect", otp=code, id_last4="5678")]

    await day.upload("collect", Role.branch_clerk, await collect(warm[1]),
                     await collect(measured[1]))
    for tn in (warm[2], measured[2]):  # recalled in the sorting centre: signed for there
        await cancel_by_agency(conn, agency_id=world["agency"], tracking_number=tn)
    await day.upload("returned", Role.sorting_clerk,
                     each("returned", warm[2:], signed_by=SIGNED_BY),
                     each("returned", measured[2:], signed_by=SIGNED_BY))

    states = dict(await conn.fetch("SELECT tracking_number, state FROM items "
                                   "WHERE tracking_number = ANY($1::text[])", measured))
    assert states == {measured[0]: "delivered", measured[1]: "collected",
                      measured[2]: "returned_to_agency"}
    for step, results in day.results.items():
        assert {r.status for r in results} == {"applied"}, (step, results)
    assert {step: len(sent) for step, sent in day.sent.items()} == {
        step: 2 for step in day.sent}, day.sent
    assert chain.verify_chain(await log.load_chain(conn)) == []


async def test_a_bag_closed_after_the_read_fails_the_write_whole(settings, conn):
    world = await _world(conn)
    sorter = world["users"][Role.sorting_clerk]
    ctx = custody_context(settings)
    tn, inside = await _item(conn, world), await _item(conn, world)
    await scans.apply_scans(conn, ctx, sorter, [_scan(tn, "receive"), _scan(inside, "receive")],
                            now=datetime.now(UTC))
    bag = (await bagging.open_bag(conn, sorter, "HY-001", now=datetime.now(UTC))).bag_id
    await scans.apply_scans(conn, ctx, sorter, [_scan(inside, "bag", bag=bag)],
                            now=datetime.now(UTC))
    upload = [_scan(tn, "bag", bag=bag)]
    now = datetime.now(UTC)
    seen = await optimistic.read(conn, sorter, upload)
    plan = await fastscan.plan_batch(conn, ctx, sorter, upload, now=now, items=seen.items,
                                     loaded=seen.loaded)
    assert plan.verdicts[upload[0].scan_id].state == "received"
    other = await db.connect(settings.database_url)
    try:  # the bag is dispatched by another handheld before the write
        await scans.apply_scans(other, ctx, sorter, [_scan(bag, "dispatch")],
                                now=datetime.now(UTC))
    finally:
        await other.close()
    claims = [(upload[0], scans.ScanResult(scan_id=upload[0].scan_id, status="applied",
                                           state="received"))]
    assert not await optimistic.write(conn, sorter, plan, claims, device_at=now, now=now)
    assert await conn.fetchval("SELECT count(*) FROM bag_items WHERE bag_id = $1", bag) == 1
    again = await scans.apply_scans(conn, ctx, sorter, upload, now=datetime.now(UTC))
    assert (again[0].status, again[0].reason) == ("rejected", "bag_closed")
    assert chain.verify_chain(await log.load_chain(conn)) == []
