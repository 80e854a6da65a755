"""An upload of common scans is one read and one write; whatever another writer changes between
the two, the write leaves nothing behind and the upload is judged again under locks."""

import asyncio
import itertools
import secrets
from datetime import UTC, datetime

from delivery.custody import chain, fastscan, log, optimistic, scans
from delivery.custody.context import custody_context
from delivery.custody.model import Role
from delivery.custody.otp import otp_mac
from delivery.custody.scans import Scan, ScanResult
from delivery.platform import db
from tests.custody_rows import INSERT_ITEM, _world

_SERIAL = itertools.count(1)


async def _item(conn, world) -> str:
    tn = f"HU{next(_SERIAL):09d}IQ"
    item_id = await conn.fetchval(INSERT_ITEM, tn, world["agency"], f"R-{tn}", world["branch"],
                                  secrets.token_bytes(32))
    await log.append_first(conn, [log.Event(
        item_id=item_id, action="register", from_state=None, to_state="registered",
        event_code="registered", emsevt="EMA", actor_role="agency",
        server_at=datetime.now(UTC))])
    return tn


def _receive(tn: str, scan_id: str | None = None) -> Scan:
    return Scan(scan_id=scan_id or secrets.token_hex(8), code=tn, action="receive",
                at=datetime.now(UTC))


async def _judged(conn, settings, staff, upload: list[Scan]):
    """The upload read and judged, ready for `optimistic.write`."""
    now = datetime.now(UTC)
    seen = await optimistic.read(conn, staff, upload)
    plan = await fastscan.plan_batch(conn, custody_context(settings), staff, upload, now=now,
                                     items=seen.items)
    claims = [(s, ScanResult(scan_id=s.scan_id, status="applied", state="received"))
              for s in upload]
    return plan, claims, now


async def _written(conn, plan, claims, now, staff) -> bool:
    return await optimistic.write(conn, staff, plan, claims, device_at=now, now=now)


async def _traces(conn, scan_ids: list[str]) -> tuple:
    return (await conn.fetchval("SELECT count(*) FROM scans WHERE scan_id = ANY($1::text[])",
                                scan_ids),
            await conn.fetchval("SELECT count(*) FROM custody_events"),
            await conn.fetchval("SELECT count(*) FROM outbox"))


async def test_a_single_scan_is_one_read_and_one_write_without_begin_or_commit(settings, conn):
    world = await _world(conn)
    first, tn = await _item(conn, world), await _item(conn, world)
    sorter = world["users"][Role.sorting_clerk]
    # The first use of a statement on a connection also asks the server about its types.
    await scans.apply_scans(conn, custody_context(settings), sorter, [_receive(first)],
                            now=datetime.now(UTC))
    sent: list[str] = []
    conn.add_query_logger(lambda record: sent.append(record.query))
    results = await scans.apply_scans(conn, custody_context(settings), sorter, [_receive(tn)],
                                      now=datetime.now(UTC))
    await asyncio.sleep(0)  # query loggers are called soon after, not during
    assert (results[0].status, results[0].state) == ("applied", "received")
    assert len(sent) == 2, sent
    assert not any(q.strip().upper() in ("BEGIN;", "COMMIT;", "BEGIN", "COMMIT") for q in sent)
    assert chain.verify_chain(await log.load_chain(conn)) == []


async def test_an_item_moved_after_the_read_leaves_nothing_written(settings, conn):
    world = await _world(conn)
    sorter = world["users"][Role.sorting_clerk]
    tn, fine = await _item(conn, world), await _item(conn, world)
    upload = [_receive(tn), _receive(fine)]
    plan, claims, now = await _judged(conn, settings, sorter, upload)
    before = await _traces(conn, [s.scan_id for s in upload])
    other = await db.connect(settings.database_url)
    try:  # another handheld gets there first
        await scans.apply_scans(other, custody_context(settings), sorter, [_receive(tn)],
                                now=datetime.now(UTC))
    finally:
        await other.close()
    after_other = await _traces(conn, [s.scan_id for s in upload])
    assert not await _written(conn, plan, claims, now, sorter)
    assert await _traces(conn, [s.scan_id for s in upload]) == after_other
    assert after_other[0] == before[0] == 0
    results = await scans.apply_scans(conn, custody_context(settings), sorter, upload,
                                      now=datetime.now(UTC))
    assert [(r.status, r.reason) for r in results] == [("rejected", "already_done"),
                                                       ("applied", None)]
    assert chain.verify_chain(await log.load_chain(conn)) == []


