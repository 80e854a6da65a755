"""At night only one-time codes go; everything else waits for morning without spending a retry."""

import datetime as dt

import pytest

from notifications.quiet_hours import BAGHDAD, next_send_time, parse_quiet_hours
from tests.fakes.twilio import FakeTwilio
from tests.integration.sms_support import (
    add_item,
    add_sms,
    drain,
    outbox_row,
    phone,
    twilio_settings,
)


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


def _window_around_now() -> str:
    local = dt.datetime.now(BAGHDAD)
    return f"{local - dt.timedelta(hours=1):%H:%M}-{local + dt.timedelta(hours=1):%H:%M}"


async def test_at_night_codes_go_at_once_and_other_messages_wait_for_the_morning(
        settings, conn, fake):
    window = _window_around_now()
    night = twilio_settings(settings, fake, sms_quiet_hours=window)
    item = await add_item(conn, phone=phone(21), language="ar")
    news = await add_sms(conn, item, "delivered")
    code = await add_sms(conn, await add_item(conn, phone=phone(21), language="ar"),
                         "out_for_delivery", code="640021")
    await drain(night, conn)
    assert [("640021" in m.body) for m in fake.messages] == [True]
    waiting = await outbox_row(conn, news)
    morning = next_send_time(dt.datetime.now(dt.UTC), parse_quiet_hours(window))
    assert waiting["status"] == "pending" and waiting["attempts"] == 0
    assert waiting["last_error"] == "quiet hours"
    assert abs(waiting["available_at"] - morning) < dt.timedelta(minutes=1)
    assert (await outbox_row(conn, code))["status"] == "done"


async def test_a_deferred_message_goes_once_when_the_morning_comes(settings, conn, fake):
    night = twilio_settings(settings, fake, sms_quiet_hours=_window_around_now())
    item = await add_item(conn, phone=phone(22), language="en")
    news = await add_sms(conn, item, "delivered")
    for _ in range(3):  # relayed at night again and again: still nothing sent, no retry spent
        await conn.execute("UPDATE outbox SET available_at = now() WHERE id = $1", news)
        await drain(night, conn)
    assert fake.messages == [] and (await outbox_row(conn, news))["attempts"] == 0
    await conn.execute("UPDATE outbox SET available_at = now() WHERE id = $1", news)
    await drain(twilio_settings(settings, fake, sms_quiet_hours=""), conn)
    assert len(fake.messages) == 1
    row = await outbox_row(conn, news)
    assert row["status"] == "done" and row["attempts"] == 1
