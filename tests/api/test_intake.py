"""Agencies hand documents over: validated, assigned, recorded once, readable only by them."""

import asyncio

import msgspec
import pytest

from delivery.custody import s10
from tests.helpers import auth, create_agency, document

pytestmark = pytest.mark.usefixtures("demo_sites")


@pytest.fixture
async def key(conn):
    return await create_agency(conn, "MOI-PASSPORTS")


async def test_new_document_gets_an_s10_number_a_branch_and_masked_pii(client, key):
    response = await client.post("/v1/documents", json=document("PP-1"), headers=auth(key))
    assert response.status_code == 201, response.text
    item = response.json()
    assert s10.is_valid(item["tracking_number"]) and item["tracking_number"].endswith("IQ")
    assert item["tracking_number"].startswith("RR")
    assert item["state"] == "registered"
    assert item["branch"]["code"].startswith("BG-") and item["assignment_rule"] == "area"
    assert item["citizen"]["phone"].endswith("567") and "770123" not in item["citizen"]["phone"]
    assert item["citizen"]["name"] == "A. A. H."
    assert "199012345678" not in response.text and "national_id" not in response.text


async def test_acceptance_writes_the_first_event_sms_and_webhook_rows_in_one_go(client, key, conn):
    tn = (await client.post("/v1/documents", json=document("PP-1"), headers=auth(key))).json()[
        "tracking_number"]
    item_id = await conn.fetchval("SELECT id FROM items WHERE tracking_number = $1", tn)
    events = await conn.fetch("SELECT action, to_state, seq FROM custody_events WHERE item_id = $1",
                              item_id)
    assert [(e["action"], e["to_state"], e["seq"]) for e in events] == [("register", "registered", 1)]
    rows = await conn.fetch("SELECT channel, topic, payload FROM outbox WHERE item_id = $1 "
                            "ORDER BY channel", item_id)
    assert [(r["channel"], r["topic"]) for r in rows] == [
        ("sms", "accepted"), ("webhook", "item.state_changed")]
    assert len(rows[0]["payload"]["values"]["token"]) >= 16
    assert rows[1]["payload"]["tracking_number"] == tn and rows[1]["payload"]["state"] == "registered"
    token_hash = await conn.fetchval("SELECT token_hash FROM items WHERE id = $1", item_id)
    assert token_hash != rows[0]["payload"]["values"]["token"].encode()


async def test_same_body_again_returns_the_same_item_with_200(client, key, conn):
    first = await client.post("/v1/documents", json=document("PP-1"), headers=auth(key))
    again = await client.post("/v1/documents", json=document("PP-1", phone="+9647701234567"),
                              headers=auth(key))
    assert again.status_code == 200
    assert again.json()["tracking_number"] == first.json()["tracking_number"]
    assert await conn.fetchval("SELECT count(*) FROM items") == 1
    assert await conn.fetchval("SELECT count(*) FROM outbox") == 2


async def test_different_body_under_the_same_reference_is_409_naming_the_fields(client, key):
    await client.post("/v1/documents", json=document("PP-1"), headers=auth(key))
    changed = document("PP-1", phone="07801234567", district="Rusafa")
    response = await client.post("/v1/documents", json=changed, headers=auth(key))
    assert response.status_code == 409
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"/citizen/phone", "/delivery/district"}
    assert "07801234567" not in response.text


async def test_idempotency_key_replays_the_first_response(client, key, conn):
    headers = auth(key) | {"Idempotency-Key": "req-42"}
    first = await client.post("/v1/documents", json=document("PP-1"), headers=headers)
    replay = await client.post("/v1/documents", json=document("PP-1"), headers=headers)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json()
    assert replay.headers.get("idempotency-replayed") == "true"
    other = await client.post("/v1/documents", json=document("PP-2"), headers=headers)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    assert await conn.fetchval("SELECT count(*) FROM items") == 1


async def test_racing_identical_submissions_create_one_item(client, key, conn):
    responses = await asyncio.gather(*(
        client.post("/v1/documents", json=document("PP-RACE"), headers=auth(key))
        for _ in range(5)))
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["tracking_number"] for r in responses}) == 1
    assert await conn.fetchval("SELECT count(*) FROM items") == 1


@pytest.mark.parametrize(("change", "field"), [
    ({"phone": "0770123456"}, "/citizen/phone"),
    ({"phone": "+96477012345678"}, "/citizen/phone"),
    ({"phone": "07281234567"}, "/citizen/phone"),
    ({"phone": "+12025550123"}, "/citizen/phone"),
    ({"national_id": "12345"}, "/citizen/national_id"),
    ({"governorate": "IQ-XX"}, "/delivery/governorate"),
    ({"location": {"lat": 48.85, "lon": 2.35}}, "/delivery/location/lat"),
    ({"name": "\u0007\u0008"}, "/citizen/name"),
    ({"document_type": "birth_certificate"}, "/document_type"),
    ({"language": "fr"}, "/citizen/language"),
    ({"mode": "home", "branch_code": "BG-002"}, "/delivery/branch_code"),
])
async def test_each_rule_refuses_a_bad_value_naming_the_field(client, key, change, field):
    response = await client.post("/v1/documents", json=document("PP-BAD", **change),
                                 headers=auth(key))
    assert response.status_code == 422, response.text
    assert field in {e["field"] for e in response.json()["errors"]}


async def test_unknown_fields_are_refused(client, key):
    doc = document("PP-1")
    doc["citizen"]["nickname"] = "x"
    response = await client.post("/v1/documents", json=doc, headers=auth(key))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "/citizen/nickname"


