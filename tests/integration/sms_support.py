"""Shared pieces of the SMS tests: a Twilio double, items to write about, draining the outbox."""

from __future__ import annotations

import datetime as dt
import os
import secrets

import msgspec
from arq import create_pool

from delivery.custody.citizen_messages import STILL_APPLIES
from delivery.outbox import rows as outbox
from delivery.outbox.relay import relay_once
from delivery.platform.runtime import redis_settings
from delivery.platform.settings import Settings
from delivery.worker import build_worker
from tests.fakes.twilio import FakeTwilio

PUBLIC_BASE_URL = "https://tasheel.gov.iq"
SERVICE_SID = "MG" + "1" * 32
PRICE = "0.05"

INSERT_AGENCY = "INSERT INTO agencies (code, name, language) VALUES ($1, $2, $3) RETURNING id"
INSERT_SITE = """
INSERT INTO sites (code, kind, governorate, name_ar, name_en, name_ckb, lat, lon, opening_hours)
VALUES ($1, 'branch', $2, 'فرع الكرادة', 'Karrada branch', 'لقی کەڕادە', 33.3, 44.4, $3)
RETURNING id
"""
INSERT_ITEM = """
INSERT INTO items (tracking_number, agency_id, external_ref, fingerprint, comparable, document_type,
    state, citizen_phone, language, governorate, branch_id, assignment_rule, token_hash,
    hold_until)
VALUES ($1, $2, $3, $4, '{}', $5, $6, $7, $8, $9, $10, 'test', $11, $12)
RETURNING id
"""


def twilio_settings(settings: Settings, fake: FakeTwilio, **changes) -> Settings:
    """The test settings, sending through the fake Twilio with the official client."""
    defaults = {
        "twilio_account_sid": fake.account_sid, "twilio_auth_token": fake.auth_token,
        "twilio_messaging_service_sid": SERVICE_SID, "twilio_api_base_url": fake.base_url,
        "public_base_url": PUBLIC_BASE_URL, "sms_price_per_segment": PRICE,
        "sms_rate_segments_per_s": 10_000.0, "sms_rate_burst": 1000,
    }
    return msgspec.structs.replace(settings, **{**defaults, **changes})


def phone(n: int) -> str:
    """A distinct Iraqi mobile number in E.164."""
    return f"+96477{n:08d}"


async def add_item(conn, *, phone: str, language: str | None = None, governorate: str = "IQ-BG",
                   agency_language: str | None = None, document_type: str = "passport",
                   state: str = "registered", with_branch: bool = True,
                   hold_until: dt.datetime | None = None) -> int:
    """An item written straight into the tables (intake has its own tests)."""
    tag = secrets.token_hex(4)
    agency = await conn.fetchval(INSERT_AGENCY, f"AG-{tag}", f"Agency {tag}", agency_language)
    branch = None
    if with_branch:
        hours = [{"days": ["sun"], "open": "08:00", "close": "14:00"}]
        branch = await conn.fetchval(INSERT_SITE, f"BR-{tag}", governorate, hours)
    return await conn.fetchval(
        INSERT_ITEM, f"RR{secrets.randbelow(10**9):09d}IQ", agency, f"REF-{tag}",
        secrets.token_bytes(8), document_type, state, phone, language, governorate, branch,
        secrets.token_bytes(32), hold_until)


async def add_sms(conn, item_id: int, kind: str, **values) -> int:
    """An SMS outbox row as intake and custody write them; its id. Custody writes each kind
    only as the item enters a state it speaks of, so the item is put in one if it is not."""
    applies = sorted(STILL_APPLIES[kind])
    await conn.execute("UPDATE items SET state = $2 WHERE id = $1 AND NOT state = ANY($3)",
                       item_id, applies[0], applies)
    await outbox.add(conn, [outbox.citizen_sms(item_id=item_id, kind=kind, values=values)],
                     now=dt.datetime.now(dt.UTC))
    return await conn.fetchval("SELECT max(id) FROM outbox WHERE channel = 'sms'")


async def relay(settings: Settings, conn) -> int:
    """Move every ready row into Redis once."""
    redis = await create_pool(redis_settings(settings.redis_url or ""))
    try:
        return await relay_once(conn, redis)
    finally:
        await redis.aclose()


async def run_worker(settings: Settings, **ctx) -> None:
    """One burst worker: runs every queued job, then stops."""
    worker = build_worker(settings, burst=True, handle_signals=False)
    worker.ctx.update(ctx)
    try:
        await worker.async_run()
    finally:
        await worker.close()


async def drain(settings: Settings, conn) -> None:
    """Relay and work until no row is ready to go."""
    while await relay(settings, conn):
        await run_worker(settings)


async def outbox_row(conn, outbox_id: int):
    return await conn.fetchrow("SELECT * FROM outbox WHERE id = $1", outbox_id)


async def message_row(conn, outbox_id: int):
    return await conn.fetchrow("SELECT * FROM sms_messages WHERE outbox_id = $1", outbox_id)


def worker_environment(settings: Settings) -> dict[str, str]:
    """The environment of a `tasheel worker` process sending through the fake Twilio."""
    return {
        **os.environ,
        "DATABASE_URL": settings.database_url or "", "REDIS_URL": settings.redis_url or "",
        "TASHEEL_SECRET_KEY": "test-secret", "TASHEEL_DATA_DIR": str(settings.data_dir),
        "PUBLIC_BASE_URL": settings.public_base_url, "SMS_QUIET_HOURS": "",
        "TWILIO_ACCOUNT_SID": settings.twilio_account_sid or "",
        "TWILIO_AUTH_TOKEN": settings.twilio_auth_token or "",
        "TWILIO_MESSAGING_SERVICE_SID": settings.twilio_messaging_service_sid or "",
        "TWILIO_API_BASE_URL": settings.twilio_api_base_url or "",
        "SMS_RATE_SEGMENTS_PER_SECOND": "1000", "LOG_LEVEL": "WARNING",
    }
