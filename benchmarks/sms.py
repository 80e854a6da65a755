"""SMS throughput: outbox → relay → arq → worker → the real twilio client → a fake Twilio, with
two worker processes, against (in the same run) a bare loop of the same client posting the same
messages to the same fake from two processes with the same concurrency.

    DATABASE_URL=postgresql://… REDIS_URL=redis://… uv run python benchmarks/sms.py \
        [--messages 4000] [--redis-db 12]

The workers are started as production starts them (`tasheel worker`, on uvloop); the bare
processes run the same gateway class on the same event loop, with as many calls under way.
Rates are measured where Twilio would see them: first to last message accepted by the fake.
Both sides are warmed up first, so that every sender has its connection to the fake open before
the clock starts: the bare processes with one call per concurrent sender, the workers with
`WARM_UP` messages, enough for each worker to fill all its call slots at least once. (The fake
accepts only a few connections at a time: one opened while measuring can stall a second.)
The bare processes start sending together.
Overhead = bare rate / pipeline rate − 1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import redis.asyncio as aioredis  # noqa: E402

from delivery.messaging.channel import SEND_CONCURRENCY  # noqa: E402
from delivery.outbox import rows as outbox  # noqa: E402
from delivery.platform import db  # noqa: E402
from delivery.platform.migrate import migrate  # noqa: E402
from delivery.sites.services import load_reference_data  # noqa: E402
from notifications.links import tracking_url  # noqa: E402
from notifications.render import render_sms  # noqa: E402
from tests.fakes.twilio import FakeTwilio  # noqa: E402

WORKERS = 2
CONCURRENCY = SEND_CONCURRENCY  # provider calls under way at once in each worker process
WARM_UP = 10 * WORKERS * CONCURRENCY  # several jobs of more messages than call slots, per worker
PUBLIC_BASE_URL = "https://tasheel.gov.iq"
SERVICE_SID = "MG" + "2" * 32
DATABASE = "tasheel_bench_sms"
INSERT_ITEM = """
INSERT INTO items (tracking_number, agency_id, external_ref, fingerprint, comparable,
    document_type, state, citizen_phone, governorate, assignment_rule, token_hash)
VALUES ($1, $2, $3, $4, '{}', 'passport', 'registered', $5, 'IQ-BG', 'bench', $6)
"""

# Workers start as production starts them: `tasheel worker` (uvloop, logging, its settings).
WORKER_COMMAND = ("-m", "delivery.cli", "worker")
BARE_PROCESS = """
import asyncio, json, sys
import uvloop
from notifications.sms import TwilioGateway

async def main(account, token, base, first, count, concurrency, bodies):
    gateway = TwilioGateway(account, token, messaging_service_sid="{sid}",
                            status_callback_url="{public}/hooks/twilio/status",
                            validity_period_s=14400, api_base_url=base)
    numbers = iter(range(first, first + count))

    async def sender():
        for n in numbers:
            await gateway.send(f"+96478{{n:08d}}", bodies[n % len(bodies)], kind="accepted",
                               reference=str(n))

    # Warm up like the pipeline's workers (client built, connections open), then wait for go.
    await asyncio.gather(*(gateway.send("+9647900000000", bodies[0], kind="accepted",
                                        reference="warm-up") for _ in range(concurrency)))
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    await asyncio.gather(*(sender() for _ in range(concurrency)))
    await gateway.aclose()

