"""What an agency reads of a hand-over: the proof of delivery, and every return with its reason
and who at the agency signed for it (GET /v1/documents/{tracking_number})."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from delivery.custody import tasks
from delivery.custody.context import custody_context
from tests.custody_world import (
    SIGNED_BY,
    applied,
    build_world,
    last4,
    last_code,
    out_for_delivery,
    scan,
    submit,
    to_branch,
)
from tests.helpers import auth

pytestmark = pytest.mark.usefixtures("demo_sites")

CITIZEN_POINT = {"lat": 33.312, "lon": 44.361}  # tests.helpers.document's
PSEUDONYM = re.compile(r"^stf_[0-9a-f]{20}$")


@pytest.fixture
async def world(client, conn):
    return await build_world(client, conn)


async def _read(world, tn: str) -> tuple[dict, str]:
    response = await world.client.get(f"/v1/documents/{tn}", headers=auth(world.key))
    assert response.status_code == 200, response.text
    return response.json(), response.text


async def _deliver(world, conn, tn: str, courier="courier", **extra) -> None:
    headers = world.courier if courier == "courier" else world.other_courier
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "to_courier", courier=courier)
    await applied(world.client, headers, tn, "take")
    await applied(world.client, headers, tn, "deliver", otp=await last_code(conn, tn),
                  id_last4=await last4(conn, tn), **extra)


async def _head(conn, tn: str) -> str:
    return await conn.fetchval("SELECT encode(chain_head, 'hex') FROM items "
                               "WHERE tracking_number = $1", tn)


# --- proof of delivery -------------------------------------------------------------------------

async def test_a_delivered_document_carries_its_proof_and_none_before(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    before, _ = await _read(world, tn)
    assert "proof" not in before and "return_reason" not in before
    await _deliver(world, conn, tn, location={"lat": 33.3129, "lon": 44.361})
    doc, text = await _read(world, tn)
    proof = doc["proof"]
    assert set(proof) == {"at", "staff", "otp_checked", "id_checked", "location", "distance_m"}
    assert PSEUDONYM.match(proof["staff"])
    assert proof["otp_checked"] is True and proof["id_checked"] is True
    assert proof["location"] == {"lat": 33.3129, "lon": 44.361}
    assert 95 <= proof["distance_m"] <= 105  # 0.0009° of latitude: about 100 m
    assert datetime.fromisoformat(proof["at"]) <= datetime.now(UTC)
    assert doc["chain_head"] == await _head(conn, tn)
    assert '"courier"' not in text and "dev-courier" not in text  # no username, no device


async def test_the_staff_pseudonym_is_the_same_on_every_item_one_courier_handed_over(world, conn):
    first, second, third = [await submit(world.client, world.key, f"PP-{n}") for n in (1, 2, 3)]
    await _deliver(world, conn, first)
    await _deliver(world, conn, second)
    await _deliver(world, conn, third, courier="courier2")
    staff = [(await _read(world, tn))[0]["proof"]["staff"] for tn in (first, second, third)]
    assert staff[0] == staff[1] != staff[2]
    assert "distance_m" not in (await _read(world, first))[0]["proof"]  # no handheld point


async def test_a_proxy_who_collected_is_shown_masked(world, conn):
    tn = await submit(world.client, world.key, "VR-1", document_type="degree_certificate")
    await to_branch(world, [tn])
    await applied(world.client, world.clerk, tn, "shelve")
    await applied(world.client, world.clerk, tn, "collect", otp=await last_code(conn, tn),
                  id_last4="6789", proxy={"name": "Omar Ali", "id_number": "200112346789"})
    doc, text = await _read(world, tn)
    assert doc["state"] == "collected"
    assert doc["proof"]["proxy"] == {"name": "O. A.", "id_last4": "6789"}
    assert "Omar" not in text and "200112346789" not in text and "id_hash" not in text


# --- returns with reasons ----------------------------------------------------------------------

@pytest.mark.parametrize(("reason", "why"), [("refused", "refused"),
                                             ("wrong_person", "not_theirs")])
async def test_a_refusal_at_the_door_sends_the_document_back_at_once(world, conn, reason, why):
    tn = await submit(world.client, world.key, "PP-1")
    await out_for_delivery(world, tn)
    sent = await applied(world.client, world.courier, tn, "fail", reason=reason)
    assert sent["state"] == "returning"
    doc, _ = await _read(world, tn)
    assert (doc["state"], doc["return_reason"]) == ("returning", why)
    assert "proof" not in doc
    webhook = await conn.fetchval(
        "SELECT o.payload FROM outbox o JOIN items i ON i.id = o.item_id WHERE o.channel = "
        "'webhook' AND i.tracking_number = $1 ORDER BY o.id DESC LIMIT 1", tn)
    assert (webhook["state"], webhook["return_reason"]) == ("returning", why)
    # No second attempt: it goes back through the branch and the sorting centre.
    again = await scan(world.client, world.clerk, tn, "to_courier", courier="courier")
    assert again["status"] == "rejected"
    brought = await applied(world.client, world.courier, tn, "return")
    assert brought["state"] == "returning"
    await applied(world.client, world.clerk, tn, "send_back")
    await applied(world.client, world.sorter, tn, "accept")
    await applied(world.client, world.sorter, tn, "returned", signed_by=SIGNED_BY)
    doc, text = await _read(world, tn)
    assert (doc["state"], doc["return_reason"]) == ("returned_to_agency", why)
    assert doc["returned_signed_by"] == {"name": "Z. K.", "id_last4": "4321"}
    assert "Zainab" not in text


async def test_an_expired_hold_and_a_recall_are_each_a_reason_the_agency_sees(
        world, conn, settings):
    shelved = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [shelved])
    await applied(world.client, world.clerk, shelved, "shelve")
    await conn.execute("UPDATE items SET hold_until = now() - interval '1 s' "
                       "WHERE tracking_number = $1", shelved)
    await tasks.expire_holds(conn, custody_context(settings), now=datetime.now(UTC))
    recalled = await submit(world.client, world.key, "PP-2")
    await applied(world.client, world.sorter, recalled, "receive")
    cancel = await world.client.post(f"/v1/documents/{recalled}/cancel", headers=auth(world.key))
    assert cancel.status_code == 200, cancel.text
    found = await submit(world.client, world.key, "PP-4")
    await to_branch(world, [found])
    for path in ("lost", "found"):
        marked = await world.client.post(f"/v1/supervisor/items/{found}/{path}",
                                         headers=world.supervisor, json={"reason": "the shelf"})
        assert marked.status_code == 200, marked.text
    assert (await _read(world, shelved))[0]["return_reason"] == "hold_expired"
    assert (await _read(world, recalled))[0]["return_reason"] == "recalled"
    assert (await _read(world, found))[0]["return_reason"] == "found_after_loss"
    absent = await submit(world.client, world.key, "PP-3")
    await out_for_delivery(world, absent)
    await applied(world.client, world.courier, absent, "fail", reason="absent")
    doc, _ = await _read(world, absent)
    assert doc["state"] == "delivery_failed" and "return_reason" not in doc


@pytest.mark.parametrize(("reasons", "why"), [(("absent", "unsafe"), "unreachable"),
                                              (("absent", "address_not_found"),
                                               "address_not_found")])
async def test_a_document_whose_attempts_ran_out_comes_back_saying_why(
        world, conn, settings, reasons, why):
    """Every attempt at the door failed, and nobody collected it in time: the agency is told
    the citizen could not be reached, or that the address was never found (the last attempt's
    reason), not just that a hold expired."""
    tn = await submit(world.client, world.key, "PP-1")
    await to_branch(world, [tn])
    for reason in reasons:
        await applied(world.client, world.clerk, tn, "to_courier", courier="courier")
        await applied(world.client, world.courier, tn, "take")
        await applied(world.client, world.courier, tn, "fail", reason=reason)
        await applied(world.client, world.courier, tn, "return")
        await applied(world.client, world.clerk, tn, "accept")
    ctx = custody_context(settings)
    assert await tasks.exhaust_attempts(conn, ctx, now=datetime.now(UTC)) == 1
    assert await tasks.expire_holds(conn, ctx, now=datetime.now(UTC) + timedelta(days=90)) == 1
    doc, _ = await _read(world, tn)
    assert (doc["state"], doc["return_reason"]) == ("returning", why)


async def test_the_agency_takes_an_item_back_only_against_a_signature(world, conn):
    tn = await submit(world.client, world.key, "PP-1")
    await applied(world.client, world.sorter, tn, "receive")
    cancel = await world.client.post(f"/v1/documents/{tn}/cancel", headers=auth(world.key))
    assert cancel.status_code == 200, cancel.text
    unsigned = await scan(world.client, world.sorter, tn, "returned")
    assert unsigned["reason"] == "signature_required"
    bad = await world.client.post("/v1/scans", headers=world.sorter, json={"scans": [{
        "scan_id": "s-bad", "code": tn, "action": "returned", "at": datetime.now(UTC).isoformat(),
        "signed_by": {"name": "Zainab Kareem", "id_last4": "12"}}]})
    assert bad.json()["results"][0]["reason"] == "unreadable"
    await applied(world.client, world.sorter, tn, "returned", signed_by=SIGNED_BY)
    assert (await _read(world, tn))[0]["state"] == "returned_to_agency"
