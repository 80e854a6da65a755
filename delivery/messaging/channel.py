"""The SMS outbox channel: one outbox row becomes one message, and the record says which.

Exactly once, as far as it goes (README, "SMS: exactly once"): an `sms_messages` row in status
`sending` is committed before the provider is called and updated right after it answers. Only a
crash between those two commits leaves the outcome unknown. The next attempt then sees `sending`:
a one-time code is sent again (the citizen needs it; at least once), any other message is not
(at most once) and goes to the dead letters as `unknown` for a supervisor to retry or not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from delivery.dispatch import Claimed, Defer, Done, GiveUp, Result, TryLater, backoff
from delivery.messaging import store
from delivery.messaging.model import (
    LINK_KINDS,
    PROVIDER_STATUS,
    REJECTED,
    RETRY,
    SENDING,
    UNKNOWN,
    ItemForSms,
    carries_code,
    language_for,
    message_values,
    scrubbed,
)
from notifications.links import tracking_url
from notifications.quiet_hours import QuietHours, next_send_time
from notifications.ratelimit import SmsRateLimiter
from notifications.render import RenderedSms, render_sms
from notifications.segments import cost
from notifications.sms import PermanentSmsError, SmsGateway, TransientSmsError

UNKNOWN_OUTCOME = "outcome unknown: the worker stopped during the provider call; not resent"
INLINE_RATE_WAIT_S = 1.0  # a busy sender is waited for this long in the job, then deferred
BUSY_DEFER = dt.timedelta(seconds=1)


class SmsRuntime(msgspec.Struct, frozen=True, kw_only=True):
    """What the channel needs in each worker process (`ctx["sms"]`)."""

    gateway: SmsGateway
    limiter: SmsRateLimiter
    sender: str  # the rate limit's key: the Messaging Service, the From, or "console"
    quiet: QuietHours | None
    public_base_url: str
    price_per_segment: Decimal
    max_attempts: int
    retry_base_s: float
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)


async def send_sms(ctx: dict[str, Any], conn: asyncpg.Connection, claimed: Claimed) -> Result:
    """Send the citizen the message an outbox row asks for, at most once unless it is a code."""
    runtime: SmsRuntime = ctx["sms"]
    kind = claimed.payload.get("kind") or claimed.topic
    previous = await store.get_message(conn, claimed.id)
    if previous is not None and previous.provider_sid:
        return Done(payload=scrubbed(claimed.payload), note="already sent")
    if previous is not None and previous.status == SENDING and not carries_code(kind):
        await store.mark_failed_call(conn, previous.id, status=UNKNOWN, code=None,
                                     error=UNKNOWN_OUTCOME)
        return GiveUp(error=UNKNOWN_OUTCOME)
    item = await store.get_item(conn, claimed.item_id)
    if item is None or not item.phone:
        return Done(payload=scrubbed(claimed.payload), note="no phone number to send to")
    try:
        sms = _render(runtime, kind, item, claimed.payload.get("values") or {})
    except ValueError as exc:
        return GiveUp(error=f"cannot render {kind}: {exc}", status="failed")
    if waiting := await _not_now(runtime, conn, kind, item, sms):
        return waiting
    return await _call(ctx, runtime, conn, claimed, item, sms)


def _render(runtime: SmsRuntime, kind: str, item: ItemForSms,
            given: dict[str, Any]) -> RenderedSms:
    language = language_for(item)
    link = None
    if kind in LINK_KINDS:
        if not given.get("token"):
            raise ValueError("the tracking token is missing (already sent and scrubbed?)")
        link = tracking_url(runtime.public_base_url, given["token"])
    values = message_values(kind, item, given, language=language, link=link)
    return render_sms(kind, language, values)


async def _not_now(runtime: SmsRuntime, conn: asyncpg.Connection, kind: str, item: ItemForSms,
                   sms: RenderedSms) -> Result | None:
    """Why the message must not go now (opted out, night, busy sender), or None to send it."""
    if not carries_code(kind):
        if await store.is_opted_out(conn, item.phone or ""):
            return Done(note="the citizen opted out")
        now = runtime.clock()
        if (until := next_send_time(now, runtime.quiet)) > now:
            return Defer(until=until, reason="quiet hours")
    segments = sms.segments.segments
    if not await runtime.limiter.acquire_waiting(runtime.sender, segments,
                                                 max_wait_s=INLINE_RATE_WAIT_S):
        return Defer(until=runtime.clock() + BUSY_DEFER, reason="sender rate limit")
    return None


async def _call(ctx: dict[str, Any], runtime: SmsRuntime, conn: asyncpg.Connection,
                claimed: Claimed, item: ItemForSms, sms: RenderedSms) -> Result:
    message_id = await store.begin_sending(
        conn, outbox_id=claimed.id, item_id=item.id, kind=sms.kind, language=sms.language,
        encoding=sms.segments.encoding, segments=sms.segments.segments,
        cost=cost(sms.segments.segments, runtime.price_per_segment))
    try:
        sent = await runtime.gateway.send(item.phone or "", sms.body, kind=sms.kind,
                                          reference=f"outbox:{claimed.id}")
    except PermanentSmsError as exc:
        await store.mark_failed_call(conn, message_id, status=REJECTED, code=exc.code,
                                     error=exc.message)
        return GiveUp(error=f"refused by the provider: {exc}", status="failed")
    except TransientSmsError as exc:
        await store.mark_failed_call(conn, message_id, status=RETRY, code=exc.code,
                                     error=str(exc))
        return _retry_or_dead(runtime, claimed, exc)
    if hook := ctx.get("after_sms_call"):
        hook()  # tests stop the process here: the window the guarantee is about
    await store.mark_sent(conn, message_id, status=PROVIDER_STATUS.get(sent.status, "sent"),
                          sid=sent.provider_sid)
    return Done(payload=scrubbed(claimed.payload))


def _retry_or_dead(runtime: SmsRuntime, claimed: Claimed, exc: TransientSmsError) -> Result:
    if claimed.attempts >= runtime.max_attempts:
        return GiveUp(error=f"gave up after {claimed.attempts} attempts: {exc}")
    after = max(dt.timedelta(seconds=exc.retry_after_s),
                backoff(claimed, base_s=runtime.retry_base_s))
    return TryLater(error=str(exc), after=after)
