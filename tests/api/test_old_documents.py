"""Old-document collection: a document that replaces an old one (the agency sends the old one's
number) is handed over only with that number read back from the old document, or the citizen's
declaration that it is lost; the old document then travels back to the agency as an item of its
own, with the same hand-overs as any return."""

from datetime import UTC, datetime

import pytest

from delivery.reports.model import local_day
from tests.custody_world import (
    SIGNED_BY,
    applied,
    build_world,
    last4,
    last_code,
    out_for_delivery,
    scan,
    to_branch,
)
from tests.helpers import auth, document

pytestmark = pytest.mark.usefixtures("demo_sites")

OLD_NUMBER = "A1234567"


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


async def _submit_renewal(world, ref: str, number: str = OLD_NUMBER, **changes) -> str:
    body = {**document(ref, **changes), "old_document": {"number": number}}
    response = await world.client.post("/v1/documents", json=body, headers=auth(world.key))
    assert response.status_code == 201, response.text
    return response.json()["tracking_number"]


async def _read(world, tn: str) -> dict:
    response = await world.client.get(f"/v1/documents/{tn}?include=events",
                                      headers=auth(world.key))
    assert response.status_code == 200, response.text
    return response.json()


async def _webhooks(conn, tn: str) -> list[dict]:
    return [r["payload"] for r in await conn.fetch(
        "SELECT o.payload FROM outbox o JOIN items i ON i.id = o.item_id "
        "WHERE o.channel = 'webhook' AND i.tracking_number = $1 ORDER BY o.id", tn)]


async def _held_by_courier(world) -> list[tuple[str, str]]:
    response = await world.client.get("/v1/me/today", headers=world.courier)
    assert response.status_code == 200, response.text
    return [(h["tracking_number"], h["state"]) for h in response.json()["holding"]]


async def _sms_count(conn, tn: str) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM outbox o JOIN items i ON i.id = o.item_id "
        "WHERE o.channel = 'sms' AND i.tracking_number = $1", tn)


async def _at_the_door_without_the_old_document(world, conn, tn: str) -> tuple[str, str]:
    """Take the item out and offer it without the old document: refused. Its code and digits."""
    await out_for_delivery(world, tn)
    code, digits = await last_code(conn, tn), await last4(conn, tn)
    missing = await scan(world.client, world.courier, tn, "deliver", otp=code, id_last4=digits)
    assert (missing["status"], missing["reason"]) == ("rejected", "old_document_required")
    return code, digits


async def test_delivered_only_with_the_old_number_and_the_old_document_travels_back(world, conn):
    tn = await _submit_renewal(world, "PP-RENEW-1")
    assert (await _read(world, tn))["old_document"] == {"number": OLD_NUMBER}
    code, digits = await _at_the_door_without_the_old_document(world, conn, tn)
    wrong = await scan(world.client, world.courier, tn, "deliver", otp=code, id_last4=digits,
                       old_document_number="A7654321")
    assert (wrong["status"], wrong["reason"]) == ("rejected", "old_document_mismatch")
    assert OLD_NUMBER not in wrong["error"]  # the refusal never tells the right number

    # Typed on an Arabic keyboard, lower case, with a space: the same number.
    delivered = await applied(world.client, world.courier, tn, "deliver", otp=code,
                              id_last4=digits, old_document_number="a١٢٣ ٤٥٦٧")
    assert delivered["state"] == "delivered"
    doc = await _read(world, tn)
    assert doc["proof"]["old_document"] == "taken"
    old_tn = doc["old_document"]["tracking_number"]
    assert doc["old_document"] == {"number": OLD_NUMBER, "number_checked": True,
                                   "tracking_number": old_tn, "state": "returning"}

    old = await _read(world, old_tn)
    assert old["old_document_of"] == tn
    assert (old["state"], old["return_reason"]) == ("returning", "old_document")
    assert old["document_type"] == "passport" and old["external_ref"] == "PP-RENEW-1#old"
    assert [w["state"] for w in await _webhooks(conn, old_tn)] == ["returning"]

    # In the courier's hands until they bring it back to the branch.
    assert await _held_by_courier(world) == [(old_tn, "returning")]
    # Back through the same hand-overs as any return, to the agency's signature.
    await applied(world.client, world.courier, old_tn, "return")
    assert await _held_by_courier(world) == []
    await applied(world.client, world.clerk, old_tn, "send_back")
    early = await scan(world.client, world.sorter, old_tn, "returned", signed_by=SIGNED_BY)
    assert (early["status"], early["reason"]) == ("rejected", "handover_unconfirmed")
    await applied(world.client, world.sorter, old_tn, "accept")
    await applied(world.client, world.sorter, old_tn, "returned", signed_by=SIGNED_BY)

    old = await _read(world, old_tn)
    assert (old["state"], old["return_reason"]) == ("returned_to_agency", "old_document")
    assert old["returned_signed_by"] == {"name": "Z. K.", "id_last4": "4321"}
    assert [e["action"] for e in old["events"]] == [
        "take_old", "return", "send_back", "accept", "returned"]
    assert (await _read(world, tn))["old_document"]["state"] == "returned_to_agency"
    assert await _sms_count(conn, old_tn) == 0  # the old document never texts the citizen
    returns = await world.client.get("/v1/returns", headers=auth(world.key))
    assert returns.status_code == 200, returns.text
    assert [(r["tracking_number"], r["return_reason"]) for r in returns.json()["items"]] == [
        (old_tn, "old_document")]


