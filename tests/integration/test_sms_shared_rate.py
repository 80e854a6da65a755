"""Two workers share one per-sender rate in segments per second, kept in Redis."""

import asyncio
import collections

import pytest

from tests.fakes.twilio import FakeTwilio
from tests.integration.sms_support import add_item, add_sms, phone, relay, run_worker, twilio_settings

RATE, BURST, MESSAGES = 10.0, 2, 24


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


async def test_two_workers_together_stay_within_the_senders_rate(settings, conn, fake):
    limited = twilio_settings(settings, fake, sms_rate_segments_per_s=RATE, sms_rate_burst=BURST)
    for n in range(MESSAGES):
        item = await add_item(conn, phone=phone(40 + n), language="en", with_branch=False)
        await add_sms(conn, item, "delivered")  # one GSM-7 segment each
    sent_by = collections.Counter()
    for _ in range(100):
        await relay(limited, conn)
        await asyncio.gather(*(run_worker(limited, after_sms_call=lambda n=n: sent_by.update([n]))
                               for n in ("first", "second")))
        if not await conn.fetchval("SELECT count(*) FROM outbox WHERE status <> 'done'"):
            break
        await asyncio.sleep(0.2)
    times = sorted(m.date_created for m in fake.messages)
    assert len(times) == MESSAGES and set(sent_by) == {"first", "second"}
    span = (times[-1] - times[0]).total_seconds()
    assert span >= (MESSAGES - BURST - 1) / RATE * 0.9
    for i, start in enumerate(times):
        within_a_second = sum(1 for t in times[i:] if (t - start).total_seconds() < 1.0)
        assert within_a_second <= RATE + BURST + 1  # one more for timing at the fake


async def test_a_sender_over_its_rate_is_deferred_without_spending_a_retry(settings, conn, fake):
    slow = twilio_settings(settings, fake, sms_rate_segments_per_s=0.1, sms_rate_burst=1)
    ids = []
    for n in range(2):
        item = await add_item(conn, phone=phone(80 + n), language="en", with_branch=False)
        ids.append(await add_sms(conn, item, "delivered"))
    await relay(slow, conn)
    await run_worker(slow)
    rows = await conn.fetch("SELECT status, attempts, last_error FROM outbox WHERE id = ANY($1) "
                            "ORDER BY status", ids)
    assert [(r["status"], r["attempts"]) for r in rows] == [("done", 1), ("pending", 0)]
    assert rows[1]["last_error"] == "sender rate limit" and len(fake.messages) == 1
