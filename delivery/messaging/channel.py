"""The SMS outbox channel: each outbox row becomes one message, and the record says which.

A job hands the channel a batch of rows. What they need is read in one query each (previous
records, items, opt-outs); the messages then go out concurrently, at most `SEND_CONCURRENCY`
at once per worker process, each under the shared rate limit. Up to `READY_AHEAD` more are
rate-checked meanwhile, so that a freed call slot does not wait for a round trip to Redis.

Exactly once, as far as it goes (README, "SMS: exactly once"): once a message holds a call slot,
its `sms_messages` row in status `sending` is committed and the provider is called; the slot is
then free for the next message while the answer is committed (group commit:
`store.MessageRecords`, so a busy worker writes many in one statement, while every message
still waits for its own commit). Only a crash between the two commits leaves the outcome
unknown: at most `SEND_CONCURRENCY + READY_AHEAD` messages per worker process, each one whose
call had begun or had just been answered, never one still waiting for a slot. The
next attempt then sees `sending`: a one-time code is sent again (the citizen needs it; at least
once), any other message is not (at most once) and goes to the dead letters as `unknown` for a
supervisor to retry or not. A call whose answer was lost after its request went out (a timeout
while waiting, a dropped connection: `UncertainSmsError`) is treated the same way, at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import asyncpg
import msgspec

from delivery.custody.citizen_messages import still_applies
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
    next_step,
    scrubbed,
)
from delivery.outbox.runner import Claimed, Defer, Done, GiveUp, Result, TryLater, backoff, crashed
from delivery.planning.store import planned_windows
from delivery.platform import db
from delivery.platform.coalesce import Coalescer
from notifications.links import derived_token, token_hash, tracking_url
from notifications.quiet_hours import QuietHours, next_send_time
from notifications.ratelimit import SmsRateLimiter, wait_for_capacity
from notifications.render import BRIBE_QUESTION, DELIVERY_FAILED, RenderedSms, render_sms
from notifications.segments import cost
from notifications.sms import (
    PermanentSmsError,
    SmsGateway,
    TransientSmsError,
    UncertainSmsError,
)

log = logging.getLogger(__name__)

UNKNOWN_OUTCOME = "outcome unknown: the worker stopped during the provider call; not resent"
INLINE_RATE_WAIT_S = 1.0  # a busy sender is waited for this long in the job, then deferred
BUSY_DEFER = dt.timedelta(seconds=1)
SEND_CONCURRENCY = 20  # provider calls under way at once in one worker process
# Messages in the steps around a call (rate check, record, answer recorded) beyond the calls under
# way, at most: enough that a call slot that frees finds the next message recorded and ready,
# few, since each is one more message a crash could leave `unknown`.
READY_AHEAD = 8


class SmsRuntime(msgspec.Struct, frozen=True, kw_only=True):
    """What the channel needs in each worker process (`ctx["sms"]`)."""

    gateway: SmsGateway
    # Where a test-mode agency's items' messages go, whatever `gateway` is: never a real SMS.
    test_gateway: SmsGateway
    limiter: SmsRateLimiter
    sender: str  # the rate limit's key: the Messaging Service, the From, or "console"
    quiet: QuietHours | None
    public_base_url: str
    link_key: bytes  # citizens' tracking tokens are computed again with it for later links
    feedback_delay: dt.timedelta  # after a hand-over, before the money question
    delivery_max_attempts: int  # after the last, a failed item waits at the branch
    price_per_segment: Decimal
    max_attempts: int
    retry_base_s: float
    # Messages between their record and the provider's answer.
    sends: asyncio.Semaphore
    # Messages rate-checked and waiting for a call slot, or in one.
    ready: asyncio.Semaphore
    # The limiter asked for many messages in one round trip (see `sender_rate`).
    rate: Coalescer[int, float]
    clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)


class Outgoing(msgspec.Struct, frozen=True, kw_only=True):
    """A row whose message should go now, rendered."""

    claimed: Claimed
    item: ItemForSms
    sms: RenderedSms


async def deliver_batch(ctx: dict[str, Any], batch: list[Claimed]) -> list[Result]:
    """Send the citizens the messages a batch of outbox rows asks for; one result per row."""
    runtime: SmsRuntime = ctx["sms"]
    async with db.acquire(ctx["pool"]) as conn:
        plans = await _plan(runtime, conn, batch)
    return list(await asyncio.gather(*(
        _send_guarded(ctx, runtime, plan) if isinstance(plan, Outgoing) else _as_is(plan)
        for plan in plans)))


async def _as_is(result: Result) -> Result:
    return result


async def _plan(runtime: SmsRuntime, conn: asyncpg.Connection,
                batch: list[Claimed]) -> list[Result | Outgoing]:
    """What each row needs: a result at once, or a message to send."""
    previous = await store.get_messages(conn, [c.id for c in batch])
    interrupted = [m.id for c in batch if (m := previous.get(c.id)) and _interrupted(c, m)]
    if interrupted:
        await store.mark_unknown(conn, interrupted, status=UNKNOWN, error=UNKNOWN_OUTCOME)
    batch = await _with_planned_windows(conn, batch, runtime.clock())
    items = await store.get_items(conn, [c.item_id for c in batch if c.item_id is not None])
    phones = [i.phone for c in batch if not carries_code(_kind(c))
              and (i := items.get(c.item_id or 0)) and i.phone]
    opted_out = await store.opted_out_among(conn, phones) if phones else set()
    return [_decide(runtime, c, previous.get(c.id), items.get(c.item_id or 0), opted_out)
            for c in batch]


async def _with_planned_windows(conn: asyncpg.Connection, batch: list[Claimed],
                                now: dt.datetime) -> list[Claimed]:
    """Out-for-delivery messages quote the window of the route plan in force, when on it (one
    read for the whole batch)."""
    wanting = [c for c in batch if _wants_window(c)]
    if not wanting:
        return batch
    windows = await planned_windows(conn, [c.item_id for c in wanting], now=now)
    return [_with_window(c, windows[c.item_id]) if c.item_id in windows and _wants_window(c)
            else c for c in batch]


def _wants_window(claimed: Claimed) -> bool:
    values = claimed.payload.get("values") or {}
    return (_kind(claimed) == "out_for_delivery" and "window" not in values
            and claimed.item_id is not None)


def _with_window(claimed: Claimed, window: str) -> Claimed:
    values = claimed.payload.get("values") or {}
    payload = {**claimed.payload, "values": {**values, "window": window}}
    return msgspec.structs.replace(claimed, payload=payload)


def _kind(claimed: Claimed) -> str:
    return claimed.payload.get("kind") or claimed.topic


def _interrupted(claimed: Claimed, previous: store.SentMessage) -> bool:
    """A call that began and never answered, for a message that must not go twice."""
    return (not previous.provider_sid and previous.status == SENDING
            and not carries_code(_kind(claimed)))


def _decide(runtime: SmsRuntime, claimed: Claimed, previous: store.SentMessage | None,
            item: ItemForSms | None, opted_out: set[str]) -> Result | Outgoing:
    kind = _kind(claimed)
    if previous is not None and previous.provider_sid:
        return Done(payload=scrubbed(claimed.payload), note="already sent")
    if previous is not None and _interrupted(claimed, previous):
        return GiveUp(error=UNKNOWN_OUTCOME)
    if item is None or not item.phone:
        return Done(payload=scrubbed(claimed.payload), note="no phone number to send to")
    if not still_applies(kind, item.state):
        return Done(payload=scrubbed(claimed.payload),
                    note=f"skipped: the item is {item.state} now; the message no longer applies")
    given = claimed.payload.get("values") or {}
    if (after := _asked_after(runtime, kind, given)) is not None and after > runtime.clock():
        return Defer(until=after, reason="asked a while after the hand-over")
    try:
        sms = _render(runtime, kind, item, given)
    except ValueError as exc:
        return GiveUp(error=f"cannot render {kind}: {exc}", status="failed")
    if not carries_code(kind):
        if item.phone in opted_out:
            return Done(note="the citizen opted out")
        now = runtime.clock()
        if (until := next_send_time(now, runtime.quiet)) > now:
            return Defer(until=until, reason="quiet hours")
    return Outgoing(claimed=claimed, item=item, sms=sms)


def _asked_after(runtime: SmsRuntime, kind: str, given: dict[str, Any]) -> dt.datetime | None:
    """When a question asked after the hand-over may go (`SMS_FEEDBACK_DELAY_SECONDS` on)."""
    if kind != BRIBE_QUESTION or "handed_over_at" not in given:
        return None
    return dt.datetime.fromisoformat(given["handed_over_at"]) + runtime.feedback_delay


def _render(runtime: SmsRuntime, kind: str, item: ItemForSms,
            given: dict[str, Any]) -> RenderedSms:
    language = language_for(item)
    token = (given.get("token") or _derived_token(runtime, item)) if kind in LINK_KINDS else None
    link = tracking_url(runtime.public_base_url, token) if token else None
    if kind == DELIVERY_FAILED:
        given = {**given, "next_step": next_step(item, runtime.delivery_max_attempts)}
    values = message_values(kind, item, given, language=language, link=link)
    return render_sms(kind, language, values)


def _derived_token(runtime: SmsRuntime, item: ItemForSms) -> str | None:
    """The item's token computed again, if it is the one its link was made with."""
    token = derived_token(runtime.link_key, item.tracking_number)
    return token if token_hash(token) == item.token_hash else None


