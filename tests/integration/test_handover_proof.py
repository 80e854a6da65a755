"""Hand-over proof through POST /v1/scans and the supervisors' routes: wrong codes and ID digits
are counted atomically and alike, staff who keep failing are locked, every supervisor action is a
custody event, proxies are recorded, and refusals tell nobody about another site's items."""

import asyncio
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from delivery.platform.settings import Settings
from delivery.web.app import create_app
from tests.custody_world import (
    applied,
    build_world,
    last4,
    last_code,
    out_for_delivery,
    scan,
    scan_body,
    state_of,
    submit,
    to_branch,
    upload,
)
from tests.helpers import free_port

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


@pytest.fixture
def live(settings: Settings) -> Iterator[str]:
    """The whole app under uvicorn in a thread, for requests that really run at the same time
    (the in-process test client handles one at a time)."""
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1",
                                           port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{server.config.port}"
    server.should_exit = True
    thread.join(timeout=10)


async def _at_once(live, headers, tn, proofs):
    """One upload per proof, all sent at the same time; their results."""
    async with httpx.AsyncClient(base_url=live, timeout=60) as http:
        responses = await asyncio.gather(*[http.post("/v1/scans", headers=headers, json={
            "scans": [scan_body(tn, "deliver", **proof)]}) for proof in proofs])
    assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
    return [r.json()["results"][0] for r in responses]


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 1000000:06d}"


def _other4(digits: str) -> str:
    return f"{(int(digits) + 1) % 10000:04d}"


async def _deliver(world, tn, **proof):
    return await scan(world.client, world.courier, tn, "deliver", **proof)


async def _lock(world, conn, tn):
    """Five wrong codes for the item; the right code, which the guesses were after."""
    right = await last_code(conn, tn)
    for _ in range(5):
        await _deliver(world, tn, otp=_other(right), id_last4=await last4(conn, tn))
    return right


async def _supervise(world, tn, what, reason="citizen called the branch"):
    response = await world.client.post(f"/v1/supervisor/items/{tn}/{what}",
                                       json={"reason": reason}, headers=world.supervisor)
    assert response.status_code == 200, response.text
    return response.json()


# --- (a) the limit holds under concurrency ---------------------------------------------------

async def test_forty_concurrent_guesses_never_get_more_than_five_judged(world, conn, live):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    right, digits = await last_code(conn, tn), await last4(conn, tn)
    # The last guess is the right code: it may win only while fewer than five were judged.
    guesses = [f"{(int(right) + 1 + i) % 1000000:06d}" for i in range(39)] + [right]
    results = await _at_once(live, world.courier, tn,
                             [{"otp": g, "id_last4": digits} for g in guesses])
    wrong = [r for r in results if r.get("reason") == "otp_wrong"
             or (r.get("reason") == "otp_locked" and "now locked" in r["error"])]
    delivered = await state_of(conn, tn) == "delivered"
    assert len(wrong) + delivered <= 5, [r["error"] for r in results]
    counted = await conn.fetchval("SELECT otp_wrong FROM items WHERE tracking_number = $1", tn)
    assert counted == len(wrong) <= 5
    if not delivered:
        assert len(wrong) == 5
        assert all(r["reason"] == "otp_locked" for r in results if r not in wrong)


async def test_forty_concurrent_wrong_codes_count_exactly_five(world, conn, live):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    right, digits = await last_code(conn, tn), await last4(conn, tn)
    guesses = [f"{(int(right) + 1 + i) % 1000000:06d}" for i in range(40)]
    results = await _at_once(live, world.courier, tn,
                             [{"otp": g, "id_last4": digits} for g in guesses])
    reasons = sorted(r["reason"] for r in results)
    assert reasons.count("otp_wrong") == 4, reasons
    assert sum("now locked" in r["error"] for r in results) == 1
    assert await conn.fetchval("SELECT otp_wrong FROM items WHERE tracking_number = $1", tn) == 5
    late = await _deliver(world, tn, otp=right, id_last4=digits)
    assert late["reason"] == "otp_locked"


# --- (b) wrong ID digits are wrong attempts, and nobody is told which part was wrong ----------

async def test_wrong_id_digits_count_and_the_refusal_does_not_say_which_part(world, conn):
    one = await submit(world.client, world.key, "PP-1")
    two = await submit(world.client, world.key, "PP-2")
    await out_for_delivery(world, one)
    await out_for_delivery(world, two)
    code_one, digits_one = await last_code(conn, one), await last4(conn, one)
    code_two, digits_two = await last_code(conn, two), await last4(conn, two)
    wrong_code = await _deliver(world, one, otp=_other(code_one), id_last4=digits_one)
    wrong_id = await _deliver(world, two, otp=code_two, id_last4=_other4(digits_two))
    assert wrong_code["reason"] == wrong_id["reason"] == "otp_wrong"
    assert wrong_code["error"] == wrong_id["error"]
    assert "4 tries left" in wrong_id["error"]
    for _ in range(4):
        last = await _deliver(world, two, otp=code_two, id_last4=_other4(digits_two))
    assert last["reason"] == "otp_locked"
    late = await _deliver(world, two, otp=code_two, id_last4=digits_two)
    assert late["reason"] == "otp_locked"
    assert await state_of(conn, two) == "out_for_delivery"