async def test_an_event_appended_after_the_read_fails_the_write_whole(settings, conn):
    world = await _world(conn)
    sorter = world["users"][Role.sorting_clerk]
    tn = await _item(conn, world)
    upload = [_receive(tn)]
    plan, claims, now = await _judged(conn, settings, sorter, upload)
    item_id = await conn.fetchval("SELECT id FROM items WHERE tracking_number = $1", tn)
    # An event that moves neither the state nor a hand-over: only the chain tells.
    await log.append(conn, [log.Event(
        item_id=item_id, action="choose_pickup", from_state="registered", to_state="registered",
        event_code="pickup_chosen", emsevt=None, actor_role="citizen",
        server_at=datetime.now(UTC))])
    before = await _traces(conn, [upload[0].scan_id])
    assert not await _written(conn, plan, claims, now, sorter)
    assert await _traces(conn, [upload[0].scan_id]) == before
    assert await conn.fetchval("SELECT state FROM items WHERE id = $1", item_id) == "registered"
    assert chain.verify_chain(await log.load_chain(conn)) == []


async def test_a_scan_id_claimed_after_the_read_fails_the_write_and_is_then_a_duplicate(
        settings, conn):
    world = await _world(conn)
    sorter = world["users"][Role.sorting_clerk]
    tn, other_tn = await _item(conn, world), await _item(conn, world)
    upload = [_receive(tn, "same-scan")]
    plan, claims, now = await _judged(conn, settings, sorter, upload)
    await scans.apply_scans(conn, custody_context(settings), sorter,
                            [_receive(other_tn, "same-scan")], now=datetime.now(UTC))
    assert not await _written(conn, plan, claims, now, sorter)
    assert await conn.fetchval("SELECT state FROM items WHERE tracking_number = $1",
                               tn) == "registered"
    again = await scans.apply_scans(conn, custody_context(settings), sorter, upload,
                                    now=datetime.now(UTC))
    assert (again[0].status, again[0].state) == ("duplicate", "received")


async def test_an_account_deactivated_after_the_read_writes_nothing(settings, conn):
    world = await _world(conn)
    sorter = world["users"][Role.sorting_clerk]
    tn = await _item(conn, world)
    upload = [_receive(tn)]
    plan, claims, now = await _judged(conn, settings, sorter, upload)
    await conn.execute("UPDATE staff SET active = false WHERE id = $1", sorter.id)
    before = await _traces(conn, [upload[0].scan_id])
    assert not await _written(conn, plan, claims, now, sorter)
    assert await _traces(conn, [upload[0].scan_id]) == before
    assert await conn.fetchval("SELECT state FROM items WHERE tracking_number = $1",
                               tn) == "registered"


async def test_handhelds_scanning_one_item_at_once_one_wins_the_others_are_told(settings, conn):
    world = await _world(conn)
    sorter = world["users"][Role.sorting_clerk]
    tn = await _item(conn, world)
    handhelds = [await db.connect(settings.database_url) for _ in range(6)]
    try:
        results = await asyncio.gather(*(
            scans.apply_scans(c, custody_context(settings), sorter, [_receive(tn)],
                              now=datetime.now(UTC)) for c in handhelds))
    finally:
        for c in handhelds:
            await c.close()
    outcomes = sorted(r[0].status for r in results)
    assert outcomes == ["applied"] + ["rejected"] * 5
    assert all(r[0].error == "already in the sorting centre" or "another scan" in r[0].error
               for r in results if r[0].status == "rejected")
    receives = await conn.fetchval("SELECT count(*) FROM custody_events WHERE action = 'receive'")
    webhooks = await conn.fetchval("SELECT count(*) FROM outbox WHERE channel = 'webhook'")
    assert receives == webhooks == 1
    assert await conn.fetchval("SELECT count(*) FROM scans") == 6
    assert chain.verify_chain(await log.load_chain(conn)) == []


