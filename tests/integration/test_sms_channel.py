"""Outbox rows become SMS through the real twilio client and the fake Twilio: one each, right."""

import datetime as dt
import re
from decimal import Decimal

import msgspec
import pytest

from notifications.render import KINDS
from tests.fakes.twilio import FakeTwilio
from tests.integration.sms_support import (
    PRICE,
    PUBLIC_BASE_URL,
    SERVICE_SID,
    add_item,
    add_sms,
    drain,
    message_row,
    outbox_row,
    phone,
    twilio_settings,
)

ARABIC_SCRIPT = re.compile(r"[\u0600-\u06ff]")
TOKEN = "Zx9-aQ2_bR7cS1dT5eU3fV"
VALUES = {
    "accepted": {"token": TOKEN},
    "ready_for_pickup": {"code": "482913"},
    "out_for_delivery": {"code": "482913", "window": "10:00-13:00"},
    "delivered": {"at": "2026-05-20T09:30:00+00:00"},
    "collected": {"at": "2026-05-20T09:30:00+00:00", "by_proxy": True},
    "delivery_failed": {"reason": "absent"},
    "returning": {},
    "bribe_question": {"token": TOKEN},
    "otp_reissued": {"code": "482913"},
    "day_passed": {"day": "2026-05-21", "token": TOKEN},
    "helpdesk_code": {"code": "482913"},
}


@pytest.fixture
def fake():
    with FakeTwilio(non_mobile={phone(99)}) as server:
        yield server


@pytest.fixture
def sms_settings(settings, fake):
    return twilio_settings(settings, fake)


async def test_the_channel_renders_and_sends_every_kind_in_each_language(sms_settings, conn,
                                                                       fake):
    hold = dt.datetime(2026, 5, 20, 12, tzinfo=dt.UTC)
    rows = {}
    for n, language in enumerate(("ar", "ckb", "en")):
        for kind in KINDS:
            item = await add_item(conn, phone=phone(n), language=language, hold_until=hold)
            rows[await add_sms(conn, item, kind, **VALUES[kind])] = (language, kind)
    await drain(sms_settings, conn)
    assert len(fake.messages) == len(rows) == 3 * len(KINDS)
    for outbox_id, (language, kind) in rows.items():
        message, row = await message_row(conn, outbox_id), await outbox_row(conn, outbox_id)
        sent = fake.message(message["provider_sid"])
        assert row["status"] == "done" and message["status"] == "sent"
        assert (message["kind"], message["language"]) == (kind, language)
        assert sent.messaging_service_sid == SERVICE_SID and sent.validity_period == "14400"
        assert sent.status_callback == PUBLIC_BASE_URL + "/hooks/twilio/status"
        assert bool(ARABIC_SCRIPT.search(sent.body)) == (language != "en")
        assert message["encoding"] == ("GSM-7" if language == "en" else "UCS-2")
        assert message["segments"] == sent.num_segments <= 2
        assert message["cost"] == Decimal(PRICE) * sent.num_segments
        secrets_given = {v for k, v in VALUES[kind].items() if k in ("token", "code")}
        assert all(secret in sent.body for secret in secrets_given)
        assert not secrets_given & set(map(str, row["payload"]["values"].values()))
        assert "199012345678" not in sent.body


async def test_links_point_at_the_public_url_and_codes_arrive_intact(sms_settings, conn, fake):
    item = await add_item(conn, phone=phone(1), language="en")
    await add_sms(conn, item, "accepted", token=TOKEN)
    await add_sms(conn, await add_item(conn, phone=phone(1), language="en"), "otp_reissued",
                  code="905112")
    await drain(sms_settings, conn)
    bodies = [m.body for m in fake.messages]
    assert any(f"{PUBLIC_BASE_URL}/t/{TOKEN}" in body for body in bodies)
    assert any("905112" in body for body in bodies)


@pytest.mark.parametrize(("governorate", "agency_language", "expected"), [
    ("IQ-BG", None, "ar"), ("IQ-SU", None, "ckb"), ("IQ-HAL", None, "ckb"),
    ("IQ-AR", "en", "en"), ("IQ-BA", "ckb", "ckb"),
])
async def test_language_comes_from_the_agency_else_the_region(
        sms_settings, conn, fake, governorate, agency_language, expected):
    item = await add_item(conn, phone=phone(2), governorate=governorate,
                          agency_language=agency_language)
    outbox_id = await add_sms(conn, item, "delivered")
    await drain(sms_settings, conn)
    assert (await message_row(conn, outbox_id))["language"] == expected


async def test_a_number_that_is_not_a_mobile_stops_at_once_and_is_recorded(sms_settings, conn,
                                                                          fake):
    item = await add_item(conn, phone=phone(99))
    outbox_id = await add_sms(conn, item, "delivered")
    await drain(sms_settings, conn)
    row, message = await outbox_row(conn, outbox_id), await message_row(conn, outbox_id)
    assert row["status"] == "failed" and row["attempts"] == 1 and "21614" in row["last_error"]
    assert message["status"] == "rejected" and message["error_code"] == 21614
    assert fake.request_count == 1 and fake.messages == []


