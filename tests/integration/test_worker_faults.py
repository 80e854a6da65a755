"""A long-running worker outlives the loss of PostgreSQL connections and of Redis itself.

Each test keeps one worker running (as `tasheel worker` does), breaks what it depends on in the
middle of its work, and checks that every message still reaches the fake Twilio, once.
"""

import asyncio
import collections
import contextlib
import signal
import sys
import time

import msgspec
import pytest
from litestar.testing import AsyncTestClient

from delivery.messaging.channel import SEND_CONCURRENCY
from delivery.platform import db
from delivery.web.app import create_app
from delivery.worker import build_worker
from tests.custody_world import applied, build_world, submit
from tests.fakes import twilio
from tests.fakes.twilio import FakeTwilio
from tests.integration.sms_support import (
    add_item,
    add_sms,
    phone,
    twilio_settings,
    worker_environment,
)
from tests.own_servers import OwnPostgres

OUTAGE_S = 30
TOKEN_OF = """
SELECT o.payload->'values'->>'token' FROM outbox o JOIN items i ON i.id = o.item_id
WHERE i.tracking_number = $1 AND o.payload->'values' ? 'token'
"""
TERMINATE_OTHERS = """
SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid()
"""


@pytest.fixture
def fake():
    with FakeTwilio() as server:
        yield server


