"""Twilio's receipts and replies: signed for our public URL, idempotent, never backwards."""

import itertools

import pytest
from litestar.testing import AsyncTestClient

from delivery.web.app import create_app
from tests.fakes.twilio import FakeTwilio
from tests.integration.sms_support import (
    PUBLIC_BASE_URL,
    add_item,
    add_sms,
    drain,
    message_row,
    phone,
    twilio_settings,
)

STATUS_URL = PUBLIC_BASE_URL + "/hooks/twilio/status"
INBOUND_URL = PUBLIC_BASE_URL + "/hooks/twilio/inbound"
CITIZEN = phone(7)


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def sms_settings(settings, fake):
    return twilio_settings(settings, fake)


@pytest.fixture
async def hooks(sms_settings):
    async with AsyncTestClient(app=create_app(sms_settings)) as client:
        yield client


async def _post(client, signed, path="/hooks/twilio/status"):
    return await client.post(path, data=signed.params, headers=signed.headers)


async def _sent_messages(sms_settings, conn, count):
    ids = []
    for n in range(count):
        item = await add_item(conn, phone=phone(100 + n), with_branch=False)
        ids.append(await add_sms(conn, item, "delivered"))
    await drain(sms_settings, conn)
    return [(await message_row(conn, i))["provider_sid"] for i in ids]


async def _status(conn, sid):
    return await conn.fetchval("SELECT status FROM sms_messages WHERE provider_sid = $1", sid)


async def test_receipts_in_every_order_end_at_the_furthest_status(hooks, sms_settings, conn,
                                                                  fake):
    orders = list(itertools.permutations(["queued", "sending", "sent", "delivered"]))
    sids = await _sent_messages(sms_settings, conn, len(orders))
    for sid, order in zip(sids, orders, strict=True):
        for status in order:
            response = await _post(hooks, fake.build_status_callback(sid, status))
            assert response.status_code == 204
    assert {await _status(conn, sid) for sid in sids} == {"delivered"}


async def test_a_failure_receipt_after_sent_is_kept_and_a_late_sent_does_not_undo_it(
        hooks, sms_settings, conn, fake):
    (sid,) = await _sent_messages(sms_settings, conn, 1)
    for status in ("sent", "undelivered", "sent", "sending"):
        await _post(hooks, fake.build_status_callback(sid, status, error_code=30005))
    row = await conn.fetchrow("SELECT status, error_code FROM sms_messages WHERE provider_sid = $1",
                              sid)
    assert (row["status"], row["error_code"]) == ("undelivered", 30005)


async def test_the_same_receipt_twice_changes_nothing_the_second_time(hooks, sms_settings, conn,
                                                                      fake):
    (sid,) = await _sent_messages(sms_settings, conn, 1)
    receipt = fake.build_status_callback(sid, "delivered")
    await _post(hooks, receipt)
    first = await conn.fetchval("SELECT updated_at FROM sms_messages WHERE provider_sid = $1", sid)
    assert (await _post(hooks, receipt)).status_code == 204
    assert await conn.fetchval("SELECT updated_at FROM sms_messages WHERE provider_sid = $1",
                               sid) == first


async def test_a_wrong_signature_is_403_and_changes_nothing(hooks, sms_settings, conn, fake):
    (sid,) = await _sent_messages(sms_settings, conn, 1)
    signed = fake.build_status_callback(sid, "delivered")
    forged = {**signed.headers, "X-Twilio-Signature": "c29tZXRoaW5nIGVsc2U="}
    response = await hooks.post("/hooks/twilio/status", data=signed.params, headers=forged)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await _status(conn, sid) == "sent"


async def test_a_missing_signature_is_403(hooks, sms_settings, conn, fake):
    (sid,) = await _sent_messages(sms_settings, conn, 1)
    signed = fake.build_status_callback(sid, "delivered")
    response = await hooks.post("/hooks/twilio/status", data=signed.params)
    assert response.status_code == 403 and await _status(conn, sid) == "sent"


async def test_a_signature_for_the_internal_url_is_refused(hooks, sms_settings, conn, fake):
    (sid,) = await _sent_messages(sms_settings, conn, 1)
    internal = fake.build_status_callback(
        sid, "delivered", url_override="http://testserver.local/hooks/twilio/status")
    assert (await _post(hooks, internal)).status_code == 403
    assert await _status(conn, sid) == "sent"


async def test_a_signature_made_with_another_token_is_refused(hooks, conn):
    other = FakeTwilio()
    signed = other.build_inbound(INBOUND_URL, CITIZEN, "STOP")
    response = await _post(hooks, signed, "/hooks/twilio/inbound")
    assert response.status_code == 403
    assert await conn.fetchval("SELECT count(*) FROM sms_opt_outs") == 0


async def test_added_parameters_from_twilio_are_accepted(hooks, sms_settings, conn, fake):
    (sid,) = await _sent_messages(sms_settings, conn, 1)
    signed = fake.build_status_callback(sid, "delivered")
    params = {**signed.params, "RawDlrDoneDate": "2605201230", "ChannelPrefix": "sms"}
    headers = {**signed.headers, "X-Twilio-Signature": fake.sign(STATUS_URL, params)}
    response = await hooks.post("/hooks/twilio/status", data=params, headers=headers)
    assert response.status_code == 204 and await _status(conn, sid) == "delivered"


async def test_inbound_stop_opts_out_and_replies_empty_twiml(hooks, conn, fake):
    response = await _post(hooks, fake.build_inbound(INBOUND_URL, CITIZEN, "Stop"),
                           "/hooks/twilio/inbound")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.endswith("<Response/>")
    assert await conn.fetchval("SELECT phone FROM sms_opt_outs") == CITIZEN


@pytest.mark.parametrize(("body", "action", "mode"), [
    ("1", "choose_home", "home"), ("٢", "choose_pickup", "pickup"), (" 2. ", "choose_pickup",
                                                                    "pickup"),
])
async def test_a_reply_chooses_delivery_or_pickup_for_the_latest_open_item(
        hooks, conn, fake, body, action, mode):
    older = await add_item(conn, phone=CITIZEN, state="in_transit")
    newer = await add_item(conn, phone=CITIZEN, state="registered")
    await add_item(conn, phone=CITIZEN, state="delivered")
    await _post(hooks, fake.build_inbound(INBOUND_URL, CITIZEN, body), "/hooks/twilio/inbound")
    event = await conn.fetchrow(
        "SELECT item_id, action, actor_role, payload FROM custody_events WHERE actor_role = "
        "'citizen'")
    assert (event["item_id"], event["action"], event["payload"]) == (newer, action, {"via": "sms"})
    assert await conn.fetchval("SELECT delivery_mode FROM items WHERE id = $1", newer) == mode
    assert await conn.fetchval("SELECT count(*) FROM custody_events WHERE item_id = $1",
                               older) == 0


async def test_a_choice_for_an_item_already_on_the_shelf_changes_nothing(hooks, conn, fake):
    item = await add_item(conn, phone=CITIZEN, state="ready_for_pickup")
    response = await _post(hooks, fake.build_inbound(INBOUND_URL, CITIZEN, "1"),
                           "/hooks/twilio/inbound")
    assert response.status_code == 200
    assert await conn.fetchval("SELECT count(*) FROM custody_events") == 0
    assert await conn.fetchval("SELECT delivery_mode FROM items WHERE id = $1", item) is None
