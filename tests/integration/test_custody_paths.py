"""Every path is two-party: the way back to the agency, the attempt limit, a recall of a bagged
item and a new branch for a bagged item, each driven as staff, agencies and citizens drive them."""

import re
from datetime import UTC, datetime

import pytest

from delivery.custody import chain, log, tasks
from delivery.custody.context import custody_context
from tests.custody_world import (
    SIGNED_BY,
    applied,
    build_world,
    open_bag,
    out_for_delivery,
    scan,
    state_of,
    submit,
    to_branch,
)
from tests.helpers import auth, staff_token

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


async def _document(world, tn: str) -> dict:
    response = await world.client.get(f"/v1/documents/{tn}", headers=auth(world.key))
    assert response.status_code == 200, response.text
    return response.json()


async def _events(conn, tn: str) -> list[tuple[str, str, str]]:
    rows = await conn.fetch("SELECT e.action, e.actor_role, e.to_state FROM custody_events e "
                            "JOIN items i ON i.id = e.item_id WHERE i.tracking_number = $1 "
                            "ORDER BY e.seq", tn)
    return [(r["action"], r["actor_role"], r["to_state"]) for r in rows]


async def _chain_intact(conn, tn: str) -> bool:
    item_id = await conn.fetchval("SELECT id FROM items WHERE tracking_number = $1", tn)
    return chain.verify_chain(await log.load_chain(conn, item_id)) == []


async def _centre_alerts(world, conn) -> list[dict]:
    supervisor = await staff_token(world.client, conn, username="centre-super",
                                   role="supervisor", site_code="SC-BG", device_id="dev-cs")
    response = await world.client.get("/v1/supervisor/alerts", headers=supervisor)
    assert response.status_code == 200, response.text
    return response.json()


# --- (a) the way back: the branch gives, the sorting centre confirms, then the agency signs ----

async def test_returned_only_after_the_branch_sends_it_back_and_the_centre_accepts(
        world, conn, settings):
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "shelve")
    await conn.execute("UPDATE items SET hold_until = now() - interval '1 s' "
                       "WHERE tracking_number = $1", tn)
    await tasks.expire_holds(conn, custody_context(settings), now=datetime.now(UTC))
    assert (await _document(world, tn))["state"] == "returning"

    on_the_shelf = await scan(world.client, world.sorter, tn, "returned")
    assert on_the_shelf["status"] == "rejected"
    assert on_the_shelf["error"] == (
        f"{tn} is not back at the sorting centre: the branch sends it back (`send_back`) "
        "and the sorting centre accepts it (`accept`) first")
    assert (await _document(world, tn))["state"] == "returning"

    await applied(world.client, world.clerk, tn, "send_back")
    on_the_road = await scan(world.client, world.sorter, tn, "returned")
    assert on_the_road["reason"] == "handover_unconfirmed"
    await applied(world.client, world.sorter, tn, "accept")
    again = await scan(world.client, world.clerk, tn, "send_back")
    assert again["status"] == "rejected"
    assert again["error"] == f"{tn} is already back at the sorting centre"
    signed = await applied(world.client, world.sorter, tn, "returned", signed_by=SIGNED_BY)
    assert signed["state"] == "returned_to_agency"
    assert (await _document(world, tn))["state"] == "returned_to_agency"
    assert [a for a, _, _ in await _events(conn, tn)][-4:] == [
        "expire_hold", "send_back", "accept", "returned"]


