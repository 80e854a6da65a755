"""The citizen's choices: CSRF-protected forms, saved as chained custody events by a citizen."""

import re
from datetime import date, timedelta

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from delivery.custody import chain, log
from delivery.web.app import create_app
from tests.api.tracking_support import DORA, KARKH, new_item
from tests.helpers import staff_token

pytestmark = pytest.mark.usefixtures("demo_sites")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


async def form(client, token: str, path: str, fields: dict) -> tuple[int, str]:
    """Open the page, post the form with its CSRF field as a browser does (asking for HTML);
    returns (status, where it redirects)."""
    html = (await client.get(f"/t/{token}")).text
    response = await client.post(f"/t/{token}/{path}", data={"csrf": csrf_of(html), **fields},
                                 headers={"Accept": "text/html"}, follow_redirects=False)
    return response.status_code, response.headers.get("location", "")


async def item_row(conn, item_id: int):
    return await conn.fetchrow(
        "SELECT i.*, s.code AS branch_code FROM items i LEFT JOIN sites s ON s.id = i.branch_id "
        "WHERE i.id = $1", item_id)


async def last_event(conn, item_id: int):
    return await conn.fetchrow("SELECT * FROM custody_events WHERE item_id = $1 "
                               "ORDER BY seq DESC LIMIT 1", item_id)


async def test_choosing_pickup_at_another_branch_is_a_citizen_event_and_a_webhook(client, conn):
    token, item_id = await new_item(conn, state="received")
    status, location = await form(client, token, "mode", {"mode": "pickup", "branch": "BG-006"})
    assert (status, location) == (303, f"/t/{token}?m=saved")
    row = await item_row(conn, item_id)
    assert (row["delivery_mode"], row["branch_code"], row["assignment_rule"]) == (
        "pickup", "BG-006", "pickup_choice")
    event = await last_event(conn, item_id)
    assert (event["action"], event["actor_role"], event["to_state"]) == (
        "choose_pickup", "citizen", "received")
    assert chain.verify_chain(await log.load_chain(conn, item_id)) == []
    webhook = await conn.fetchval("SELECT payload FROM outbox WHERE item_id = $1 AND "
                                  "topic = 'item.citizen_choice'", item_id)
    assert webhook["choice"] == "choose_pickup" and webhook["branch"] == "BG-006"
    page = (await client.get(f"/t/{token}?m=saved&lang=en")).text
    assert "Mansour Post Office" in page and "Your choice was saved." in page


async def test_a_branch_not_offered_is_refused(client, conn):
    token, item_id = await new_item(conn, state="registered")
    status, location = await form(client, token, "mode", {"mode": "pickup", "branch": "NI-001"})
    assert status == 303 and location.endswith("?m=invalid")
    assert (await item_row(conn, item_id))["branch_code"] == "BG-002"


async def test_choosing_home_again_reassigns_from_the_items_point(client, conn):
    token, item_id = await new_item(conn, state="registered", mode="pickup", branch="BG-006")
    await form(client, token, "mode", {"mode": "home"})
    row = await item_row(conn, item_id)
    assert (row["delivery_mode"], row["branch_code"], row["assignment_rule"]) == (
        "home", "BG-002", "area")


async def test_choice_too_late_for_the_state_changes_nothing(client, conn):
    token, item_id = await new_item(conn, state="at_branch")
    html = (await client.get(f"/t/{token}")).text
    await conn.execute("UPDATE items SET state = 'out_for_delivery' WHERE id = $1", item_id)
    response = await client.post(f"/t/{token}/mode", data={
        "csrf": csrf_of(html), "mode": "pickup", "branch": "BG-002"}, follow_redirects=False)
    assert response.headers["location"].endswith("?m=too_late")
    assert (await item_row(conn, item_id))["delivery_mode"] == "home"