# --- (c) staff who keep failing across items ---------------------------------------------------

async def test_a_courier_failing_across_items_is_locked_until_a_supervisor_unlocks(world, conn):
    tns = [await submit(world.client, world.key, f"PP-{i}") for i in range(3)]
    for tn in tns:
        await out_for_delivery(world, tn)
    for tn in tns[:2]:
        await _lock(world, conn, tn)
    alerts = (await world.client.get("/v1/supervisor/alerts", headers=world.supervisor)).json()
    locked = [a for a in alerts if a["kind"] == "staff_locked"]
    assert len(locked) == 1 and locked[0]["detail"].startswith("courier made 10 wrong")
    honest = await _deliver(world, tns[2], otp=await last_code(conn, tns[2]),
                            id_last4=await last4(conn, tns[2]))
    assert honest["status"] == "rejected" and honest["reason"] == "staff_locked"
    clerk = await world.client.post("/v1/supervisor/staff/unlock", json={
        "username": "courier", "reason": "talked it through"}, headers=world.clerk)
    assert clerk.status_code == 403
    unlocked = await world.client.post("/v1/supervisor/staff/unlock", json={
        "username": "courier", "reason": "talked it through"}, headers=world.supervisor)
    assert unlocked.status_code == 200, unlocked.text
    assert unlocked.json()["locked"] is False
    alerts = (await world.client.get("/v1/supervisor/alerts", headers=world.supervisor)).json()
    assert not [a for a in alerts if a["kind"] == "staff_locked"]
    await applied(world.client, world.courier, tns[2], "deliver",
                  otp=await last_code(conn, tns[2]), id_last4=await last4(conn, tns[2]))


async def test_nine_wrong_attempts_in_a_day_do_not_lock_the_courier(world, conn):
    tns = [await submit(world.client, world.key, f"PP-{i}") for i in range(3)]
    for tn in tns:
        await out_for_delivery(world, tn)
    await _lock(world, conn, tns[0])
    right = await last_code(conn, tns[1])
    for _ in range(4):
        await _deliver(world, tns[1], otp=_other(right), id_last4=await last4(conn, tns[1]))
    await applied(world.client, world.courier, tns[2], "deliver",
                  otp=await last_code(conn, tns[2]), id_last4=await last4(conn, tns[2]))


async def test_wrong_attempts_older_than_a_day_do_not_count(world, conn):
    tns = [await submit(world.client, world.key, f"PP-{i}") for i in range(3)]
    for tn in tns:
        await out_for_delivery(world, tn)
    await _lock(world, conn, tns[0])
    await conn.execute("UPDATE handover_failures SET at = at - interval '25 hours'")
    await _lock(world, conn, tns[1])
    await applied(world.client, world.courier, tns[2], "deliver",
                  otp=await last_code(conn, tns[2]), id_last4=await last4(conn, tns[2]))


async def test_another_sites_supervisor_cannot_unlock_a_courier(world, conn, client):
    from tests.helpers import staff_token

    other = await staff_token(client, conn, username="super2", role="supervisor",
                              site_code=world.other_branch, device_id="dev-s2")
    response = await client.post("/v1/supervisor/staff/unlock", json={
        "username": "courier", "reason": "talked it through"}, headers=other)
    assert response.status_code == 404


# --- (d) unlock issues a fresh code ------------------------------------------------------------