async def test_a_busy_twilio_is_retried_later_and_the_message_goes_once(sms_settings, conn, fake):
    item = await add_item(conn, phone=phone(3))
    outbox_id = await add_sms(conn, item, "delivered")
    fake.fail_next(1, status=429)
    await drain(sms_settings, conn)
    row = await outbox_row(conn, outbox_id)
    assert row["status"] == "pending" and row["attempts"] == 1
    assert row["available_at"] > dt.datetime.now(dt.UTC) + dt.timedelta(seconds=4)
    assert (await message_row(conn, outbox_id))["status"] == "retry"
    await conn.execute("UPDATE outbox SET available_at = now() WHERE id = $1", outbox_id)
    await drain(sms_settings, conn)
    message = await message_row(conn, outbox_id)
    assert (await outbox_row(conn, outbox_id))["status"] == "done"
    assert message["status"] == "sent" and message["calls"] == 2
    assert len(fake.messages) == 1 and fake.request_count == 2


async def test_server_errors_past_the_retry_budget_become_a_dead_letter(settings, conn, fake):
    sms_settings = twilio_settings(settings, fake, sms_max_attempts=2)
    item = await add_item(conn, phone=phone(4))
    outbox_id = await add_sms(conn, item, "delivered")
    fake.fail_next(2, status=503)
    for _ in range(2):
        await conn.execute("UPDATE outbox SET available_at = now() WHERE id = $1", outbox_id)
        await drain(sms_settings, conn)
    row = await outbox_row(conn, outbox_id)
    assert row["status"] == "dead" and row["attempts"] == 2 and "503" in row["last_error"]
    assert fake.messages == []


async def test_without_twilio_settings_the_console_gateway_keeps_the_message(settings, conn):
    from delivery.messaging.tasks import console_path
    from notifications.sms import read_console_file

    item = await add_item(conn, phone=phone(5), language="en")
    outbox_id = await add_sms(conn, item, "otp_reissued", code="777123")
    path = console_path(settings)
    before = len(read_console_file(path)) if path.exists() else 0
    await drain(settings, conn)
    kept = read_console_file(path)[before:]
    assert len(kept) == 1 and kept[0]["to"].endswith("005")
    assert "777123" not in kept[0]["body"] and "******" in kept[0]["body"]  # the file is not secret
    assert phone(5) not in kept[0]["to"]
    assert (await message_row(conn, outbox_id))["status"] == "delivered"


async def test_a_demo_may_ask_the_console_to_show_codes(settings, conn):
    from delivery.messaging.tasks import console_path
    from notifications.sms import read_console_file

    demo = msgspec.structs.replace(settings, sms_console_show_codes=True)
    item = await add_item(conn, phone=phone(6), language="en")
    await add_sms(conn, item, "otp_reissued", code="777124")
    path = console_path(demo)
    before = len(read_console_file(path)) if path.exists() else 0
    await drain(demo, conn)
    assert "777124" in read_console_file(path)[before:][0]["body"]


async def _send_again_now(settings, conn, outbox_id: int) -> None:
    await conn.execute("UPDATE outbox SET available_at = now() WHERE id = $1", outbox_id)
    await drain(settings, conn)


async def test_a_code_whose_answer_timed_out_after_twilio_took_it_is_sent_again(settings, conn,
                                                                               fake):
    sms_settings = twilio_settings(settings, fake, twilio_timeout_s=0.3)
    item = await add_item(conn, phone=phone(7), language="en")
    outbox_id = await add_sms(conn, item, "otp_reissued", code="640512")
    fake.hold_next(1, seconds=1.0)
    await drain(sms_settings, conn)
    row = await outbox_row(conn, outbox_id)
    assert row["status"] == "pending" and row["attempts"] == 1  # at least once: again, later
    assert (await message_row(conn, outbox_id))["status"] == "unknown"
    await _send_again_now(sms_settings, conn, outbox_id)
    message = await message_row(conn, outbox_id)
    assert (await outbox_row(conn, outbox_id))["status"] == "done"
    assert message["status"] == "sent" and message["calls"] == 2
    assert len(fake.messages) == 2 and all("640512" in m.body for m in fake.messages)


@pytest.mark.parametrize("lose_answer", ["timeout", "dropped connection"])
async def test_a_plain_message_whose_answer_was_lost_is_not_sent_again(settings, conn, fake,
                                                                       lose_answer):
    sms_settings = twilio_settings(settings, fake, twilio_timeout_s=0.3)
    item = await add_item(conn, phone=phone(8), language="en")
    outbox_id = await add_sms(conn, item, "delivered")
    if lose_answer == "timeout":
        fake.hold_next(1, seconds=1.0)
    else:
        fake.drop_next(1)
    await drain(sms_settings, conn)
    await _send_again_now(sms_settings, conn, outbox_id)  # nothing is due: it stays stopped
    row, message = await outbox_row(conn, outbox_id), await message_row(conn, outbox_id)
    assert row["status"] == "dead" and "outcome unknown" in row["last_error"]  # for a supervisor
    assert message["status"] == "unknown" and message["calls"] == 1
    assert len(fake.messages) == 1  # at most once