async def test_a_loss_declared_by_the_citizen_is_delivered_and_reported(world, conn):
    tn = await _submit_renewal(world, "PP-RENEW-2")
    await out_for_delivery(world, tn)
    await applied(world.client, world.courier, tn, "deliver", otp=await last_code(conn, tn),
                  id_last4=await last4(conn, tn), old_document_lost=True)
    doc = await _read(world, tn)
    assert doc["state"] == "delivered"
    assert doc["proof"]["old_document"] == "declared_lost"
    assert doc["old_document"] == {"number": OLD_NUMBER, "declared_lost": True}
    delivered = [w for w in await _webhooks(conn, tn) if w["state"] == "delivered"]
    assert [w["old_document"] for w in delivered] == [{"declared_lost": True}]
    assert await conn.fetchval("SELECT count(*) FROM items WHERE old_document_of IS NOT NULL") == 0


async def test_the_branch_counter_takes_the_old_document_at_collection(world, conn):
    tn = await _submit_renewal(world, "PP-RENEW-3", mode="pickup")
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "shelve")
    code = await last_code(conn, tn)
    refused = await scan(world.client, world.clerk, tn, "collect", otp=code,
                         id_last4=await last4(conn, tn))
    assert refused["reason"] == "old_document_required"
    await applied(world.client, world.clerk, tn, "collect", otp=code,
                  id_last4=await last4(conn, tn), old_document_number=OLD_NUMBER)
    old_tn = (await _read(world, tn))["old_document"]["tracking_number"]
    # The clerk holds it already: the branch sends it back without a courier's `return`.
    await applied(world.client, world.clerk, old_tn, "send_back")
    await applied(world.client, world.sorter, old_tn, "accept")
    await applied(world.client, world.sorter, old_tn, "returned", signed_by=SIGNED_BY)
    assert (await _read(world, old_tn))["state"] == "returned_to_agency"


async def test_a_document_without_an_old_one_is_handed_over_as_before(world, conn):
    tn = await _submit_renewal(world, "PP-FIRST", number="A1234567")
    plain = document("PP-PLAIN")
    response = await world.client.post("/v1/documents", json=plain, headers=auth(world.key))
    plain_tn = response.json()["tracking_number"]
    await out_for_delivery(world, plain_tn)
    await applied(world.client, world.courier, plain_tn, "deliver",
                  otp=await last_code(conn, plain_tn), id_last4=await last4(conn, plain_tn))
    assert "old_document" not in await _read(world, plain_tn)
    assert (await _read(world, tn))["state"] == "registered"


@pytest.mark.parametrize("number", ["12", "A1234567!", "X" * 21])
async def test_a_bad_old_document_number_is_refused_naming_the_field(world, number):
    body = {**document("PP-BAD"), "old_document": {"number": number}}
    response = await world.client.post("/v1/documents", json=body, headers=auth(world.key))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = [e["field"] for e in response.json()["errors"]]
    assert any(f.endswith("old_document/number") for f in fields), fields


# --- a type that always takes the old document back (the vehicle's annual registration) ---------

async def _submit_vehicle_card(world, ref: str, **changes) -> str:
    body = document(ref, document_type="vehicle_registration", **changes)
    response = await world.client.post("/v1/documents", json=body, headers=auth(world.key))
    assert response.status_code == 201, response.text  # sent as before: no old number asked
    return response.json()["tracking_number"]