async def test_a_found_item_also_comes_back_through_its_branch(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    for path, reason in (("lost", "not on the shelf"), ("found", "behind the counter")):
        response = await world.client.post(f"/v1/supervisor/items/{tn}/{path}",
                                           json={"reason": reason}, headers=world.supervisor)
        assert response.status_code == 200, response.text
    assert (await scan(world.client, world.sorter, tn, "returned"))["status"] == "rejected"
    await applied(world.client, world.clerk, tn, "send_back")
    await applied(world.client, world.sorter, tn, "accept")
    await applied(world.client, world.sorter, tn, "returned", signed_by=SIGNED_BY)


# --- (b) the attempt limit holds at the scan, the job still offers pickup -----------------------

async def test_no_third_round_after_two_failed_attempts(world, conn, settings):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    for attempt in (1, 2):
        await applied(world.client, world.courier, tn, "fail", reason="absent")
        await applied(world.client, world.courier, tn, "return")
        await applied(world.client, world.clerk, tn, "accept")
        if attempt == 1:
            await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
            await applied(world.client, world.courier, tn, "take")
    third = await scan(world.client, world.clerk, tn, "to_courier", courier="courier")
    assert third["status"] == "rejected"
    assert third["error"] == "2 delivery attempts made: shelve it for pickup"
    assert third["reason"] == "attempts_exhausted"
    assert (await _document(world, tn))["state"] == "at_branch"
    moved = await tasks.exhaust_attempts(conn, custody_context(settings), now=datetime.now(UTC))
    assert moved == 1
    assert (await _document(world, tn))["state"] == "ready_for_pickup"


async def test_one_failed_attempt_still_allows_another_round(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    await applied(world.client, world.courier, tn, "fail", reason="absent")
    await applied(world.client, world.courier, tn, "return")
    await applied(world.client, world.clerk, tn, "accept")
    again = await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
    assert again["state"] == "out_for_delivery"


# --- (c) a recall of an item in the sorting centre: out of its bag, back to the agency ---------

async def test_a_recalled_bagged_item_leaves_its_bag_and_the_bag_still_goes(world, conn):
    kept, recalled = [await submit(world.client, world.key, f"PP-{i}") for i in (1, 2)]
    for tn in (kept, recalled):
        await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    for tn in (kept, recalled):
        await applied(world.client, world.sorter, tn, "bag", bag=bag)

    response = await world.client.post(f"/v1/documents/{recalled}/cancel",
                                       headers=auth(world.key))
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "returning"
    assert [(a, r) for a, r, _ in await _events(conn, recalled)][-2:] == [
        ("unbag", "system"), ("cancel", "agency")]
    assert await _chain_intact(conn, recalled)
    alerts = [a for a in await _centre_alerts(world, conn) if a["kind"] == "unbagged"]
    assert len(alerts) == 1 and recalled in alerts[0]["detail"] and bag in alerts[0]["detail"]

    sent = await applied(world.client, world.sorter, bag, "dispatch")
    assert sent["items"] == 1
    arrived = await applied(world.client, world.clerk, bag, "arrive")
    assert arrived["items"] == 1
    assert await state_of(conn, kept) == "at_branch"

    signed = await applied(world.client, world.sorter, recalled, "returned", signed_by=SIGNED_BY)
    assert signed["state"] == "returned_to_agency"
    assert (await _document(world, recalled))["state"] == "returned_to_agency"


async def test_a_recalled_item_in_the_centre_goes_back_without_a_branch(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await applied(world.client, world.sorter, tn, "receive")
    response = await world.client.post(f"/v1/documents/{tn}/cancel", headers=auth(world.key))
    assert response.json()["state"] == "returning"
    branch = await scan(world.client, world.clerk, tn, "send_back")
    assert branch["error"] == f"{tn} is already back at the sorting centre"
    await applied(world.client, world.sorter, tn, "returned", signed_by=SIGNED_BY)
    assert await state_of(conn, tn) == "returned_to_agency"


async def test_an_item_never_received_is_simply_cancelled(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    response = await world.client.post(f"/v1/documents/{tn}/cancel", headers=auth(world.key))
    assert response.json()["state"] == "cancelled"


# --- (d) a citizen's new branch takes a bagged item out of the bag for the old one -------------

async def _token(conn, tn: str) -> str:
    return await conn.fetchval(
        "SELECT o.payload->'values'->>'token' FROM outbox o JOIN items i ON i.id = o.item_id "
        "WHERE i.tracking_number = $1 AND o.channel = 'sms' AND o.payload->'values' ? 'token' "
        "ORDER BY o.id LIMIT 1", tn)


async def _choose_pickup_at(client, token: str, branch: str) -> None:
    html = (await client.get(f"/t/{token}")).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    response = await client.post(f"/t/{token}/mode", data={
        "csrf": csrf, "mode": "pickup", "branch": branch}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].endswith("?m=saved")


async def test_a_new_branch_takes_a_bagged_item_out_and_nothing_is_stuck(world, conn):
    new_branch = world.other_branch  # among the branches the page offers
    staying, moving = [await submit(world.client, world.key, f"PP-{i}") for i in (1, 2)]
    for tn in (staying, moving):
        await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    for tn in (staying, moving):
        await applied(world.client, world.sorter, tn, "bag", bag=bag)

    await _choose_pickup_at(world.client, await _token(conn, moving), new_branch)
    assert (await _document(world, moving))["branch"]["code"] == new_branch

    sent = await applied(world.client, world.sorter, bag, "dispatch")
    assert sent["items"] == 1
    arrived = await applied(world.client, world.clerk, bag, "arrive")
    assert arrived["items"] == 1
    assert await state_of(conn, staying) == "at_branch"
    assert [(a, r) for a, r, _ in await _events(conn, moving)][-2:] == [
        ("choose_pickup", "citizen"), ("unbag", "system")]
    assert await _chain_intact(conn, moving)
    alerts = [a for a in await _centre_alerts(world, conn) if a["kind"] == "unbagged"]
    assert len(alerts) == 1 and new_branch in alerts[0]["detail"]

    assert await state_of(conn, moving) == "received"
    second = await open_bag(world, new_branch)
    await applied(world.client, world.sorter, moving, "bag", bag=second)
    await applied(world.client, world.sorter, second, "dispatch")
    await applied(world.client, world.other_clerk, second, "arrive")
    assert await state_of(conn, moving) == "at_branch"


async def test_a_bag_left_empty_by_a_new_branch_stays_open_and_its_item_is_free(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    await applied(world.client, world.sorter, tn, "bag", bag=bag)
    await _choose_pickup_at(world.client, await _token(conn, tn), world.other_branch)
    empty = await scan(world.client, world.sorter, bag, "dispatch")
    assert empty["status"] == "rejected"
    assert empty["error"] == f"bag {bag} is empty: its items go to other branches now"
    assert [(a, r) for a, r, _ in await _events(conn, tn)][-1] == ("unbag", "system")
    assert await _chain_intact(conn, tn)
    other = await open_bag(world, world.other_branch)
    await applied(world.client, world.sorter, tn, "bag", bag=other)
    assert (await applied(world.client, world.sorter, other, "dispatch"))["items"] == 1


async def test_a_choice_that_keeps_the_branch_leaves_the_bag_alone(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await applied(world.client, world.sorter, tn, "receive")
    bag = await open_bag(world)
    await applied(world.client, world.sorter, tn, "bag", bag=bag)
    await _choose_pickup_at(world.client, await _token(conn, tn), world.branch)
    assert "unbag" not in [a for a, _, _ in await _events(conn, tn)]
    assert (await applied(world.client, world.sorter, bag, "dispatch"))["items"] == 1
