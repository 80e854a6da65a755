"""Supervisors: lost/damaged with a reason, new codes after a lock, alerts of their own site only."""

import pytest

from tests.custody_world import (
    applied,
    build_world,
    last4,
    last_code,
    out_for_delivery,
    scan,
    state_of,
    submit,
    to_branch,
)
from tests.helpers import staff_token

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


async def _lock(world, conn, tn):
    right = await last_code(conn, tn)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    for _ in range(5):
        await scan(world.client, world.courier, tn, "deliver", otp=wrong,
                   id_last4=await last4(conn, tn))
    return right


async def test_reissued_code_works_and_the_old_one_is_dead(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    old = await _lock(world, conn, tn)
    alerts = (await world.client.get("/v1/supervisor/alerts", headers=world.supervisor)).json()
    assert any(a["kind"] == "locked" and a["tracking_number"] == tn for a in alerts)
    response = await world.client.post(f"/v1/supervisor/items/{tn}/code",
                                       json={"reason": "citizen lost the SMS"},
                                       headers=world.supervisor)
    assert response.status_code == 200, response.text
    sms = await conn.fetchval("SELECT topic FROM outbox WHERE channel = 'sms' ORDER BY id DESC "
                              "LIMIT 1")
    assert sms == "otp_reissued"
    new = await last_code(conn, tn)
    if new != old:
        stale = await scan(world.client, world.courier, tn, "deliver", otp=old,
                           id_last4=await last4(conn, tn))
        assert stale["reason"] == "otp_wrong"
    await applied(world.client, world.courier, tn, "deliver", otp=new,
                  id_last4=await last4(conn, tn))


async def test_unlock_sends_a_new_code_and_the_guessed_one_dies(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    right = await _lock(world, conn, tn)
    assert (await world.client.post(f"/v1/supervisor/items/{tn}/unlock",
                                    json={"reason": "citizen mistyped, checked by phone"},
                                    headers=world.supervisor)).status_code == 200
    new = await last_code(conn, tn)
    if new != right:
        stale = await scan(world.client, world.courier, tn, "deliver", otp=right,
                           id_last4=await last4(conn, tn))
        assert stale["reason"] == "otp_wrong"
    await applied(world.client, world.courier, tn, "deliver", otp=new,
                  id_last4=await last4(conn, tn))


async def test_mark_lost_needs_a_reason_and_records_it(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    no_reason = await world.client.post(f"/v1/supervisor/items/{tn}/lost", json={},
                                        headers=world.supervisor)
    assert no_reason.status_code == 422
    response = await world.client.post(f"/v1/supervisor/items/{tn}/lost",
                                       json={"reason": "bag torn open"}, headers=world.supervisor)
    assert response.status_code == 200 and response.json()["state"] == "lost"
    again = await world.client.post(f"/v1/supervisor/items/{tn}/damaged",
                                    json={"reason": "wet"}, headers=world.supervisor)
    assert again.status_code == 409 and again.json()["detail"] == "marked lost"
    payload = await conn.fetchval("SELECT payload FROM custody_events ORDER BY id DESC LIMIT 1")
    assert payload == {"reason": "bag torn open"}


async def test_other_sites_supervisor_sees_nothing_and_clerks_are_refused(world, conn, client):
    tn = await submit(world.client, world.key, "PP-1")
    other = await staff_token(client, conn, username="super2", role="supervisor",
                              site_code=world.other_branch, device_id="dev-s2")
    for path in ("lost", "damaged"):
        r = await client.post(f"/v1/supervisor/items/{tn}/{path}", json={"reason": "x x x"},
                              headers=other)
        assert r.status_code == 404
    for path in ("code", "unlock"):
        r = await client.post(f"/v1/supervisor/items/{tn}/{path}", json={"reason": "x x x"},
                              headers=other)
        assert r.status_code == 404
    for headers in (world.clerk, world.courier, world.sorter):
        assert (await client.get("/v1/supervisor/alerts", headers=headers)).status_code == 403
        assert (await client.post(f"/v1/supervisor/items/{tn}/unlock",
                                  headers=headers)).status_code == 403
    assert await state_of(conn, tn) == "registered"


async def test_alerts_list_unconfirmed_handovers_manifests_missorts_and_clocks(world, conn):
    tns = [await submit(world.client, world.key, f"PP-{i}") for i in range(2)]
    await to_branch(world, tns)
    await applied(world.client, world.clerk, tns[0], "to_courier", courier="courier")
    await conn.execute("UPDATE items SET handover_since = now() - interval '2 hours' "
                       "WHERE handover_since IS NOT NULL")
    await conn.execute("UPDATE bags SET arrived_at = now() - interval '5 hours'")
    await scan(world.client, world.other_clerk, tns[1], "arrive")
    alerts = (await world.client.get("/v1/supervisor/alerts", headers=world.supervisor)).json()
    kinds = {(a["kind"], a.get("tracking_number")) for a in alerts}
    assert ("unconfirmed_handover", tns[0]) in kinds
    assert ("unconfirmed_manifest", tns[1]) in kinds
    other = await staff_token(world.client, conn, username="super2", role="supervisor",
                              site_code=world.other_branch, device_id="dev-s2")
    theirs = (await world.client.get("/v1/supervisor/alerts", headers=other)).json()
    assert [a["kind"] for a in theirs] == ["missort"]


async def test_bags_are_opened_only_by_sorting_clerks_for_branches_they_serve(world, client):
    assert (await client.post("/v1/bags", json={"destination": world.branch},
                              headers=world.clerk)).status_code == 403
    assert (await client.post("/v1/bags", json={"destination": "SC-BG"},
                              headers=world.sorter)).status_code == 422
    assert (await client.post("/v1/bags", json={"destination": "XX-999"},
                              headers=world.sorter)).status_code == 422


async def test_stuck_alerts_follow_each_states_threshold(world, conn):
    received, at_branch = [await submit(world.client, world.key, f"PP-{i}") for i in range(2)]
    await applied(world.client, world.sorter, received, "receive")
    await to_branch(world, [at_branch])
    # As if both last moved 30 hours ago: past a day (received), within two (at a branch).
    await conn.execute("UPDATE items SET updated_at = now() - interval '30 hours' "
                       "WHERE tracking_number = ANY($1)", [received, at_branch])
    alerts = (await world.client.get("/v1/supervisor/alerts", headers=world.supervisor)).json()
    assert [a["tracking_number"] for a in alerts if a["kind"] == "stuck"] == [received]