async def test_a_type_that_takes_the_old_one_back_records_the_number_read_unchecked(world, conn):
    tn = await _submit_vehicle_card(world, "VR-YEARLY-1")
    assert "old_document" not in await _read(world, tn)
    code, digits = await _at_the_door_without_the_old_document(world, conn, tn)
    garbled = await scan(world.client, world.courier, tn, "deliver", otp=code, id_last4=digits,
                         old_document_number="12!")
    assert (garbled["status"], garbled["reason"]) == ("rejected", "old_document_invalid")

    # Nothing to check it against: whatever well-formed number is read is recorded as read.
    await applied(world.client, world.courier, tn, "deliver", otp=code, id_last4=digits,
                  old_document_number="bg-٤٤١٢٣")
    doc = await _read(world, tn)
    assert doc["proof"]["old_document"] == "taken"
    old_tn = doc["old_document"]["tracking_number"]
    assert doc["old_document"] == {"number": "BG44123", "number_checked": False,
                                   "tracking_number": old_tn, "state": "returning"}
    old = await _read(world, old_tn)
    assert (old["old_document_of"], old["document_type"]) == (tn, "vehicle_registration")
    assert (old["state"], old["return_reason"]) == ("returning", "old_document")
    delivered = [w for w in await _webhooks(conn, tn) if w["state"] == "delivered"]
    assert [w["old_document"] for w in delivered] == [
        {"taken": True, "number": "BG44123", "number_checked": False}]


async def test_a_type_that_takes_the_old_one_back_accepts_a_declared_loss(world, conn):
    tn = await _submit_vehicle_card(world, "VR-YEARLY-2", mode="pickup")
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "shelve")
    await applied(world.client, world.clerk, tn, "collect", otp=await last_code(conn, tn),
                  id_last4=await last4(conn, tn), old_document_lost=True)
    doc = await _read(world, tn)
    assert doc["old_document"] == {"declared_lost": True}
    assert doc["proof"]["old_document"] == "declared_lost"
    collected = [w for w in await _webhooks(conn, tn) if w["state"] == "collected"]
    assert [w["old_document"] for w in collected] == [{"declared_lost": True}]


async def test_a_type_that_takes_the_old_one_back_still_checks_a_number_sent(world, conn):
    body = {**document("VR-YEARLY-3", document_type="vehicle_registration"),
            "old_document": {"number": "BG44123"}}
    response = await world.client.post("/v1/documents", json=body, headers=auth(world.key))
    tn = response.json()["tracking_number"]
    await out_for_delivery(world, tn)
    code, digits = await last_code(conn, tn), await last4(conn, tn)
    wrong = await scan(world.client, world.courier, tn, "deliver", otp=code, id_last4=digits,
                       old_document_number="BG44124")
    assert wrong["reason"] == "old_document_mismatch"
    await applied(world.client, world.courier, tn, "deliver", otp=code, id_last4=digits,
                  old_document_number="BG44123")
    doc = await _read(world, tn)
    assert doc["old_document"]["number_checked"] is True
    delivered = [w for w in await _webhooks(conn, tn) if w["state"] == "delivered"]
    assert [w["old_document"] for w in delivered] == [{"taken": True, "number_checked": True}]


async def test_the_summary_counts_old_documents_taken_back_and_declared_lost(world, conn):
    taken, lost, unchecked = (await _submit_renewal(world, "PP-SUM-1"),
                              await _submit_renewal(world, "PP-SUM-2"),
                              await _submit_vehicle_card(world, "VR-SUM-3"))
    for tn, proof in ((taken, {"old_document_number": OLD_NUMBER}),
                      (lost, {"old_document_lost": True}),
                      (unchecked, {"old_document_number": "BG44123"})):
        await out_for_delivery(world, tn)
        await applied(world.client, world.courier, tn, "deliver", otp=await last_code(conn, tn),
                      id_last4=await last4(conn, tn), **proof)
    today = local_day(datetime.now(UTC))
    response = await world.client.get(f"/v1/reports/summary?from={today}&to={today}"
                                      "&group_by=document_type", headers=auth(world.key))
    assert response.status_code == 200, response.text
    groups = {g["key"]: g for g in response.json()["groups"]}
    assert groups["passport"]["old_documents"] == {"taken": 1, "declared_lost": 1}
    assert groups["vehicle_registration"]["old_documents"] == {"taken": 1, "declared_lost": 0}
    # The old documents taken are items of their own, on their way back.
    assert groups["passport"]["returns_by_reason"] == {"old_document": 1}
