"""The handheld's working day over HTTP: renewing the token, who am I, what I did today, my
branch's items, and the citizen's phone number for the courier carrying the item — items driven
through their life by real scans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from delivery.staff import services as staff
from tests.custody_world import applied, build_world, out_for_delivery, submit, to_branch
from tests.helpers import problem, problem_fields, staff_token

pytestmark = pytest.mark.usefixtures("demo_sites")
NO_STORE = "private, no-store"


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


async def _get(world, headers, path, **params):
    return await world.client.get(path, headers=headers, params=params)


# --- POST /v1/auth/renew --------------------------------------------------------------------


async def test_a_valid_token_is_renewed_with_the_same_answer_as_a_login(world):
    response = await world.client.post("/v1/auth/renew", headers=world.courier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == NO_STORE
    body = response.json()
    assert set(body) >= {"access_token", "expires_in", "token_type", "role", "site",
                         "governorate"}
    assert body["role"] == "courier" and body["site"] == world.branch
    renewed = {"Authorization": f"Bearer {body['access_token']}", "X-Device-Id": "dev-courier"}
    assert (await _get(world, renewed, "/v1/me")).json()["username"] == "courier"


async def test_renewal_is_refused_after_deactivation_or_a_role_change(world, conn):
    await staff.deactivate(conn, username="courier")
    refused = await world.client.post("/v1/auth/renew", headers=world.courier)
    assert problem(refused, 401)["detail"] == "this staff account is no longer active"
    await staff.change_role(conn, username="clerk2", role="supervisor",
                            site_code=world.other_branch)
    changed = await world.client.post("/v1/auth/renew", headers=world.other_clerk)
    assert "log in again" in problem(changed, 401)["detail"]


async def test_renewal_needs_the_tokens_own_device(world):
    stolen = {**world.courier, "X-Device-Id": "dev-elsewhere"}
    problem(await world.client.post("/v1/auth/renew", headers=stolen), 401)
    problem(await world.client.post("/v1/auth/renew"), 401)


# --- GET /v1/me ------------------------------------------------------------------------------


async def test_a_sorting_clerk_sees_their_centre_and_the_branches_it_serves(world):
    me = (await _get(world, world.sorter, "/v1/me")).json()
    assert me["username"] == "sorter" and me["role"] == "sorting_clerk"
    assert me["site"]["code"] == "SC-BG" and me["site"]["kind"] == "sorting_centre"
    assert me["site"]["name"]
    codes = [b["code"] for b in me["branches"]]
    assert world.branch in codes and world.other_branch in codes and codes == sorted(codes)
    assert all(set(b) >= {"code", "name"} for b in me["branches"]) and me["couriers"] == []


async def test_a_branch_clerk_sees_their_active_couriers_only(world, conn):
    response = await _get(world, world.clerk, "/v1/me")
    assert response.headers["cache-control"] == NO_STORE
    me = response.json()
    assert me["site"]["code"] == world.branch and me["site"]["kind"] == "branch"
    assert me["couriers"] == [{"username": "courier"}, {"username": "courier2"}]
    assert me["branches"] == []
    await staff.deactivate(conn, username="courier2")
    supervisor = (await _get(world, world.supervisor, "/v1/me")).json()
    assert supervisor["couriers"] == [{"username": "courier"}]
    other = (await _get(world, world.other_clerk, "/v1/me")).json()
    assert other["couriers"] == []


async def test_a_courier_and_an_inspector_get_no_lists(world, conn):
    courier = (await _get(world, world.courier, "/v1/me")).json()
    assert courier["branches"] == courier["couriers"] == []
    inspector = await staff_token(world.client, conn, username="insp", role="inspector",
                                  site_code=None, governorate="IQ-BG", device_id="dev-insp")
    me = (await _get(world, inspector, "/v1/me")).json()
    assert me == {"username": "insp", "role": "inspector", "site": None, "branches": [],
                  "couriers": []}


# --- GET /v1/me/today ------------------------------------------------------------------------


async def test_a_courier_sees_their_day_and_what_is_in_their_hands(world):
    one = await submit(world.client, world.key, "PP-1")
    two = await submit(world.client, world.key, "PP-2")
    await to_branch(world, [one, two])
    for tn in (one, two):
        await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
        await applied(world.client, world.courier, tn, "take")
    await applied(world.client, world.courier, one, "fail", reason="absent")
    response = await _get(world, world.courier, "/v1/me/today")
    assert response.status_code == 200 and response.headers["cache-control"] == NO_STORE
    day = response.json()
    assert day["date"] == datetime.now(ZoneInfo("Asia/Baghdad")).date().isoformat()
    assert day["actions"] == {"fail": 1, "take": 2}
    assert day["failures"] == {"absent": 1}
    assert sorted((h["tracking_number"], h["state"]) for h in day["holding"]) == sorted(
        [(one, "delivery_failed"), (two, "out_for_delivery")])
    await applied(world.client, world.courier, one, "return")
    day = (await _get(world, world.courier, "/v1/me/today")).json()
    assert [h["tracking_number"] for h in day["holding"]] == [two]
    assert day["actions"] == {"fail": 1, "return": 1, "take": 2}


async def test_clerks_count_their_own_scans_only(world):
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    sorter = (await _get(world, world.sorter, "/v1/me/today")).json()
    assert sorter["actions"] == {"bag": 1, "dispatch": 1, "receive": 1}
    assert sorter["failures"] == {} and sorter["holding"] == []
    clerk = (await _get(world, world.clerk, "/v1/me/today")).json()
    assert clerk["actions"] == {"arrive": 1}
    other = (await _get(world, world.other_clerk, "/v1/me/today")).json()
    assert other["actions"] == {}


async def test_only_handheld_roles_have_a_day(world):
    problem(await _get(world, world.supervisor, "/v1/me/today"), 403)


# --- GET /v1/branch/items --------------------------------------------------------------------


async def test_the_shelf_lists_the_branchs_items_oldest_first_with_initials(world, conn):
    tns = [await submit(world.client, world.key, f"PP-{n}") for n in range(3)]
    await to_branch(world, tns)
    for tn in tns:
        await applied(world.client, world.clerk, tn, "shelve")
    # The first one has waited longest: it entered the shelf three days ago.
    await conn.execute("SET session_replication_role = replica")
    await conn.execute(
        "UPDATE custody_events SET server_at = server_at - interval '3 days' WHERE item_id = "
        "(SELECT id FROM items WHERE tracking_number = $1) AND action = 'shelve'", tns[2])
    await conn.execute("SET session_replication_role = origin")
    response = await _get(world, world.clerk, "/v1/branch/items")
    assert response.status_code == 200 and response.headers["cache-control"] == NO_STORE
    page = response.json()
    assert [i["tracking_number"] for i in page["items"]] == [tns[2], tns[0], tns[1]]
    first = page["items"][0]
    assert first["state"] == "ready_for_pickup" and first["days_waiting"] == 3
    assert first["citizen"] == "A. A. H." and first["document_type"] == "passport"
    assert first["courier"] is None and first["awaiting"] is None
    assert page["items"][1]["days_waiting"] == 0 and page["next_cursor"] is None
    assert "Ahmed" not in response.text and "7701234567" not in response.text
    other = (await _get(world, world.other_clerk, "/v1/branch/items")).json()
    assert other == {"items": [], "next_cursor": None}


async def test_the_shelf_pages_by_cursor_without_repeats(world):
    tns = [await submit(world.client, world.key, f"PP-{n}") for n in range(3)]
    await to_branch(world, tns)
    seen, cursor = [], None
    for _ in range(3):
        params = {"state": "at_branch", "limit": 1} | ({"cursor": cursor} if cursor else {})
        page = (await _get(world, world.supervisor, "/v1/branch/items", **params)).json()
        seen += [i["tracking_number"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(tns) and cursor is None


async def test_the_shelf_shows_the_courier_and_an_unconfirmed_hand_over(world):
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
    [item] = (await _get(world, world.clerk, "/v1/branch/items",
                         state="out_for_delivery")).json()["items"]
    assert item["courier"] == "courier" and item["awaiting"] == "to_courier"
    await applied(world.client, world.courier, tn, "take")
    await applied(world.client, world.courier, tn, "fail", reason="absent")
    await applied(world.client, world.courier, tn, "return")
    [back] = (await _get(world, world.clerk, "/v1/branch/items",
                         state="at_branch")).json()["items"]
    assert back["awaiting"] == "return" and back["courier"] is None


async def test_the_shelf_refuses_other_states_roles_and_forged_cursors(world):
    bad = problem(await _get(world, world.clerk, "/v1/branch/items", state="delivered"), 422)
    assert problem_fields(bad) == ["query:state"]
    forged = problem(await _get(world, world.clerk, "/v1/branch/items", cursor="bm9wZQ"), 422)
    assert problem_fields(forged) == ["query:cursor"]
    for who in (world.courier, world.sorter):
        problem(await _get(world, who, "/v1/branch/items"), 403)


# --- POST /v1/items/{tracking_number}/phone -------------------------------------------------


async def _reveals(conn) -> list:
    return await conn.fetch("SELECT r.item_id, s.username, r.device_id, r.revealed_at FROM "
                            "phone_reveals r JOIN staff s ON s.id = r.staff_id ORDER BY r.id")


async def test_the_courier_holding_the_item_sees_the_phone_and_the_reveal_is_kept(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    response = await world.client.post(f"/v1/items/{tn}/phone", headers=world.courier)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == NO_STORE
    body = response.json()
    assert body["tracking_number"] == tn and body["phone"] == "+9647701234567"
    at = datetime.fromisoformat(body["revealed_at"])
    assert abs(datetime.now(UTC) - at) < timedelta(minutes=1)
    [row] = await _reveals(conn)
    assert row["username"] == "courier" and row["device_id"] == "dev-courier"
    assert row["item_id"] == await conn.fetchval(
        "SELECT id FROM items WHERE tracking_number = $1", tn)


async def test_the_phone_is_refused_before_take_to_others_and_after_failing(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
    before_take = problem(await world.client.post(f"/v1/items/{tn}/phone",
                                                  headers=world.courier), 403)
    assert before_take["reason"] == "not_taken"
    await applied(world.client, world.courier, tn, "take")
    not_yours = problem(await world.client.post(f"/v1/items/{tn}/phone",
                                                headers=world.other_courier), 403)
    assert not_yours["reason"] == "not_yours" and "+964" not in str(not_yours)
    await applied(world.client, world.courier, tn, "fail", reason="absent")
    failed = problem(await world.client.post(f"/v1/items/{tn}/phone",
                                             headers=world.courier), 403)
    assert failed["reason"] == "not_out_for_delivery"
    assert await _reveals(conn) == []


async def test_another_branchs_item_is_refused_like_one_that_does_not_exist(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    far = await staff_token(world.client, conn, username="courier3", role="courier",
                            site_code=world.other_branch, device_id="dev-courier3")
    theirs = problem(await world.client.post(f"/v1/items/{tn}/phone", headers=far), 403)
    unknown = problem(await world.client.post("/v1/items/RR987654326IQ/phone", headers=far),
                      403)
    assert theirs["reason"] == unknown["reason"] == "not_yours"
    assert theirs["detail"].replace(tn, "TN") == unknown["detail"].replace("RR987654326IQ", "TN")
    problem(await world.client.post(f"/v1/items/{tn}/phone", headers=world.clerk), 403)
    assert await _reveals(conn) == []


async def test_returning_items_are_listed_while_at_the_branch_only(world):
    recalled = await submit(world.client, world.key, "PP-1")
    await applied(world.client, world.sorter, recalled, "receive")
    cancel = await world.client.post(f"/v1/documents/{recalled}/cancel",
                                     headers={"Authorization": f"Bearer {world.key}"})
    assert cancel.status_code == 200, cancel.text  # returning, but still at the sorting centre
    found = await submit(world.client, world.key, "PP-2")
    await to_branch(world, [found])
    for action in ("lost", "found"):
        marked = await world.client.post(f"/v1/supervisor/items/{found}/{action}",
                                         headers=world.supervisor, json={"reason": "the shelf"})
        assert marked.status_code == 200, marked.text
    [item] = (await _get(world, world.clerk, "/v1/branch/items", state="returning")).json()[
        "items"]
    assert item["tracking_number"] == found and item["awaiting"] is None
    await applied(world.client, world.clerk, found, "send_back")
    [leaving] = (await _get(world, world.clerk, "/v1/branch/items",
                            state="returning")).json()["items"]
    assert leaving["awaiting"] == "send_back"
    await applied(world.client, world.sorter, found, "accept")
    assert (await _get(world, world.clerk, "/v1/branch/items", state="returning")).json()[
        "items"] == []