async def test_shared_point_reruns_assignment_and_records_the_rule(client, conn):
    token, item_id = await new_item(conn, state="registered", point=KARKH)
    status, _ = await form(client, token, "location", {"lat": str(DORA[0]), "lon": str(DORA[1])})
    row = await item_row(conn, item_id)
    assert status == 303 and (row["lat"], row["lon"]) == DORA
    assert (row["branch_code"], row["assignment_rule"]) == ("BG-009", "area")
    assert row["location_source"] == "citizen_geolocation"
    event = await last_event(conn, item_id)
    assert event["action"] == "share_location" and event["actor_role"] == "citizen"
    assert event["payload"] == {"source": "geolocation", "rule": "area", "branch": "BG-009"}


async def test_a_point_outside_iraq_is_refused(client, conn):
    token, item_id = await new_item(conn)
    _, location = await form(client, token, "location", {"lat": "48.85", "lon": "2.35"})
    assert location.endswith("?m=outside")
    assert (await item_row(conn, item_id))["lat"] == KARKH[0]


async def test_manual_address_fields_are_saved_for_the_courier(client, conn):
    token, item_id = await new_item(conn)
    await form(client, token, "location", {"district": "Mansour", "mahalla": "605",
                                           "zuqaq": "11", "house": "3",
                                           "landmark": "near the Hurriya school"})
    row = await item_row(conn, item_id)
    assert (row["district"], row["mahalla"], row["zuqaq"], row["house"], row["landmark"]) == (
        "Mansour", "605", "11", "3", "near the Hurriya school")
    assert (await last_event(conn, item_id))["payload"] == {"source": "address"}
    page = (await client.get(f"/t/{token}")).text
    assert "Mansour" in page and "Hurriya" not in page


async def test_empty_location_form_is_refused(client, conn):
    token, _ = await new_item(conn)
    _, location = await form(client, token, "location", {"district": " "})
    assert location.endswith("?m=invalid")


async def test_reschedule_offers_working_days_and_stores_the_choice(client, conn):
    token, item_id = await new_item(conn, state="at_branch")
    days = (await client.get(f"/v1/track/{token}")).json()["choices"]["days"]
    offered = [date.fromisoformat(d["date"]) for d in days]
    assert len(offered) == 5 and all(d.weekday() not in (4, 5) for d in offered)
    status, _ = await form(client, token, "schedule", {"day": offered[1].isoformat(),
                                                       "window": "afternoon"})
    row = await item_row(conn, item_id)
    assert status == 303
    assert (row["delivery_day"], row["delivery_window"]) == (offered[1], "afternoon")
    assert (await last_event(conn, item_id))["action"] == "reschedule"


async def test_stored_and_configured_holidays_are_not_offered(client, conn, settings):
    token, _ = await new_item(conn)
    first = date.fromisoformat(
        (await client.get(f"/v1/track/{token}")).json()["choices"]["days"][0]["date"])
    await conn.execute("INSERT INTO holidays (day, governorate) VALUES ($1, 'IQ-BG')", first)
    days = [d["date"] for d in (await client.get(f"/v1/track/{token}")).json()["choices"]["days"]]
    assert first.isoformat() not in days and len(days) == 5
    second = date.fromisoformat(days[0])
    app = create_app(msgspec.structs.replace(settings, holidays=(second.isoformat(),)))
    async with AsyncTestClient(app=app) as other:
        days = [d["date"] for d in (await other.get(f"/v1/track/{token}")).json()["choices"][
            "days"]]
    assert second.isoformat() not in days and first.isoformat() not in days


async def test_a_day_not_offered_is_refused(client, conn):
    token, item_id = await new_item(conn)
    friday = date.today() + timedelta(days=(4 - date.today().weekday()) % 7 or 7)
    _, location = await form(client, token, "schedule", {"day": friday.isoformat(),
                                                         "window": "morning"})
    assert location.endswith("?m=invalid")
    assert (await item_row(conn, item_id))["delivery_day"] is None


async def test_form_without_the_csrf_field_or_cookie_is_refused(client, conn):
    token, item_id = await new_item(conn, state="received")
    html = (await client.get(f"/t/{token}")).text
    no_field = await client.post(f"/t/{token}/mode", data={"mode": "pickup", "branch": "BG-006"})
    assert no_field.status_code == 403
    client.cookies.clear()
    no_cookie = await client.post(f"/t/{token}/mode", data={
        "csrf": csrf_of(html), "mode": "pickup", "branch": "BG-006"})
    assert no_cookie.status_code == 403
    assert (await item_row(conn, item_id))["delivery_mode"] == "home"