args = json.loads(sys.stdin.readline())
uvloop.run(main(*args))  # the event loop `tasheel worker` runs on
"""


def _url_with(url: str, path: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=path))


async def _fresh_database(admin_url: str) -> str:
    admin = await asyncpg.connect(_url_with(admin_url, "/postgres"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{DATABASE}"')
    await admin.close()
    url = _url_with(admin_url, f"/{DATABASE}")
    conn = await db.connect(url)
    await migrate(conn)
    await load_reference_data(conn)
    await conn.close()
    return url


async def _items(conn: asyncpg.Connection, count: int) -> list[int]:
    agency = await conn.fetchval(
        "INSERT INTO agencies (code, name) VALUES ('BENCH', 'Bench agency') RETURNING id")
    rows = [(f"RR{n:09d}IQ", agency, f"B-{n}", secrets.token_bytes(8), f"+96477{n:08d}",
             secrets.token_bytes(32)) for n in range(count)]
    await conn.executemany(INSERT_ITEM, rows)
    return [r["id"] for r in await conn.fetch("SELECT id FROM items ORDER BY id")]


async def _queue(conn: asyncpg.Connection, item_ids: list[int]) -> None:
    rows = [outbox.citizen_sms(item_id=i, kind="accepted",
                               values={"token": secrets.token_urlsafe(16)}) for i in item_ids]
    async with conn.transaction():
        await outbox.add(conn, rows, now=dt.datetime.now(dt.UTC))


def _wait_for(fake: FakeTwilio, count: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while len(fake.messages) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"only {len(fake.messages)} of {count} messages arrived in time")
        time.sleep(0.05)


def _rates(fake: FakeTwilio) -> tuple[float, float, float]:
    """(messages/s, segments/s, seconds) from the first to the last message the fake accepted."""
    messages = fake.messages
    times = sorted(m.date_created for m in messages)
    seconds = max((times[-1] - times[0]).total_seconds(), 1e-9)
    segments = sum(m.num_segments for m in messages)
    return len(messages) / seconds, segments / seconds, seconds


def _bare_loop(fake: FakeTwilio, count: int) -> tuple[float, float, float]:
    import json

    link = tracking_url(PUBLIC_BASE_URL, secrets.token_urlsafe(16))
    bodies = [render_sms("accepted", "ar", {"document_type": "passport", "link": link}).body]
    script = BARE_PROCESS.format(sid=SERVICE_SID, public=PUBLIC_BASE_URL)
    share = count // WORKERS
    processes = [subprocess.Popen([sys.executable, "-c", script], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, cwd=ROOT, text=True)
                 for _ in range(WORKERS)]
    for i, process in enumerate(processes):
        assert process.stdin is not None
        process.stdin.write(json.dumps([fake.account_sid, fake.auth_token, fake.base_url,
                                        i * share, share, CONCURRENCY, bodies]) + "\n")
        process.stdin.flush()
    for process in processes:  # both warmed up: start them together, as the workers run
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    fake.reset()
    for process in processes:
        process.stdin.write("go\n")  # type: ignore[union-attr]
        process.stdin.close()  # type: ignore[union-attr]
    for process in processes:
        process.wait(timeout=600)
    assert all(p.returncode == 0 for p in processes)
    return _rates(fake)


def _worker_environment(database_url: str, redis_url: str, fake: FakeTwilio) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "TASHEEL_SECRET_KEY": "bench", "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
            "TASHEEL_DATA_DIR": str(ROOT / ".data" / "bench-sms"),
            "TWILIO_ACCOUNT_SID": fake.account_sid, "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_MESSAGING_SERVICE_SID": SERVICE_SID, "TWILIO_API_BASE_URL": fake.base_url,
            "SMS_QUIET_HOURS": "", "SMS_RATE_SEGMENTS_PER_SECOND": "1000000",
            "SMS_RATE_BURST": "100000", "LOG_LEVEL": "WARNING"}


async def _pipeline(fake: FakeTwilio, database_url: str, redis_url: str,
                    count: int) -> tuple[float, float, float, float, int]:
    conn = await db.connect(database_url)
    ids = await _items(conn, count + WARM_UP)
    env = _worker_environment(database_url, redis_url, fake)
    workers = [await asyncio.create_subprocess_exec(sys.executable, *WORKER_COMMAND, env=env,
                                                    cwd=ROOT)
               for _ in range(WORKERS)]
    try:
        await _queue(conn, ids[:WARM_UP])  # warm-up: both workers up, connections open
        await asyncio.to_thread(_wait_for, fake, WARM_UP, 120)
        fake.reset()
        started = time.monotonic()
        await _queue(conn, ids[WARM_UP:])
        await asyncio.to_thread(_wait_for, fake, count, 600)
        end_to_end = count / (time.monotonic() - started)
        rate, segments, seconds = _rates(fake)
        await asyncio.sleep(1)  # anything sent twice would show up now
        distinct = len({m.to for m in fake.messages})
        duplicates = len(fake.messages) - distinct
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            await worker.wait()
        await conn.close()
    return rate, segments, seconds, end_to_end, duplicates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument("--redis-db", type=int, default=12)
    args = parser.parse_args()
    database_url, redis_base = os.environ["DATABASE_URL"], os.environ["REDIS_URL"]
    redis_url = _url_with(redis_base, f"/{args.redis_db}")
    database = asyncio.run(_fresh_database(database_url))
    asyncio.run(_flush(redis_url))
    with FakeTwilio() as fake:
        bare, bare_segments, bare_s = _bare_loop(fake, args.messages)
        fake.reset()
        pipe, pipe_segments, pipe_s, end_to_end, duplicates = asyncio.run(
            _pipeline(fake, database, redis_url, args.messages))
    overhead = (bare / pipe - 1) * 100
    print(f"messages: {args.messages}, Arabic 'accepted' SMS (2 UCS-2 segments each); "
          f"{WORKERS} processes x {CONCURRENCY} concurrent sends in both runs")
    print(f"bare loop (twilio client -> fake):       {bare:8.0f} messages/s  "
          f"{bare_segments:8.0f} segments/s  ({bare_s:.2f} s)")
    print(f"pipeline (outbox -> relay -> arq -> fake): {pipe:8.0f} messages/s  "
          f"{pipe_segments:8.0f} segments/s  ({pipe_s:.2f} s)")
    print(f"pipeline from the outbox commit to the last message: {end_to_end:.0f} messages/s")
    print(f"overhead over the bare loop: {overhead:.1f} %   (target <= 25 %, >= 500 messages/s)")
    print(f"messages sent twice: {duplicates}")


async def _flush(redis_url: str) -> None:
    client = aioredis.from_url(redis_url)
    await client.flushdb()
    await client.aclose()


if __name__ == "__main__":
    main()
