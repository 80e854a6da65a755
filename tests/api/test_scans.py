"""Handheld scans through POST /v1/scans: the whole journey, refusals a clerk reads, idempotency."""

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.custody_world import (
    applied,
    build_world,
    last4,
    last_code,
    open_bag,
    out_for_delivery,
    scan,
    scan_body,
    state_of,
    submit,
    to_branch,
    upload,
)
from tests.helpers import staff_token

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


async def test_home_delivery_from_registration_to_delivered_with_code_and_id(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    assert await state_of(conn, tn) == "out_for_delivery"
    result = await applied(world.client, world.courier, tn, "deliver",
                           otp=await last_code(conn, tn), id_last4=await last4(conn, tn),
                           location={"lat": 33.31, "lon": 44.36})
    assert result["state"] == "delivered"
    event = await conn.fetchrow("SELECT payload, device_id, emsevt FROM custody_events e JOIN items"
                                " i ON i.id = e.item_id WHERE i.tracking_number = $1 ORDER BY seq"
                                " DESC LIMIT 1", tn)
    proof = event["payload"]["proof"]
    assert proof["by"] == "courier" and proof["device"] == "dev-courier"
    assert proof["point"] == {"lat": 33.31, "lon": 44.36} and proof["id_checked"] is True
    assert event["emsevt"] == "EMI"


async def test_code_is_stored_only_as_a_mac(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    code = await last_code(conn, tn)
    row = await conn.fetchrow("SELECT otp_mac, otp_generation FROM items WHERE tracking_number"
                              " = $1", tn)
    assert len(row["otp_mac"]) == 32 and code.encode() not in row["otp_mac"]
    assert row["otp_generation"] == 1


async def test_delivery_without_code_or_with_wrong_id_is_refused(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    no_code = await scan(world.client, world.courier, tn, "deliver", id_last4=await last4(conn, tn))
    assert no_code["status"] == "rejected" and "code" in no_code["error"]
    wrong_id = "0000" if await last4(conn, tn) != "0000" else "1111"
    bad_id = await scan(world.client, world.courier, tn, "deliver",
                        otp=await last_code(conn, tn), id_last4=wrong_id)
    # Judged with the code, as one attempt: the refusal does not say which of the two was wrong.
    assert bad_id["status"] == "rejected" and bad_id["reason"] == "otp_wrong"
    assert bad_id["error"] == "the code or the ID digits are wrong; 4 tries left"
    assert await state_of(conn, tn) == "out_for_delivery"


async def test_five_wrong_codes_lock_the_item_even_the_right_code_then(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    right = await last_code(conn, tn)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    results = [await scan(world.client, world.courier, tn, "deliver", otp=wrong,
                          id_last4=await last4(conn, tn)) for _ in range(5)]
    assert [r["reason"] for r in results] == ["otp_wrong"] * 4 + ["otp_locked"]
    assert "1 try left" in results[3]["error"]
    late = await scan(world.client, world.courier, tn, "deliver", otp=right,
                      id_last4=await last4(conn, tn))
    assert late["status"] == "rejected" and late["reason"] == "otp_locked"
    assert await state_of(conn, tn) == "out_for_delivery"


async def test_reupload_of_an_offline_queue_changes_nothing(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    hours_ago = datetime.now(UTC) - timedelta(hours=5)
    batch = [scan_body(tn, "receive", scan_id="offline-1", at=hours_ago)]
    first = await upload(world.client, world.sorter, batch)
    events = await conn.fetchval("SELECT count(*) FROM custody_events")
    outbox = await conn.fetchval("SELECT count(*) FROM outbox")
    again = await upload(world.client, world.sorter, batch)
    assert first[0]["status"] == "applied" and again[0]["status"] == "duplicate"
    assert again[0]["state"] == "received"
    assert await conn.fetchval("SELECT count(*) FROM custody_events") == events
    assert await conn.fetchval("SELECT count(*) FROM outbox") == outbox
    row = await conn.fetchrow("SELECT device_at, server_at FROM custody_events "
                              "ORDER BY id DESC LIMIT 1")
    assert abs((row["device_at"] - hours_ago).total_seconds()) < 1
    assert row["server_at"] - row["device_at"] > timedelta(hours=4)


async def test_one_bad_scan_does_not_undo_the_others_and_order_per_item_is_kept(world, conn):
    one = await submit(world.client, world.key, "PP-1")
    two = await submit(world.client, world.key, "PP-2")
    results = await upload(world.client, world.sorter, [
        scan_body(one, "receive"), scan_body("RR000000000IQ", "receive"),
        scan_body(two, "receive"), scan_body(two, "receive")])
    assert [r["status"] for r in results] == ["applied", "rejected", "applied", "rejected"]
    assert results[1]["error"] == "no item RR000000000IQ"
    assert results[3]["error"] == "already in the sorting centre"
    assert await state_of(conn, one) == await state_of(conn, two) == "received"


async def test_same_scan_id_twice_in_one_batch_is_a_duplicate(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    body = scan_body(tn, "receive", scan_id="twice")
    results = await upload(world.client, world.sorter, [body, body])
    assert [r["status"] for r in results] == ["applied", "duplicate"]


async def test_clerk_of_another_branch_is_told_only_it_is_not_theirs_and_a_missort_is_raised(
        world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    await applied(world.client, world.sorter, tn, "bag", bag=bag)
    await applied(world.client, world.sorter, bag, "dispatch")
    result = await scan(world.client, world.other_clerk, tn, "arrive")
    assert result["error"] == f"{tn} is not at your site"
    wrong_bag = await scan(world.client, world.other_clerk, bag, "arrive")
    assert wrong_bag["reason"] == "wrong_branch"
    kinds = [r["kind"] for r in await conn.fetch("SELECT kind FROM custody_alerts")]
    assert kinds == ["missort", "missort"]


async def test_courier_only_scans_items_assigned_to_them(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
    result = await scan(world.client, world.other_courier, tn, "take")
    assert result["error"] == f"{tn} is not assigned to you"


async def test_deliver_before_take_is_refused(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
    result = await scan(world.client, world.courier, tn, "deliver", otp="000000", id_last4="0000")
    assert result["reason"] == "handover_unconfirmed"


async def test_an_item_taken_out_of_a_bag_can_be_put_back_in_it(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    await applied(world.client, world.sorter, tn, "bag", bag=bag)
    await applied(world.client, world.sorter, tn, "unbag", bag=bag)
    await applied(world.client, world.sorter, tn, "bag", bag=bag)
    sent = await applied(world.client, world.sorter, bag, "dispatch")
    assert sent["items"] == 1 and await state_of(conn, tn) == "in_transit"


async def test_dispatching_a_bag_moves_all_its_items_and_arrival_brings_them_to_the_branch(
        world, conn):
    tns = [await submit(world.client, world.key, f"PP-{i}") for i in range(3)]
    for tn in tns:
        await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    for tn in tns:
        await applied(world.client, world.sorter, tn, "bag", bag=bag)
    await applied(world.client, world.sorter, tns[2], "unbag", bag=bag)
    sent = await applied(world.client, world.sorter, bag, "dispatch")
    assert sent["items"] == 2 and sent["state"] == "in_transit"
    assert [await state_of(conn, t) for t in tns] == ["in_transit", "in_transit", "received"]
    arrived = await applied(world.client, world.clerk, bag, "arrive")
    assert arrived["items"] == 2
    assert [await state_of(conn, t) for t in tns[:2]] == ["at_branch", "at_branch"]
    confirm = await applied(world.client, world.clerk, tns[0], "arrive")
    assert confirm["state"] == "at_branch"
    confirmed = await conn.fetchval("SELECT count(*) FROM bag_items WHERE confirmed_at IS NOT NULL")
    assert confirmed == 1


async def test_bag_for_another_branch_refuses_the_item(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world, world.other_branch)
    result = await scan(world.client, world.sorter, tn, "bag", bag=bag)
    assert result["error"] == f"{tn} goes to {world.branch}; bag {bag} is for {world.other_branch}"
    typo = bag[:-1] + str((int(bag[-1]) + 1) % 10)
    assert (await scan(world.client, world.sorter, tn, "bag", bag=typo))["reason"] == "invalid_bag"


async def test_two_devices_delivering_at_once_exactly_one_wins(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    both = await asyncio.gather(
        scan(world.client, world.clerk, tn, "shelve"), scan(world.client, world.clerk, tn, "shelve"))
    assert sorted(r["status"] for r in both) == ["applied", "rejected"]
    loser = next(r for r in both if r["status"] == "rejected")
    assert "pickup" in loser["error"] or "another scan" in loser["error"]
    assert await conn.fetchval("SELECT count(*) FROM custody_events WHERE action = 'shelve'") == 1


async def test_device_clock_ahead_or_backwards_is_flagged(world, conn):
    one = await submit(world.client, world.key, "PP-1")
    two = await submit(world.client, world.key, "PP-2")
    ahead = datetime.now(UTC) + timedelta(minutes=30)
    results = await upload(world.client, world.sorter, [
        scan_body(one, "receive", at=ahead), scan_body(two, "receive", at=ahead - timedelta(hours=1))])
    assert results[0]["clock_flags"] == ["ahead"]
    assert results[1]["clock_flags"] == ["backwards"]


async def test_failed_attempt_needs_a_known_reason_and_counts(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    bad = await scan(world.client, world.courier, tn, "fail", reason="lazy")
    assert bad["reason"] == "reason_required"
    other = await scan(world.client, world.courier, tn, "fail", reason="other")
    assert other["reason"] == "note_required"
    await applied(world.client, world.courier, tn, "fail", reason="absent")
    assert await conn.fetchval("SELECT failed_attempts FROM items WHERE tracking_number = $1",
                              tn) == 1
    await applied(world.client, world.courier, tn, "return")
    refused = await scan(world.client, world.clerk, tn, "shelve")
    assert refused["reason"] == "handover_unconfirmed"
    await applied(world.client, world.clerk, tn, "accept")
    await applied(world.client, world.clerk, tn, "shelve")


async def test_pickup_by_a_proxy_records_only_last4_and_a_hash(world, conn):
    tn = await submit(world.client, world.key, "VR-1", document_type="degree_certificate")
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "shelve")
    hold = await conn.fetchval("SELECT hold_until FROM items WHERE tracking_number = $1", tn)
    assert hold > datetime.now(UTC) + timedelta(days=13)
    result = await applied(world.client, world.clerk, tn, "collect", otp=await last_code(conn, tn),
                           id_last4="6789", proxy={"name": "Omar Ali", "id_number": "200112346789"})
    assert result["state"] == "collected"
    text = await conn.fetchval("SELECT payload::text FROM custody_events ORDER BY id DESC LIMIT 1")
    assert "200112346789" not in text and "6789" in text
    assert "Omar" not in text and '"O. A."' in text


async def test_proxy_is_refused_for_a_passport(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "shelve")
    result = await scan(world.client, world.clerk, tn, "collect", otp=await last_code(conn, tn),
                        id_last4="6789", proxy={"name": "Omar Ali", "id_number": "200112346789"})
    assert result["reason"] == "proxy_not_allowed"


async def test_more_than_500_scans_are_refused_and_a_scan_with_unknown_fields_alone(world):
    too_many = [scan_body("RR000000000IQ", "receive") for _ in range(501)]
    response = await world.client.post("/v1/scans", json={"scans": too_many}, headers=world.sorter)
    assert response.status_code == 413
    odd = await world.client.post("/v1/scans", json={"scans": [
        {**scan_body("X", "receive", scan_id="odd-1"), "colour": "red"}]}, headers=world.sorter)
    assert odd.status_code == 200
    assert odd.json()["results"] == [{
        "scan_id": "odd-1", "status": "rejected", "reason": "unreadable",
        "error": "/scans/0/colour: Object contains unknown field `colour`"}]


async def test_an_offline_queue_with_one_unreadable_scan_still_moves_the_rest(world, conn):
    one = await submit(world.client, world.key, "PP-1")
    two = await submit(world.client, world.key, "PP-2")
    naive = {**scan_body(two, "receive", scan_id="naive-1"), "at": "2026-03-01T10:00:00"}
    queue = [scan_body(one, "receive"), naive, scan_body(two, "receive")]
    results = await upload(world.client, world.sorter, queue)
    assert [(r["status"], r.get("reason")) for r in results] == [
        ("applied", None), ("rejected", "unreadable"), ("applied", None)]
    assert results[1]["scan_id"] == "naive-1" and results[1]["error"].startswith("/scans/1/at: ")
    assert await state_of(conn, one) == await state_of(conn, two) == "received"
    # Fixed on the handheld and sent again, the scan is judged like any other.
    fixed = {**naive, "at": datetime.now(UTC).isoformat()}
    [again] = await upload(world.client, world.sorter, [fixed])
    assert (again["status"], again["error"]) == ("rejected", "already in the sorting centre")


async def test_supervisors_do_not_scan(world):
    response = await world.client.post("/v1/scans", json={"scans": [scan_body("X", "receive")]},
                                       headers=world.supervisor)
    assert response.status_code == 403


async def test_two_handhelds_uploading_the_same_items_at_once_each_item_moves_once(world, conn):
    tns = [await submit(world.client, world.key, f"PP-{i}") for i in range(12)]
    second = await staff_token(world.client, conn, username="sorter2", role="sorting_clerk",
                               site_code="SC-BG", device_id="dev-sorter2")
    batches = await asyncio.gather(
        upload(world.client, world.sorter, [scan_body(tn, "receive") for tn in tns]),
        upload(world.client, second, [scan_body(tn, "receive") for tn in reversed(tns)]))
    by_item = list(zip(batches[0], reversed(batches[1]), strict=True))
    assert all(sorted(r["status"] for r in pair) == ["applied", "rejected"] for pair in by_item)
    losers = [r for pair in by_item for r in pair if r["status"] == "rejected"]
    assert all(r["error"] == "already in the sorting centre" or "another scan" in r["error"]
               for r in losers)
    receives = await conn.fetchval("SELECT count(*) FROM custody_events WHERE action = 'receive'")
    webhooks = await conn.fetchval("SELECT count(*) FROM outbox WHERE channel = 'webhook' "
                                   "AND payload->>'state' = 'received'")
    assert receives == webhooks == len(tns)


async def test_a_deactivated_handheld_user_is_refused_at_once_and_nothing_changes(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await conn.execute("UPDATE staff SET active = false WHERE username = 'sorter'")
    response = await world.client.post("/v1/scans", json={"scans": [scan_body(tn, "receive")]},
                                       headers=world.sorter)
    assert response.status_code == 401
    assert "no longer active" in response.json()["detail"]
    assert await state_of(conn, tn) == "registered"
    assert await conn.fetchval("SELECT count(*) FROM scans") == 0


async def test_a_batch_keeps_each_items_order_across_both_paths(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    other = await submit(world.client, world.key, "PP-2")
    bag = await open_bag(world)
    results = await upload(world.client, world.sorter, [
        scan_body(tn, "receive"), scan_body(other, "receive"), scan_body(tn, "bag", bag=bag),
        scan_body(other, "receive"), scan_body(tn, "unbag", bag=bag), scan_body(tn, "receive"),
        scan_body(bag, "dispatch"), scan_body(other, "bag", bag=bag)])
    assert [r["status"] for r in results] == ["applied", "applied", "applied", "rejected",
                                              "applied", "rejected", "rejected", "applied"]
    assert results[6]["reason"] == "bag_empty"
    actions = [r["action"] for r in await conn.fetch(
        "SELECT e.action FROM custody_events e JOIN items i ON i.id = e.item_id "
        "WHERE i.tracking_number = $1 ORDER BY e.seq", tn)]
    assert actions == ["register", "receive", "bag", "unbag"]


async def test_the_agencys_failure_event_carries_the_couriers_reason(world, conn):
    tn = await submit(world.client, world.key, "PP-WHY")
    await out_for_delivery(world, tn)
    await applied(world.client, world.courier, tn, "fail", reason="address_not_found")
    payloads = await conn.fetch(
        "SELECT o.payload FROM outbox o JOIN items i ON i.id = o.item_id WHERE o.channel = "
        "'webhook' AND i.tracking_number = $1 ORDER BY o.id", tn)
    events = [json.loads(p["payload"]) if isinstance(p["payload"], str) else p["payload"]
              for p in payloads]
    failed = [e for e in events if e["state"] == "delivery_failed"]
    assert [e.get("reason") for e in failed] == ["address_not_found"]
    assert all("reason" not in e for e in events if e["state"] != "delivery_failed")