async def test_unlock_issues_a_fresh_code_and_the_guessed_one_dies(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    old = await _lock(world, conn, tn)
    before = await conn.fetchval("SELECT otp_generation FROM items WHERE tracking_number = $1",
                                 tn)
    out = await _supervise(world, tn, "unlock")
    assert out["locked"] is False
    sms = await conn.fetchrow("SELECT topic, payload FROM outbox WHERE channel = 'sms' "
                              "ORDER BY id DESC LIMIT 1")
    assert sms["topic"] == "otp_reissued"
    assert await conn.fetchval("SELECT otp_generation FROM items WHERE tracking_number = $1",
                               tn) == before + 1
    new = await last_code(conn, tn)
    stale = await _deliver(world, tn, otp=old, id_last4=await last4(conn, tn))
    if new != old:
        assert stale["reason"] == "otp_wrong"
    await applied(world.client, world.courier, tn, "deliver", otp=new,
                  id_last4=await last4(conn, tn))


async def test_unlock_of_an_item_that_is_not_locked_is_a_conflict(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    response = await world.client.post(f"/v1/supervisor/items/{tn}/unlock",
                                       json={"reason": "just in case"}, headers=world.supervisor)
    assert response.status_code == 409


# --- (e) every supervisor action is a custody event with who and why ---------------------------

async def test_every_supervisor_action_is_a_custody_event_with_who_and_why(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    await _supervise(world, tn, "code", "citizen lost the SMS")
    await _lock(world, conn, tn)
    await _supervise(world, tn, "unlock", "citizen mistyped, verified by phone")
    await _supervise(world, tn, "lost", "not in the courier's bag")
    await _supervise(world, tn, "found", "under the counter")
    other = await submit(world.client, world.key, "PP-2")
    await _supervise(world, other, "damaged", "water")
    document = await world.client.get(f"/v1/documents/{tn}", headers={
        "Authorization": f"Bearer {world.key}"})
    events = [(e["action"], e.get("reason")) for e in document.json()["events"]][-4:]
    assert events == [("reissue_code", "citizen lost the SMS"),
                      ("unlock_code", "citizen mistyped, verified by phone"),
                      ("mark_lost", "not in the courier's bag"), ("found", "under the counter")]
    who = await conn.fetchrow("SELECT id, site_id FROM staff WHERE username = 'super'")
    rows = await conn.fetch("SELECT action, actor_role, actor_id, device_id, site_id, payload "
                            "FROM custody_events WHERE actor_role = 'supervisor' ORDER BY id")
    assert [r["action"] for r in rows] == ["reissue_code", "unlock_code", "mark_lost", "found",
                                           "mark_damaged"]
    for row in rows:
        assert (row["actor_id"], row["device_id"], row["site_id"]) == (who["id"], "dev-super",
                                                                       who["site_id"])
        assert len(row["payload"]["reason"]) >= 3
    assert await state_of(conn, tn) == "returning"


async def test_reissue_and_unlock_need_a_reason(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    for what in ("code", "unlock"):
        response = await world.client.post(f"/v1/supervisor/items/{tn}/{what}", json={},
                                           headers=world.supervisor)
        assert response.status_code in (400, 422) and "reason" in response.text, what


# --- (f) proxies are recorded for every proxy collection ---------------------------------------

@pytest.mark.parametrize("doc_type", ["continuity_confirmation", "degree_certificate"])
async def test_proxy_collection_records_the_proxy_masked(world, conn, doc_type):
    tn = await submit(world.client, world.key, "DOC-1", document_type=doc_type)
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "shelve")
    proof = {"otp": await last_code(conn, tn),
             "proxy": {"name": "Omar Ali Hassan", "id_number": "200112346789"}}
    if doc_type == "degree_certificate":
        proof["id_last4"] = "6789"
    result = await applied(world.client, world.clerk, tn, "collect", **proof)
    assert result["state"] == "collected"
    payload = await conn.fetchval("SELECT e.payload FROM custody_events e JOIN items i ON "
                                  "i.id = e.item_id WHERE i.tracking_number = $1 AND "
                                  "e.action = 'collect'", tn)
    proxy = payload["proof"]["proxy"]
    assert proxy["name"] == "O. A. H." and proxy["id_last4"] == "6789"
    assert len(proxy["id_hash"]) == 64
    assert "Omar" not in str(payload) and "200112346789" not in str(payload)


# --- (g) refusals reveal neither another site's branch nor the item's state --------------------

async def test_a_clerk_of_another_branch_learns_neither_branch_nor_state(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    fresh = await submit(world.client, world.key, "PP-2")
    await to_branch(world, [tn])
    results = await upload(world.client, world.other_clerk, [
        scan_body(tn, "shelve"), scan_body(tn, "to_courier", courier="courier2"),
        scan_body(tn, "collect", otp="123456", id_last4="1234"), scan_body(tn, "accept"),
        scan_body(fresh, "arrive"), scan_body(fresh, "shelve")])
    for result in results:
        assert result["status"] == "rejected"
        assert result["reason"] == "wrong_branch", result
        assert result["error"].endswith("is not at your site"), result
        assert world.branch not in result["error"]
    missorts = await conn.fetch("SELECT detail FROM custody_alerts WHERE kind = 'missort'")
    assert len(missorts) == 1 and world.branch in missorts[0]["detail"]
    assert await state_of(conn, tn) == "at_branch"


async def test_a_courier_learns_nothing_of_an_item_not_assigned_to_them(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    for action in ("take", "deliver", "return"):
        result = await scan(world.client, world.courier, tn, action, otp="123456",
                            id_last4="1234")
        assert result["reason"] == "not_assigned", result
        assert result["error"] == f"{tn} is not assigned to you"
