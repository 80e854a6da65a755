"""A busy worker keeps its provider calls full, bounds what a crash could leave unknown, and
records a message only once its call may start.

A message recorded `sending` is one a crash would leave unknown (not sent again, unless it
carries a code); one still waiting for a free call slot has no record, so a crash simply leaves
it for a later attempt.
"""

import asyncio
import threading
import time

import pytest

from delivery.messaging.channel import READY_AHEAD, SEND_CONCURRENCY
from tests.fakes import twilio
from tests.fakes.twilio import FakeTwilio
from tests.integration.sms_support import add_item, add_sms, phone, relay, run_worker, twilio_settings

MESSAGES = 6 * (SEND_CONCURRENCY + READY_AHEAD)
CALL_S = 0.2  # each provider call takes this long: long enough for every slot to fill


@pytest.fixture
def slow_fake(monkeypatch):
    """The fake Twilio, answering each call after CALL_S; `peak` is the most calls under way."""
    answer = twilio._Handler.do_POST
    under_way = {"now": 0, "peak": 0}
    lock = threading.Lock()  # the fake answers each connection in a thread of its own

    def do_post(handler):
        with lock:
            under_way["now"] += 1
            under_way["peak"] = max(under_way["peak"], under_way["now"])
        try:
            time.sleep(CALL_S)
            answer(handler)
        finally:
            with lock:
                under_way["now"] -= 1

    monkeypatch.setattr(twilio._Handler, "do_POST", do_post)
    with FakeTwilio() as server:
        yield server, under_way


async def test_calls_stay_full_and_at_most_a_few_messages_are_recorded_ahead_of_them(
        settings, conn, slow_fake):
    fake, under_way = slow_fake
    settings = twilio_settings(settings, fake)
    for n in range(MESSAGES):
        await add_sms(conn, await add_item(conn, phone=phone(200 + n), with_branch=False),
                      "delivered")
    assert await relay(settings, conn) == MESSAGES
    most_open = 0
    worker = asyncio.create_task(run_worker(settings))
    while not worker.done():  # messages recorded `sending` and not yet answered, as seen outside
        most_open = max(most_open, await conn.fetchval(
            "SELECT count(*) FROM sms_messages WHERE status = 'sending'"))
        await asyncio.sleep(0.002)
    await worker
    assert len(fake.messages) == MESSAGES
    assert under_way["peak"] == SEND_CONCURRENCY
    assert 0 < most_open <= SEND_CONCURRENCY + READY_AHEAD


@pytest.fixture
def held_fake(monkeypatch):
    """The fake Twilio, holding every call until `release` is set."""
    answer = twilio._Handler.do_POST
    under_way = {"now": 0}
    lock, release = threading.Lock(), threading.Event()

    def do_post(handler):
        with lock:
            under_way["now"] += 1
        release.wait(timeout=60)
        answer(handler)

    monkeypatch.setattr(twilio._Handler, "do_POST", do_post)
    with FakeTwilio() as server:
        yield server, under_way, release


async def test_a_message_waiting_for_a_call_slot_has_no_record(settings, conn, held_fake):
    fake, under_way, release = held_fake
    settings = twilio_settings(settings, fake)
    for n in range(MESSAGES):
        await add_sms(conn, await add_item(conn, phone=phone(400 + n), with_branch=False),
                      "delivered")
    assert await relay(settings, conn) == MESSAGES
    worker = asyncio.create_task(run_worker(settings))
    try:
        for _ in range(300):  # every call slot taken, the calls held, the rest waiting
            if under_way["now"] == SEND_CONCURRENCY:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # time for any message ahead of a slot to be recorded
        recorded = await conn.fetchval("SELECT count(*) FROM sms_messages")
        assert under_way["now"] == SEND_CONCURRENCY
        assert recorded == SEND_CONCURRENCY  # the calls under way, and none of those waiting
    finally:
        release.set()
        await worker
    assert len(fake.messages) == MESSAGES
