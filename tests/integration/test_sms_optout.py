"""STOP in Arabic, Sorani or English ends everything but one-time codes; START brings it back."""

import pytest
from litestar.testing import AsyncTestClient

from delivery.web.app import create_app
from tests.integration.sms_support import (
    PUBLIC_BASE_URL,
    add_item,
    add_sms,
    drain,
    outbox_row,
    phone,
    twilio_settings,
)

INBOUND = "/hooks/twilio/inbound"


@pytest.fixture
def sms_settings(settings, fake):
    return twilio_settings(settings, fake)


async def _reply(client, fake, from_, body):
    signed = fake.build_inbound(PUBLIC_BASE_URL + INBOUND, from_, body)
    response = await client.post(INBOUND, data=signed.params, headers=signed.headers)
    assert response.status_code == 200


@pytest.mark.parametrize(("language", "stop", "start"), [
    ("en", "STOP", "START"),
    ("ar", "إلغاء", "ابدأ"),
    ("ar", "توقف", "استئناف"),
    ("ckb", "وەستان", "دەستپێکردن"),
    ("ckb", "ڕاگرتن", "دەست پێکردن"),
])
async def test_opted_out_numbers_get_only_codes_until_they_opt_back_in(
        sms_settings, conn, fake, language, stop, start):
    citizen = phone(31)
    item = await add_item(conn, phone=citizen, language=language)
    coded = await add_item(conn, phone=citizen, language=language)
    async with AsyncTestClient(app=create_app(sms_settings)) as client:
        await _reply(client, fake, citizen, stop)
        silenced = await add_sms(conn, item, "delivered")
        code = await add_sms(conn, coded, "otp_reissued", code="271828")
        await drain(sms_settings, conn)
        assert [("271828" in m.body) for m in fake.messages] == [True]
        row = await outbox_row(conn, silenced)
        assert row["status"] == "done" and row["last_error"] == "the citizen opted out"
        assert (await outbox_row(conn, code))["status"] == "done"
        await _reply(client, fake, citizen, start)
        await add_sms(conn, await add_item(conn, phone=citizen, language=language), "collected")
        await drain(sms_settings, conn)
    assert len(fake.messages) == 2
    assert await conn.fetchval("SELECT count(*) FROM sms_opt_outs") == 0


async def test_other_numbers_and_other_words_change_nothing(sms_settings, conn, fake):
    async with AsyncTestClient(app=create_app(sms_settings)) as client:
        await _reply(client, fake, phone(32), "stop sending me the old code please")
        await _reply(client, fake, phone(33), "STOP")
    assert [r["phone"] for r in await conn.fetch("SELECT phone FROM sms_opt_outs")] == [phone(33)]
    item = await add_item(conn, phone=phone(32), language="en")
    await add_sms(conn, item, "delivered")
    await drain(sms_settings, conn)
    assert len(fake.messages) == 1