async def _send_guarded(ctx: dict[str, Any], runtime: SmsRuntime, out: Outgoing) -> Result:
    """One message; a failure on our side is this row's alone (tried again after a backoff)."""
    try:
        return await _send(ctx, runtime, out)
    except Exception as exc:
        log.exception("SMS delivery crashed", extra={"outbox_id": out.claimed.id})
        return crashed(out.claimed, exc)


async def _send(ctx: dict[str, Any], runtime: SmsRuntime, out: Outgoing) -> Result:
    records: store.MessageRecords = ctx["sms_records"]
    async with runtime.ready:
        if not await _rate_allows(runtime, out.sms.segments.segments):
            return Defer(until=runtime.clock() + BUSY_DEFER, reason="sender rate limit")
        # Recorded only once a call slot is held: a message that waits for one and is then
        # stopped (a crash, a drain) was never begun, and simply goes at a later attempt.
        async with runtime.sends:
            if ctx["draining"].is_set():  # the worker is stopping: not begun, so not lost
                return Defer(until=runtime.clock(), reason="worker stopping")
            message_id = await records.begin(_sending(runtime, out))
            outcome, result = await _call(runtime, out, message_id)
        if hook := ctx.get("after_sms_call"):
            hook()  # tests stop the process here: the window the guarantee is about
        await records.finish(outcome)
    return result


