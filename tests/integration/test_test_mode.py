"""Test mode: an agency created with `--test` builds its integration against the real API. Its
documents never reach staff (no branch, no search, no complaint queue) or Twilio, and it moves
them through the states itself, receiving the same webhooks as for real items."""

import msgspec
import pytest

from delivery.agencies import services as agencies
from delivery.console.scope import Scope
from delivery.console.search import services as search
from tests.custody_world import scan_body, upload
from tests.fakes.receiver import WebhookReceiver
from tests.fakes.twilio import FakeTwilio
from tests.helpers import auth, create_agency, document, staff_token
from tests.integration.sms_support import twilio_settings
from tests.integration.test_webhooks import _drain

pytestmark = pytest.mark.usefixtures("demo_sites")


async def _test_agency(conn) -> str:
    _, key = await agencies.create_agency(conn, code="MOI-SANDBOX", name="Passports (test)",
                                          test_mode=True)
    return key


async def _step(client, key: str, tn: str, action: str, **more) -> dict:
    response = await client.post(f"/v1/documents/{tn}/simulate", json={"action": action, **more},
                                 headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def test_simulated_steps_send_the_real_webhooks_and_only_console_sms(client, conn, settings):
    key = await _test_agency(conn)
    with WebhookReceiver() as receiver, FakeTwilio() as twilio:
        await client.put("/v1/webhook", json={"url": receiver.url}, headers=auth(key))
        created = await client.post("/v1/documents", json=document("SANDBOX-1"), headers=auth(key))
        assert created.status_code == 201
        assert created.json()["branch"] is None
        assert created.json()["assignment_rule"] == "test_mode"
        tn = created.json()["tracking_number"]
        for action in ("receive", "dispatch", "arrive", "to_courier"):
            await _step(client, key, tn, action)
        assert (await _step(client, key, tn, "fail", reason="absent"))["state"] == "delivery_failed"
        for action in ("return", "to_courier"):
            await _step(client, key, tn, action)
        done = await _step(client, key, tn, "deliver")
        assert done["state"] == "delivered"
        assert [e["state"] for e in done["events"]][-1] == "delivered"
        fast = twilio_settings(msgspec.structs.replace(settings, outbox_retry_base_s=0.01), twilio)
        await _drain(fast, conn)
        events = sorted((msgspec.json.decode(body) for _, body in receiver.successes()),
                        key=lambda e: e["id"])
        sent_by_twilio = twilio.messages
    assert [e["state"] for e in events] == [
        "registered", "received", "in_transit", "at_branch", "out_for_delivery",
        "delivery_failed", "at_branch", "out_for_delivery", "delivered"]
    assert [e.get("reason") for e in events if e["state"] == "delivery_failed"] == ["absent"]
    assert sent_by_twilio == []
    sids = [r["provider_sid"] for r in await conn.fetch("SELECT provider_sid FROM sms_messages")]
    assert sids and all(sid.startswith("CONSOLE") for sid in sids)


async def test_test_mode_documents_are_never_visible_to_staff(client, conn):
    key, real = await _test_agency(conn), await create_agency(conn, "MOI-PASSPORTS")
    hidden = (await client.post("/v1/documents", json=document("SANDBOX-2"),
                                headers=auth(key))).json()["tracking_number"]
    shown = (await client.post("/v1/documents", json=document("REAL-2"),
                               headers=auth(real))).json()["tracking_number"]
    for action in ("receive", "dispatch", "arrive", "shelve"):
        await _step(client, key, hidden, action)
    for scope in (Scope(everything=True), Scope(governorate="IQ-BG")):
        for text in (hidden, "SANDBOX-2", shown):
            found = [i.tracking_number for i in (await search.search(
                conn, text=text, scope=scope)).items]
            assert hidden not in found
        assert [i.tracking_number for i in (await search.search(
            conn, text=shown, scope=scope)).items] == [shown]
    # no branch: no shelf, route plan, courier's list or bag of any site can hold it
    row = await conn.fetchrow("SELECT branch_id, courier_id, state FROM items "
                              "WHERE tracking_number = $1", hidden)
    assert row["branch_id"] is None and row["courier_id"] is None
    assert row["state"] == "ready_for_pickup"
    assert not await conn.fetchval("SELECT count(*) FROM bag_items b JOIN items i "
                                   "ON i.id = b.item_id WHERE i.tracking_number = $1", hidden)


async def test_only_a_test_agency_simulates_and_only_steps_that_follow(client, conn):
    key, real = await _test_agency(conn), await create_agency(conn, "MOI-PASSPORTS")
    tn = (await client.post("/v1/documents", json=document("SANDBOX-3"),
                            headers=auth(key))).json()["tracking_number"]
    real_tn = (await client.post("/v1/documents", json=document("REAL-3"),
                                 headers=auth(real))).json()["tracking_number"]
    refused = await client.post(f"/v1/documents/{real_tn}/simulate", json={"action": "receive"},
                                headers=auth(real))
    assert refused.status_code == 403
    other = await client.post(f"/v1/documents/{real_tn}/simulate", json={"action": "receive"},
                              headers=auth(key))
    assert other.status_code == 404
    early = await client.post(f"/v1/documents/{tn}/simulate", json={"action": "deliver"},
                              headers=auth(key))
    assert early.status_code == 409 and "receive" in early.json()["detail"]
    no_reason = await client.post(f"/v1/documents/{tn}/simulate", json={"action": "fail"},
                                  headers=auth(key))
    assert no_reason.status_code == 422
    assert no_reason.json()["errors"][0]["field"] == "/reason"
    unknown = await client.post(f"/v1/documents/{tn}/simulate", json={"action": "teleport"},
                                headers=auth(key))
    assert unknown.status_code == 422


async def test_a_handheld_scanning_a_test_item_finds_no_such_item(client, conn):
    key = await _test_agency(conn)
    tn = (await client.post("/v1/documents", json=document("SANDBOX-4"),
                            headers=auth(key))).json()["tracking_number"]
    sorter = await staff_token(client, conn, username="sorter", role="sorting_clerk",
                               site_code="SC-BG", device_id="dev-sorter")
    [alone] = await upload(client, sorter, [scan_body(tn, "receive")])
    batched = await upload(client, sorter, [scan_body(tn, "receive"), scan_body(tn, "receive")])
    for result in (alone, *batched):
        assert result["status"] == "rejected", result
    assert await conn.fetchval("SELECT state FROM items WHERE tracking_number = $1",
                               tn) == "registered"


async def _read(client, key: str, tn: str) -> dict:
    response = await client.get(f"/v1/documents/{tn}", headers=auth(key))
    assert response.status_code == 200, response.text
    return response.json()


async def _to_the_door(client, key: str, body: dict) -> str:
    created = await client.post("/v1/documents", json=body, headers=auth(key))
    assert created.status_code == 201, created.text
    tn = created.json()["tracking_number"]
    for action in ("receive", "dispatch", "arrive", "to_courier"):
        await _step(client, key, tn, action)
    return tn


async def test_a_simulated_delivery_takes_the_old_document_back_or_records_its_loss(client,
                                                                                      conn):
    key = await _test_agency(conn)
    renewal = {**document("SANDBOX-OLD-1"), "old_document": {"number": "A1234567"}}
    tn = await _to_the_door(client, key, renewal)
    assert (await _step(client, key, tn, "deliver"))["state"] == "delivered"
    done = await _read(client, key, tn)
    old_tn = done["old_document"]["tracking_number"]
    assert done["old_document"] == {"number": "A1234567", "number_checked": True,
                                    "tracking_number": old_tn, "state": "returning"}
    old = await _read(client, key, old_tn)
    assert (old["old_document_of"], old["return_reason"]) == (tn, "old_document")

    lost_tn = await _to_the_door(client, key, {**document("SANDBOX-OLD-2"),
                                               "old_document": {"number": "A1234568"}})
    await _step(client, key, lost_tn, "deliver", old_document_lost=True)
    lost = await _read(client, key, lost_tn)
    assert lost["old_document"] == {"number": "A1234568", "declared_lost": True}

    # A type that always takes the old one back, sent without its number: taken, unchecked.
    card_tn = await _to_the_door(client, key, document("SANDBOX-OLD-3",
                                                       document_type="vehicle_registration"))
    await _step(client, key, card_tn, "deliver")
    card = await _read(client, key, card_tn)
    assert card["old_document"]["number_checked"] is False
    assert card["old_document"]["state"] == "returning"

    plain_tn = await _to_the_door(client, key, document("SANDBOX-OLD-4"))
    refused = await client.post(f"/v1/documents/{plain_tn}/simulate", headers=auth(key),
                                json={"action": "deliver", "old_document_lost": True})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "/old_document_lost"
    await _step(client, key, plain_tn, "deliver")
    assert "old_document" not in await _read(client, key, plain_tn)