async def test_csrf_field_of_another_item_or_from_another_site_is_refused(client, conn):
    token, item_id = await new_item(conn, state="received")
    other, _ = await new_item(conn, state="received")
    other_field = csrf_of((await client.get(f"/t/{other}")).text)
    response = await client.post(f"/t/{token}/mode", data={
        "csrf": other_field, "mode": "pickup", "branch": "BG-006"})
    assert response.status_code == 403
    own_field = csrf_of((await client.get(f"/t/{token}")).text)
    response = await client.post(f"/t/{token}/mode", data={
        "csrf": own_field, "mode": "pickup", "branch": "BG-006"},
        headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert (await item_row(conn, item_id))["delivery_mode"] == "home"


async def test_form_for_an_unknown_token_is_a_404(client, conn):
    token, _ = await new_item(conn)
    html = (await client.get(f"/t/{token}")).text
    # A valid field for a token that does not exist cannot be made without the server key,
    # so the request fails on CSRF before revealing anything.
    response = await client.post("/t/" + "B" * 22 + "/mode", data={"csrf": csrf_of(html),
                                                                   "mode": "home"})
    assert response.status_code == 403


async def test_page_views_beyond_the_limit_get_429(settings, conn):
    token, _ = await new_item(conn)
    app = create_app(msgspec.structs.replace(settings, tracking_page_limit="3/60"))
    async with AsyncTestClient(app=app) as limited:
        statuses = [(await limited.get(f"/t/{token}")).status_code for _ in range(4)]
        unknown = await limited.get("/t/" + "C" * 22)
        json_view = await limited.get(f"/v1/track/{token}")
    assert statuses == [200, 200, 200, 429] and unknown.status_code == 429
    assert json_view.status_code == 429 and int(json_view.headers["retry-after"]) > 0


async def test_form_posts_beyond_the_limit_get_429(settings, conn):
    token, _ = await new_item(conn)
    app = create_app(msgspec.structs.replace(settings, tracking_form_limit="2/600"))
    async with AsyncTestClient(app=app) as limited:
        html = (await limited.get(f"/t/{token}")).text
        statuses = [(await limited.post(f"/t/{token}/schedule", data={
            "csrf": csrf_of(html), "day": "2000-01-02", "window": "morning"},
            headers={"Accept": "text/html"}, follow_redirects=False)).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]


async def test_money_answer_reaches_the_inspectors_queue_with_the_staff_involved(client, conn):
    token, item_id = await new_item(conn, state="delivered")
    status, _ = await form(client, token, "report", {"asked": "yes",
                                                     "complaint": "the courier wanted 10,000"})
    assert status == 303
    assert (await last_event(conn, item_id))["action"] == "report"
    page = (await client.get(f"/t/{token}?lang=en")).text
    assert "an inspector independent of the branch will read your answer" in page
    assert 'id="form-report"' not in page
    headers = await staff_token(client, conn, username="insp-bg", role="inspector",
                                site_code=None, governorate="IQ-BG")
    queue = (await client.get("/v1/ops/complaints?branch=BG-002", headers=headers)).json()
    [entry] = queue["complaints"]
    assert entry["asked_for_money"] is True and entry["complaint"] == "the courier wanted 10,000"
    assert [(s["username"], s["role"]) for s in entry["staff"]] == [
        ("t-sorting-clerk", "sorting_clerk"), ("t-branch-clerk", "branch_clerk"),
        ("t-courier", "courier")]
    assert "deliver" in entry["staff"][2]["actions"]
    other = (await client.get("/v1/ops/complaints?branch=BG-006", headers=headers)).json()
    assert other["complaints"] == []


async def test_second_answer_for_the_same_item_is_refused(client, conn):
    token, _ = await new_item(conn, state="collected", mode="pickup")
    html = (await client.get(f"/t/{token}")).text
    first = await client.post(f"/t/{token}/report", data={"csrf": csrf_of(html), "asked": "no"},
                              follow_redirects=False)
    second = await client.post(f"/t/{token}/report", data={"csrf": csrf_of(html), "asked": "yes"},
                               follow_redirects=False)
    assert first.headers["location"].endswith("=saved")
    assert second.headers["location"].endswith("=too_late")
    assert await conn.fetchval("SELECT count(*) FROM citizen_reports") == 1


async def test_handling_a_complaint_records_who_when_and_what_and_it_can_be_reopened(
        client, conn):
    token, _ = await new_item(conn, state="collected", mode="pickup")
    await form(client, token, "report", {"asked": "no", "complaint": "late"})
    headers = await staff_token(client, conn, username="insp-one", role="inspector",
                                site_code=None, governorate="IQ-BG")
    [entry] = (await client.get("/v1/ops/complaints", headers=headers)).json()["complaints"]
    done = await client.post(f"/v1/ops/complaints/{entry['id']}/handled",
                             json={"outcome": "investigated", "note": "called the citizen"},
                             headers=headers)
    assert done.status_code == 200
    assert done.json()["handled_by"] == "insp-one" and done.json()["handled_at"]
    assert done.json()["outcome"] == "investigated"
    again = await client.post(f"/v1/ops/complaints/{entry['id']}/handled",
                              json={"outcome": "unfounded"}, headers=headers)
    assert again.status_code == 409
    assert (await client.get("/v1/ops/complaints", headers=headers)).json()["complaints"] == []
    handled = (await client.get("/v1/ops/complaints?status=handled", headers=headers)).json()
    assert handled["complaints"][0]["handled_note"] == "called the citizen"
    reopened = await client.post(f"/v1/ops/complaints/{entry['id']}/reopen",
                                 json={"note": "the citizen called again"}, headers=headers)
    assert reopened.status_code == 200 and reopened.json()["handled_at"] is None
    assert len((await client.get("/v1/ops/complaints", headers=headers)).json()["complaints"]) == 1
    assert await conn.fetchval("SELECT count(*) FROM complaint_actions") == 2


async def test_an_unknown_outcome_is_refused_naming_the_field(client, conn):
    token, _ = await new_item(conn, state="collected", mode="pickup")
    await form(client, token, "report", {"asked": "no", "complaint": "late"})
    headers = await staff_token(client, conn, username="insp-one", role="inspector",
                                site_code=None, governorate="IQ-BG")
    [entry] = (await client.get("/v1/ops/complaints", headers=headers)).json()["complaints"]
    refused = await client.post(f"/v1/ops/complaints/{entry['id']}/handled",
                                json={"outcome": "paid off"}, headers=headers)
    assert refused.status_code == 422 and "outcome" in refused.text
    assert await conn.fetchval("SELECT handled_at FROM citizen_reports") is None


async def test_the_queue_is_for_inspectors_never_for_the_branch_or_its_supervisor(client, conn):
    token, _ = await new_item(conn, state="delivered")
    await form(client, token, "report", {"asked": "yes", "complaint": "he asked for money"})
    for username, role in (("courier-x", "courier"), ("sup-karkh", "supervisor")):
        headers = await staff_token(client, conn, username=username, role=role,
                                    site_code="BG-002")
        assert (await client.get("/v1/ops/complaints", headers=headers)).status_code == 403
        assert (await client.post("/v1/ops/complaints/1/handled", json={"outcome": "unfounded"},
                                  headers=headers)).status_code == 403
    basra = await staff_token(client, conn, username="insp-ba", role="inspector",
                              site_code=None, governorate="IQ-BA")
    assert (await client.get("/v1/ops/complaints", headers=basra)).json()["complaints"] == []
    assert (await client.post("/v1/ops/complaints/1/handled", json={"outcome": "unfounded"},
                              headers=basra)).status_code == 404
    assert (await client.get("/v1/ops/complaints")).status_code == 401
