"""The question after every hand-over — did anyone ask you for money? — asked once, after the
delay, never at night, and answered by SMS or on the page into the complaints queue once."""

import asyncio
import datetime as dt

import pytest

from notifications.quiet_hours import BAGHDAD, next_send_time, parse_quiet_hours
from tests.custody_world import applied, last4
from tests.helpers import staff_token
from tests.integration.journey_support import FEEDBACK_DELAY_S, out, to_branch
from tests.integration.sms_support import PUBLIC_BASE_URL, drain, twilio_settings

pytestmark = pytest.mark.usefixtures("demo_sites")

INBOUND = "/hooks/twilio/inbound"


async def _delivered(world, me, conn) -> str:
    tn = await me.submit()
    await me.told()
    await to_branch(world, tn)
    await out(world, tn)
    await applied(world.client, world.courier, tn, "deliver", otp=await me.code(),
                  id_last4=await last4(conn, tn))
    assert (await me.kinds())[-1] == "delivered"
    return tn


async def _reply(world, fake, phone: str, body: str) -> None:
    signed = fake.build_inbound(PUBLIC_BASE_URL + INBOUND, phone, body)
    response = await world.client.post(INBOUND, data=signed.params, headers=signed.headers)
    assert response.status_code == 200, response.text


async def _complaints(world, conn) -> list[dict]:
    headers = await staff_token(world.client, conn, username="insp-reports", role="inspector",
                                site_code=None, national=True, device_id="dev-insp-reports")
    response = await world.client.get(f"/v1/ops/complaints?branch={world.branch}",
                                      headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["complaints"]


def _window_around_now() -> str:
    local = dt.datetime.now(BAGHDAD)
    return f"{local - dt.timedelta(hours=1):%H:%M}-{local + dt.timedelta(hours=1):%H:%M}"


async def test_the_question_comes_only_after_the_delay_and_once(world, citizen, conn):
    me = citizen("ar")
    await _delivered(world, me, conn)
    assert "bribe_question" not in await me.kinds()  # not at the door, in front of the courier
    assert (await me.asked_later())[-1] == "bribe_question"
    await me.asked_later()
    assert (await me.kinds()).count("bribe_question") == 1


async def test_at_night_the_question_waits_for_the_morning(world, citizen, conn, fake,
                                                           sms_settings):
    me = citizen("ckb")
    tn = await _delivered(world, me, conn)
    window = _window_around_now()
    night = twilio_settings(sms_settings, fake, sms_quiet_hours=window)
    await asyncio.sleep(FEEDBACK_DELAY_S + 0.2)
    await drain(night, conn)
    assert "bribe_question" not in await me.kinds_sent()
    row = await conn.fetchrow("SELECT o.status, o.available_at, o.last_error FROM outbox o "
                              "JOIN items i ON i.id = o.item_id WHERE i.tracking_number = $1 "
                              "AND o.topic = 'bribe_question'", tn)
    morning = next_send_time(dt.datetime.now(dt.UTC), parse_quiet_hours(window))
    assert row["status"] == "pending" and row["last_error"] == "quiet hours"
    assert abs((row["available_at"] - morning).total_seconds()) < 60


@pytest.mark.parametrize(("reply", "asked"), [("1", True), ("٢", False)])
async def test_a_reply_by_sms_reaches_the_complaints_queue_once(world, citizen, conn, fake,
                                                                reply, asked):
    me = citizen("ar")
    tn = await _delivered(world, me, conn)
    assert (await me.asked_later())[-1] == "bribe_question"
    await _reply(world, fake, me.phone, reply)
    await _reply(world, fake, me.phone, reply)  # sent twice: still one answer
    [entry] = await _complaints(world, conn)
    assert entry["tracking_number"] == tn and entry["asked_for_money"] is asked
    assert await conn.fetchval("SELECT count(*) FROM citizen_reports") == 1
    mode = await conn.fetchval("SELECT delivery_mode FROM items WHERE tracking_number = $1", tn)
    assert mode == "home"  # the digit answered the question; it chose nothing


async def test_an_answer_on_the_page_then_by_sms_is_counted_once(world, citizen, conn, fake):
    me = citizen("en")
    await _delivered(world, me, conn)
    assert (await me.asked_later())[-1] == "bribe_question"
    page = await world.client.get(me.link())
    csrf = page.text.split('name="csrf" value="')[1].split('"')[0]
    answered = await world.client.post(me.link() + "/report",
                                       data={"csrf": csrf, "asked": "yes",
                                             "complaint": "the courier wanted 10,000"},
                                       follow_redirects=False)
    assert answered.status_code == 303
    await _reply(world, fake, me.phone, "2")
    [entry] = await _complaints(world, conn)
    assert entry["asked_for_money"] is True and entry["complaint"] == "the courier wanted 10,000"


async def test_before_the_question_1_and_2_still_choose_delivery_or_pickup(world, citizen,
                                                                          conn, fake):
    me = citizen("ar")
    tn = await me.submit()
    assert await me.kinds() == ["accepted"]
    await _reply(world, fake, me.phone, "2")
    mode = await conn.fetchval("SELECT delivery_mode FROM items WHERE tracking_number = $1", tn)
    assert mode == "pickup"
    assert await conn.fetchval("SELECT count(*) FROM citizen_reports") == 0
