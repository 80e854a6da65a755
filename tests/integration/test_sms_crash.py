"""A worker killed between Twilio's answer and our commit: what the documented guarantee says.

A one-time code is sent again (at least once: the citizen needs it at the door); any other
message is not resent (at most once) and waits as a dead letter marked `unknown`.
"""

import asyncio
import collections
import sys
from datetime import timedelta

import pytest
import redis.asyncio as aioredis

from delivery.messaging import services
from delivery.messaging.channel import UNKNOWN_OUTCOME
from delivery.outbox.relay import requeue_stale
from tests.fakes.twilio import FakeTwilio
from tests.integration.sms_support import (
    add_item,
    add_sms,
    drain,
    message_row,
    outbox_row,
    phone,
    relay,
    twilio_settings,
    worker_environment,
)

CRASHING_WORKER = """
import os
from delivery.platform.settings import Settings
from delivery.worker import build_worker

worker = build_worker(Settings.from_env(), burst=True, handle_signals=False)
worker.ctx["after_sms_call"] = lambda: os._exit(70)  # Twilio has answered; nothing recorded yet
worker.run()
"""
CRASH_EXIT = 70


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


async def _crash_a_worker_during_the_call(settings, conn, outbox_id) -> int:
    """Relay the row and let a real worker process die right after the provider call."""
    assert await relay(settings, conn) == 1
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CRASHING_WORKER, env=worker_environment(settings),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    return await asyncio.wait_for(process.wait(), timeout=60)


async def _recover(settings, conn, outbox_id, attempts_before: int) -> None:
    """What happens once the row is found stale: relayed again and run by a healthy worker."""
    # arq would hand the dead worker's job on only after its timeout (minutes): drop its marker.
    client = aioredis.from_url(settings.redis_url)
    await client.delete(f"arq:in-progress:outbox:{outbox_id}:{attempts_before}")
    await client.aclose()
    assert await requeue_stale(conn, older_than=timedelta(0)) == 1
    await drain(settings, conn)


async def test_a_code_is_sent_again_after_a_crash_during_the_call(settings, conn, fake):
    settings = twilio_settings(settings, fake)
    item = await add_item(conn, phone=phone(11), language="en")
    outbox_id = await add_sms(conn, item, "out_for_delivery", code="318204")
    assert await _crash_a_worker_during_the_call(settings, conn, outbox_id) == CRASH_EXIT
    assert len(fake.messages) == 1
    assert (await message_row(conn, outbox_id))["status"] == "sending"
    assert (await outbox_row(conn, outbox_id))["status"] == "sending"
    await _recover(settings, conn, outbox_id, attempts_before=0)
    assert [m.to for m in fake.messages] == [phone(11)] * 2
    assert all("318204" in m.body for m in fake.messages)
    message, row = await message_row(conn, outbox_id), await outbox_row(conn, outbox_id)
    assert message["status"] == "sent" and message["calls"] == 2
    assert message["provider_sid"] == fake.messages[1].sid
    assert row["status"] == "done" and "code" not in row["payload"]["values"]


async def test_any_other_message_is_not_resent_and_waits_as_an_unknown_dead_letter(
        settings, conn, fake):
    settings = twilio_settings(settings, fake)
    item = await add_item(conn, phone=phone(12), language="en")
    outbox_id = await add_sms(conn, item, "delivered")
    assert await _crash_a_worker_during_the_call(settings, conn, outbox_id) == CRASH_EXIT
    await _recover(settings, conn, outbox_id, attempts_before=0)
    assert len(fake.messages) == 1
    assert (await message_row(conn, outbox_id))["status"] == "unknown"
    row = await outbox_row(conn, outbox_id)
    assert row["status"] == "dead" and row["last_error"] == UNKNOWN_OUTCOME
    dead = await services.dead_letters(conn)
    assert [(d.id, d.sms_status) for d in dead] == [(outbox_id, "unknown")]
    await services.retry_dead_letter(conn, outbox_id)
    await drain(settings, conn)
    assert len(fake.messages) == 2 and (await outbox_row(conn, outbox_id))["status"] == "done"


async def test_a_crash_after_the_record_but_before_the_outbox_is_settled_sends_nothing_again(
        settings, conn, fake):
    settings = twilio_settings(settings, fake)
    item = await add_item(conn, phone=phone(13), language="en")
    outbox_id = await add_sms(conn, item, "otp_reissued", code="550199")
    await drain(settings, conn)
    # The state such a crash leaves: the message recorded as sent, its outbox row still claimed.
    await conn.execute("UPDATE outbox SET status = 'sending', payload = $2 WHERE id = $1",
                       outbox_id, {"kind": "otp_reissued", "values": {"code": "550199"}})
    assert await requeue_stale(conn, older_than=timedelta(0)) == 1
    await drain(settings, conn)
    assert len(fake.messages) == 1
    row = await outbox_row(conn, outbox_id)
    assert row["status"] == "done" and row["payload"]["values"] == {}



async def test_a_worker_killed_in_the_middle_of_a_batch_sends_nothing_twice_and_loses_nothing(
        settings, conn, fake):
    settings = twilio_settings(settings, fake)
    phones = [phone(30 + n) for n in range(8)]
    ids = [await add_sms(conn, await add_item(conn, phone=p, language="en"), "delivered")
           for p in phones]
    assert await relay(settings, conn) == len(ids)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CRASHING_WORKER, env=worker_environment(settings),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    assert await asyncio.wait_for(process.wait(), timeout=60) == CRASH_EXIT
    left_sending = set(await conn.fetchval(
        "SELECT coalesce(array_agg(outbox_id), '{}') FROM sms_messages WHERE status = 'sending'"))
    assert left_sending and len(fake.messages) >= 1
    client = aioredis.from_url(settings.redis_url)
    for key in await client.keys("arq:in-progress:*"):
        await client.delete(key)
    await client.aclose()
    await requeue_stale(conn, older_than=timedelta(0))
    await drain(settings, conn)
    per_phone = collections.Counter(m.to for m in fake.messages)
    assert max(per_phone.values()) == 1  # nothing sent twice
    rows = {r["id"]: r for r in await conn.fetch("SELECT * FROM outbox WHERE id = ANY($1)", ids)}
    for outbox_id, number in zip(ids, phones, strict=True):
        if outbox_id in left_sending:  # its call may have gone: a dead letter, not resent
            assert (rows[outbox_id]["status"], rows[outbox_id]["last_error"]) == (
                "dead", UNKNOWN_OUTCOME)
            assert (await message_row(conn, outbox_id))["status"] == "unknown"
        else:  # never begun: sent now, once
            assert rows[outbox_id]["status"] == "done" and per_phone[number] == 1
