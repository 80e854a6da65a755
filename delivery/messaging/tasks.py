"""What each worker process sets up for SMS: the gateway, the shared rate limit, the channel."""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from delivery.messaging.channel import (
    READY_AHEAD,
    SEND_CONCURRENCY,
    SmsRuntime,
    deliver_batch,
    sender_rate,
)
from delivery.messaging.store import MessageRecords
from delivery.platform.keys import link_key
from delivery.platform.settings import Settings
from notifications.quiet_hours import parse_quiet_hours
from notifications.ratelimit import SmsRateLimiter
from notifications.sms import ConsoleGateway, SmsGateway, gateway_from_settings

STATUS_HOOK_PATH = "/hooks/twilio/status"
INBOUND_HOOK_PATH = "/hooks/twilio/inbound"


def console_path(settings: Settings) -> Path:
    """Where the console gateway keeps the messages it would have sent."""
    return settings.data_dir / "sms" / "console.jsonl"


def test_gateway(settings: Settings) -> SmsGateway:
    """The console gateway, for test-mode agencies' items even when Twilio is configured."""
    path = console_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return ConsoleGateway(path=path, show_codes=settings.sms_console_show_codes)


def gateway(settings: Settings) -> SmsGateway:
    """Twilio when configured, else the console gateway (a choice of configuration)."""
    path = console_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    return gateway_from_settings(
        twilio_account_sid=settings.twilio_account_sid,
        twilio_auth_token=settings.twilio_auth_token,
        twilio_messaging_service_sid=settings.twilio_messaging_service_sid,
        twilio_from=settings.twilio_from,
        twilio_api_base_url=settings.twilio_api_base_url,
        status_callback_url=settings.public_base_url + STATUS_HOOK_PATH,
        validity_period_s=settings.sms_validity_period_s,
        console_path=path,
        console_show_codes=settings.sms_console_show_codes,
        timeout_s=settings.twilio_timeout_s,
    )


def sender_key(settings: Settings) -> str:
    """The rate limit is per sender: the Messaging Service, the From number, or the console."""
    return settings.twilio_messaging_service_sid or settings.twilio_from or "console"


def runtime(settings: Settings, redis: Any) -> SmsRuntime:
    """The channel's per-process context."""
    limiter = SmsRateLimiter(redis, segments_per_second=settings.sms_rate_segments_per_s,
                             burst=settings.sms_rate_burst)
    return SmsRuntime(
        gateway=gateway(settings),
        test_gateway=test_gateway(settings),
        limiter=limiter,
        sender=sender_key(settings),
        quiet=parse_quiet_hours(settings.sms_quiet_hours),
        public_base_url=settings.public_base_url,
        link_key=link_key(settings.secret_key),
        feedback_delay=dt.timedelta(seconds=settings.sms_feedback_delay_s),
        delivery_max_attempts=settings.delivery_max_attempts,
        price_per_segment=Decimal(settings.sms_price_per_segment),
        max_attempts=settings.sms_max_attempts,
        retry_base_s=settings.outbox_retry_base_s,
        sends=asyncio.Semaphore(SEND_CONCURRENCY),
        ready=asyncio.Semaphore(SEND_CONCURRENCY + READY_AHEAD),
        rate=sender_rate(limiter, sender_key(settings)),
    )


async def start_sms(ctx: dict[str, Any]) -> None:
    """Worker start-up: the SMS channel joins the outbox's channels."""
    ctx["sms"] = runtime(ctx["settings"], ctx["redis"])
    ctx["sms_records"] = MessageRecords(ctx["pool"])
    ctx.setdefault("batch_channels", {})["sms"] = deliver_batch


async def stop_sms(ctx: dict[str, Any]) -> None:
    """Worker shut-down: give back the records connection, close the gateway's HTTP session."""
    if "sms_records" in ctx:
        await ctx["sms_records"].close()
    if "sms" in ctx and hasattr(ctx["sms"].gateway, "aclose"):
        await ctx["sms"].gateway.aclose()