@contextlib.asynccontextmanager
async def running_worker(settings):
    """A worker that runs until the test ends, relaying and sending as in production."""
    worker = build_worker(settings, handle_signals=False)
    task = asyncio.create_task(worker.async_run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await worker.close()


async def sent_to(fake, phones, *, within_s: float) -> collections.Counter:
    """How many messages each phone got, once all have one or the time is up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while loop.time() < deadline:
        counts = collections.Counter(m.to for m in fake.messages)
        if all(counts[p] for p in phones):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)  # anything sent twice would show by now
    return collections.Counter(m.to for m in fake.messages)


async def add_messages(conn, numbers) -> list[str]:
    phones = [phone(n) for n in numbers]
    for p in phones:
        await add_sms(conn, await add_item(conn, phone=p, language="en", with_branch=False),
                      "delivered")
    return phones


async def test_messages_go_on_after_the_database_drops_the_workers_connections(
        settings, conn, fake):
    settings = twilio_settings(settings, fake)
    async with running_worker(settings) as worker:
        first = await add_messages(conn, range(500, 505))
        assert await sent_to(fake, first, within_s=30) == {p: 1 for p in first}
        assert await conn.fetchval(TERMINATE_OTHERS) > 0  # the pool's, the relay's, the records'
        after = await add_messages(conn, range(505, 510))
        assert await sent_to(fake, first + after, within_s=30) == {p: 1 for p in first + after}
        assert not worker.done()


@pytest.mark.usefixtures("demo_sites")
async def test_thirty_seconds_without_redis_under_load_the_service_goes_on_and_catches_up(
        settings, conn, fake, own_redis):
    settings = twilio_settings(msgspec.structs.replace(settings, redis_url=own_redis.url), fake)
    async with running_worker(settings) as worker, \
            AsyncTestClient(app=create_app(settings)) as client:
        world = await build_world(client, conn)  # staff sign in while Redis is up
        for n in range(1, 4):
            await submit(client, world.key, f"R-{n}", phone=f"0770{n:07d}")
        own_redis.stop()
        loop = asyncio.get_running_loop()
        back_at, n = loop.time() + OUTAGE_S, 3
        while loop.time() < back_at:  # agencies and handhelds go on: PostgreSQL is the truth
            n += 1
            tn = await submit(client, world.key, f"R-{n}", phone=f"0770{n:07d}")
            await applied(client, world.sorter, tn, "receive")
            page = await client.get(f"/t/{await conn.fetchval(TOKEN_OF, tn)}")
            assert page.status_code == 200
            await asyncio.sleep(1)
        assert not worker.done(), worker.exception() if worker.done() else None
        own_redis.start()
        everyone = [f"+964770{k:07d}" for k in range(1, n + 1)]
        counts = await sent_to(fake, everyone, within_s=90)
        assert {p: counts[p] for p in everyone} == {p: 1 for p in everyone}
        assert max(counts.values()) == 1 and not worker.done()


async def test_a_worker_started_while_redis_is_down_starts_once_it_answers(
        settings, conn, fake, own_redis):
    settings = twilio_settings(msgspec.structs.replace(settings, redis_url=own_redis.url), fake)
    own_redis.stop()
    waiting = await add_messages(conn, range(530, 533))
    async with running_worker(settings) as worker:
        await asyncio.sleep(2)
        assert not worker.done(), worker.exception() if worker.done() else None
        own_redis.start()
        assert await sent_to(fake, waiting, within_s=60) == {p: 1 for p in waiting}


# --- a worker process stopped in the middle of a flood ------------------------------------------

FLOOD = 120
CALL_S = 0.2  # each provider call takes this long: a flood is still under way when stopped


@pytest.fixture
def slow_fake(monkeypatch):
    answer = twilio._Handler.do_POST

    def do_post(handler):
        time.sleep(CALL_S)
        answer(handler)

    monkeypatch.setattr(twilio._Handler, "do_POST", do_post)
    with FakeTwilio() as server:
        yield server


async def _worker_in_the_middle_of_a_flood(settings, conn, fake):
    """A `tasheel worker` process sending a flood of plain messages, once a few have gone."""
    phones = await add_messages(conn, range(600, 600 + FLOOD))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "delivery.cli", "worker", env=worker_environment(settings),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    for _ in range(600):
        if len(fake.messages) >= 25:
            break
        await asyncio.sleep(0.05)
    assert len(fake.messages) < FLOOD, "the flood ended before the worker could be stopped"
    return process, phones


async def test_sigterm_during_a_flood_hands_everything_back_and_loses_or_doubles_nothing(
        settings, conn, slow_fake):
    settings = twilio_settings(settings, slow_fake)
    process, phones = await _worker_in_the_middle_of_a_flood(settings, conn, slow_fake)
    process.send_signal(signal.SIGTERM)
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, stderr.decode()
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'sending'") == 0
    assert await conn.fetchval(
        "SELECT count(*) FROM sms_messages WHERE status IN ('sending', 'unknown')") == 0
    async with running_worker(settings):
        assert await sent_to(slow_fake, phones, within_s=60) == {p: 1 for p in phones}
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE status <> 'done'") == 0


async def test_the_rows_of_a_killed_worker_are_sent_by_another_within_two_minutes(
        settings, conn, slow_fake):
    settings = twilio_settings(settings, slow_fake)
    process, phones = await _worker_in_the_middle_of_a_flood(settings, conn, slow_fake)
    process.kill()
    await process.wait()
    begun = set(await conn.fetchval(  # calls that may have gone: not sent again (at most once)
        "SELECT coalesce(array_agg(i.citizen_phone), '{}') FROM sms_messages m "
        "JOIN items i ON i.id = m.item_id WHERE m.status = 'sending'"))
    assert await conn.fetchval("SELECT count(*) FROM outbox WHERE status = 'sending'") > 0
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with running_worker(settings):
        rest = [p for p in phones if p not in begun]
        counts = await sent_to(slow_fake, rest, within_s=120)
        took = loop.time() - started
    assert all(counts[p] == 1 for p in rest), took
    assert all(counts[p] <= 1 for p in begun)
    assert len(begun) <= SEND_CONCURRENCY


async def test_postgresql_restarted_under_a_flood_every_message_goes_and_none_twice(
        settings, slow_fake, tmp_path):
    postgres = OwnPostgres(tmp_path / "pg")
    settings = twilio_settings(
        msgspec.structs.replace(settings, database_url=await postgres.start()), slow_fake)
    conn = await db.connect(settings.database_url)
    plain = await add_messages(conn, range(700, 760))
    codes = [phone(n) for n in range(760, 780)]
    for number in codes:
        await add_sms(conn, await add_item(conn, phone=number, language="en", with_branch=False),
                      "out_for_delivery", code="480213")
    await conn.close()
    try:
        async with running_worker(settings) as worker:
            for _ in range(600):
                if len(slow_fake.messages) >= 15:
                    break
                await asyncio.sleep(0.05)
            await postgres.stop()
            await asyncio.sleep(3)
            await postgres.start()
            counts = await sent_to(slow_fake, plain + codes, within_s=120)
            assert not worker.done()
        assert {p: counts[p] for p in plain} == {p: 1 for p in plain}  # at most once, and sent
        assert all(counts[p] >= 1 for p in codes)  # a code may go twice (at least once)
        conn = await db.connect(settings.database_url)
        assert await conn.fetchval("SELECT count(*) FROM outbox WHERE status <> 'done'") == 0
        await conn.close()
    finally:
        await postgres.stop()


async def test_serve_starts_its_worker_again_after_a_crash_and_ready_says_so_meanwhile(
        settings, monkeypatch):
    from litestar.testing import AsyncTestClient

    from delivery import serve
    from delivery.web.app import create_app

    real, crashed = serve.build_worker, []

    def crashing_once(*args, **kwargs):
        worker = real(*args, **kwargs)
        if not crashed:  # a fault no one foresaw, in the worker's own loop
            crashed.append(worker)

            async def fault() -> None:
                raise RuntimeError("unforeseen")

            worker.async_run = fault
        return worker

    monkeypatch.setattr(serve, "build_worker", crashing_once)
    supervised = serve.SupervisedWorker(settings)
    app = create_app(settings)
    app.state.worker_status = supervised.status
    try:
        async with AsyncTestClient(app=app) as client:
            supervised.start()
            await asyncio.sleep(0.2)
            down = await client.get("/ready")
            assert (down.status_code, down.json()["worker"]) == (503, "down")
            for _ in range(100):
                if supervised.status() == "ok":
                    break
                await asyncio.sleep(0.1)
            up = await client.get("/ready")
            assert (up.status_code, up.json()["worker"]) == (200, "ok")
    finally:
        await supervised.stop()


async def test_a_row_a_living_worker_holds_with_no_job_on_it_goes_out(settings, conn, fake):
    settings = twilio_settings(settings, fake)
    async with running_worker(settings):
        for _ in range(100):
            if worker_id := await conn.fetchval("SELECT id FROM workers"):
                break
            await asyncio.sleep(0.1)
        # What a claim leaves when its answer is lost with the connection: the row held by the
        # worker, and no job of the worker on it.
        async with conn.transaction():
            [number] = await add_messages(conn, [540])
            await conn.execute("UPDATE outbox SET status = 'sending', held_by = $1", worker_id)
        assert await sent_to(fake, [number], within_s=30) == {number: 1}