async def _rate_allows(runtime: SmsRuntime, segments: int) -> bool:
    """Wait (briefly) for the sender's rate limit to let these segments through."""
    runtime.limiter.check(segments)
    return await wait_for_capacity(lambda: runtime.rate.submit(segments),
                                   max_wait_s=INLINE_RATE_WAIT_S)


def sender_rate(limiter: SmsRateLimiter, sender: str) -> Coalescer[int, float]:
    """The limiter for one sender, asked for whatever messages are waiting in one go."""
    return Coalescer(lambda group: limiter.acquire_many(sender, group))


def _sending(runtime: SmsRuntime, out: Outgoing) -> store.Sending:
    segments = out.sms.segments
    return store.Sending(
        outbox_id=out.claimed.id, item_id=out.item.id, kind=out.sms.kind,
        language=out.sms.language, encoding=segments.encoding, segments=segments.segments,
        cost=cost(segments.segments, runtime.price_per_segment))


async def _call(runtime: SmsRuntime, out: Outgoing,
                message_id: int) -> tuple[store.CallOutcome, Result]:
    """The provider call, and what to record and decide from its answer."""
    try:
        gateway = runtime.test_gateway if out.item.test_mode else runtime.gateway
        sent = await gateway.send(out.item.phone or "", out.sms.body, kind=out.sms.kind,
                                          reference=f"outbox:{out.claimed.id}")
    except PermanentSmsError as exc:
        return (store.CallOutcome(message_id=message_id, status=REJECTED, code=exc.code,
                                  error=exc.message),
                GiveUp(error=f"refused by the provider: {exc}", status="failed"))
    except TransientSmsError as exc:
        return (store.CallOutcome(message_id=message_id, status=RETRY, code=exc.code,
                                  error=str(exc)),
                _retry_or_dead(runtime, out.claimed, exc))
    except UncertainSmsError as exc:
        return (store.CallOutcome(message_id=message_id, status=UNKNOWN, error=str(exc)),
                _after_uncertain_call(runtime, out.claimed, exc))
    return (store.CallOutcome(message_id=message_id, sid=sent.provider_sid,
                              status=PROVIDER_STATUS.get(sent.status, "sent")),
            Done(payload=scrubbed(out.claimed.payload)))


def _after_uncertain_call(runtime: SmsRuntime, claimed: Claimed,
                          exc: UncertainSmsError) -> Result:
    """Twilio may have the message: as after a crash during the call, a code goes again (at
    least once), anything else to the dead letters for a supervisor (at most once)."""
    if carries_code(_kind(claimed)):
        return _retry_or_dead(runtime, claimed, exc)
    return GiveUp(error=f"{exc}; not resent")


def _retry_or_dead(runtime: SmsRuntime, claimed: Claimed,
                   exc: TransientSmsError | UncertainSmsError) -> Result:
    if claimed.attempts >= runtime.max_attempts:
        return GiveUp(error=f"gave up after {claimed.attempts} attempts: {exc}")
    after = max(dt.timedelta(seconds=exc.retry_after_s),
                backoff(claimed, base_s=runtime.retry_base_s))
    return TryLater(error=str(exc), after=after)