async def test_pickup_at_an_unknown_branch_is_refused(client, key):
    doc = document("PP-1", mode="pickup", branch_code="ZZ-999")
    response = await client.post("/v1/documents", json=doc, headers=auth(key))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "/delivery/branch_code"


async def test_assignment_follows_each_rule(client, key):
    cases = {
        "area": document("A", location={"lat": 33.3200, "lon": 44.3800}),
        "governorate_main": document("G", governorate="IQ-NA", location=None),
        "pickup_choice": document("P", mode="pickup", branch_code="BG-003", location=None),
    }
    for rule, doc in cases.items():
        item = (await client.post("/v1/documents", json=doc, headers=auth(key))).json()
        assert item["assignment_rule"] == rule, (rule, item)
    picked = (await client.get("/v1/documents/" + item["tracking_number"],
                               headers=auth(key))).json()
    assert picked["branch"]["code"] == "BG-003"


async def test_point_outside_every_area_goes_to_the_nearest_branch_within_reach(settings, conn):
    from litestar.testing import AsyncTestClient

    from delivery.web.app import create_app

    key = await create_agency(conn, "MOI-B")
    # South of Basra, outside every demo area (beyond the border), 130 km from Basra's branch.
    doc = document("N", governorate="IQ-AN", location={"lat": 29.30, "lon": 47.90})
    for reach, rule in ((200.0, "nearest"), (50.0, "governorate_main")):
        app = create_app(msgspec.structs.replace(settings, assign_max_nearest_km=reach))
        async with AsyncTestClient(app=app) as client:
            doc["external_ref"] = f"N-{reach}"
            item = (await client.post("/v1/documents", json=doc, headers=auth(key))).json()
        assert item["assignment_rule"] == rule
        assert item["branch"]["code"] == ("BA-001" if rule == "nearest" else "AN-001")


async def test_another_agencys_item_is_a_404_like_a_missing_one(client, key, conn):
    other = await create_agency(conn, "MOT-LICENCES")
    tn = (await client.post("/v1/documents", json=document("PP-1"), headers=auth(key))).json()[
        "tracking_number"]
    mine = await client.get(f"/v1/documents/{tn}", headers=auth(key))
    theirs = await client.get(f"/v1/documents/{tn}", headers=auth(other))
    missing = await client.get("/v1/documents/RR999999995IQ", headers=auth(other))
    assert mine.status_code == 200 and len(mine.json()["events"]) == 1
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["title"] == missing.json()["title"]
    assert (await client.post(f"/v1/documents/{tn}/cancel", headers=auth(other))).status_code == 404
    listed = await client.get("/v1/documents", headers=auth(other))
    assert listed.json()["items"] == []
    same_ref = await client.post("/v1/documents", json=document("PP-1"), headers=auth(other))
    assert same_ref.status_code == 201  # references are per agency


async def test_listing_is_newest_first_filtered_and_stable_across_pages(client, key):
    refs = [f"L-{i}" for i in range(7)]
    for ref in refs:
        await client.post("/v1/documents", json=document(ref), headers=auth(key))
    page1 = (await client.get("/v1/documents?limit=3", headers=auth(key))).json()
    assert [i["external_ref"] for i in page1["items"]] == ["L-6", "L-5", "L-4"]
    await client.post("/v1/documents", json=document("L-new"), headers=auth(key))
    seen = [i["external_ref"] for i in page1["items"]]
    cursor = page1["next_cursor"]
    while cursor:
        page = (await client.get(f"/v1/documents?limit=3&cursor={cursor}", headers=auth(key))).json()
        seen += [i["external_ref"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == list(reversed(refs))  # no item twice, none skipped, the newcomer not mid-list
    none = await client.get("/v1/documents?state=delivered", headers=auth(key))
    assert none.json()["items"] == []
    bad = await client.get("/v1/documents?cursor=garbage", headers=auth(key))
    assert bad.status_code == 422


async def test_cancel_only_before_leaving_the_sorting_centre(client, key, conn):
    tn = (await client.post("/v1/documents", json=document("PP-1"), headers=auth(key))).json()[
        "tracking_number"]
    cancelled = await client.post(f"/v1/documents/{tn}/cancel", headers=auth(key))
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    assert [e["state"] for e in cancelled.json()["events"]] == ["registered", "cancelled"]
    again = await client.post(f"/v1/documents/{tn}/cancel", headers=auth(key))
    assert again.status_code == 409
    tn2 = (await client.post("/v1/documents", json=document("PP-2"), headers=auth(key))).json()[
        "tracking_number"]
    await conn.execute("UPDATE items SET state = 'in_transit' WHERE tracking_number = $1", tn2)
    late = await client.post(f"/v1/documents/{tn2}/cancel", headers=auth(key))
    assert late.status_code == 409 and "left the sorting centre" in late.json()["detail"]


async def test_a_running_app_notices_new_service_areas(client, key, conn):
    from delivery.sites.services import import_areas

    point = {"lat": 33.3200, "lon": 44.3800}
    before = (await client.post("/v1/documents", json=document("S-1", location=point),
                                headers=auth(key))).json()
    square = [[[44.37, 33.31], [44.39, 33.31], [44.39, 33.33], [44.37, 33.33], [44.37, 33.31]]]
    target = "BG-009" if before["branch"]["code"] != "BG-009" else "BG-008"
    await import_areas(conn, msgspec.json.encode({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"branch_code": target},
         "geometry": {"type": "Polygon", "coordinates": square}}]}).decode())
    after = (await client.post("/v1/documents", json=document("S-2", location=point),
                               headers=auth(key))).json()
    assert after["branch"]["code"] == target != before["branch"]["code"]