async def _out_with_code(conn, world, settings, code: str) -> str:
    """An item out for delivery with the world's courier, whose live code is `code`."""
    tn = await _item(conn, world)
    ctx = custody_context(settings)
    await conn.execute(
        "UPDATE items SET state = 'out_for_delivery', courier_id = $2, otp_mac = $3, "
        "otp_generation = 1 WHERE tracking_number = $1", tn,
        world["users"][Role.courier].id, otp_mac(ctx.otp_key, tn, code, 1))
    return tn


async def _statements(conn, settings, staff, upload: list[Scan]) -> tuple[list, list[str]]:
    sent: list[str] = []

    def note(record) -> None:
        sent.append(record.query)

    conn.add_query_logger(note)
    results = await scans.apply_scans(conn, custody_context(settings), staff, upload,
                                      now=datetime.now(UTC))
    await asyncio.sleep(0)  # query loggers are called soon after, not during
    conn.remove_query_logger(note)
    return results, sent


async def test_a_couriers_deliveries_with_codes_take_as_many_statements_for_two_as_for_six(
        settings, conn):
    world = await _world(conn)
    courier = world["users"][Role.courier]

    def deliveries(tns: list[str]) -> list[Scan]:
        return [Scan(scan_id=secrets.token_hex(8), code=tn, action="deliver", otp="123456",
                     id_last4="5678", at=datetime.now(UTC)) for tn in tns]

    warm = [await _out_with_code(conn, world, settings, "123456") for _ in range(2)]
    await scans.apply_scans(conn, custody_context(settings), courier, deliveries(warm),
                            now=datetime.now(UTC))
    few = [await _out_with_code(conn, world, settings, "123456") for _ in range(2)]
    many = [await _out_with_code(conn, world, settings, "123456") for _ in range(6)]
    few_results, few_sent = await _statements(conn, settings, courier, deliveries(few))
    many_results, many_sent = await _statements(conn, settings, courier, deliveries(many))
    assert {r.status for r in few_results + many_results} == {"applied"}
    assert len(many_sent) == len(few_sent), many_sent
    assert await conn.fetchval("SELECT count(*) FROM custody_events WHERE action = 'deliver'") \
        == 10
    assert chain.verify_chain(await log.load_chain(conn)) == []


async def test_a_wrong_code_in_a_set_based_upload_is_counted_once_and_the_rest_delivered(
        settings, conn):
    world = await _world(conn)
    courier = world["users"][Role.courier]
    right, wrong = (await _out_with_code(conn, world, settings, "123456"),
                    await _out_with_code(conn, world, settings, "123456"))
    upload = [Scan(scan_id=secrets.token_hex(8), code=tn, action="deliver", otp=otp,
                   id_last4="5678", at=datetime.now(UTC))
              for tn, otp in ((right, "123456"), (wrong, "654321"))]
    results = await scans.apply_scans(conn, custody_context(settings), courier, upload,
                                      now=datetime.now(UTC))
    assert [(r.status, r.reason) for r in results] == [("applied", None),
                                                       ("rejected", "otp_wrong")]
    assert results[1].error == "the code or the ID digits are wrong; 4 tries left"
    assert await conn.fetchval("SELECT otp_wrong FROM items WHERE tracking_number = $1",
                               wrong) == 1
    assert await conn.fetchval("SELECT count(*) FROM handover_failures") == 1
